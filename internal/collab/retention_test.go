package collab_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// archived returns a Scanner collaboration whose end archived the company's data, as the
// teardown leaves it (every command done, ended, the retention date on it), and the
// subscription as that end left it.
func archived(t *testing.T) (*collab.Collaboration, collab.Subscription) {
	t.Helper()
	r := at(collab.Ending, "scanner").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	sub := collab.Subscription{CompanyID: r.CompanyID, Solution: r.Solution, Status: collab.SubscriptionActive, Version: 4,
		Uses: []collab.SubscriptionUse{collab.UseOf(r, t0.Add(-time.Hour))}}
	now := t0
	for {
		st, err := c.Teardown(&sub, now, grace)
		if err != nil {
			t.Fatal(err)
		}
		if st.Ended {
			return c, *st.Subscription
		}
		if st.Waiting && c.Record().Awaiting == nil { // the grace period's deadline
			now = c.Record().GraceUntil
			continue
		}
		if st.Command == nil {
			t.Fatalf("teardown stage %+v sends nothing", st)
		}
		if st.Command.Step == collab.StepArchiveData && !st.Command.RetainUntil.Equal(collab.RetentionDate(now, 7)) {
			t.Errorf("the archive command keeps the data until %v, want %v", st.Command.RetainUntil, collab.RetentionDate(now, 7))
		}
		for c.Record().Awaiting != nil {
			ackDone(t, c, c.Record().Awaiting.Step)
		}
	}
}

// TestAnArchiveIsDeletedAtItsRetentionDate: an end that archives the company's data keeps the
// retention date its archive command named on the collaboration and the subscription; the
// collaboration is due for it then, and only then; at the date the solution is told to delete
// the data (the command names the date), the subscription ends, and the solution's
// acknowledgement on the ended collaboration records the deletion once.
func TestAnArchiveIsDeletedAtItsRetentionDate(t *testing.T) {
	c, sub := archived(t)
	r := c.Record()
	if c.Status() != collab.Ended || r.RetainUntil.IsZero() || !sub.RetainUntil.Equal(r.RetainUntil) || sub.Status != collab.SubscriptionReadOnly {
		t.Fatalf("after the end: %s, retained until %v; subscription %s until %v", c.Status(), r.RetainUntil, sub.Status, sub.RetainUntil)
	}
	if r.RetainUntil.Month() != time.December || r.RetainUntil.Day() != 31 || r.RetainUntil.Year() != r.GraceUntil.Year()+7 {
		t.Errorf("retained until %v, want the end of the seventh year after the end's (%d)", r.RetainUntil, r.GraceUntil.Year())
	}
	kind, due, ok := collab.DefaultTiming.Due(r)
	if !ok || kind != collab.DueRetentionEnd || !due.Equal(r.RetainUntil) {
		t.Fatalf("due %s at %v (%v), want %s at %v", kind, due, ok, collab.DueRetentionEnd, r.RetainUntil)
	}
	if _, err := c.EndRetention(&sub, r.RetainUntil.Add(-time.Second)); collab.ErrorCode(err) != "retention_not_due" {
		t.Errorf("before the date: %v, want retention_not_due", err)
	}

	now := r.RetainUntil.Add(time.Hour)
	end, err := c.EndRetention(&sub, now)
	if err != nil {
		t.Fatal(err)
	}
	if end.Command == nil || end.Command.Step != collab.StepDeleteData || !end.Command.RetainUntil.Equal(r.RetainUntil) || end.Command.Attempt != 1 {
		t.Fatalf("command %+v, want delete_data naming %v", end.Command, r.RetainUntil)
	}
	if s := end.Subscription; s == nil || s.Status != collab.SubscriptionEnded || !s.RetainUntil.IsZero() || s.Version != sub.Version {
		t.Errorf("subscription %+v, want it ended, nothing retained, at the version read", s)
	}
	if _, _, ok := collab.DefaultTiming.Due(c.Record()); ok {
		t.Error("due again while the deletion waits for its acknowledgement (its outbox message is re-sent)")
	}
	if _, err := c.EndRetention(end.Subscription, now); collab.ErrorCode(err) != "retention_not_due" {
		t.Errorf("a second cleanup: %v, want retention_not_due", err)
	}
	if cmd, err := c.Redrive(now); err != nil || cmd == nil || cmd.Attempt != 2 || !cmd.RetainUntil.Equal(r.RetainUntil) {
		t.Errorf("re-drive: %+v, %v; want attempt 2 of delete_data", cmd, err)
	}

	res, err := c.AcknowledgeStep(collab.StepDeleteData, collab.Acknowledgement{Done: true}, now)
	if err != nil || !res.Changed || !res.ArchiveDeleted || res.Command != nil || res.Finish {
		t.Fatalf("acknowledgement: %+v, %v; want the archive deleted", res, err)
	}
	if again, err := c.AcknowledgeStep(collab.StepDeleteData, collab.Acknowledgement{Done: true}, now); err != nil || again.Changed {
		t.Errorf("the same acknowledgement again: %+v, %v; want no change", again, err)
	}
	r = c.Record()
	if c.Status() != collab.Ended || r.Awaiting != nil || !slices.Contains(r.StepsDone, collab.StepDeleteData) || !slices.Contains(r.Commands, collab.StepDeleteData) {
		t.Errorf("after the deletion: %s, awaiting %+v, steps %v done %v", c.Status(), r.Awaiting, r.Commands, r.StepsDone)
	}
	if _, _, ok := collab.DefaultTiming.Due(r); ok {
		t.Error("due after the deletion")
	}
	reasons := ""
	for _, tr := range c.NewTransitions() {
		reasons += tr.Reason + "\n"
	}
	if !strings.Contains(reasons, "told to delete the archived data") || !strings.Contains(reasons, "deleted the archived data at its retention date") {
		t.Errorf("history:\n%s", reasons)
	}
}

// TestAnArchiveInUseAgainIsNotDeleted: when the company has used the solution again since the
// end, or a later end archived it until a later date, the retention date of this end no longer
// decides anything: it is dropped, on the history, and nothing is deleted.
func TestAnArchiveInUseAgainIsNotDeleted(t *testing.T) {
	for name, change := range map[string]func(s *collab.Subscription){
		"subscribed again": func(s *collab.Subscription) { s.Status = collab.SubscriptionActive },
		"archived later":   func(s *collab.Subscription) { s.RetainUntil = s.RetainUntil.AddDate(2, 0, 0) },
		"gone":             nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, sub := archived(t)
			now := c.Record().RetainUntil
			var read *collab.Subscription
			if change != nil {
				change(&sub)
				read = &sub
			}
			end, err := c.EndRetention(read, now)
			if err != nil || end.Command != nil || end.Subscription != nil {
				t.Fatalf("%+v, %v; want nothing deleted", end, err)
			}
			if r := c.Record(); !r.RetainUntil.IsZero() || r.Awaiting != nil {
				t.Errorf("retained until %v, awaiting %+v; want the retention dropped", r.RetainUntil, r.Awaiting)
			}
			if _, _, ok := collab.DefaultTiming.Due(c.Record()); ok {
				t.Error("still due")
			}
			if trs := c.NewTransitions(); len(trs) == 0 || !strings.Contains(trs[len(trs)-1].Reason, "nothing is deleted") {
				t.Errorf("history %+v", trs)
			}
		})
	}
}

// TestOnlyTheArchivesDeletionIsAcknowledgedOnAnEndedCollaboration: an ended collaboration
// waits on no command but the deletion of its archive; other answers are step_not_pending.
func TestOnlyTheArchivesDeletionIsAcknowledgedOnAnEndedCollaboration(t *testing.T) {
	c, _ := archived(t)
	for _, step := range []collab.Step{collab.StepDeleteData, collab.StepSetReadOnly} {
		if _, err := c.AcknowledgeStep(step, collab.Acknowledgement{Reason: "disk full"}, t0); collab.ErrorCode(err) != "step_not_pending" {
			t.Errorf("%s failed before the retention date: %v, want step_not_pending", step, err)
		}
	}
	if _, err := c.Redrive(t0); collab.ErrorCode(err) != "collaboration_not_ending" {
		t.Errorf("re-drive of an archive not being deleted: %v", err)
	}
}

// TestTheRetentionDateCountsFromWhenTheDataBecameReadOnly: an end on 20 December whose grace
// period runs into January is kept until the end of the seventh year after December's year: no
// record is made after the company's access became read-only. An undo drops the date.
func TestTheRetentionDateCountsFromWhenTheDataBecameReadOnly(t *testing.T) {
	r := at(collab.Ending, "travel-expenses").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	ended := time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC)
	if _, err := c.Teardown(nil, ended, grace); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2033, 12, 31, 23, 59, 59, 0, time.UTC)
	if got := c.Record().RetainUntil; !got.Equal(want) {
		t.Fatalf("retained until %v at the grace period's start, want %v", got, want)
	}
	for c.Record().Awaiting != nil {
		ackDone(t, c, c.Record().Awaiting.Step)
	}
	st, err := c.Teardown(nil, c.Record().GraceUntil, grace)
	if err != nil || st.Command == nil || st.Command.Step != collab.StepArchiveData || !st.Command.RetainUntil.Equal(want) {
		t.Fatalf("after the deadline in %d: %+v, %v; want archive_data until %v", c.Record().GraceUntil.Year(), st.Command, err, want)
	}

	undone := collab.RestoreCollaboration(r)
	if _, err := undone.Teardown(nil, ended, grace); err != nil {
		t.Fatal(err)
	}
	if _, err := undone.UndoEnd(admin, ended.Add(time.Hour)); err != nil || !undone.Record().RetainUntil.IsZero() {
		t.Errorf("after an undo: %v, retained until %v", err, undone.Record().RetainUntil)
	}
}
