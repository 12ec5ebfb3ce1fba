package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestWhoMayBeRemovedFromACompany(t *testing.T) {
	admin := collab.User{CompanyID: "co", ID: "a", Role: collab.Administrator}
	other := collab.User{CompanyID: "co", ID: "b", Role: collab.Administrator}
	plain := collab.User{CompanyID: "co", ID: "u", Role: collab.RegularUser}
	for _, c := range []struct {
		name    string
		company collab.Company
		u       collab.User
		code    string
		admins  int
	}{
		{"a_plain_user_is_removed", collab.Company{ID: "co", MainContact: "a", Admins: 1}, plain, "", 1},
		{"an_administrator_among_two_is_removed", collab.Company{ID: "co", MainContact: "a", Admins: 2}, other, "", 1},
		{"the_main_contact_is_kept", collab.Company{ID: "co", MainContact: "a", Admins: 2}, admin, "main_contact_removal", 2},
		{"the_last_administrator_is_kept", collab.Company{ID: "co", Admins: 1}, admin, "last_administrator", 1},
		{"a_user_of_another_company_is_not_found", collab.Company{ID: "co2", Admins: 1}, plain, "user_not_found", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			co := c.company
			if got := code(co.RemoveUser(c.u)); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
			if co.Admins != c.admins {
				t.Errorf("%d administrators after, want %d", co.Admins, c.admins)
			}
		})
	}
}

func TestWhoMayBeRemovedFromAnOffice(t *testing.T) {
	a := collab.Employee{OfficeID: "o", UserID: "a", Role: collab.OfficeAdministrator}
	b := collab.Employee{OfficeID: "o", UserID: "b", Role: collab.OfficeAdministrator}
	e := collab.Employee{OfficeID: "o", UserID: "e", Role: collab.OfficeStaff}
	for _, c := range []struct {
		name  string
		e     collab.Employee
		staff []collab.Employee
		code  string
	}{
		{"staff_is_removed", e, []collab.Employee{a, e}, ""},
		{"an_administrator_among_two_is_removed", a, []collab.Employee{a, b, e}, ""},
		{"the_last_administrator_is_kept", a, []collab.Employee{a, e}, "last_office_administrator"},
		{"nobody_is_not_found", collab.Employee{}, []collab.Employee{a}, "employee_not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := code(collab.RemoveEmployee(c.e, c.staff)); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestACustomerIsRemovedOnlyWithNothingOpen(t *testing.T) {
	if err := collab.RemoveCustomer(nil); err != nil {
		t.Errorf("nothing open: %v", err)
	}
	if got := code(collab.RemoveCustomer([]collab.Solution{"scanner"})); got != "customer_removal_blocked" {
		t.Errorf("a scanner collaboration open: code %q", got)
	}
}

func TestACollaborationLeavesARemovedTask(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	task := collab.Task{OfficeID: "o", ID: "t1", CustomerNo: "1001", Assignees: []string{"e"}}
	for _, c := range []struct {
		name    string
		status  collab.Status
		taskID  string
		changed bool
	}{
		{"an_active_one_on_it_leaves_it", collab.Active, "t1", true},
		{"a_pending_one_on_it_leaves_it", collab.Pending, "t1", true},
		{"one_on_another_task_stays", collab.Active, "t2", false},
		{"one_that_is_over_keeps_its_record", collab.Ended, "t1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			col := collab.RestoreCollaboration(collab.CollaborationRecord{ID: "c", OfficeID: "o", CustomerNo: "1001", Status: c.status,
				TaskID: c.taskID, Assignees: []string{"e"}})
			if got := col.LeaveTask(task, collab.System, now); got != c.changed {
				t.Fatalf("changed %v, want %v", got, c.changed)
			}
			if r := col.Record(); c.changed && (r.TaskID != "" || len(r.Assignees) != 0) {
				t.Errorf("record %+v, want no task and no assignees", r)
			}
		})
	}
}
