package httpapi_test

import (
	"strings"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

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

// A new-company activation with a mistyped contact address, withdrawn, leaves a company whose
// only administrator is the typo. The office that created it activates again with the right
// contact: the administrator is corrected to it (nobody ever signed in as the typo), the login
// instructions go to the right address, and the company's history records it. A contact is never
// ignored: another office's activation, one after the company answered, and one for a company
// with its own administrators are refused, changing nothing.
func TestAMistypedContactOfANewCompanyIsCorrectedByTheNextActivation(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	activate := func(as, office, customerNo, task, contact string) response {
		t.Helper()
		return h.call(t, user(as), "POST", "/offices/"+office+"/collaborations", `{"customerNo":"`+customerNo+
			`","solution":"scanner","taskId":"`+task+`","invoiceRecipient":"office","startPeriod":"2027-04","contact":`+contact+`}`)
	}
	typo := `{"name":"Tea Tre","email":"tea@tre.tset","language":"sv"}`
	right := `{"name":"Tea Tre","email":"tea@tre.test","language":"sv"}`
	first := activate(w.oe, w.office, "1003", w.task["1003"], typo)
	expect(t, first, 201, "")
	company := first.str("collaboration.companyId")
	h.jobs(t, "EmailQueue", first.str("collaboration.id")) // the typo's e-mail, never delivered
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+first.str("collaboration.id")+"/withdraw", ""), 200, "")

	// Another office with the same company as its customer may not correct this office's contact.
	tx := h.store.Tx()
	tx.PutCustomer(collab.Customer{OfficeID: w.otherOffice, No: "2001", Name: "Tre AB", CompanyID: company})
	tx.PutTask(collab.Task{OfficeID: w.otherOffice, ID: "task-2001", CustomerNo: "2001", Name: "Revision", Assignees: []string{w.o2}})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	before := h.state(t)
	expect(t, activate(w.o2, w.otherOffice, "2001", "task-2001", `{"name":"Eve","email":"eve@evil.test"}`), 409, "contact_not_administrator")
	if after := h.state(t); !equalLines(before, after) {
		t.Errorf("a refused activation changed the table")
	}

	second := activate(w.oe, w.office, "1003", w.task["1003"], right)
	expect(t, second, 201, "")
	if second.str("scenario") != "new_solution" || second.str("collaboration.companyId") != company {
		t.Fatalf("the second activation: %s", second.Raw)
	}
	v, err := h.store.Company(ctx, company)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Users) != 1 || v.Users[0].Email != "tea@tre.test" || v.Company.MainContact != v.Users[0].ID {
		t.Fatalf("the company's users after the correction: %+v (main contact %s)", v.Users, v.Company.MainContact)
	}
	admin := v.Users[0].ID
	jobs := h.jobs(t, "EmailQueue", second.str("collaboration.id"))
	if len(jobs) != 1 || jobs[0].Email != actions.EmailLoginInstructions {
		t.Fatalf("queued %+v, want the login instructions", jobs)
	}
	h.deliver(t, fnDeliver, jobs)
	if got := h.mailsTo(t, "tea@tre.test"); len(got) != 1 {
		t.Errorf("the corrected contact got %v, want the login instructions", got)
	}
	if got := h.mailsTo(t, "tea@tre.tset"); len(got) != 0 {
		t.Errorf("the mistyped address got %v", got)
	}
	history := h.call(t, user(admin), "GET", "/companies/"+company+"/history", "")
	expect(t, history, 200, "")
	if !strings.Contains(history.Raw, `"contact_corrected"`) {
		t.Errorf("the history does not record the correction: %s", history.Raw)
	}

	// Once the company has answered, its administrator is its own: a contact is refused.
	token := collab.InvitationToken(h.key(t), second.str("collaboration.id"), jobs[0].Nonce)
	expect(t, h.call(t, user(admin), "POST", "/invitations/"+token+"/decline", ""), 200, "")
	expect(t, activate(w.oe, w.office, "1003", w.task["1003"], `{"name":"Tea Tre","email":"tea@tre.example"}`), 409, "contact_not_administrator")
	expect(t, activate(w.oe, w.office, "1003", w.task["1003"], right), 201, "") // the administrator's own address is fine
}
