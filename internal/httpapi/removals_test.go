package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// hasGrant reports whether the company's access list gives the user access to the solution
// through a collaboration.
func (h *harness) hasGrant(t *testing.T, w world, userID, solution string) bool {
	t.Helper()
	access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
	expect(t, access, 200, "")
	return strings.Contains(access.Raw, `"userId":"`+userID+`","solution":"`+solution+`"`)
}

// An employee removed from the office is taken off its tasks and its open collaborations' assignees
// in the same change, so the access those gave goes at once; the office's last administrator stays.
func TestRemovingAnEmployeeTakesBackTheirAccess(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	if !h.hasGrant(t, w, w.oe, "scanner") {
		t.Fatal("the employee on the task has no access after the accept")
	}
	r := h.call(t, user(w.oa), "DELETE", "/offices/"+w.office+"/employees/"+w.oe, "")
	expect(t, r, 200, "")
	if r.str("userId") != w.oe {
		t.Errorf("removed %s, want %s", r.Raw, w.oe)
	}
	if h.hasGrant(t, w, w.oe, "scanner") {
		t.Error("the removed employee kept the access their collaboration gave them")
	}
	f, err := h.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, EmployeeID: w.oe, TaskID: w.task["1001"]})
	if err != nil {
		t.Fatal(err)
	}
	if f.Employee.UserID != "" || f.Task.Assigned(w.oe) {
		t.Errorf("employee %+v, task %+v: want the employee gone and off the task", f.Employee, f.Task)
	}
	c, err := h.store.Collaboration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec := c.Record(); rec.OnTask(w.oe) || rec.TaskID != w.task["1001"] {
		t.Errorf("collaboration %+v: want it on its task without the removed employee", rec)
	}
	expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.oe), "GET", "/companies/"+w.co+"/users", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.oa), "DELETE", "/offices/"+w.office+"/employees/"+w.oe, ""), 404, "employee_not_found")

	last := h.call(t, user(w.oa), "DELETE", "/offices/"+w.office+"/employees/"+w.oa, "")
	expect(t, last, 409, "last_office_administrator")
	if !strings.Contains(last.Raw, "fix") {
		t.Errorf("the refusal says no fix: %s", last.Raw)
	}
	expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/employees/"+w.ox,
		`{"name":"Xena","email":"ox@office.test","role":"administrator"}`), 200, "")
	expect(t, h.call(t, user(w.ox), "DELETE", "/offices/"+w.office+"/employees/"+w.oa, ""), 200, "")
	expect(t, h.call(t, user(w.oa), "GET", "/offices/"+w.office+"/collaborations", ""), 403, "not_office_employee")
}

// A removed task leaves its open collaborations without a task or assignees, and the access
// they gave goes; the office links them to another task, which gives that task's employees
// access again.
func TestRemovingATaskLeavesItsCollaborationsToBeLinked(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	tasks := "/offices/" + w.office + "/tasks/"
	expect(t, h.call(t, user(w.oa), "DELETE", tasks+w.task["1001"], ""), 200, "")
	if h.hasGrant(t, w, w.oe, "scanner") {
		t.Error("the removed task's employee kept the access its collaboration gave them")
	}
	r := h.call(t, user(w.oa), "GET", "/collaborations/"+id, "")
	expect(t, r, 200, "")
	if r.str("status") != "active" || r.str("taskId") != "" || !strings.Contains(r.Raw, "removed; link a task") {
		t.Errorf("collaboration after its task was removed: %s", r.Raw)
	}
	expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""), 403, "not_on_task")
	expect(t, h.call(t, user(w.oa), "DELETE", tasks+w.task["1001"], ""), 404, "task_not_found")

	next := rid("task")
	expect(t, h.call(t, user(w.oa), "PUT", tasks+next, `{"customerNo":"1001","name":"Ny","assignees":["`+w.ox+`"]}`), 200, "")
	expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+next+`"}`), 200, "")
	if !h.hasGrant(t, w, w.ox, "scanner") {
		t.Error("the linked task's employee has no access")
	}
}

// A customer with a collaboration that is not over is not removed; one without is, with its tasks.
func TestRemovingACustomerWaitsForItsCollaborations(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	expect(t, h.activate(t, w, "1001", "scanner", ""), 201, "")
	customers := "/offices/" + w.office + "/customers/"
	expect(t, h.call(t, user(w.oa), "DELETE", customers+"1001", ""), 409, "customer_removal_blocked")

	expect(t, h.call(t, user(w.oa), "DELETE", customers+"1003", ""), 200, "")
	f, err := h.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, CustomerNo: "1003", TaskID: w.task["1003"]})
	if err != nil {
		t.Fatal(err)
	}
	if f.Customer.No != "" || f.Task.ID != "" {
		t.Errorf("customer %+v and its task %+v are still there", f.Customer, f.Task)
	}
	expect(t, h.call(t, user(w.oa), "DELETE", customers+"1003", ""), 404, "customer_not_found")
	body := `{"customerNo":"1003","solution":"scanner","taskId":"` + w.task["1003"] + `","invoiceRecipient":"office","startPeriod":"2027-04",` +
		`"contact":{"name":"Tre","email":"tre@customer.test"}}`
	expect(t, h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", body), 404, "customer_not_found")
}

// A company user is removed by an administrator of the company or an office employee acting in
// it, and the company's history records it; its main contact and last administrator are not.
func TestRemovingACompanyUserKeepsItsMainContactAndAnAdministrator(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "bookkeeping", "") // so the employee on the task acts in the company
	users := "/companies/" + w.co + "/users/"
	created := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Nils Ny","email":"nils@customer.test","role":"administrator"}`)
	expect(t, created, 201, "")
	nils := created.str("id")
	h.advance(time.Minute)

	expect(t, h.call(t, user(w.cu), "DELETE", users+nils, ""), 403, "administrator_required")
	expect(t, h.call(t, user(w.ca), "DELETE", users+w.cu, ""), 200, "")
	expect(t, h.call(t, user(w.cu), "GET", "/companies/"+w.co+"/users", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.cu), "GET", "/companies/"+w.co+"/collaborations", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.ca), "DELETE", users+w.cu, ""), 404, "user_not_found")
	h.advance(time.Minute)

	main := h.call(t, user(w.oe), "DELETE", users+w.ca, "")
	expect(t, main, 409, "main_contact_removal")
	if !strings.Contains(main.Raw, "main-contact") {
		t.Errorf("the refusal does not say how to name another main contact: %s", main.Raw)
	}
	expect(t, h.call(t, user(w.oe), "DELETE", users+nils, ""), 200, "")

	r := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/history", "")
	expect(t, r, 200, "")
	items, _ := r.JSON["items"].([]any)
	if len(items) < 2 {
		t.Fatalf("history %s", r.Raw)
	}
	for i, want := range []map[string]string{
		{"event": "user_removed", "actorKind": "office_employee", "actorId": w.oe, "userId": nils, "from": "administrator"},
		{"event": "user_removed", "actorKind": "customer_user", "actorId": w.ca, "userId": w.cu, "from": "user"},
	} {
		got := items[i].(map[string]any)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("entry %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}

	// A company without a main contact keeps its last administrator.
	lone, admin := rid("co"), rid("admin")
	c := collab.Company{ID: lone, Name: "Ensam AB", CreatedAt: start}
	a := collab.User{CompanyID: lone, ID: admin, Name: "Ensam", Email: admin + "@customer.test", Role: collab.Administrator}
	c.AddUser(a)
	tx := h.store.Tx()
	tx.PutCompany(c)
	tx.PutUser(a)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, h.call(t, user(admin), "DELETE", "/companies/"+lone+"/users/"+admin, ""), 409, "last_administrator")
}
