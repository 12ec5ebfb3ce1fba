package httpapi_test

import "testing"

// A customer synced with a mistyped organisation number is linked to the company that has it;
// a re-sync with the right number moves the link while the customer has no collaboration that
// is not over, and is refused, changing nothing, while it has one.
func TestACorrectedOrganisationNumberMovesTheCompanyLink(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	sync := func(orgNo string) response {
		t.Helper()
		return h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/customers/1004", `{"name":"Fyra AB","orgNo":"`+orgNo+`"}`)
	}
	mistyped, right := w.orgNo2, rid("org") // the mistyped number is Två AB's (co2); the right one no company has yet
	r := sync(mistyped)
	expect(t, r, 200, "")
	if got := r.str("companyId"); got != w.co2 {
		t.Fatalf("first sync linked %q, want the company with that number %q", got, w.co2)
	}

	expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/task-1004",
		`{"customerNo":"1004","name":"Löpande","assignees":["`+w.oe+`"]}`), 200, "")
	a := h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations",
		`{"customerNo":"1004","solution":"scanner","taskId":"task-1004","invoiceRecipient":"office","startPeriod":"2027-04"}`)
	expect(t, a, 201, "")
	before := h.state(t)
	r = sync(right)
	expect(t, r, 409, "customer_relink_blocked")
	if after := h.state(t); !equalLines(before, after) {
		t.Errorf("a refused re-link changed the table")
	}

	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+a.str("collaboration.id")+"/withdraw", ""), 200, "")
	r = sync(right)
	expect(t, r, 200, "")
	if got := r.str("companyId"); got != "" {
		t.Errorf("a number no company has leaves the customer unlinked, got %q", got)
	}
	r = sync(mistyped)
	expect(t, r, 200, "")
	if got := r.str("companyId"); got != w.co2 {
		t.Errorf("syncing the other number again links %q, want %q", got, w.co2)
	}
	r = h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/customers/1004", `{"name":"Fyra AB"}`)
	expect(t, r, 200, "")
	if got := r.str("companyId"); got != w.co2 {
		t.Errorf("a sync without a number keeps the link, got %q", got)
	}
}

func equalLines(a, b []string) bool {
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
