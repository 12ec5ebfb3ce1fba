package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// endSubscription ends collaboration id with outcome end_subscription as the office's employee,
// and runs the work it queues.
func (h *harness) endSubscription(t *testing.T, w world, id string) {
	t.Helper()
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`), 202, "")
	h.drain(t)
}

// englishAdministrator adds an administrator of the company who reads English, and returns the
// address their e-mails go to.
func englishAdministrator(t *testing.T, h *harness, w world) string {
	t.Helper()
	email := "anna.en@customer.test"
	expect(t, h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users",
		`{"name":"Anna English","email":"`+email+`","role":"administrator","language":"en"}`), 201, "")
	return email
}

// subjectsTo returns the subjects of the e-mails to address that start with one of prefixes.
func subjectsTo(t *testing.T, h *harness, address string, prefixes ...string) []string {
	t.Helper()
	var out []string
	for _, s := range h.mailsTo(t, address) {
		for _, p := range prefixes {
			if strings.HasPrefix(s, p) {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestAnEndThatArchivesWaitsForItsGracePeriod: Scanner holds accounting records, so ending it
// makes the company's access read-only at once, exports the data (its link to the main contact),
// counts down to the deadline by e-mail in each administrator's language (at the start, 7 days
// and 1 day before), and only after the deadline tells Scanner to archive the data until the end
// of the seventh year; the subscription then says until when. An undo after the deadline is
// refused.
func TestAnEndThatArchivesWaitsForItsGracePeriod(t *testing.T) {
	h := newHarness(t)
	h.withTiming(port.DefaultTiming)
	w := h.world(t)
	english := englishAdministrator(t, h, w)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	h.endSubscription(t, w, id)

	got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	deadline, err := time.Parse(time.RFC3339, got.str("teardown.graceUntil"))
	if err != nil || got.str("status") != "ending" || got.str("teardown.export.url") == "" {
		t.Fatalf("during the grace period: %s", got.Raw)
	}
	if !deadline.Equal(h.clock().Add(30 * 24 * time.Hour)) {
		t.Fatalf("deadline %v, want 30 days from the end", deadline)
	}
	steps := func() []string {
		var out []string
		for _, c := range h.solutions.seen {
			out = append(out, c.Step)
		}
		return out
	}
	if s := strings.Join(steps(), ","); s != "revoke_office_access,set_read_only,export_data" {
		t.Fatalf("Scanner was told %s before the deadline, want the access, read-only and the export only", s)
	}
	v, _ := h.store.Company(ctx, w.co)
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionReadOnly {
		t.Fatalf("subscription during the grace period %+v, want read-only", s)
	}
	if n := len(subjectsTo(t, h, w.ca+"@customer.test", "Abonnemanget på Scanner")); n != 1 {
		t.Fatalf("the Swedish administrator got %d grace e-mails, want 1: %q", n, h.mailsTo(t, w.ca+"@customer.test"))
	}
	if n := len(subjectsTo(t, h, english, "The subscription to Scanner")); n != 1 {
		t.Fatalf("the English administrator got %d grace e-mails, want 1: %q", n, h.mailsTo(t, english))
	}
	var export string
	for _, m := range h.mails(t) {
		if strings.HasPrefix(m.Subject, "Exporten från Scanner") && len(m.To) == 1 && m.To[0] == w.ca+"@customer.test" {
			export = m.Body
		}
	}
	if !strings.Contains(export, "https://solution.example/exports/e-1") {
		t.Fatalf("the main contact's export e-mail does not link the export: %q", export)
	}

	for i, at := range []time.Time{deadline.Add(-7 * 24 * time.Hour), deadline.Add(-24 * time.Hour)} {
		h.advance(at.Sub(h.clock()) + time.Minute)
		if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.GraceReminders != 1 {
			t.Fatalf("reminder %d: %+v, %v", i+1, rep, err)
		}
		h.drain(t)
		if n := len(subjectsTo(t, h, english, "Reminder: the subscription to Scanner")); n != i+1 {
			t.Fatalf("the English administrator got %d reminders, want %d", n, i+1)
		}
		if n := len(subjectsTo(t, h, w.ca+"@customer.test", "Påminnelse: abonnemanget på Scanner")); n != i+1 {
			t.Fatalf("the Swedish administrator got %d reminders, want %d", n, i+1)
		}
	}
	if len(h.solutions.seen) != 3 {
		t.Fatalf("a command went before the deadline: %v", steps())
	}
	h.advance(deadline.Sub(h.clock()) + time.Minute)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.GracePeriodsEnded != 1 {
		t.Fatalf("at the deadline: %+v, %v", rep, err)
	}
	h.drain(t)
	last := h.solutions.seen[len(h.solutions.seen)-1]
	retain := time.Date(deadline.Year()+7, 12, 31, 23, 59, 59, 0, time.UTC)
	if last.Step != "archive_data" || last.RetainUntil == nil || !last.RetainUntil.Equal(retain) {
		t.Fatalf("after the deadline Scanner was told %+v, want archive_data until %v", last, retain)
	}
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, ""); got.str("status") != "ended" {
		t.Fatalf("after the archive: %s", got.Raw)
	}
	for address, want := range map[string]string{w.ca + "@customer.test": fmt.Sprintf("skrivskyddad till och med den 31 december %d", retain.Year()),
		english: fmt.Sprintf("read-only until 31 December %d", retain.Year())} {
		found := false
		for _, m := range h.mails(t) {
			found = found || (slices.Contains(m.To, address) && strings.Contains(m.Body, want))
		}
		if !found {
			t.Errorf("no ended e-mail to %s says %q: %q", address, want, h.mailsTo(t, address))
		}
	}
	subs := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/subscriptions", "")
	if !strings.Contains(subs.Raw, `"retainUntil":"`+retain.Format(time.RFC3339)+`"`) || !strings.Contains(subs.Raw, `"status":"read_only"`) {
		t.Fatalf("subscriptions after the archive: %s", subs.Raw)
	}
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+id+"/undo-end", ""), 409, "collaboration_not_ending")

	// At the retention date the cleanup, reading only what is due, tells Scanner to delete the
	// archive; its acknowledgement on the ended collaboration records the deletion.
	h.advance(retain.Sub(h.clock()) - time.Hour)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.RetentionsEnded != 0 {
		t.Fatalf("an hour before the retention date: %+v, %v", rep, err)
	}
	h.advance(2 * time.Hour)
	rep, err := h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.RetentionsEnded != 1 || rep.Loaded != 1 {
		t.Fatalf("at the retention date: %+v, %v; want one retention ended on one subscription read", rep, err)
	}
	h.drain(t)
	last = h.solutions.seen[len(h.solutions.seen)-1]
	if last.Step != "delete_data" || last.RetainUntil == nil || !last.RetainUntil.Equal(retain) || last.CollaborationID != id {
		t.Fatalf("at the retention date Scanner was told %+v, want delete_data of %s's archive kept until %v", last, id, retain)
	}
	got = h.call(t, user(w.ca), "GET", "/collaborations/"+id+"?history=true", "")
	if got.str("status") != "ended" || !strings.Contains(got.Raw, "deleted the archived data at its retention date") ||
		!strings.Contains(got.Raw, `"delete_data"]`) {
		t.Fatalf("after the deletion: %s", got.Raw)
	}
	v, _ = h.store.Company(ctx, w.co)
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionEnded || !s.RetainUntil.IsZero() || !s.DataDeletedAt.After(retain) {
		t.Fatalf("subscription after the deletion %+v, want ended, nothing retained, the data deleted after %v", s, retain)
	}
	if _, ok := v.Facts["scanner"]; ok {
		t.Error("Scanner's facts about the company are kept after its data went")
	}
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.RetentionsEnded != 0 || rep.MessagesResent != 0 {
		t.Fatalf("the next cleanup: %+v, %v; want nothing left to do", rep, err)
	}
}

// TestAnArchiveInUseAgainIsKeptAtItsRetentionDate: a company that subscribes to the solution
// again after an end archived its data keeps it: at the old retention date nothing is deleted
// and the collaboration's history says why.
func TestAnArchiveInUseAgainIsKeptAtItsRetentionDate(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	h.endSubscription(t, w, id)
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	retain, err := time.Parse(time.RFC3339, got.str("teardown.retainUntil"))
	if err != nil || got.str("status") != "ended" {
		t.Fatalf("after the end: %s", got.Raw)
	}
	h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	h.advance(retain.Sub(h.clock()) + time.Minute)
	sent := len(h.solutions.seen)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.RetentionsEnded != 1 {
		t.Fatalf("at the retention date: %+v, %v", rep, err)
	}
	h.drain(t)
	if len(h.solutions.seen) != sent {
		t.Fatalf("Scanner was told %+v at the retention date of an archive in use again", h.solutions.seen[sent:])
	}
	got = h.call(t, user(w.ca), "GET", "/collaborations/"+id+"?history=true", "")
	if !strings.Contains(got.Raw, "nothing is deleted") || strings.Contains(got.Raw, `"retainUntil"`) {
		t.Fatalf("after the retention date: %s", got.Raw)
	}
	v, _ := h.store.Company(ctx, w.co)
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionActive || !s.DataDeletedAt.IsZero() {
		t.Fatalf("subscription %+v, want active, nothing deleted", s)
	}
}

// TestAnEndThatDeletesWithoutAnExportSaysWhyAndCanBeUndone: Financial overview cannot export, so
// the history says why and no export e-mail goes out; an administrator's undo before the deadline
// keeps the solution for the company, which pays itself; an undo at the deadline is refused.
func TestAnEndThatDeletesWithoutAnExportSaysWhyAndCanBeUndone(t *testing.T) {
	h := newHarness(t)
	h.withTiming(port.DefaultTiming)
	w := h.world(t)
	id := h.active(t, w, "1001", "financial-overview", `,"agreementMonths":12`)
	h.drain(t)
	h.endSubscription(t, w, id)
	history := h.call(t, user(w.ca), "GET", "/collaborations/"+id+"?history=true", "")
	if !strings.Contains(history.Raw, "no export before the data goes") {
		t.Fatalf("the history does not say why there is no export: %s", history.Raw)
	}
	if n := len(subjectsTo(t, h, w.ca+"@customer.test", "Exporten")); n != 0 {
		t.Fatalf("%d export e-mails from a solution that cannot export", n)
	}
	expect(t, h.call(t, user(w.cu), "POST", "/collaborations/"+id+"/undo-end", ""), 403, "administrator_required")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/undo-end", ""), 403, "")
	h.advance(10 * 24 * time.Hour)
	undone := h.call(t, user(w.ca), "POST", "/collaborations/"+id+"/undo-end", "")
	expect(t, undone, 200, "")
	if undone.str("outcome") != "continue" {
		t.Fatalf("undone: %s", undone.Raw)
	}
	h.drain(t)
	if last := h.solutions.seen[len(h.solutions.seen)-1]; last.Step != "transfer_billing" {
		t.Fatalf("after the undo the solution was told %+v, want transfer_billing", last)
	}
	v, _ := h.store.Company(ctx, w.co)
	if s := v.Subscriptions["financial-overview"]; s.Status != collab.SubscriptionActive || s.InvoiceRecipient != collab.InvoiceCustomer || !s.DataDeletedAt.IsZero() {
		t.Fatalf("subscription after the undo %+v, want active, paid by the company, nothing deleted", s)
	}
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+id+"?history=true", ""); got.str("status") != "ended" || !strings.Contains(got.Raw, "end undone") {
		t.Fatalf("after the undo: %s", got.Raw)
	}

	// Another end, undone too late.
	h.solutions.answer = func(c events.Command) string { return answerDone(c.Step, h.clock()) }
	id2 := h.active(t, w, "1002", "financial-overview", `,"agreementMonths":12`)
	h.drain(t)
	h.endSubscription(t, w, id2)
	h.advance(31 * 24 * time.Hour)
	expect(t, h.call(t, user(w.ca2), "POST", "/collaborations/"+id2+"/undo-end", ""), 409, "undo_too_late")
}

// TestACleanupThatComesLateSendsOneReminderAndNoneAfterTheDeadline: a cleanup that first runs an
// hour before the deadline sends the 1-day reminder alone (the 7-day one is overtaken), and one
// that first runs after the deadline sends none and ends the grace period: no e-mail offers an
// undo that is no longer possible.
func TestACleanupThatComesLateSendsOneReminderAndNoneAfterTheDeadline(t *testing.T) {
	h := newHarness(t)
	h.withTiming(port.DefaultTiming)
	w := h.world(t)
	admin := w.ca2 + "@customer.test" // of 1002's company, whose deadline is the later
	var ids []string
	for _, customer := range []string{"1001", "1002"} {
		id := h.active(t, w, customer, "financial-overview", `,"agreementMonths":12`)
		h.drain(t)
		h.endSubscription(t, w, id)
		ids = append(ids, id)
		if customer == "1001" {
			h.advance(24 * time.Hour) // the second one's deadline a day later
		}
	}
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+ids[0], "")
	deadline, err := time.Parse(time.RFC3339, got.str("teardown.graceUntil"))
	if err != nil {
		t.Fatalf("no deadline: %s", got.Raw)
	}
	reminders := func() int { return len(subjectsTo(t, h, admin, "Påminnelse: abonnemanget på Ekonomiöversikt")) }

	// An hour after the first deadline: the second is a day minus an hour away.
	h.advance(deadline.Sub(h.clock()) + time.Hour)
	rep, err := h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.GraceReminders != 1 || rep.GracePeriodsEnded != 1 {
		t.Fatalf("a late cleanup: %+v, %v; want the first grace period ended and one reminder of the second", rep, err)
	}
	h.drain(t)
	if n := reminders(); n != 1 {
		t.Fatalf("%d reminders, want the second's 1-day reminder alone: %q", n, h.mailsTo(t, admin))
	}
	if s := h.solutions.seen[len(h.solutions.seen)-1]; s.Step != "delete_data" || s.CollaborationID != ids[0] {
		t.Fatalf("after the first deadline the solution was told %+v, want delete_data of %s", s, ids[0])
	}
	h.advance(24 * time.Hour)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.GraceReminders != 0 || rep.GracePeriodsEnded != 1 {
		t.Fatalf("after the second deadline: %+v, %v", rep, err)
	}
	h.drain(t)
	if n := reminders(); n != 1 {
		t.Fatalf("%d reminders after the deadlines, want still 1", n)
	}
}

// TestTheCountdownGoesOnWhileTheExportIsUnanswered: a solution slow to export does not hold up
// the countdown: the reminders go out at 7 days and 1 day before the deadline while the export
// is unanswered, and after the deadline the archive is sent only once the export is answered.
func TestTheCountdownGoesOnWhileTheExportIsUnanswered(t *testing.T) {
	h := newHarness(t)
	h.withTiming(port.DefaultTiming)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	silent := true
	h.solutions.answer = func(c events.Command) string {
		if c.Step == "export_data" && silent {
			return ""
		}
		return answerDone(c.Step, h.clock())
	}
	h.endSubscription(t, w, id)
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	deadline, err := time.Parse(time.RFC3339, got.str("teardown.graceUntil"))
	if err != nil || got.str("teardown.waitingOn") != "export_data" {
		t.Fatalf("during the grace period: %s", got.Raw)
	}
	admin := w.ca + "@customer.test"
	for i, at := range []time.Time{deadline.Add(-7 * 24 * time.Hour), deadline.Add(-24 * time.Hour)} {
		h.advance(at.Sub(h.clock()) + time.Minute)
		if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.GraceReminders != 1 {
			t.Fatalf("reminder %d with the export unanswered: %+v, %v", i+1, rep, err)
		}
		h.drain(t)
		if n := len(subjectsTo(t, h, admin, "Påminnelse: abonnemanget på Scanner")); n != i+1 {
			t.Fatalf("%d reminders, want %d: %q", n, i+1, h.mailsTo(t, admin))
		}
	}
	h.advance(deadline.Sub(h.clock()) + time.Minute)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.GracePeriodsEnded != 1 {
		t.Fatalf("at the deadline: %+v, %v", rep, err)
	}
	h.drain(t)
	for _, c := range h.solutions.seen {
		if c.Step == "archive_data" {
			t.Fatal("the archive went before the export was answered")
		}
	}
	silent = false
	h.advance(24 * time.Hour) // the export's command is sent again, and answered
	if _, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	steps := make([]string, len(h.solutions.seen))
	for i, c := range h.solutions.seen {
		steps[i] = c.Step
	}
	if n := len(steps); n < 2 || steps[n-2] != "export_data" || steps[n-1] != "archive_data" {
		t.Fatalf("Scanner was told %v, want the export answered, then the archive", steps)
	}
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, ""); got.str("status") != "ended" {
		t.Fatalf("after the export and the archive: %s", got.Raw)
	}
}

// TestAnArchivesRetentionEndCostsAtMostTwoDynamoDBCalls counts the cleanup's calls at the
// retention date of two archives (Scanner, Travel & Expenses), less those of a run with nothing
// due: one BatchGetItem for both subscriptions and one TransactWriteItems each, and the delete
// command's send each. So the deletion costs in proportion to what is due.
func TestAnArchivesRetentionEndCostsAtMostTwoDynamoDBCalls(t *testing.T) {
	count := &callCounter{calls: map[string]map[string]int{}}
	h := newHarness(t, count.attach)
	w := h.world(t)
	var retain time.Time
	for _, solution := range []string{"scanner", "travel-expenses"} {
		id := h.active(t, w, "1001", solution, "")
		h.drain(t)
		if solution == "travel-expenses" {
			expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/travel-expenses/status",
				`{"unsubmittedReports":0,"usersWithUnsubmittedExpenses":[]}`), 200, "")
		}
		h.endSubscription(t, w, id)
		got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
		var err error
		if retain, err = time.Parse(time.RFC3339, got.str("teardown.retainUntil")); err != nil || got.str("status") != "ended" {
			t.Fatalf("after the end: %s", got.Raw)
		}
	}
	run := func(at time.Time) trips {
		count.take()
		h.cleanupAt(t, at)
		return trips(count.take()[fnCleanup])
	}
	run(retain.Add(-2 * time.Minute)) // re-sends what waited in the outbox, due again only later
	fixed, due := run(retain.Add(-time.Minute)), run(retain.Add(time.Second))
	perItem := float64(due.service("DynamoDB")-fixed.service("DynamoDB")) / 2
	if perItem > 2 || due.sends("SQS")-fixed.sends("SQS") != 2 {
		t.Errorf("per archive: %.1f DynamoDB calls (%s, nothing due: %s), %d SQS sends; want at most 2 and one send each",
			perItem, due.operations("DynamoDB"), fixed.operations("DynamoDB"), due.sends("SQS")-fixed.sends("SQS"))
	}
	t.Logf("nothing due: %d DynamoDB (%s); 2 archives due: %d (%s), %d SQS", fixed.service("DynamoDB"), fixed.operations("DynamoDB"),
		due.service("DynamoDB"), due.operations("DynamoDB"), due.sends("SQS"))
}
