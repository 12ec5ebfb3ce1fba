package collab

import (
	"fmt"
	"slices"
	"time"
)

// ScheduledEnd is an end either party chose to happen at the end of a month: the collaboration
// stays active until At, then ends with Outcome as End does, if the end-check at that time
// finds nothing in the way.
type ScheduledEnd struct {
	// At is when the end takes effect: the first instant (UTC) after the chosen month end, the
	// moment an agreement period ends too.
	At      time.Time
	Outcome Outcome
	By      Actor // who scheduled it
	// ScheduledAt is when it was scheduled.
	ScheduledAt time.Time
	// Checks counts the end-checks at the date that found only the solution's facts missing or
	// stale (the solution is asked for them and the check runs again; CheckedAt is the last).
	Checks    int
	CheckedAt time.Time
}

// Day returns the chosen month end: the last day of the month that At closes.
func (s ScheduledEnd) Day() time.Time { return s.At.AddDate(0, 0, -1) }

// ScheduledEndMonthsAhead is how far ahead an end may be scheduled: at the end of the current
// month, or of one of the this many months after it.
const ScheduledEndMonthsAhead = 12

// ScheduledEndFactsWait is how long after a scheduled end's date the end-check waits for a
// solution's missing or stale facts (asking the solution, and checking again with the
// cleanup's backoff) before it counts them as a blocker like the others.
const ScheduledEndFactsWait = 24 * time.Hour

// The e-mails of a scheduled end, to both parties: it was scheduled (its date and what it will
// do), it was cancelled, or it did not happen at its date, and why.
const (
	EmailEndScheduled          = "end_scheduled"
	EmailScheduledEndCancelled = "scheduled_end_cancelled"
	EmailScheduledEndBlocked   = "scheduled_end_blocked"
)

// ParseEndDate parses the date of a scheduled end, written YYYY-MM-DD: the last day of the
// current month (at now) or of one of the ScheduledEndMonthsAhead months after it. It returns
// when the end takes effect (ScheduledEnd.At), or EINVALID end_date_invalid naming the range.
func ParseEndDate(field, s string, now time.Time) (time.Time, error) {
	first := PeriodOf(now)
	last := first.AddMonths(ScheduledEndMonthsAhead)
	fix := fmt.Sprintf("choose the last day of a month from %s to %s, written YYYY-MM-DD", monthEnd(first), monthEnd(last))
	day, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return time.Time{}, Invalid(field, "end_date_invalid", fix, "%q is not a date written YYYY-MM-DD", s)
	}
	at := day.AddDate(0, 0, 1)
	if at.Day() != 1 {
		return time.Time{}, Invalid(field, "end_date_invalid", fix, "%s is not the last day of a month; a collaboration ends at the end of a month", s)
	}
	if p := PeriodOf(day); p.Before(first) || last.Before(p) {
		return time.Time{}, Invalid(field, "end_date_invalid", fix,
			"%s is outside %s to %s (from the end of the current month to %d months ahead)", s, monthEnd(first), monthEnd(last), ScheduledEndMonthsAhead)
	}
	return at, nil
}

// monthEnd writes the last day of p as YYYY-MM-DD.
func monthEnd(p Period) string { return p.AddMonths(1).Start().AddDate(0, 0, -1).Format("2006-01-02") }

// ScheduledEndOf returns the end scheduled for an active collaboration, and whether there is one.
// A scheduled end left on a collaboration that ended otherwise counts for nothing.
func (r CollaborationRecord) ScheduledEndOf() (ScheduledEnd, bool) {
	if r.Status != Active || r.ScheduledEnd == nil {
		return ScheduledEnd{}, false
	}
	return *r.ScheduledEnd, true
}

// dueAt is when the end-check of a scheduled end runs next: at its date, then, while it waits
// for the solution's facts, after the backoff of its checks.
func (s ScheduledEnd) dueAt(t Timing) time.Time {
	if s.Checks == 0 {
		return s.At
	}
	return s.CheckedAt.Add(t.Backoff(s.Checks - 1))
}

// scheduledEndFirst reports whether r's scheduled end comes no later than the end of its
// agreement period, if it has one: a later one waits while the agreement's own end comes first.
func (r CollaborationRecord) scheduledEndFirst() bool {
	s, ok := r.ScheduledEndOf()
	return ok && (r.AgreementEndsAt.IsZero() || !s.At.After(r.AgreementEndsAt))
}

// ScheduleEnd schedules the end of an active collaboration with outcome at a month end (at, as
// ParseEndDate returns it): it stays active until then. The company's rules (a main contact, the
// solution's preconditions) are checked at the date, when they matter (EndAsScheduled). It
// returns ECONFLICT collaboration_not_active, outcome_not_allowed or end_already_scheduled.
func (c *Collaboration) ScheduleEnd(by Actor, outcome Outcome, at, now time.Time) error {
	if bs := c.ownEndBlockers(outcome); len(bs) > 0 {
		return &Error{Kind: ECONFLICT, Code: bs[0].Code, Message: bs[0].Message, Fix: bs[0].Fix, Blockers: bs}
	}
	if s, ok := c.rec.ScheduledEndOf(); ok {
		return Errorf(ECONFLICT, "end_already_scheduled", "cancel the scheduled end first (POST /collaborations/{id}/cancel-end), then schedule another",
			"the collaboration is already scheduled to end on %s", s.Day().Format("2006-01-02"))
	}
	s := ScheduledEnd{At: at, Outcome: outcome, By: by, ScheduledAt: now}
	c.rec.ScheduledEnd = &s
	c.note(by, now, "end scheduled for "+s.Day().Format("2006-01-02")+" with outcome "+string(outcome))
	return nil
}

// CancelScheduledEnd cancels an active collaboration's scheduled end; it stays active. It
// returns ECONFLICT collaboration_not_active or no_scheduled_end.
func (c *Collaboration) CancelScheduledEnd(by Actor, now time.Time) error {
	if err := c.require(Active, "collaboration_not_active", "only an active collaboration's scheduled end can be cancelled; reload the collaboration to see its state"); err != nil {
		return err
	}
	s, ok := c.rec.ScheduledEndOf()
	if !ok {
		return Errorf(ECONFLICT, "no_scheduled_end", "nothing to cancel; reload the collaboration to see its state",
			"the collaboration has no scheduled end")
	}
	c.rec.ScheduledEnd = nil
	c.note(by, now, "scheduled end on "+s.Day().Format("2006-01-02")+" cancelled")
	return nil
}

// ScheduledEndResult is what the end-check at a scheduled end's date did.
type ScheduledEndResult string

// The results of EndAsScheduled.
const (
	ScheduledEndDone    ScheduledEndResult = "ended"   // the collaboration is ending, as End leaves it
	ScheduledEndWaiting ScheduledEndResult = "waiting" // only the solution's facts are missing or stale: ask, check again
	ScheduledEndBlocked ScheduledEndResult = "blocked" // it stays active, the scheduled end cleared
)

// EndAsScheduled runs the end-check of an active collaboration whose scheduled end is due at
// now, on its company and what its solution last reported, and acts on it:
//   - nothing in the way: it moves to ending with the scheduled outcome, exactly as End does
//     (ScheduledEndDone);
//   - only the solution's facts missing or stale, less than ScheduledEndFactsWait after the
//     date: the check is counted and runs again later (ScheduledEndWaiting; the caller asks the
//     solution for its facts);
//   - anything else: the collaboration stays active and the scheduled end is cleared, with the
//     blockers on the history (ScheduledEndBlocked); both parties are to be told, and either may
//     end it or schedule the end again once the blockers are fixed. Clearing rather than
//     retrying keeps an end from happening on a day nobody chose (mid-month, for billing).
//
// It returns the blockers found, or ECONFLICT scheduled_end_not_due when the collaboration is
// not active, has no scheduled end or the end is not due at now.
func (c *Collaboration) EndAsScheduled(company Company, facts SolutionFacts, now time.Time, t Timing) (ScheduledEndResult, []Blocker, error) {
	s, ok := c.rec.ScheduledEndOf()
	if !ok || now.Before(s.dueAt(t)) {
		return "", nil, Errorf(ECONFLICT, "scheduled_end_not_due", "nothing to do yet", "the collaboration has no scheduled end due at %s", now.Format(time.RFC3339))
	}
	day := s.Day().Format("2006-01-02")
	bs := c.EndBlockers(s.Outcome, company, facts, now, t.FactsMaxAge)
	switch {
	case len(bs) == 0:
		c.rec.ScheduledEnd, c.rec.Outcome = nil, s.Outcome
		c.move(Ending, System, now, "ended as scheduled for "+day+" with outcome "+string(s.Outcome))
		return ScheduledEndDone, nil, nil
	case onlyFacts(bs) && now.Sub(s.At) < ScheduledEndFactsWait:
		s.Checks, s.CheckedAt = s.Checks+1, now
		c.rec.ScheduledEnd, c.rec.UpdatedAt = &s, now
		return ScheduledEndWaiting, bs, nil
	}
	c.rec.ScheduledEnd = nil
	codes := make([]string, len(bs))
	for i, b := range bs {
		codes[i] = b.Code
	}
	c.note(System, now, fmt.Sprintf("scheduled end on %s did not happen: %v", day, codes))
	return ScheduledEndBlocked, bs, nil
}

// onlyFacts reports whether every blocker is the solution's facts missing or stale.
func onlyFacts(bs []Blocker) bool {
	return !slices.ContainsFunc(bs, func(b Blocker) bool { return b.Code != FactsMissing && b.Code != FactsStale })
}

// note records on the history something done to the collaboration that leaves its status as it
// is.
func (c *Collaboration) note(by Actor, now time.Time, reason string) {
	c.history = append(c.history, Transition{At: now, Actor: by, From: c.rec.Status, To: c.rec.Status, Reason: reason})
	c.rec.UpdatedAt = now
}
