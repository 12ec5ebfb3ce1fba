package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// Issue 15's rules that hold for every input: periods checked (point 4), access only for the
// office's employees (point 2, PutTask) and refusals that say who can fix them (point 6, the
// main contact and the expenses).

// activation is the body of an activation for customer 1001 as the harness's helper writes it,
// with another start period and agreement.
func activationBody(w world, solution, startPeriod, extra string) string {
	return `{"customerNo":"1001","solution":"` + solution + `","taskId":"` + w.task["1001"] +
		`","invoiceRecipient":"office","startPeriod":"` + startPeriod + `"` + extra + `}`
}

// errorField returns a string field of an error response's error object.
func errorField(r response, name string) string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e[name].(string)
	return s
}

// The harness's clock starts on 2027-03-01, so start periods from 2027-03 to 2029-03 are allowed.
func TestStartPeriodIsCheckedAndNothingIsStoredOutsideIt(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	for _, tc := range []struct {
		name, period, solution, extra string
	}{
		{"period_before_the_current_month", "2027-02", "scanner", ""},
		{"period_more_than_24_months_ahead", "2029-04", "scanner", ""},
		{"year_zero", "0000-01", "scanner", ""},
		{"last_month_of_year_9999_with_12_months", "9999-12", "financial-overview", `,"agreementMonths":12`},
		{"malformed_period", "2027-1x", "scanner", ""},
		{"period_with_a_sign", "+027-01", "scanner", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", activationBody(w, tc.solution, tc.period, tc.extra))
			expect(t, r, 422, "period_invalid")
			if errorField(r, "field") != "startPeriod" {
				t.Errorf("field %q, want startPeriod", errorField(r, "field"))
			}
			for _, part := range []string{"message", "fix"} {
				if s := errorField(r, part); !strings.Contains(s, "2027-03") || !strings.Contains(s, "2029-03") {
					t.Errorf("%s %q does not name the allowed range 2027-03 to 2029-03", part, s)
				}
			}
		})
	}
	list := h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations", "")
	expect(t, list, 200, "")
	if items, _ := list.JSON["items"].([]any); len(items) != 0 {
		t.Fatalf("refused activations stored %d collaborations: %s", len(items), list.Raw)
	}
	// Both ends of the range are allowed.
	expect(t, h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", activationBody(w, "scanner", "2027-03", "")), 201, "")
	r := h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", activationBody(w, "financial-overview", "2029-03", `,"agreementMonths":12`))
	expect(t, r, 201, "")
	if got := r.str("collaboration.agreementEndsAt"); got != "2030-03-01T00:00:00Z" {
		t.Errorf("agreement ends %q, want 2030-03-01T00:00:00Z", got)
	}
}

// An invitation accepted in a later month than its start period does not lose the months it
// waited: the agreement period runs from the month of acceptance, and the cleanup right after
// acceptance leaves the collaboration active.
func TestAgreementPeriodRunsFromTheLaterOfAcceptanceAndStartPeriod(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.advance(19 * 24 * time.Hour) // 2027-03-20
	r := h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", activationBody(w, "financial-overview", "2027-03", `,"agreementMonths":3`))
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	if got := r.str("collaboration.agreementEndsAt"); got != "2027-06-01T00:00:00Z" {
		t.Errorf("pending: agreement ends %q, want 2027-06-01T00:00:00Z (if accepted now)", got)
	}
	token := h.token(t, id)
	h.advance(15 * 24 * time.Hour) // 2027-04-04
	accepted := h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", "")
	expect(t, accepted, 200, "")
	if got := accepted.str("agreementEndsAt"); got != "2027-07-01T00:00:00Z" {
		t.Fatalf("accepted on 2027-04-04: agreement ends %q, want 2027-07-01T00:00:00Z (April, May, June)", got)
	}
	h.drain(t)
	for range 2 { // a reminder, then the end, would each take a run
		h.advance(time.Minute)
		if _, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil {
			t.Fatal(err)
		}
		h.drain(t)
	}
	got := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	expect(t, got, 200, "")
	if got.str("status") != "active" || got.str("agreementEndsAt") != "2027-07-01T00:00:00Z" {
		t.Fatalf("after the cleanup: %s", got.Raw)
	}
}

// Renewal extends from the end on record, from the current month when there is none, and is
// refused once the period already runs more than 24 months ahead, so no renewal takes the end
// out of what a date can be written as.
func TestRenewalStaysWithinReach(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	imported := collab.RestoreCollaboration(collab.CollaborationRecord{ID: rid("imported"), OfficeID: w.office, CustomerNo: "1001",
		CompanyID: w.co, Solution: "financial-overview", TaskID: w.task["1001"], Assignees: []string{w.oe}, Status: collab.Active,
		Scenario: collab.ExistingSolution, InvoiceRecipient: collab.InvoiceOffice, AgreementMonths: 3, CreatedAt: start, UpdatedAt: start})
	if err := h.store.Import(ctx, []*collab.Collaboration{imported}); err != nil {
		t.Fatal(err)
	}
	r := h.call(t, user(w.oe), "POST", "/collaborations/"+imported.ID()+"/renew", `{"months":3}`)
	expect(t, r, 200, "")
	if got := r.str("agreementEndsAt"); got != "2027-06-01T00:00:00Z" {
		t.Fatalf("imported without an end, renewed by 3 months in 2027-03: ends %q, want 2027-06-01T00:00:00Z", got)
	}
	id := h.active(t, w, "1002", "financial-overview", `,"agreementMonths":12`) // ends 2028-04-01
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/renew", `{"months":12}`), 200, "")
	refused := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/renew", `{"months":12}`)
	expect(t, refused, 409, "agreement_renewal_too_early")
	if !strings.Contains(errorField(refused, "message"), "2029-04-01") {
		t.Errorf("message %q does not say until when the period runs", errorField(refused, "message"))
	}
}

// A reported time that cannot be written back in UTC is refused, not stored as something else.
func TestReportedTimesOutOfRangeAreRefused(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	for _, at := range []string{"9999-12-31T23:00:00-05:00", "0000-01-01T00:30:00+01:00"} {
		r := h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status",
			`{"customerIsPayrollUser":true,"lastSyncAt":"`+at+`","lastChangeAt":"2027-01-01T10:00:00Z"}`)
		expect(t, r, 422, "field_invalid")
		if errorField(r, "field") != "lastSyncAt" {
			t.Errorf("%s: field %q, want lastSyncAt", at, errorField(r, "field"))
		}
	}
}

// PutTask refuses assignees who are not employees of the office, naming each, and changes
// nothing: no grant reaches them.
func TestPutTaskRefusesAssigneesWhoAreNotEmployeesOfTheOffice(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "bookkeeping", "")
	stranger := rid("stranger")
	body := `{"customerNo":"1001","name":"Löpande","assignees":["` + w.oe + `","` + w.o2 + `","` + stranger + `","` + w.ca + `"]}`
	r := h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"], body)
	expect(t, r, 422, "assignee_not_employee")
	msg := errorField(r, "message")
	for _, id := range []string{w.o2, stranger, w.ca} {
		if !strings.Contains(msg, id) {
			t.Errorf("message %q does not name %s", msg, id)
		}
	}
	if strings.Contains(msg, w.oe) || errorField(r, "field") != "assignees" {
		t.Errorf("message %q names the employee, or field %q is not assignees", msg, errorField(r, "field"))
	}
	access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
	expect(t, access, 200, "")
	for _, id := range []string{w.o2, stranger} {
		if strings.Contains(access.Raw, id) {
			t.Fatalf("%s got access: %s", id, access.Raw)
		}
	}
	// The outsider named on the task cannot list the company's users.
	expect(t, h.call(t, user(stranger), "GET", "/companies/"+w.co+"/users", ""), 403, "")
	// The office's own employees are taken.
	ok := h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
		`{"customerNo":"1001","name":"Löpande","assignees":["`+w.oe+`","`+w.ox+`","`+w.oa+`"]}`)
	expect(t, ok, 200, "")
	access = h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
	if !strings.Contains(access.Raw, w.ox) {
		t.Fatalf("the employee added got no access: %s", access.Raw)
	}
}

// dropMainContact leaves the company without a main contact, as a company can be (imported, or
// written around the service).
func dropMainContact(t *testing.T, h *harness, companyID string) {
	t.Helper()
	c, err := h.store.CompanyRecord(ctx, companyID)
	if err != nil {
		t.Fatal(err)
	}
	c.MainContact = ""
	tx := h.store.Tx()
	tx.PutCompany(c)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// administratorsOf returns the administrators an error or blocker object offers, by id → name.
func administratorsOf(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	list, _ := m["administrators"].([]any)
	for _, a := range list {
		e, _ := a.(map[string]any)
		id, _ := e["userId"].(string)
		name, _ := e["name"].(string)
		out[id] = name
	}
	return out
}

func TestMainContactMissingSaysWhoCanFixItAndHow(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	dropMainContact(t, h, w.co)

	// The employee on the task acts in the company through the collaboration: the steps, and the
	// administrators to choose from.
	r := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`)
	expect(t, r, 409, "main_contact_missing")
	fix := errorField(r, "fix")
	for _, step := range []string{"switch to the customer's company", "Manage users", "Administrator", "Main contact",
		"create the user first", "administrator of the company", "office employee"} {
		if !strings.Contains(fix, step) {
			t.Errorf("fix %q leaves out %q", fix, step)
		}
	}
	want := map[string]string{w.ca: "Admin Ett AB"}
	if got := administratorsOf(r.JSON["error"]); len(got) != 1 || got[w.ca] != want[w.ca] {
		t.Errorf("error.administrators %v, want %v\n%s", got, want, r.Raw)
	}
	blockers, _ := r.JSON["error"].(map[string]any)["blockers"].([]any)
	if len(blockers) == 0 || len(administratorsOf(blockers[0])) != 1 {
		t.Errorf("blockers[0] offers no administrators: %s", r.Raw)
	}

	// The company's administrator sees them in the end check too.
	check := h.call(t, user(w.ca), "GET", "/collaborations/"+id+"/end-check?outcome=continue", "")
	expect(t, check, 200, "")
	bs, _ := check.JSON["blockers"].([]any)
	if len(bs) != 1 || administratorsOf(bs[0])[w.ca] != "Admin Ett AB" {
		t.Errorf("end check: %s", check.Raw)
	}

	// An office administrator not on the task may end but not act in the company: the steps,
	// and no list of the company's users.
	r = h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`)
	expect(t, r, 409, "main_contact_missing")
	if e := r.JSON["error"].(map[string]any); e["administrators"] != nil || strings.Contains(r.Raw, w.ca) {
		t.Errorf("administrators shown to a caller who may not act in the company: %s", r.Raw)
	}
	if !strings.Contains(errorField(r, "fix"), "Manage users") {
		t.Errorf("fix %q leaves out the steps", errorField(r, "fix"))
	}
}

func TestExpensesRefusalNamesTheUsersTheIntegrationReported(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "travel-expenses", "")
	expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/travel-expenses/status",
		`{"unsubmittedReports":0,"usersWithUnsubmittedExpenses":["Anna Andersson","Bo Berg"]}`), 200, "")
	r := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`)
	expect(t, r, 409, "expenses_not_submitted")
	if msg := errorField(r, "message"); !strings.Contains(msg, "Anna Andersson and Bo Berg have unsubmitted expenses") {
		t.Errorf("message %q does not name the users", msg)
	}
	if fix := errorField(r, "fix"); !strings.Contains(fix, "Anna Andersson and Bo Berg") {
		t.Errorf("fix %q does not name the users", fix)
	}
}
