package actions_test

import (
	"slices"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

func TestRemoveEmployee(t *testing.T) {
	cases := []struct {
		name   string
		caller actions.Caller
		user   string
		want   string
	}{
		{"the_employee_on_the_tasks_by_the_administrator", user(oa), oe, ""},
		{"an_employee_on_no_task", user(oa), ox, ""},
		{"refused_for_the_last_administrator", user(oa), oa, "last_office_administrator"},
		{"refused_to_staff", user(oe), ox, "office_administrator_required"},
		{"refused_to_another_office", user(o2), oe, "not_office_employee"},
		{"refused_for_someone_not_there", user(oa), "nobody", "employee_not_found"},
		{"refused_without_a_caller", nobody, oe, "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := withAccess(t, w)
			_, err := w.svc.RemoveEmployee(ctx, tc.caller, office, tc.user)
			wantCode(t, err, tc.want)
			onTask := w.collaboration(t, id).OnTask(oe)
			granted := slices.Contains(w.grantees(t, co, "scanner"), oe)
			gone := tc.want == "" && tc.user == oe
			if onTask == gone || granted == gone {
				t.Errorf("employee on the collaboration %v, granted %v, want %v", onTask, granted, !gone)
			}
			f, _ := w.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: office, EmployeeID: tc.user, TaskID: task("1002")})
			if (f.Employee.UserID == "") != (tc.want == "" || tc.want == "employee_not_found") || f.Task.Assigned(tc.user) && tc.want == "" {
				t.Errorf("employee %+v, task %+v after", f.Employee, f.Task)
			}
		})
	}
}

func TestRemoveTask(t *testing.T) {
	w := newWorld(t)
	id := withAccess(t, w)
	if _, err := w.svc.RemoveTask(ctx, user(oe), office, task("1001")); codeOf(err) != "office_administrator_required" {
		t.Fatalf("staff removed a task: %v", err)
	}
	if _, err := w.svc.RemoveTask(ctx, user(oa), office, task("1001")); err != nil {
		t.Fatal(err)
	}
	if r := w.collaboration(t, id); r.TaskID != "" || len(r.Assignees) != 0 {
		t.Errorf("collaboration %+v, want it without task and assignees", r)
	}
	if g := w.grantees(t, co, "scanner"); len(g) != 0 {
		t.Errorf("grants %v after the task went, want none", g)
	}
	_, err := w.svc.RemoveTask(ctx, user(oa), office, task("1001"))
	wantCode(t, err, "task_not_found")
}

func TestRemoveCustomer(t *testing.T) {
	w := newWorld(t)
	w.activate(t, activation("1001", "scanner"))
	_, err := w.svc.RemoveCustomer(ctx, user(oa), office, "1001")
	wantCode(t, err, "customer_removal_blocked")
	if _, err := w.svc.RemoveCustomer(ctx, user(oa), office, "1003"); err != nil {
		t.Fatal(err)
	}
	f, _ := w.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: office, CustomerNo: "1003", TaskID: task("1003")})
	if f.Customer.No != "" || f.Task.ID != "" {
		t.Errorf("customer %+v, task %+v still there", f.Customer, f.Task)
	}
	_, err = w.svc.RemoveCustomer(ctx, user(oa), office, "1003")
	wantCode(t, err, "customer_not_found")
}

func TestRemoveUser(t *testing.T) {
	cases := []struct {
		name   string
		caller actions.Caller
		access bool
		user   string
		want   string
	}{
		{"a_user_by_the_administrator", user(ca), false, cu, ""},
		{"a_user_by_an_employee_acting_in_the_company", user(oe), true, cu, ""},
		{"refused_for_the_main_contact", user(ca), false, ca, "main_contact_removal"},
		{"refused_to_a_plain_user", user(cu), false, cu, "administrator_required"},
		{"refused_to_an_employee_without_access", user(oe), false, cu, "not_company_user"},
		{"refused_for_someone_not_there", user(ca), false, "nobody", "user_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.access {
				withAccess(t, w)
			}
			_, err := w.svc.RemoveUser(ctx, tc.caller, co, tc.user)
			wantCode(t, err, tc.want)
			_, still := w.company(t, co).User(tc.user)
			if still == (tc.want == "") && tc.user != "nobody" {
				t.Errorf("user %s still there: %v", tc.user, still)
			}
			events, _ := w.store.CompanyHistory(ctx, co, 10)
			removed := slices.ContainsFunc(events, func(e collab.CompanyEvent) bool { return e.Kind == "user_removed" && e.UserID == tc.user })
			if removed != (tc.want == "") {
				t.Errorf("history records the removal: %v", removed)
			}
		})
	}
}
