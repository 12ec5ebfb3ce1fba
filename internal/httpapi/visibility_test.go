package httpapi_test

import "testing"

// An employee taken off every task of a customer no longer reads its collaborations that are
// over, history included; whoever is on the task now does.
func TestVisibilityOfACollaborationThatIsOverFollowsTheTasksNow(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 202, "")
	h.drain(t)
	if r := h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""); r.str("status") != "ended" {
		t.Fatalf("the collaboration is %q, want ended\n%s", r.str("status"), r.Raw)
	}
	// Practice management moves the task to another employee.
	expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
		`{"customerNo":"1001","name":"Löpande","assignees":["`+w.ox+`"]}`), 200, "")

	expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""), 403, "not_on_task")
	r := h.call(t, user(w.ox), "GET", "/collaborations/"+id, "")
	expect(t, r, 200, "")
	if h, ok := r.JSON["history"].([]any); !ok || len(h) < 3 {
		t.Errorf("the employee on the task now reads the history: %s", r.Raw)
	}
	expect(t, h.call(t, user(w.oa), "GET", "/collaborations/"+id, ""), 200, "")
}
