package actions_test

import (
	"context"
	"slices"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

func TestPutEmployee(t *testing.T) {
	in := actions.EmployeeInput{Name: "Nora Ny", Email: "nora@office.test", Language: "sv", Role: "employee"}
	cases := []struct {
		name   string
		caller actions.Caller
		in     actions.EmployeeInput
		want   string
	}{
		{"by_an_office_administrator", user(oa), in, ""},
		{"refused_to_staff", user(oe), in, "office_administrator_required"},
		{"refused_to_another_offices_administrator", user(o2), in, "not_office_employee"},
		{"refused_without_a_caller", nobody, in, "unauthenticated"},
		{"refused_for_an_unknown_role", user(oa), actions.EmployeeInput{Name: "N", Email: "n@office.test", Language: "sv", Role: "boss"}, "role_invalid"},
		{"refused_with_a_bad_email", user(oa), actions.EmployeeInput{Name: "N", Email: "n", Language: "sv", Role: "employee"}, "email_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			_, err := w.svc.PutEmployee(ctx, tc.caller, office, "nora", tc.in)
			wantCode(t, err, tc.want)
			f, _ := w.store.OfficeItems(ctx, refsOf("nora"))
			if (f.Employee.UserID != "") != (tc.want == "") {
				t.Errorf("employee %+v stored", f.Employee)
			}
		})
	}
}

func TestADemotedOfficeAdministratorLosesTheRightAtOnce(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	noErr(t, errOf(w.svc.PutEmployee(ctx, user(oa), office, oa, actions.EmployeeInput{Name: "Olle", Email: "oa@office.test", Language: "sv", Role: "employee"})))
	_, err := w.svc.End(ctx, user(oa), id, actions.EndInput{Outcome: "continue"})
	wantCode(t, err, "not_on_task")
}

func TestPutCustomer(t *testing.T) {
	cases := []struct {
		name    string
		caller  actions.Caller
		no      string
		in      actions.CustomerInput
		open    bool // customer 1002 has a pending collaboration first
		company string
		want    string
	}{
		{"a_new_customer_linked_by_its_number", user(oa), "1004", actions.CustomerInput{Name: "Fyra AB", OrgNo: orgNo2}, false, co2, ""},
		{"a_new_customer_of_no_company", user(oa), "1004", actions.CustomerInput{Name: "Fyra AB", OrgNo: "5569999999"}, false, "", ""},
		{"a_rename_keeps_the_link", user(oa), "1001", actions.CustomerInput{Name: "Ett AB (nytt namn)"}, false, co, ""},
		{"a_changed_number_moves_the_link", user(oa), "1002", actions.CustomerInput{Name: "Två AB", OrgNo: "5569999999"}, false, "", ""},
		{"refused_to_move_the_link_of_a_customer_with_an_open_collaboration", user(oa), "1002", actions.CustomerInput{Name: "Två AB", OrgNo: "5569999999"}, true, co2, "customer_relink_blocked"},
		{"refused_to_staff", user(oe), "1004", actions.CustomerInput{Name: "Fyra AB"}, false, "", "office_administrator_required"},
		{"refused_without_a_name", user(oa), "1004", actions.CustomerInput{}, false, "", "field_required"},
		{"refused_for_a_malformed_number", user(oa), "10#4", actions.CustomerInput{Name: "Fyra AB"}, false, "", "id_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			// 1002 was linked by number when the sync sent it: here the link is stored.
			noErr(t, errOf(w.svc.PutCustomer(ctx, user(oa), office, "1002", actions.CustomerInput{Name: "Två AB", OrgNo: orgNo2})))
			if tc.open {
				w.activate(t, activation("1002", "scanner"))
			}
			_, err := w.svc.PutCustomer(ctx, tc.caller, office, tc.no, tc.in)
			wantCode(t, err, tc.want)
			if tc.want == "" || tc.open {
				f, _ := w.store.OfficeItems(ctx, portRefs(tc.no))
				if f.Customer.CompanyID != tc.company {
					t.Errorf("customer %+v, want linked to %q", f.Customer, tc.company)
				}
			}
		})
	}
}

func TestPutTaskMovesAccessWithItsAssignees(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "scanner")
	put := func(caller string, in actions.TaskInput) error {
		_, err := w.svc.PutTask(ctx, user(caller), office, task("1001"), in)
		return err
	}
	wantCode(t, put(oe, actions.TaskInput{CustomerNo: "1001", Name: "Löpande"}), "office_administrator_required")
	wantCode(t, put(oa, actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{o2}}), "assignee_not_employee")
	wantCode(t, put(oa, actions.TaskInput{CustomerNo: "9999", Name: "Löpande"}), "customer_not_found")
	wantCode(t, put(oa, actions.TaskInput{CustomerNo: "1001"}), "field_required")
	noErr(t, put(oa, actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{ox, ox}}))
	if got := w.grantees(t, co, "scanner"); !slices.Equal(got, []string{ox}) {
		t.Errorf("grants to %v, want ox instead of oe", got)
	}
	if r := w.collaboration(t, id); !slices.Equal(r.Assignees, []string{ox}) {
		t.Errorf("assignees %v, want [ox]", r.Assignees)
	}
	_, err := w.svc.End(ctx, user(oe), id, actions.EndInput{Outcome: "continue"})
	wantCode(t, err, "not_on_task")
	noErr(t, put(oa, actions.TaskInput{CustomerNo: "1002", Name: "Löpande", Assignees: []string{ox}}))
	if r := w.collaboration(t, id); r.TaskID != "" || len(w.grantees(t, co, "scanner")) != 0 {
		t.Errorf("after the task moved to another customer: task %q, grants %v; want neither", r.TaskID, w.grantees(t, co, "scanner"))
	}
}

// imported writes an active collaboration of the older tool, without a task, for customer 1001.
func imported(t *testing.T, w *world, solution string) string {
	t.Helper()
	c, err := collab.Import(collab.ImportInput{ID: "imp-" + solution, OfficeID: office, CustomerNo: "1001", CompanyID: co,
		Solution: collab.Solution(solution), InvoiceRecipient: collab.InvoiceCustomer, Since: start.AddDate(-1, 0, 0)}, start)
	if err != nil {
		t.Fatal(err)
	}
	noErr(t, w.store.Import(ctx, []*collab.Collaboration{c}))
	return c.ID()
}

func TestLink(t *testing.T) {
	cases := []struct {
		name     string
		caller   actions.Caller
		in       actions.LinkInput
		activate bool // link a collaboration that has a task instead
		want     string
	}{
		{"to_the_customers_task_by_the_employee_on_it", user(oe), actions.LinkInput{TaskID: task("1001")}, false, ""},
		{"with_the_office_named", user(oe), actions.LinkInput{TaskID: task("1001"), OfficeID: office}, false, ""},
		{"with_another_office_named", user(oe), actions.LinkInput{TaskID: task("1001"), OfficeID: otherOffice}, false, ""},
		{"by_an_office_administrator", user(oa), actions.LinkInput{TaskID: task("1001")}, false, ""},
		{"refused_to_an_employee_on_no_task_of_the_customer", user(ox), actions.LinkInput{TaskID: task("1001")}, false, "not_on_task"},
		{"refused_to_the_companys_administrator", user(ca), actions.LinkInput{TaskID: task("1001")}, false, "not_office_employee"},
		{"refused_without_a_task", user(oe), actions.LinkInput{}, false, "task_required"},
		{"refused_for_an_unknown_task", user(oe), actions.LinkInput{TaskID: "nosuch"}, false, "task_not_found"},
		{"refused_for_another_customers_task", user(oe), actions.LinkInput{TaskID: task("1002")}, false, "task_customer_mismatch"},
		{"refused_for_a_collaboration_with_a_task", user(oe), actions.LinkInput{TaskID: task("1001")}, true, "collaboration_already_linked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := imported(t, w, "scanner")
			if tc.activate {
				id = w.active(t, "1001", "tax-annual")
			}
			_, err := w.svc.Link(ctx, tc.caller, id, tc.in)
			wantCode(t, err, tc.want)
			if tc.want != "" {
				return
			}
			r := w.collaboration(t, id)
			if r.TaskID != task("1001") || !slices.Equal(r.Assignees, []string{oe}) || !slices.Equal(w.grantees(t, co, "scanner"), []string{oe}) {
				t.Errorf("collaboration %+v grants %v, want linked with oe granted", r, w.grantees(t, co, "scanner"))
			}
		})
	}
}

func TestRenew(t *testing.T) {
	cases := []struct {
		name     string
		solution string
		caller   actions.Caller
		months   int
		want     string
	}{
		{"by_the_employee_on_the_task", "financial-overview", user(oe), 12, ""},
		{"refused_for_6_months", "financial-overview", user(oe), 6, "agreement_period_invalid"},
		{"refused_for_a_solution_without_agreement", "scanner", user(oe), 12, "agreement_period_not_applicable"},
		{"refused_to_the_companys_administrator", "financial-overview", user(ca), 12, "not_office_employee"},
		{"refused_to_an_employee_on_no_task", "financial-overview", user(ox), 12, "not_on_task"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.active(t, "1001", tc.solution)
			was := w.collaboration(t, id).AgreementEndsAt
			_, err := w.svc.Renew(ctx, tc.caller, id, actions.RenewInput{Months: tc.months})
			wantCode(t, err, tc.want)
			if got := w.collaboration(t, id).AgreementEndsAt; tc.want == "" && !got.Equal(was.AddDate(0, tc.months, 0)) {
				t.Errorf("agreement ends %s, want %d months after %s", got, tc.months, was)
			}
		})
	}
}

func TestReadingCollaborations(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "scanner")
	w.activate(t, activation("1001", "tax-annual"))
	w.activate(t, activation("1002", "scanner"))
	for _, tc := range []struct {
		name   string
		caller actions.Caller
		want   string
	}{
		{"read_by_the_companys_plain_user", user(cu), ""},
		{"read_by_the_employee_on_the_task", user(oe), ""},
		{"read_by_an_office_administrator", user(oa), ""},
		{"refused_to_an_employee_on_no_task", user(ox), "not_on_task"},
		{"refused_to_another_companys_administrator", user(c2a), "not_company_user"},
		{"refused_without_a_caller", nobody, "unauthenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := w.svc.Collaboration(ctx, tc.caller, id)
			wantCode(t, err, tc.want)
			if tc.want == "" && (len(v.History) != 2 || v.History[0].To != "pending" || v.History[1].To != "active") {
				t.Errorf("history %+v, want pending then active", v.History)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		caller actions.Caller
		filter actions.ListFilter
		n      int
		want   string
	}{
		{"every_collaboration_of_the_office", user(ox), actions.ListFilter{}, 3, ""},
		{"one_customers", user(oe), actions.ListFilter{CustomerNo: "1001"}, 2, ""},
		{"one_status", user(oe), actions.ListFilter{Status: "pending"}, 2, ""},
		{"one_solution", user(oe), actions.ListFilter{Solution: "scanner"}, 2, ""},
		{"one_customers_in_one_status", user(oe), actions.ListFilter{CustomerNo: "1001", Status: "active"}, 1, ""},
		{"refused_to_another_office", user(o2), actions.ListFilter{}, 0, "not_office_employee"},
		{"refused_for_an_unknown_status", user(oe), actions.ListFilter{Status: "sleeping"}, 0, "status_invalid"},
		{"refused_for_an_unknown_solution", user(oe), actions.ListFilter{Solution: "fax"}, 0, "solution_unknown"},
		{"refused_for_a_cursor_of_another_list", user(oe), actions.ListFilter{Status: "pending", Cursor: cursorOf(t, w)}, 0, "cursor_invalid"},
	} {
		t.Run("overview/"+tc.name, func(t *testing.T) {
			v, err := w.svc.OfficeCollaborations(ctx, tc.caller, office, tc.filter)
			wantCode(t, err, tc.want)
			if len(v.Items) != tc.n {
				t.Errorf("%d items, want %d", len(v.Items), tc.n)
			}
		})
	}
}

// cursorOf returns the cursor of the office's overview after its first item.
func cursorOf(t *testing.T, w *world) string {
	t.Helper()
	v, err := w.svc.OfficeCollaborations(ctx, user(oa), office, actions.ListFilter{Limit: 1})
	if err != nil || v.Next == "" {
		t.Fatalf("no cursor: %v", err)
	}
	return v.Next
}

// refsOf names an employee of the office, for reading it back.
func refsOf(employee string) port.OfficeRefs {
	r := portRefs("")
	r.EmployeeID = employee
	return r
}

// tornRead is the store as a BatchGetItem can see it while an activation commits: the task after
// the activation joined it, the customer's open guards from before.
type tornRead struct {
	port.Store
	during func()
}

func (s *tornRead) OfficeItems(ctx context.Context, r port.OfficeRefs) (port.OfficeFacts, error) {
	during := s.during
	if during == nil || !r.CustomerOpen {
		return s.Store.OfficeItems(ctx, r)
	}
	s.during = nil
	before, err := s.Store.OfficeItems(ctx, r)
	if err != nil {
		return before, err
	}
	during()
	after, err := s.Store.OfficeItems(ctx, r)
	after.Open, after.OpenIDs = before.Open, before.OpenIDs
	return after, err
}

func TestATaskChangeThatMissedAnActivationIsRefused(t *testing.T) {
	w := newWorld(t)
	var pending string
	w.svc.Store = &tornRead{Store: w.store, during: func() { pending = w.activate(t, activation("1001", "scanner")) }}
	_, err := w.svc.PutTask(ctx, user(oa), office, task("1001"), actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{ox}})
	wantCode(t, err, "concurrent_update")
	if r := w.collaboration(t, pending); !slices.Equal(r.Assignees, []string{oe}) {
		t.Fatalf("assignees %v, want the task's as it was, [oe]", r.Assignees)
	}
	noErr(t, func() error {
		_, err := w.svc.PutTask(ctx, user(oa), office, task("1001"), actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{ox}})
		return err
	}())
	if r := w.collaboration(t, pending); !slices.Equal(r.Assignees, []string{ox}) {
		t.Errorf("after the retry: assignees %v, want [ox]", r.Assignees)
	}
}
