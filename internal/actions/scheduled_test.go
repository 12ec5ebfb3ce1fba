package actions_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// endOfMarch is the date the tests schedule ends for (the world's clock starts on 1 March 2027),
// and endsAt when such an end takes effect.
const endOfMarch = "2027-03-31"

var endsAt = time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)

// schedule schedules collaboration id's end for the end of March as the caller.
func (w *world) schedule(t *testing.T, caller actions.Caller, id, outcome string) actions.CollaborationView {
	t.Helper()
	v, err := w.svc.End(ctx, caller, id, actions.EndInput{Outcome: outcome, At: endOfMarch})
	if err != nil {
		t.Fatalf("schedule the end: %v", err)
	}
	return v
}

// toTheDate moves the clock to when the scheduled end takes effect and runs the cleanup.
func (w *world) toTheDate(t *testing.T) actions.CleanupReport {
	t.Helper()
	w.advance(endsAt.Sub(w.clock()))
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	return rep
}

func TestAScheduledEndHappensAtItsDate(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	v := w.schedule(t, user(oe), id, "continue")
	if s := v.ScheduledEnd; v.Status != collab.Active || s == nil || s.Date != endOfMarch || !s.At.Equal(endsAt) || s.ActorID != oe || s.Outcome != collab.Continue {
		t.Fatalf("scheduled: %s %+v", v.Status, v.ScheduledEnd)
	}
	if n := len(w.queue.jobs(t, actions.TeardownQueue, id)); n != 0 {
		t.Fatalf("%d teardown jobs queued when scheduling", n)
	}
	got, err := w.svc.Collaboration(ctx, user(ca), id)
	noErr(t, err)
	if got.ScheduledEnd == nil || !slices.ContainsFunc(got.History, func(h actions.TransitionView) bool {
		return h.Reason == "end scheduled for 2027-03-31 with outcome continue"
	}) {
		t.Fatalf("the company's administrator sees %+v and history %+v", got.ScheduledEnd, got.History)
	}
	list, err := w.svc.OfficeCollaborations(ctx, user(oa), office, actions.ListFilter{})
	noErr(t, err)
	if i := slices.IndexFunc(list.Items, func(c actions.CollaborationView) bool { return c.ID == id }); i < 0 || list.Items[i].ScheduledEnd == nil {
		t.Fatalf("the office's list does not show the scheduled end")
	}

	w.advance(endsAt.Add(-time.Minute).Sub(w.clock()))
	if rep, _ := w.svc.Cleanup(ctx); rep.ScheduledEnds != 0 || w.collaboration(t, id).Status != collab.Active {
		t.Fatalf("a minute before the date: %+v", rep)
	}
	if sub := w.company(t, co).Subscriptions["bookkeeping"]; sub.PayingOfficeID != office {
		t.Fatalf("before the date the office pays: %+v", sub)
	}
	if rep := w.toTheDate(t); rep.ScheduledEnds != 1 {
		t.Fatalf("at the date: %+v", rep)
	}
	r := w.collaboration(t, id)
	if r.Status != collab.Ending || r.Outcome != collab.Continue || r.ScheduledEnd != nil {
		t.Fatalf("at the date: %s %s %+v, want ending with continue", r.Status, r.Outcome, r.ScheduledEnd)
	}
	if n := len(w.queue.jobs(t, actions.TeardownQueue, id)); n != 1 {
		t.Fatalf("%d teardown jobs, want 1", n)
	}
	w.drain(t)
	if r, sub := w.collaboration(t, id), w.company(t, co).Subscriptions["bookkeeping"]; r.Status != collab.Ended || sub.Status != collab.SubscriptionActive ||
		sub.PayingOfficeID != "" || sub.InvoiceRecipient != collab.InvoiceCustomer {
		t.Errorf("after the teardown: %s, subscription %+v; want ended, the company paying", r.Status, sub)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.ScheduledEnds != 0 {
		t.Errorf("checked again after it happened: %+v", rep)
	}
}

func TestAScheduledEndCancelledDoesNotHappen(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	w.schedule(t, user(ca), id, "continue")
	for _, c := range []struct {
		name   string
		caller actions.Caller
		want   string
	}{
		{"refused_to_a_stranger", user(c2a), "not_company_user"},
		{"refused_to_another_office", user(o2), "not_company_user"},
		{"refused_to_a_plain_user_of_the_company", user(cu), "administrator_required"},
		{"refused_to_an_employee_on_no_task_of_the_customer", user(ox), "not_on_task"},
		{"refused_without_a_caller", nobody, "unauthenticated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.CancelEnd(ctx, c.caller, id)
			wantCode(t, err, c.want)
		})
	}
	v, err := w.svc.CancelEnd(ctx, user(oe), id) // the other party cancels
	noErr(t, err)
	if v.ScheduledEnd != nil || v.Status != collab.Active {
		t.Fatalf("cancelled: %s %+v", v.Status, v.ScheduledEnd)
	}
	_, err = w.svc.CancelEnd(ctx, user(ca), id)
	wantCode(t, err, "no_scheduled_end")
	if rep := w.toTheDate(t); rep.ScheduledEnds != 0 || w.collaboration(t, id).Status != collab.Active {
		t.Fatalf("a cancelled end happened: %+v", rep)
	}
}

func TestAScheduledEndIsRefused(t *testing.T) {
	for _, c := range []struct {
		name, solution, outcome, at string
		caller                      actions.Caller
		want                        string
	}{
		{"in_the_middle_of_a_month", "bookkeeping", "continue", "2027-03-15", user(ca), "end_date_invalid"},
		{"more_than_twelve_months_ahead", "bookkeeping", "continue", "2028-04-30", user(ca), "end_date_invalid"},
		{"last_month", "bookkeeping", "continue", "2027-02-28", user(ca), "end_date_invalid"},
		{"with_an_outcome_the_solution_does_not_allow", "payroll", "continue", endOfMarch, user(ca), "outcome_not_allowed"},
		{"to_a_stranger", "bookkeeping", "continue", endOfMarch, user(c2a), "not_company_user"},
		{"to_a_plain_user_of_the_company", "bookkeeping", "continue", endOfMarch, user(cu), "administrator_required"},
		{"with_an_unknown_outcome", "bookkeeping", "maybe", endOfMarch, user(ca), "outcome_invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.active(t, "1001", c.solution)
			_, err := w.svc.End(ctx, c.caller, id, actions.EndInput{Outcome: c.outcome, At: c.at})
			wantCode(t, err, c.want)
			if r := w.collaboration(t, id); r.ScheduledEnd != nil || r.Status != collab.Active {
				t.Errorf("a refused schedule wrote %s %+v", r.Status, r.ScheduledEnd)
			}
		})
	}
	t.Run("twice", func(t *testing.T) {
		w := newWorld(t)
		id := w.active(t, "1001", "bookkeeping")
		w.schedule(t, user(ca), id, "continue")
		_, err := w.svc.End(ctx, user(oe), id, actions.EndInput{Outcome: "continue", At: "2027-04-30"})
		wantCode(t, err, "end_already_scheduled")
	})
}

func TestAScheduledEndBlockedAtItsDateTellsBothPartiesAndStaysActive(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	w.schedule(t, user(oe), id, "continue")
	noMainContact(t, w, co)
	if rep := w.toTheDate(t); rep.ScheduledEnds != 1 {
		t.Fatalf("at the date: %+v", rep)
	}
	r := w.collaboration(t, id)
	if r.Status != collab.Active || r.ScheduledEnd != nil {
		t.Fatalf("blocked: %s %+v, want active without the scheduled end", r.Status, r.ScheduledEnd)
	}
	if got := w.queue.emails(t, id); !slices.Contains(got, collab.EmailScheduledEndBlocked) || len(w.queue.jobs(t, actions.TeardownQueue, id)) != 0 {
		t.Fatalf("e-mails %v; want the blocked end's and no teardown", got)
	}
	w.drain(t)
	want := map[string]string{ // the company's administrator (Swedish), the employee on the task (English)
		"ca@customer.test": "Samarbetet i Bokföring & Fakturering avslutades inte 31 mars 2027",
		"oe@office.test":   "The collaboration in Bookkeeping & Invoicing did not end on 31 March 2027"}
	for _, m := range w.mailer.sent {
		if m.subject == want[m.to] {
			delete(want, m.to)
		}
	}
	if len(want) > 0 {
		t.Errorf("not told: %v (sent %+v)", want, w.mailer.sent)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.ScheduledEnds != 0 {
		t.Errorf("checked again: %+v", rep)
	}
}

func TestAScheduledEndWaitsForTheSolutionsFacts(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "payroll")
	w.schedule(t, user(ca), id, "end_subscription")
	w.toTheDate(t)
	if r := w.collaboration(t, id); r.Status != collab.Active || r.ScheduledEnd == nil || r.ScheduledEnd.Checks != 1 {
		t.Fatalf("on facts nobody reported: %s %+v, want active and waiting", r.Status, r.ScheduledEnd)
	}
	if n := w.factsRequests(); n != 1 {
		t.Fatalf("%d facts requests, want 1", n)
	}
	report(t, w, "payroll", actions.FactsInput{CustomerIsPayrollUser: ptr(true), LastSyncAt: ptr("2027-03-30T00:00:00Z"), LastChangeAt: ptr("2027-03-29T00:00:00Z")})
	w.advance(collab.DefaultTiming.StuckAfter)
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	if r := w.collaboration(t, id); rep.ScheduledEnds != 1 || r.Status != collab.Ending {
		t.Fatalf("on fresh facts: %+v, %s", rep, r.Status)
	}
}

// factsRequests counts the FactsRequested events published.
func (w *world) factsRequests() int {
	w.bus.mu.Lock()
	defer w.bus.mu.Unlock()
	n := 0
	for _, e := range w.bus.published {
		if e.DetailType == events.FactsRequested {
			n++
		}
	}
	return n
}
