package collab

import (
	"slices"
	"time"
)

// DueKind names the time-driven work a collaboration can be waiting for; the cleanup does each
// kind when it falls due.
type DueKind string

// The kinds of time-driven work on a collaboration.
const (
	DueInvitationReminder DueKind = "invitation_reminder" // pending: the invitation expires soon, reminder not sent
	DueInvitationExpiry   DueKind = "invitation_expiry"   // pending: the invitation runs out unanswered
	DueAgreementReminder  DueKind = "agreement_reminder"  // active: the agreement period ends soon, reminder not sent
	DueAgreementEnd       DueKind = "agreement_end"       // active, reminded: the agreement period has ended
	DueTeardownStuck      DueKind = "teardown_stuck"      // ending for longer than Timing.StuckAfter
	// An end with a grace period: the countdown reminders 7 days and 1 day before the deadline,
	// then the deadline, after which the company's data goes.
	DueGraceReminder DueKind = "grace_reminder"
	DueGraceEnd      DueKind = "grace_end"
	// DueScheduledEnd is an active collaboration's scheduled end (ScheduledEnd): at its date,
	// then again while the end-check waits for the solution's facts.
	DueScheduledEnd DueKind = "scheduled_end"
	// DueRetentionEnd is an ended collaboration whose end archived the company's data: at its
	// retention date the data goes (EndRetention).
	DueRetentionEnd DueKind = "retention_end"
)

// DueKinds lists the kinds of work on collaborations, in the order the cleanup does them.
var DueKinds = []DueKind{DueInvitationReminder, DueInvitationExpiry, DueAgreementReminder, DueAgreementEnd, DueTeardownStuck,
	DueGraceReminder, DueGraceEnd, DueScheduledEnd, DueRetentionEnd}

// GraceReminders are how long before a grace period's deadline its reminders are due.
var GraceReminders = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}

// Timing says when time-driven work falls due.
type Timing struct {
	// ReminderLead is how long before an agreement period ends its reminder is due.
	ReminderLead time.Duration
	// StuckAfter is how long a collaboration may stay ending, or a queued message unconsumed,
	// before the cleanup re-drives it.
	StuckAfter time.Duration
	// InvitationReminderLead is how long before an invitation expires the company's
	// administrators are reminded of it; 0 sends no reminder.
	InvitationReminderLead time.Duration
	// FactsMaxAge is how old a solution's reported facts may be to decide an end
	// (SolutionRules.FactsBlocker); 0 accepts any age.
	FactsMaxAge time.Duration
	// CommandSends is how many times an unanswered teardown command is sent before it is raised
	// to the operators (it is still re-sent after that, at most daily).
	CommandSends int
	// GracePeriod is how long an end that deletes or archives a company's data waits before the
	// data goes (EndEffectRules.Grace); 0 for no grace period (the data goes at once).
	GracePeriod time.Duration
}

// DefaultTiming is 14 days of reminder lead, 15 minutes before work counts as stuck, 3 days of
// invitation reminder lead, facts at most an hour old, and five sends of a teardown command.
var DefaultTiming = Timing{ReminderLead: 14 * 24 * time.Hour, StuckAfter: 15 * time.Minute, InvitationReminderLead: 3 * 24 * time.Hour,
	FactsMaxAge: time.Hour, CommandSends: 5, GracePeriod: 30 * 24 * time.Hour}

// maxBackoff is the longest wait between two re-drives of the same work.
const maxBackoff = 24 * time.Hour

// Backoff is how long to wait after the n-th re-drive of stuck work before the next: StuckAfter,
// doubled with each re-drive, at most a day. So work that keeps failing is retried ever more
// slowly instead of on every cleanup run.
func (t Timing) Backoff(n int) time.Duration {
	return min(t.StuckAfter<<min(max(n, 0), 7), maxBackoff)
}

// Due says which time-driven work a collaboration in its current state waits for, and when; ok
// is false when it waits for none (active without an agreement period, or final). A pending one
// waits for its reminder first, then for its expiry.
func (t Timing) Due(r CollaborationRecord) (kind DueKind, at time.Time, ok bool) {
	switch {
	case r.Status == Pending && !r.InvitationExpiry.IsZero() && t.InvitationReminderLead > 0 && r.InvitationRemindedAt.IsZero():
		return DueInvitationReminder, r.InvitationExpiry.Add(-t.InvitationReminderLead), true
	case r.Status == Pending && !r.InvitationExpiry.IsZero():
		return DueInvitationExpiry, r.InvitationExpiry, true
	case r.scheduledEndFirst(): // an end scheduled no later than the agreement period's
		return DueScheduledEnd, r.ScheduledEnd.dueAt(t), true
	case r.Status == Active && !r.AgreementEndsAt.IsZero() && r.ReminderSentAt.IsZero():
		return DueAgreementReminder, r.AgreementEndsAt.Add(-t.ReminderLead), true
	case r.Status == Active && !r.AgreementEndsAt.IsZero():
		return DueAgreementEnd, r.AgreementEndsAt, true
	case r.Status == Ending && !r.GraceUntil.IsZero() && r.GraceReminded < graceOver && r.countsDown():
		if r.GraceReminded < len(GraceReminders) {
			return DueGraceReminder, r.GraceUntil.Add(-GraceReminders[r.GraceReminded]), true
		}
		return DueGraceEnd, r.GraceUntil, true
	case r.Status == Ending && r.Awaiting == nil: // a command waits in the outbox until acknowledged
		return DueTeardownStuck, r.UpdatedAt.Add(t.Backoff(r.Redrives)), true
	case r.Status == Ended && !r.RetainUntil.IsZero() && r.Awaiting == nil && !slices.Contains(r.StepsDone, StepDeleteData):
		return DueRetentionEnd, r.RetainUntil, true
	}
	return "", time.Time{}, false
}

// countsDown reports whether the grace period's countdown runs: the last command (the data's)
// is neither sent nor done, so the teardown waits for the deadline, and for the commands before
// it (the export) if they are not done yet; those wait in the outbox, so the collaboration's own
// due slot is free for the countdown.
func (r CollaborationRecord) countsDown() bool {
	next, ok := r.nextCommand()
	if !ok {
		return false
	}
	last := r.Commands[len(r.Commands)-1]
	return r.Awaiting == nil && next == last || r.Awaiting != nil && r.Awaiting.Step != last
}
