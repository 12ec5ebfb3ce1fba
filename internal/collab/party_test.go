package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestWhoMayActOnACollaboration(t *testing.T) {
	r := collab.CollaborationRecord{ID: "c1", OfficeID: "o1", CompanyID: "co1", CustomerNo: "1001", Assignees: []string{"on-task"}}
	admin := collab.Standing{UserID: "u", CompanyRole: collab.Administrator}
	plain := collab.Standing{UserID: "u", CompanyRole: collab.RegularUser}
	officeAdmin := collab.Standing{UserID: "u", OfficeRole: collab.OfficeAdministrator}
	onTask := collab.Standing{UserID: "on-task", OfficeRole: collab.OfficeStaff}
	onOther := collab.Standing{UserID: "u", OfficeRole: collab.OfficeStaff, CustomerTask: "t2"}
	staff := collab.Standing{UserID: "u", OfficeRole: collab.OfficeStaff}
	both := collab.Standing{UserID: "u", CompanyRole: collab.RegularUser, OfficeRole: collab.OfficeAdministrator}
	for _, c := range []struct {
		name    string
		s       collab.Standing
		side    collab.Side
		kind    collab.ActorKind
		grounds collab.Grounds
		code    string
	}{
		{"nobody_is_unauthenticated", collab.Standing{}, collab.EitherSide, "", 0, "unauthenticated"},
		{"a_plain_company_user_reads", plain, collab.EitherSide, collab.CustomerUser, collab.AsCompanyUser, ""},
		{"a_plain_company_user_may_not_end", plain, collab.EndingSide, "", 0, "administrator_required"},
		{"a_plain_company_user_may_not_answer", plain, collab.CompanySide, "", 0, "administrator_required"},
		{"a_company_administrator_ends", admin, collab.EndingSide, collab.CustomerUser, collab.AsCompanyUser, ""},
		{"a_company_administrator_answers", admin, collab.CompanySide, collab.CustomerUser, collab.AsCompanyUser, ""},
		{"a_company_administrator_is_no_office_side", admin, collab.OfficeSide, "", 0, "not_office_employee"},
		{"an_office_administrator_acts_for_the_office", officeAdmin, collab.OfficeSide, collab.OfficeEmployee, collab.AsEmployee, ""},
		{"an_office_administrator_ends", officeAdmin, collab.EndingSide, collab.OfficeEmployee, collab.AsEmployee, ""},
		{"an_office_administrator_may_not_answer", officeAdmin, collab.CompanySide, "", 0, "not_company_user"},
		{"an_employee_on_the_task_acts_for_the_office", onTask, collab.OfficeSide, collab.OfficeEmployee, collab.AsEmployee, ""},
		{"an_employee_on_another_task_of_the_customer_acts_for_the_office", onOther, collab.OfficeSide, collab.OfficeEmployee, collab.AsOnCustomerTask, ""},
		{"an_employee_on_no_task_of_the_customer_may_not", staff, collab.OfficeSide, "", 0, "not_on_task"},
		{"an_employee_on_no_task_of_the_customer_may_not_read", staff, collab.EitherSide, "", 0, "not_on_task"},
		{"a_stranger_is_no_office_employee", collab.Standing{UserID: "u"}, collab.OfficeSide, "", 0, "not_office_employee"},
		{"a_stranger_is_no_company_user", collab.Standing{UserID: "u"}, collab.EndingSide, "", 0, "not_company_user"},
		{"a_company_user_is_considered_first", both, collab.EndingSide, "", 0, "administrator_required"},
		{"the_office_side_looks_past_the_company_role", both, collab.OfficeSide, collab.OfficeEmployee, collab.AsEmployee, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			by, grounds, err := r.Party(c.s, c.side)
			if got := code(err); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
			if by.Kind != c.kind || grounds != c.grounds {
				t.Errorf("acts as %+v on grounds %d, want %s on %d", by, grounds, c.kind, c.grounds)
			}
			if err == nil && by.UserID != c.s.UserID {
				t.Errorf("actor %+v is not the caller", by)
			}
		})
	}
}

func TestWhoSeesATeardownFailure(t *testing.T) {
	r := collab.CollaborationRecord{OfficeID: "o1", CompanyID: "co1", Assignees: []string{"e1"}}
	customer := collab.Actor{Kind: collab.CustomerUser, UserID: "u"}
	office := collab.Actor{Kind: collab.OfficeEmployee, UserID: "u"}
	for _, c := range []struct {
		name string
		sees bool
		got  bool
	}{
		{"a_company_administrator_sees_it", true, r.SeesTeardown(customer, collab.Standing{CompanyRole: collab.Administrator})},
		{"a_plain_company_user_does_not", false, r.SeesTeardown(customer, collab.Standing{CompanyRole: collab.RegularUser})},
		{"an_office_employee_with_access_sees_it", true, r.SeesTeardown(office, collab.Standing{OfficeRole: collab.OfficeStaff})},
		{"the_overview_shows_it_to_office_administrators", true, r.InOverview(collab.Employee{UserID: "x", Role: collab.OfficeAdministrator})},
		{"the_overview_shows_it_to_the_employees_on_the_task", true, r.InOverview(collab.Employee{UserID: "e1", Role: collab.OfficeStaff})},
		{"the_overview_hides_it_from_other_employees", false, r.InOverview(collab.Employee{UserID: "e2", Role: collab.OfficeStaff})},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.sees {
				t.Errorf("sees %v, want %v", c.got, c.sees)
			}
		})
	}
}

func TestWhoMayActForAnOfficeOrACompany(t *testing.T) {
	staff := collab.Employee{OfficeID: "o1", UserID: "u", Role: collab.OfficeStaff}
	admin := collab.Employee{OfficeID: "o1", UserID: "u", Role: collab.OfficeAdministrator}
	task := collab.Task{ID: "t1", Assignees: []string{"u"}}
	grant := collab.Grant{UserID: "u", Mode: collab.FullAccess}
	readOnly := collab.Grant{UserID: "u", Mode: collab.ReadOnlyAccess}
	office := func(e collab.Employee, admin bool) error {
		_, err := collab.OfficeActor("u", "o1", e, admin)
		return err
	}
	company := func(u collab.User, gs []collab.Grant, admin bool) error {
		_, err := collab.CompanyActor("u", "co1", u, gs, admin)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"an_employee_acts_for_the_office", office(staff, false), ""},
		{"a_stranger_is_no_employee", office(collab.Employee{}, false), "not_office_employee"},
		{"a_plain_employee_is_no_administrator", office(staff, true), "office_administrator_required"},
		{"an_administrator_administers", office(admin, true), ""},
		{"nobody_is_unauthenticated_at_the_office", func() error { _, err := collab.OfficeActor("", "o1", admin, false); return err }(), "unauthenticated"},
		{"an_employee_on_the_task_may_use_it", collab.MayUseTask(staff, task), ""},
		{"an_employee_off_the_task_may_not_use_it", collab.MayUseTask(collab.Employee{UserID: "v", Role: collab.OfficeStaff}, task), "not_on_task"},
		{"an_administrator_may_use_any_task", collab.MayUseTask(admin, collab.Task{ID: "t2"}), ""},
		{"a_company_user_reads_the_company", company(collab.User{ID: "u", Role: collab.RegularUser}, nil, false), ""},
		{"a_plain_company_user_does_not_administer", company(collab.User{ID: "u", Role: collab.RegularUser}, nil, true), "administrator_required"},
		{"an_employee_with_full_access_acts_in_the_company", company(collab.User{}, []collab.Grant{grant}, true), ""},
		{"read_only_access_does_not_let_one_act", company(collab.User{}, []collab.Grant{readOnly}, false), "not_company_user"},
		{"a_stranger_is_no_company_user", company(collab.User{}, nil, false), "not_company_user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := code(c.err); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestWhatAssigneesChangingDoesToAccess(t *testing.T) {
	active := collab.CollaborationRecord{ID: "c1", CompanyID: "co1", Solution: collab.Solution("scanner"), Status: collab.Active}
	for _, c := range []struct {
		name          string
		r             collab.CollaborationRecord
		before, after []string
		give, take    []string
	}{
		{"accepting_gives_the_assignees_full_access", active, nil, []string{"a", "b"}, []string{"a", "b"}, nil},
		{"an_employee_taken_off_the_task_loses_access", active, []string{"a", "b"}, []string{"a"}, nil, []string{"b"}},
		{"an_employee_added_gets_access", active, []string{"a"}, []string{"a", "c"}, []string{"c"}, nil},
		{"a_pending_collaboration_gives_nothing", collab.CollaborationRecord{Status: collab.Pending}, nil, []string{"a"}, nil, nil},
		{"an_ending_collaboration_gives_nothing", collab.CollaborationRecord{Status: collab.Ending}, nil, []string{"a"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			give, take := c.r.Regrant(c.before, c.after)
			if got := users(give); !equal(got, c.give) {
				t.Errorf("gives %v, want %v", got, c.give)
			}
			if got := users(take); !equal(got, c.take) {
				t.Errorf("takes %v, want %v", got, c.take)
			}
			for _, g := range give {
				if g.Mode != collab.FullAccess || g.Via != c.r.ID || g.CompanyID != c.r.CompanyID || g.Solution != c.r.Solution {
					t.Errorf("grant %+v", g)
				}
			}
		})
	}
}

func TestInvitationStates(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	live := collab.Invitation{ExpiresAt: now.Add(time.Hour)}
	for _, c := range []struct {
		name  string
		inv   collab.Invitation
		state collab.InvitationState
		code  string
	}{
		{"a_fresh_invitation_is_live", live, collab.InvitationLive, ""},
		{"an_answered_invitation_is_used", collab.Invitation{ExpiresAt: now.Add(time.Hour), UsedAt: now}, collab.InvitationUsed, "invitation_used"},
		{"a_replaced_invitation_is_revoked", collab.Invitation{ExpiresAt: now.Add(time.Hour), RevokedAt: now}, collab.InvitationRevoked, "invitation_revoked"},
		{"an_invitation_past_its_expiry_is_expired", collab.Invitation{ExpiresAt: now}, collab.InvitationExpired, "invitation_expired"},
		{"used_wins_over_expired", collab.Invitation{ExpiresAt: now.Add(-time.Hour), UsedAt: now}, collab.InvitationUsed, "invitation_used"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.inv.State(now); got != c.state {
				t.Errorf("state %q, want %q", got, c.state)
			}
			if got := code(c.inv.Live(now)); got != c.code {
				t.Errorf("Live: %q, want %q", got, c.code)
			}
		})
	}
}

func TestAnsweringAPendingCollaboration(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	by := collab.Actor{Kind: collab.CustomerUser, UserID: "u"}
	for _, c := range []struct {
		name   string
		answer func(*collab.Collaboration) error
		to     collab.Status
	}{
		{"accepting_makes_it_active", func(c *collab.Collaboration) error { return c.Accept(by, now) }, collab.Active},
		{"declining_makes_it_declined", func(c *collab.Collaboration) error { return c.Decline(by, now) }, collab.Declined},
		{"withdrawing_makes_it_withdrawn", func(c *collab.Collaboration) error { return c.Withdraw(by, now) }, collab.Withdrawn},
	} {
		t.Run(c.name, func(t *testing.T) {
			pending := collab.RestoreCollaboration(collab.CollaborationRecord{ID: "c1", Status: collab.Pending, InvitationHash: "h",
				Undelivered: collab.Undelivered{Reason: collab.RecipientRejected, Users: []string{"x"}}})
			if err := c.answer(pending); err != nil {
				t.Fatal(err)
			}
			r := pending.Record()
			if r.Status != c.to || r.InvitationHash != "" || r.Undelivered.Reason != "" || len(pending.NewTransitions()) != 1 {
				t.Errorf("after answering: %+v %+v", r, pending.NewTransitions())
			}
			if err := c.answer(pending); code(err) != "collaboration_not_pending" {
				t.Errorf("answering twice: %v", err)
			}
		})
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return collab.ErrorCode(err)
}

func users(gs []collab.Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.UserID)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A collaboration that is over keeps its last assignees, but who may read it follows the tasks
// as they are now.
func TestWhoMayReadACollaborationThatIsOver(t *testing.T) {
	for _, status := range []collab.Status{collab.Ended, collab.Declined, collab.Withdrawn, collab.Expired} {
		r := collab.CollaborationRecord{ID: "c1", OfficeID: "o1", CompanyID: "co1", CustomerNo: "1001", TaskID: "t1",
			Assignees: []string{"was-on-task"}, Status: status}
		for _, c := range []struct {
			name    string
			s       collab.Standing
			grounds collab.Grounds
			code    string
		}{
			{"a_last_assignee_off_every_task_of_the_customer_may_not", collab.Standing{UserID: "was-on-task", OfficeRole: collab.OfficeStaff}, 0, "not_on_task"},
			{"an_employee_on_its_task_now_reads_it", collab.Standing{UserID: "u", OfficeRole: collab.OfficeStaff, CustomerTask: "t1"}, collab.AsOnCustomerTask, ""},
			{"an_office_administrator_reads_it", collab.Standing{UserID: "u", OfficeRole: collab.OfficeAdministrator}, collab.AsEmployee, ""},
		} {
			t.Run(string(status)+"/"+c.name, func(t *testing.T) {
				_, grounds, err := r.Party(c.s, collab.EitherSide)
				if got := code(err); got != c.code || grounds != c.grounds {
					t.Errorf("got %q on grounds %d, want %q on %d", got, grounds, c.code, c.grounds)
				}
			})
		}
	}
}
