package actions_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// withAccess gives oe, on customer 1001's task, full access to company co through an active
// scanner collaboration, which lets an office employee act in the company.
func withAccess(t *testing.T, w *world) string {
	t.Helper()
	return w.active(t, "1001", "scanner")
}

func TestUsers(t *testing.T) {
	cases := []struct {
		name    string
		caller  actions.Caller
		company string
		access  bool
		want    string
	}{
		{"listed_to_the_administrator", user(ca), co, false, ""},
		{"listed_to_a_plain_user", user(cu), co, false, ""},
		{"listed_to_an_employee_acting_in_the_company", user(oe), co, true, ""},
		{"refused_to_an_employee_without_access", user(oe), co, false, "not_company_user"},
		{"refused_to_another_companys_administrator", user(c2a), co, false, "not_company_user"},
		{"refused_without_a_caller", nobody, co, false, "unauthenticated"},
		{"refused_for_an_unknown_company", user(ca), "nosuch", false, "company_not_found"},
		{"refused_for_a_malformed_id", user(ca), "co#1", false, "id_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.access {
				withAccess(t, w)
			}
			got, err := w.svc.Users(ctx, tc.caller, tc.company)
			wantCode(t, err, tc.want)
			if tc.want == "" && (len(got) != 2 || got[0].ID != ca || !got[0].MainContact || got[1].MainContact) {
				t.Errorf("users %+v, want ca (main contact) and cu", got)
			}
		})
	}
}

func TestCreateUser(t *testing.T) {
	admin := actions.NewUserInput{Name: "Nils Ny", Email: "nils@ett.test", Language: "sv", Role: "administrator"}
	plain := actions.NewUserInput{Name: "Nils Ny", Email: "nils@ett.test", Language: "en", Role: "user"}
	cases := []struct {
		name   string
		caller actions.Caller
		access bool
		in     actions.NewUserInput
		admins int
		notice bool
		want   string
	}{
		{"an_administrator_by_the_administrator", user(ca), false, admin, 2, false, ""},
		{"a_user_by_the_administrator", user(ca), false, plain, 1, false, ""},
		{"an_administrator_by_an_employee_acting_in_the_company_tells_the_company", user(oe), true, admin, 2, true, ""},
		{"a_user_by_an_employee_acting_in_the_company_tells_nobody", user(oe), true, plain, 1, false, ""},
		{"refused_to_a_plain_user", user(cu), false, admin, 1, false, "administrator_required"},
		{"refused_to_an_employee_without_access", user(oe), false, admin, 1, false, "not_company_user"},
		{"refused_without_a_name", user(ca), false, actions.NewUserInput{Email: "n@ett.test", Language: "sv", Role: "user"}, 1, false, "field_required"},
		{"refused_with_a_bad_email", user(ca), false, actions.NewUserInput{Name: "N", Email: "n", Language: "sv", Role: "user"}, 1, false, "email_invalid"},
		{"refused_in_an_unknown_language", user(ca), false, actions.NewUserInput{Name: "N", Email: "n@ett.test", Language: "fi", Role: "user"}, 1, false, "language_invalid"},
		{"refused_with_an_unknown_role", user(ca), false, actions.NewUserInput{Name: "N", Email: "n@ett.test", Language: "sv", Role: "owner"}, 1, false, "role_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			via := ""
			if tc.access {
				via = withAccess(t, w)
			}
			v, err := w.svc.CreateUser(ctx, tc.caller, co, tc.in)
			wantCode(t, err, tc.want)
			c := w.company(t, co)
			if c.Company.Admins != tc.admins {
				t.Errorf("%d administrators, want %d", c.Company.Admins, tc.admins)
			}
			notices := slices.Contains(w.queue.emails(t, via), actions.EmailAdministratorAdded)
			if tc.access && notices != tc.notice {
				t.Errorf("administrator_added queued %v, want %v", notices, tc.notice)
			}
			if tc.want != "" {
				return
			}
			if u, ok := c.User(v.ID); !ok || u.Email != tc.in.Email || string(u.Role) != tc.in.Role {
				t.Errorf("user %+v, want %s as %s", u, tc.in.Email, tc.in.Role)
			}
			h, _ := w.svc.CompanyHistory(ctx, user(ca), co)
			if len(h) != 1 || h[0].Event != collab.UserCreated || h[0].UserID != v.ID || h[0].ActorID != tc.caller.UserID {
				t.Errorf("history %+v, want the user's creation by %s", h, tc.caller.UserID)
			}
		})
	}
}

func TestCreateUserRefusesAUserOfTheCompanyTwice(t *testing.T) {
	w := newWorld(t)
	ids, n := []string{"same", "same"}, 0
	w.svc.NewID = func() string { // the user's and the event's ids as listed; then the e-mail job's
		if len(ids) == 0 {
			n++
			return fmt.Sprint("job", n)
		}
		id := ids[0]
		ids = ids[1:]
		return id
	}
	in := actions.NewUserInput{Name: "N", Email: "n@ett.test", Language: "sv", Role: "user"}
	noErr(t, errOf(w.svc.CreateUser(ctx, user(ca), co, in)))
	ids = []string{"same", "event2"}
	_, err := w.svc.CreateUser(ctx, user(ca), co, in)
	wantCode(t, err, "user_exists")
}

func TestChangeRole(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, w *world)
		caller actions.Caller
		target string
		role   string
		want   string
		event  bool
	}{
		{"promotes_a_user", nil, user(ca), cu, "administrator", "", true},
		{"the_same_role_again_changes_nothing", nil, user(ca), cu, "user", "", false},
		{"demotes_an_administrator_who_is_not_the_main_contact", promote(cu), user(ca), cu, "user", "", true},
		{"refused_for_the_main_contact", promote(cu), user(ca), ca, "user", "main_contact_demotion", false},
		{"refused_for_the_last_administrator", func(t *testing.T, w *world) { noMainContact(t, w, co) }, user(ca), ca, "user", "last_administrator", false},
		{"refused_for_an_unknown_user", nil, user(ca), "nosuch", "user", "user_not_found", false},
		{"refused_for_an_unknown_role", nil, user(ca), cu, "owner", "role_invalid", false},
		{"refused_to_a_plain_user", nil, user(cu), cu, "administrator", "administrator_required", false},
		{"refused_to_another_companys_administrator", nil, user(c2a), cu, "administrator", "not_company_user", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			before, _ := w.svc.CompanyHistory(ctx, user(ca), co)
			v, err := w.svc.ChangeRole(ctx, tc.caller, co, tc.target, actions.RoleInput{Role: tc.role})
			wantCode(t, err, tc.want)
			if tc.want == "" {
				if u, _ := w.company(t, co).User(tc.target); string(u.Role) != tc.role || string(v.Role) != tc.role {
					t.Errorf("role %s, want %s", u.Role, tc.role)
				}
			}
			after, _ := w.svc.CompanyHistory(ctx, user(ca), co)
			if got := len(after) > len(before); got != tc.event {
				t.Errorf("history grew %v, want %v: %+v", got, tc.event, after)
			}
		})
	}
}

func promote(id string) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		noErr(t, errOf(w.svc.ChangeRole(ctx, user(ca), co, id, actions.RoleInput{Role: "administrator"})))
	}
}

func TestSetMainContact(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, w *world)
		caller actions.Caller
		target string
		want   string
	}{
		{"to_another_administrator", promote(cu), user(ca), cu, ""},
		{"by_an_employee_acting_in_the_company", func(t *testing.T, w *world) { promote(cu)(t, w); withAccess(t, w) }, user(oe), cu, ""},
		{"refused_for_a_plain_user", nil, user(ca), cu, "user_not_administrator"},
		{"refused_for_an_unknown_user", nil, user(ca), "nosuch", "user_not_found"},
		{"refused_for_no_user", nil, user(ca), "", "field_required"},
		{"refused_to_a_plain_user", nil, user(cu), ca, "administrator_required"},
		{"refused_to_an_employee_without_access", promote(cu), user(oe), cu, "not_company_user"},
		{"refused_without_a_caller", nil, nobody, cu, "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			_, err := w.svc.SetMainContact(ctx, tc.caller, co, actions.MainContactInput{UserID: tc.target})
			wantCode(t, err, tc.want)
			want := ca
			if tc.want == "" {
				want = tc.target
			}
			if got := w.company(t, co).Company.MainContact; got != want {
				t.Errorf("main contact %s, want %s", got, want)
			}
		})
	}
}

func TestCompanyHistory(t *testing.T) {
	w := newWorld(t)
	promote(cu)(t, w)
	w.advance(1)
	noErr(t, errOf(w.svc.SetMainContact(ctx, user(ca), co, actions.MainContactInput{UserID: cu})))
	withAccess(t, w)
	cases := []struct {
		name   string
		caller actions.Caller
		want   string
	}{
		{"read_by_an_administrator", user(ca), ""},
		{"refused_to_a_plain_user_of_another_company", user(c2a), "not_company_user"},
		{"refused_to_an_employee_acting_in_the_company", user(oe), "not_company_user"},
		{"refused_without_a_caller", nobody, "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := w.svc.CompanyHistory(ctx, tc.caller, co)
			wantCode(t, err, tc.want)
			if tc.want == "" && (len(h) != 2 || h[0].Event != collab.MainContactChanged || h[0].From != ca || h[0].To != cu || h[1].Event != collab.RoleChanged) {
				t.Errorf("history %+v, want the main contact change, then the promotion", h)
			}
		})
	}
	noErr(t, errOf(w.svc.ChangeRole(ctx, user(cu), co, ca, actions.RoleInput{Role: "user"})))
	_, err := w.svc.CompanyHistory(ctx, user(ca), co)
	wantCode(t, err, "administrator_required")
}

func TestAccess(t *testing.T) {
	cases := []struct {
		name   string
		caller actions.Caller
		want   string
	}{
		{"to_the_administrator", user(ca), ""},
		{"to_a_plain_user", user(cu), ""},
		{"to_a_solution_integration", integration, ""},
		{"to_the_employee_acting_in_the_company", user(oe), ""},
		{"refused_to_an_employee_without_access", user(ox), "not_company_user"},
		{"refused_without_a_caller", nobody, "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := withAccess(t, w)
			got, err := w.svc.Access(ctx, tc.caller, co)
			wantCode(t, err, tc.want)
			if tc.want != "" {
				return
			}
			want := []actions.AccessView{
				{UserID: ca, Solution: "bookkeeping", Mode: collab.FullAccess, Via: collab.GrantVia},
				{UserID: cu, Solution: "bookkeeping", Mode: collab.FullAccess, Via: collab.GrantVia},
				{UserID: ca, Solution: "scanner", Mode: collab.FullAccess, Via: collab.GrantVia},
				{UserID: cu, Solution: "scanner", Mode: collab.FullAccess, Via: collab.GrantVia},
				{UserID: oe, Solution: "scanner", Mode: collab.FullAccess, Via: id},
			}
			if !slices.Equal(got, want) {
				t.Errorf("access %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReportFacts(t *testing.T) {
	cases := []struct {
		name     string
		caller   actions.Caller
		company  string
		solution string
		in       actions.FactsInput
		want     string
	}{
		{"from_an_integration", integration, co, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(1)}, ""},
		{"refused_to_a_user", user(ca), co, "travel-expenses", actions.FactsInput{}, "service_only"},
		{"refused_without_a_caller", nobody, co, "travel-expenses", actions.FactsInput{}, "unauthenticated"},
		{"refused_for_an_unknown_solution", integration, co, "fax", actions.FactsInput{}, "solution_unknown"},
		{"refused_for_an_unknown_company", integration, "nosuch", "payroll", actions.FactsInput{}, "company_not_found"},
		{"refused_for_negative_reports", integration, co, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(-1)}, "field_invalid"},
		{"refused_for_a_time_that_is_none", integration, co, "payroll", actions.FactsInput{LastSyncAt: ptr("yesterday")}, "field_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			_, err := w.svc.ReportFacts(ctx, tc.caller, tc.company, tc.solution, tc.in)
			wantCode(t, err, tc.want)
			_, stored := w.company(t, co).Facts[collab.Solution(tc.solution)]
			if stored != (tc.want == "") {
				t.Errorf("facts stored %v", stored)
			}
		})
	}
}

func TestCompanyCollaborations(t *testing.T) {
	w := newWorld(t)
	for _, s := range []string{"scanner", "tax-annual", "consolidated"} {
		w.activate(t, activation("1001", s))
	}
	w.activate(t, activation("1002", "scanner"))
	first, err := w.svc.CompanyCollaborations(ctx, user(cu), co, "", 2)
	noErr(t, err)
	if len(first.Items) != 2 || first.Items[0].Solution != "consolidated" || first.Next == "" {
		t.Fatalf("first page %+v, want the 2 newest and a cursor", first)
	}
	second, err := w.svc.CompanyCollaborations(ctx, user(cu), co, first.Next, 2)
	noErr(t, err)
	if len(second.Items) != 1 || second.Items[0].Solution != "scanner" || second.Next != "" {
		t.Fatalf("second page %+v, want the oldest and no cursor", second)
	}
	for _, tc := range []struct {
		name, cursor, want string
		caller             actions.Caller
	}{
		{"refused_to_another_companys_administrator", "", "not_company_user", user(c2a)},
		{"refused_to_an_office_employee", "", "not_company_user", user(oe)},
		{"refused_for_a_cursor_it_did_not_issue", "bm9wZQ", "cursor_invalid", user(cu)},
		{"refused_for_another_companys_cursor", first.Next, "cursor_invalid", user(ca2)},
		{"refused_without_a_caller", "", "unauthenticated", nobody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			company := co
			if tc.caller.UserID == ca2 {
				company = co2
			}
			_, err := w.svc.CompanyCollaborations(ctx, tc.caller, company, tc.cursor, 2)
			wantCode(t, err, tc.want)
		})
	}
}

func TestAnIdempotencyKeyIsUsedOnceWithinItsWindow(t *testing.T) {
	w := newWorld(t)
	in := actions.NewUserInput{Name: "N", Email: "n@ett.test", Language: "sv", Role: "user"}
	r := port.Response{Scope: "ca POST /companies/co1/users", Key: "k1", RequestHash: "h", Status: 201}
	v, err := w.svc.CreateUser(actions.WithIdempotency(ctx, r), user(ca), co, in)
	noErr(t, err)
	saved, ok, _ := w.store.SavedResponse(ctx, r.Scope, r.Key, w.clock())
	if !ok || saved.Status != 201 || !strings.Contains(saved.Body, v.ID) {
		t.Fatalf("saved %+v (%v), want the first response", saved, ok)
	}
	_, err = w.svc.CreateUser(actions.WithIdempotency(ctx, r), user(ca), co, in)
	wantCode(t, err, "request_in_progress")
	if n := len(w.company(t, co).Users); n != 3 {
		t.Errorf("%d users, want one created", n)
	}
	w.advance(port.IdempotencyWindow + time.Second)
	if _, ok, _ := w.store.SavedResponse(ctx, r.Scope, r.Key, w.clock()); ok {
		t.Error("the response is kept past its window")
	}
	noErr(t, errOf(w.svc.CreateUser(actions.WithIdempotency(ctx, r), user(ca), co, in)))
}
