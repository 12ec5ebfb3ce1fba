package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestAnEndIsScheduledForTheEndOfAMonthAtMostTwelveMonthsAhead(t *testing.T) {
	now := time.Date(2027, 1, 31, 22, 0, 0, 0, time.UTC) // the last day of the month, late
	for _, c := range []struct {
		name, date string
		at         time.Time // zero when refused
	}{
		{"the_end_of_the_current_month", "2027-01-31", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"the_end_of_february", "2027-02-28", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"twelve_months_ahead", "2028-01-31", time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"refused_thirteen_months_ahead", "2028-02-29", time.Time{}},
		{"refused_in_the_middle_of_a_month", "2027-03-15", time.Time{}},
		{"refused_on_a_day_february_lacks", "2027-02-29", time.Time{}},
		{"refused_last_month", "2026-12-31", time.Time{}},
		{"refused_written_otherwise", "31/03/2027", time.Time{}},
		{"refused_with_a_time", "2027-03-31T00:00:00Z", time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			at, err := collab.ParseEndDate("at", c.date, now)
			if c.at.IsZero() {
				if collab.ErrorCode(err) != "end_date_invalid" {
					t.Fatalf("got %v, %v; want end_date_invalid", at, err)
				}
				return
			}
			if err != nil || !at.Equal(c.at) {
				t.Fatalf("got %v, %v; want %v", at, err, c.at)
			}
		})
	}
}

// scheduled returns an active collaboration of the solution with an end scheduled for the end of
// January 2027, by the office.
func scheduled(t *testing.T, solution collab.Solution) *collab.Collaboration {
	t.Helper()
	c := collab.RestoreCollaboration(collab.CollaborationRecord{ID: "c-1", CompanyID: "company-1", Solution: solution, Status: collab.Active})
	if err := c.ScheduleEnd(office, collab.EndSubscription, endOfJanuary, t0); err != nil {
		t.Fatal(err)
	}
	return c
}

var endOfJanuary = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)

func TestAScheduledEndIsDueAtItsDateAndOnlyWhileActive(t *testing.T) {
	timing := collab.DefaultTiming
	c := scheduled(t, "bookkeeping")
	if kind, at, ok := timing.Due(c.Record()); !ok || kind != collab.DueScheduledEnd || !at.Equal(endOfJanuary) {
		t.Fatalf("due %s at %v, want the scheduled end at %v", kind, at, endOfJanuary)
	}
	r := c.Record()
	r.AgreementEndsAt, r.ReminderSentAt = endOfJanuary.AddDate(0, -1, 0), t0
	if kind, _, _ := timing.Due(r); kind != collab.DueAgreementEnd {
		t.Errorf("an agreement ending first is due first, got %s", kind)
	}
	r.AgreementEndsAt = endOfJanuary
	if kind, _, _ := timing.Due(r); kind != collab.DueScheduledEnd {
		t.Errorf("a scheduled end on the agreement's own end is due as scheduled, got %s", kind)
	}
	r.Status = collab.Ending
	r.AgreementEndsAt = time.Time{}
	if v, ok := r.ScheduledEndOf(); ok {
		t.Errorf("an ending collaboration shows its scheduled end %+v", v)
	}
	if err := c.ScheduleEnd(admin, collab.Continue, endOfJanuary, t0); collab.ErrorCode(err) != "end_already_scheduled" {
		t.Errorf("a second schedule: %v, want end_already_scheduled", err)
	}
	if err := c.CancelScheduledEnd(admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelScheduledEnd(admin, t0); collab.ErrorCode(err) != "no_scheduled_end" {
		t.Errorf("cancel again: %v, want no_scheduled_end", err)
	}
	if _, _, ok := timing.Due(c.Record()); ok {
		t.Error("a cancelled end is still due")
	}
	ending := at(collab.Ending, "bookkeeping")
	if err := ending.ScheduleEnd(office, collab.Continue, endOfJanuary, t0); collab.ErrorCode(err) != "collaboration_not_active" {
		t.Errorf("scheduled an ending collaboration's end: %v", err)
	}
	if err := at(collab.Active, "payroll").ScheduleEnd(office, collab.Continue, endOfJanuary, t0); collab.ErrorCode(err) != "outcome_not_allowed" {
		t.Errorf("scheduled an outcome payroll does not allow: %v", err)
	}
}

func TestTheEndCheckAtTheDateEndsWaitsForFactsOrClearsTheScheduledEnd(t *testing.T) {
	timing := collab.DefaultTiming
	fresh := func(now time.Time) collab.SolutionFacts {
		return collab.SolutionFacts{CustomerIsPayrollUser: true, LastSyncAt: t0, LastChangeAt: t0.Add(-time.Hour), ReportedAt: now}
	}
	t.Run("not_due_before_its_date", func(t *testing.T) {
		c := scheduled(t, "bookkeeping")
		if _, _, err := c.EndAsScheduled(okCo, collab.SolutionFacts{}, endOfJanuary.Add(-time.Second), timing); collab.ErrorCode(err) != "scheduled_end_not_due" {
			t.Fatalf("got %v, want scheduled_end_not_due", err)
		}
	})
	t.Run("ends_with_nothing_in_the_way", func(t *testing.T) {
		c := scheduled(t, "bookkeeping")
		res, bs, err := c.EndAsScheduled(okCo, collab.SolutionFacts{}, endOfJanuary, timing)
		r := c.Record()
		if err != nil || res != collab.ScheduledEndDone || len(bs) != 0 || r.Status != collab.Ending || r.Outcome != collab.EndSubscription || r.ScheduledEnd != nil {
			t.Fatalf("got %s %v %v, record %s %s %+v", res, bs, err, r.Status, r.Outcome, r.ScheduledEnd)
		}
	})
	t.Run("blocked_without_a_main_contact_stays_active_without_the_schedule", func(t *testing.T) {
		c := scheduled(t, "bookkeeping")
		res, bs, err := c.EndAsScheduled(collab.Company{ID: "company-1"}, collab.SolutionFacts{}, endOfJanuary, timing)
		r := c.Record()
		if err != nil || res != collab.ScheduledEndBlocked || bs[0].Code != "main_contact_missing" || r.Status != collab.Active || r.ScheduledEnd != nil {
			t.Fatalf("got %s %v %v, record %s %+v", res, bs, err, r.Status, r.ScheduledEnd)
		}
		if h := c.NewTransitions(); h[len(h)-1].Reason != "scheduled end on 2027-01-31 did not happen: [main_contact_missing]" {
			t.Errorf("history says %q", h[len(h)-1].Reason)
		}
	})
	t.Run("waits_for_missing_facts_then_ends_on_fresh_ones", func(t *testing.T) {
		c := scheduled(t, "payroll")
		res, bs, err := c.EndAsScheduled(okCo, collab.SolutionFacts{}, endOfJanuary, timing)
		if err != nil || res != collab.ScheduledEndWaiting || bs[0].Code != collab.FactsMissing || c.Status() != collab.Active {
			t.Fatalf("got %s %v %v", res, bs, err)
		}
		if kind, at, _ := timing.Due(c.Record()); kind != collab.DueScheduledEnd || !at.Equal(endOfJanuary.Add(timing.StuckAfter)) {
			t.Fatalf("due %s at %v, want the check again after %v", kind, at, timing.StuckAfter)
		}
		now := endOfJanuary.Add(timing.StuckAfter)
		if res, _, err := c.EndAsScheduled(okCo, fresh(now), now, timing); err != nil || res != collab.ScheduledEndDone {
			t.Fatalf("on fresh facts: %s %v", res, err)
		}
	})
	t.Run("facts_still_missing_a_day_later_block", func(t *testing.T) {
		c := scheduled(t, "payroll")
		now := endOfJanuary.Add(collab.ScheduledEndFactsWait)
		if res, bs, _ := c.EndAsScheduled(okCo, collab.SolutionFacts{}, now, timing); res != collab.ScheduledEndBlocked || bs[0].Code != collab.FactsMissing {
			t.Fatalf("got %s %v, want blocked on facts_missing", res, bs)
		}
	})
	t.Run("facts_that_block_block_at_once", func(t *testing.T) {
		c := scheduled(t, "payroll")
		f := fresh(endOfJanuary)
		f.CustomerIsPayrollUser = false
		if res, bs, _ := c.EndAsScheduled(okCo, f, endOfJanuary, timing); res != collab.ScheduledEndBlocked || bs[0].Code != "payroll_handover_incomplete" {
			t.Fatalf("got %s %v, want blocked on payroll_handover_incomplete", res, bs)
		}
	})
}
