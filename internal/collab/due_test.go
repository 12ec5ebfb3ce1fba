package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestDueWorkFollowsTheState(t *testing.T) {
	timing := collab.Timing{ReminderLead: 14 * 24 * time.Hour, StuckAfter: 15 * time.Minute}
	ends := t0.Add(90 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		lead time.Duration // the invitation reminder's; none without
		rec  collab.CollaborationRecord
		kind collab.DueKind // "" for nothing due
		at   time.Time
	}{
		{name: "pending_is_due_when_its_invitation_expires",
			rec: collab.CollaborationRecord{Status: collab.Pending, InvitationExpiry: t0}, kind: collab.DueInvitationExpiry, at: t0},
		{name: "pending_without_an_invitation_waits_for_nothing", rec: collab.CollaborationRecord{Status: collab.Pending}},
		{name: "pending_is_reminded_before_its_invitation_expires", lead: 3 * 24 * time.Hour,
			rec: collab.CollaborationRecord{Status: collab.Pending, InvitationExpiry: t0}, kind: collab.DueInvitationReminder, at: t0.Add(-3 * 24 * time.Hour)},
		{name: "pending_and_reminded_is_due_when_its_invitation_expires", lead: 3 * 24 * time.Hour,
			rec: collab.CollaborationRecord{Status: collab.Pending, InvitationExpiry: t0, InvitationRemindedAt: t0.Add(-time.Hour)}, kind: collab.DueInvitationExpiry, at: t0},
		{name: "active_with_an_agreement_is_reminded_before_it_ends",
			rec: collab.CollaborationRecord{Status: collab.Active, AgreementEndsAt: ends}, kind: collab.DueAgreementReminder, at: ends.Add(-14 * 24 * time.Hour)},
		{name: "active_and_reminded_is_due_when_the_agreement_ends",
			rec: collab.CollaborationRecord{Status: collab.Active, AgreementEndsAt: ends, ReminderSentAt: t0}, kind: collab.DueAgreementEnd, at: ends},
		{name: "active_without_an_agreement_waits_for_nothing", rec: collab.CollaborationRecord{Status: collab.Active}},
		{name: "ending_is_stuck_after_fifteen_minutes",
			rec: collab.CollaborationRecord{Status: collab.Ending, UpdatedAt: t0}, kind: collab.DueTeardownStuck, at: t0.Add(15 * time.Minute)},
		{name: "ending_redriven_twice_waits_an_hour",
			rec: collab.CollaborationRecord{Status: collab.Ending, UpdatedAt: t0, Redrives: 2}, kind: collab.DueTeardownStuck, at: t0.Add(time.Hour)},
		{name: "ending_redriven_often_waits_a_day_at_most",
			rec: collab.CollaborationRecord{Status: collab.Ending, UpdatedAt: t0, Redrives: 40}, kind: collab.DueTeardownStuck, at: t0.Add(24 * time.Hour)},
		{name: "ended_waits_for_nothing", rec: collab.CollaborationRecord{Status: collab.Ended, AgreementEndsAt: ends}},
		{name: "expired_waits_for_nothing", rec: collab.CollaborationRecord{Status: collab.Expired, InvitationExpiry: t0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			timing := timing
			timing.InvitationReminderLead = c.lead
			kind, at, ok := timing.Due(c.rec)
			if ok != (c.kind != "") || kind != c.kind || !at.Equal(c.at) {
				t.Fatalf("due %q at %v (%v), want %q at %v", kind, at, ok, c.kind, c.at)
			}
		})
	}
}

func TestBackoffDoublesUpToADay(t *testing.T) {
	timing := collab.Timing{StuckAfter: 15 * time.Minute}
	for n, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
		8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
		if got := timing.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
	if got := timing.Backoff(-1); got != 15*time.Minute {
		t.Errorf("Backoff(-1) = %v, want the stuck period", got)
	}
}

func TestAnInvitationIsRemindedOnceAndAgainForANewOne(t *testing.T) {
	for _, c := range []struct {
		name string
		rec  collab.CollaborationRecord
		code string // "" for reminded
	}{
		{"pending_not_yet_reminded", collab.CollaborationRecord{Status: collab.Pending, InvitationExpiry: t0}, ""},
		{"pending_reminded_already", collab.CollaborationRecord{Status: collab.Pending, InvitationExpiry: t0, InvitationRemindedAt: t0}, "invitation_reminded"},
		{"active_is_not_reminded", collab.CollaborationRecord{Status: collab.Active}, "collaboration_not_pending"},
	} {
		t.Run(c.name, func(t *testing.T) {
			col := collab.RestoreCollaboration(c.rec)
			err := col.RemindInvitation(t0.Add(time.Minute))
			if got := collab.ErrorCode(err); err != nil && got != c.code || err == nil && c.code != "" {
				t.Fatalf("code %q, want %q", got, c.code)
			}
			if c.code == "" && !col.Record().InvitationRemindedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("reminded at %v", col.Record().InvitationRemindedAt)
			}
		})
	}
	col := collab.RestoreCollaboration(collab.CollaborationRecord{Status: collab.Pending, InvitationRemindedAt: t0})
	if err := col.Invite(collab.Invitation{ExpiresAt: t0.Add(30 * 24 * time.Hour)}); err != nil || !col.Record().InvitationRemindedAt.IsZero() {
		t.Fatalf("a new invitation keeps the old reminder: %v %v", col.Record().InvitationRemindedAt, err)
	}
}
