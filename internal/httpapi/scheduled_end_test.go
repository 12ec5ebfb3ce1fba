package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/collab"
)

// The harness's clock starts on 1 March 2027: the tests schedule ends for the end of March, which
// take effect at endsAt.
const endOfMarch = "2027-03-31"

var endsAt = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)

// scheduleEnd schedules collaboration id's end for the end of March as the caller.
func (h *harness) scheduleEnd(t *testing.T, as who, id, outcome string) response {
	t.Helper()
	r := h.call(t, as, "POST", "/collaborations/"+id+"/end", `{"outcome":"`+outcome+`","at":"`+endOfMarch+`"}`)
	expect(t, r, 202, "")
	return r
}

// cleanupAt moves the clock to at and runs the cleanup as its function.
func (h *harness) cleanupAt(t *testing.T, at time.Time) {
	t.Helper()
	h.advance(at.Sub(h.clock()))
	if _, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil {
		t.Fatal(err)
	}
}

// scheduled returns a collaboration's status and its scheduled end as the company's administrator
// reads them.
func (h *harness) scheduled(t *testing.T, w world, id string) (string, map[string]any) {
	t.Helper()
	r := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	expect(t, r, 200, "")
	s, _ := r.JSON["scheduledEnd"].(map[string]any)
	return r.str("status"), s
}

// TestAScheduledEndHappensAtItsDate: an employee on the task schedules the end for the end of
// March; the collaboration stays active and shows the end (date, outcome, who) to the company and
// in the office's list; a minute before the date nothing happens; at the date the cleanup ends it
// as End does, the teardown runs and the billing switches to the company.
func TestAScheduledEndHappensAtItsDate(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	r := h.scheduleEnd(t, user(w.oe), id, "continue")
	if r.str("status") != "active" || r.str("scheduledEnd.date") != endOfMarch || r.str("scheduledEnd.actorId") != w.oe ||
		r.str("scheduledEnd.outcome") != "continue" || r.str("scheduledEnd.at") != "2027-04-01T00:00:00Z" {
		t.Fatalf("scheduled: %s", r.Raw)
	}
	list := h.call(t, user(w.oa), "GET", "/offices/"+w.office+"/collaborations", "")
	if !strings.Contains(list.Raw, `"scheduledEnd":{"date":"`+endOfMarch+`"`) {
		t.Fatalf("the office's list does not show the scheduled end: %s", list.Raw)
	}
	if n := len(h.jobs(t, "TeardownQueue", id)); n != 0 {
		t.Fatalf("%d teardown jobs queued by scheduling", n)
	}
	h.cleanupAt(t, endsAt.Add(-time.Minute))
	if st, s := h.scheduled(t, w, id); st != "active" || s == nil {
		t.Fatalf("a minute before the date: %s %v", st, s)
	}
	h.cleanupAt(t, endsAt)
	if st, s := h.scheduled(t, w, id); st != "ending" || s != nil {
		t.Fatalf("at the date: %s %v, want ending", st, s)
	}
	h.drain(t)
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	sub := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/subscriptions", "")
	if got.str("status") != "ended" || got.str("outcome") != "continue" || strings.Contains(sub.Raw, w.office) {
		t.Fatalf("after the teardown: %s; subscriptions %s", got.Raw, sub.Raw)
	}
}

// TestAScheduledEndWaitsForTheSolutionsFactsAtItsDate: at the date Payroll has reported nothing,
// so the cleanup asks it (FactsRequested on the bus) and checks again; once it has reported a
// complete handover the next check ends the collaboration.
func TestAScheduledEndWaitsForTheSolutionsFactsAtItsDate(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "payroll", "")
	h.scheduleEnd(t, user(w.ca), id, "end_subscription")
	h.cleanupAt(t, endsAt)
	if st, s := h.scheduled(t, w, id); st != "active" || s == nil {
		t.Fatalf("on facts nobody reported: %s %v, want active, still scheduled", st, s)
	}
	expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status",
		`{"customerIsPayrollUser":true,"lastSyncAt":"2027-03-31T10:00:00Z","lastChangeAt":"2027-03-30T10:00:00Z"}`), 200, "")
	h.cleanupAt(t, endsAt.Add(collab.DefaultTiming.StuckAfter))
	if st, _ := h.scheduled(t, w, id); st != "ending" {
		t.Fatalf("on the facts reported: %s, want ending", st)
	}
	if n := len(h.jobs(t, "TeardownQueue", id)); n != 1 {
		t.Errorf("%d teardown jobs, want 1", n)
	}
}

// TestAScheduledEndCancelledDoesNotHappen: the company's administrator schedules, a stranger and
// a plain user cannot cancel, the employee on the task can; cancelling again is refused, and the
// date passes with the collaboration active.
func TestAScheduledEndCancelledDoesNotHappen(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	h.scheduleEnd(t, user(w.ca), id, "continue")
	expect(t, h.call(t, user(w.c2a), "POST", "/collaborations/"+id+"/cancel-end", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.cu), "POST", "/collaborations/"+id+"/cancel-end", ""), 403, "administrator_required")
	r := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/cancel-end", "")
	expect(t, r, 200, "")
	if r.str("status") != "active" || r.JSON["scheduledEnd"] != nil {
		t.Fatalf("cancelled: %s", r.Raw)
	}
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+id+"/cancel-end", ""), 409, "no_scheduled_end")
	h.cleanupAt(t, endsAt)
	if st, s := h.scheduled(t, w, id); st != "active" || s != nil {
		t.Fatalf("after the date: %s %v, want active", st, s)
	}
	history := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	if !strings.Contains(history.Raw, "scheduled end on "+endOfMarch+" cancelled") {
		t.Errorf("the history does not say it was cancelled: %s", history.Raw)
	}
	// The e-mails went only after the cancel: the one of the scheduled end no longer holds and is
	// dropped, so both parties are told of the cancellation alone.
	h.drain(t)
	for _, address := range []string{w.ca + "@customer.test", "oe@office.test"} {
		got := subjectsTo(t, h, address, "Samarbetet i Bokföring & Fakturering mellan", "Det planerade avslutet")
		if want := []string{"Det planerade avslutet av samarbetet i Bokföring & Fakturering är borttaget"}; !slices.Equal(got, want) {
			t.Errorf("%s got %q, want %q", address, got, want)
		}
	}
}

// TestBothPartiesAreToldOfAScheduledEndAndItsCancellation: the e-mail of a scheduled end goes to
// the company's administrators and the office's people on the collaboration, with its date and
// what the end will do; a cancellation after it is e-mailed too, naming the date.
func TestBothPartiesAreToldOfAScheduledEndAndItsCancellation(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	h.drain(t)
	h.scheduleEnd(t, user(w.ca), id, "continue")
	h.drain(t)
	scheduled := "Samarbetet i Bokföring & Fakturering mellan Byrå Ett och Ett AB avslutas 31 mars 2027"
	cancelled := "Det planerade avslutet av samarbetet i Bokföring & Fakturering är borttaget"
	for _, address := range []string{w.ca + "@customer.test", "oe@office.test"} {
		if got := subjectsTo(t, h, address, scheduled); len(got) != 1 {
			t.Errorf("%s got %q, want %q once", address, h.mailsTo(t, address), scheduled)
		}
	}
	for _, m := range h.mails(t) {
		if m.Subject == scheduled && (!strings.Contains(m.Body, "själv fakturamottagare") || !strings.Contains(m.Body, "ta bort det planerade avslutet")) {
			t.Errorf("the scheduled end's e-mail does not say what the end will do and how to cancel it:\n%s", m.Body)
		}
	}
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/cancel-end", ""), 200, "")
	h.drain(t)
	for _, address := range []string{w.ca + "@customer.test", "oe@office.test"} {
		if got := subjectsTo(t, h, address, scheduled, cancelled); !slices.Equal(got, []string{scheduled, cancelled}) {
			t.Errorf("%s got %q, want the schedule then its cancellation", address, got)
		}
	}
	for _, m := range h.mails(t) {
		if m.Subject == cancelled && !strings.Contains(m.Body, "31 mars 2027") {
			t.Errorf("the cancellation does not name the date:\n%s", m.Body)
		}
	}
}

// TestAScheduledEndIsRefused: a date that is no month end or too far ahead, a second schedule,
// and a stranger.
func TestAScheduledEndIsRefused(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	end := func(as who, at string) response {
		return h.call(t, as, "POST", "/collaborations/"+id+"/end", `{"outcome":"continue","at":"`+at+`"}`)
	}
	expect(t, end(user(w.ca), "2027-03-15"), 422, "end_date_invalid")
	expect(t, end(user(w.ca), "2028-04-30"), 422, "end_date_invalid")
	expect(t, end(user(w.c2a), endOfMarch), 403, "not_company_user")
	expect(t, end(user(w.ca), endOfMarch), 202, "")
	expect(t, end(user(w.oe), "2027-04-30"), 409, "end_already_scheduled")
}

// TestAScheduledEndBlockedAtItsDateIsEmailedToBothParties: at the date the company has no main
// contact; the collaboration stays active without the scheduled end, and the company's
// administrator (Swedish) and the employee on the task (English) are told by e-mail, through the
// emulator's SES, each in their language, why.
func TestAScheduledEndBlockedAtItsDateIsEmailedToBothParties(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	tx := h.store.Tx()
	tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: w.oe, Name: "Eva Employee", Email: "oe@office.test", Language: collab.English, Role: collab.OfficeStaff})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	id := h.active(t, w, "1001", "bookkeeping", "")
	h.scheduleEnd(t, user(w.oe), id, "continue")
	v, err := h.store.Company(ctx, w.co)
	if err != nil {
		t.Fatal(err)
	}
	co := v.Company
	co.MainContact = ""
	tx = h.store.Tx()
	tx.PutCompany(co)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	h.drain(t) // what the activation sent
	h.cleanupAt(t, endsAt)
	if st, s := h.scheduled(t, w, id); st != "active" || s != nil {
		t.Fatalf("blocked: %s %v, want active without the scheduled end", st, s)
	}
	if n := len(h.jobs(t, "TeardownQueue", id)); n != 0 {
		t.Fatalf("%d teardown jobs for a blocked end", n)
	}
	h.drain(t)
	for address, want := range map[string][2]string{
		w.ca + "@customer.test": {"Samarbetet i Bokföring & Fakturering avslutades inte 31 mars 2027", "Ett AB har ingen huvudkontakt"},
		"oe@office.test":        {"The collaboration in Bookkeeping & Invoicing did not end on 31 March 2027", "Ett AB has no main contact"},
	} {
		i := slices.IndexFunc(h.mails(t), func(m localaws.SentEmail) bool { return slices.Contains(m.To, address) && m.Subject == want[0] })
		if i < 0 {
			t.Errorf("%s was not e-mailed %q: %v", address, want[0], h.mailsTo(t, address))
			continue
		}
		if body := h.mails(t)[i].Body; !strings.Contains(body, want[1]) || !strings.Contains(body, "Byrå Ett") {
			t.Errorf("the e-mail to %s does not say why or name the office:\n%s", address, body)
		}
	}
	history := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	if !strings.Contains(history.Raw, "scheduled end on "+endOfMarch+" did not happen: [main_contact_missing]") {
		t.Errorf("the history does not say why: %s", history.Raw)
	}
}

// TestAScheduledEndCostsTwoDynamoDBCallsAtItsDate counts the cleanup's calls at the date of two
// scheduled ends, less those of a run with nothing due: per scheduled end one BatchGetItem (the
// company and the solution's facts) and one TransactWriteItems, and the teardown job's send.
func TestAScheduledEndCostsTwoDynamoDBCallsAtItsDate(t *testing.T) {
	count := &callCounter{calls: map[string]map[string]int{}}
	h := newHarness(t, count.attach)
	w := h.world(t)
	for _, solution := range []string{"bookkeeping", "scanner"} {
		h.scheduleEnd(t, user(w.ca), h.active(t, w, "1001", solution, ""), "continue")
	}
	h.drain(t) // the e-mails, so no outbox message is due
	run := func(at time.Time) trips {
		count.take()
		h.cleanupAt(t, at)
		return trips(count.take()[fnCleanup])
	}
	run(endsAt.Add(-2 * time.Minute)) // re-sends what waited in the outbox (events' jobs), due again only later
	fixed, due := run(endsAt.Add(-time.Minute)), run(endsAt)
	perItem := (due.service("DynamoDB") - fixed.service("DynamoDB")) / 2
	if perItem > 2 || due.sends("SQS")-fixed.sends("SQS") != 2 {
		t.Errorf("per scheduled end: %d DynamoDB calls (%s, nothing due: %s), %d SQS sends; want at most 2 and one send each",
			perItem, due.operations("DynamoDB"), fixed.operations("DynamoDB"), due.sends("SQS")-fixed.sends("SQS"))
	}
	t.Logf("nothing due: %d DynamoDB (%s); 2 scheduled ends due: %d (%s), %d SQS", fixed.service("DynamoDB"), fixed.operations("DynamoDB"),
		due.service("DynamoDB"), due.operations("DynamoDB"), due.sends("SQS"))
}
