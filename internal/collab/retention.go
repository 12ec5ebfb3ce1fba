package collab

import (
	"slices"
	"time"
)

// RetentionEnd is what the end of an archive's retention changes besides the collaboration, for
// storage to commit with it in one transaction.
type RetentionEnd struct {
	// Command is the deletion the solution is told to carry out; nil when the archive is no
	// longer this collaboration's to delete.
	Command *Command
	// Subscription is the company's subscription as the deletion leaves it (ended, nothing
	// retained), to be written at the version it was read at; nil with no Command.
	Subscription *Subscription
}

// EndRetention is the cleanup at an ended collaboration's retention date (RetainUntil), on the
// company's subscription as read (nil when there is none). While the subscription still keeps
// this end's archive (read-only, retained until that date), the solution is told to delete it
// (StepDeleteData, acknowledged like a teardown command) and the subscription ends: the archive
// is no longer available. When the company has used the solution again since, or a later end
// archived it until a later date, the archive is not this collaboration's to delete: its
// retention date is dropped, on the history, and nothing is deleted. It returns ECONFLICT
// retention_not_due when the collaboration is not ended with an archive due for deletion at now.
func (c *Collaboration) EndRetention(sub *Subscription, now time.Time) (RetentionEnd, error) {
	r := c.rec
	if r.Status != Ended || r.RetainUntil.IsZero() || now.Before(r.RetainUntil) || r.Awaiting != nil || slices.Contains(r.StepsDone, StepDeleteData) {
		return RetentionEnd{}, Errorf(ECONFLICT, "retention_not_due", "nothing to do: the archive is not due for deletion",
			"the collaboration keeps no archive due for deletion")
	}
	name := c.Rules().Name
	if sub == nil || sub.Status != SubscriptionReadOnly || !sub.RetainUntil.Equal(r.RetainUntil) {
		c.rec.RetainUntil = time.Time{}
		c.note(System, now, "retention date passed; the archive in "+name+" is in use again or kept for a later end, so nothing is deleted")
		return RetentionEnd{}, nil
	}
	after := *sub
	after.Status, after.RetainUntil, after.UpdatedAt = SubscriptionEnded, time.Time{}, now
	c.rec.Commands = append(slices.Clone(c.rec.Commands), StepDeleteData)
	c.note(System, now, "retention date passed: "+name+" is told to delete the archived data")
	return RetentionEnd{Command: c.send(StepDeleteData, 1, now), Subscription: &after}, nil
}

// deletingArchive reports whether the collaboration ended with an archive that the solution is
// deleting at its retention date: it waits on the acknowledgement of that deletion.
func (r CollaborationRecord) deletingArchive() bool {
	return r.Status == Ended && !r.RetainUntil.IsZero() && r.Awaiting != nil && r.Awaiting.Step == StepDeleteData
}

// archiveDeleted records that the solution deleted the archive at its retention date.
func (c *Collaboration) archiveDeleted(now time.Time) AckResult {
	c.note(System, now, c.Rules().Name+" deleted the archived data at its retention date")
	return AckResult{Changed: true, ArchiveDeleted: true}
}
