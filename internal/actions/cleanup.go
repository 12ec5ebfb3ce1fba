package actions

import (
	"context"
	"errors"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// CleanupBatch is how many due items of each kind one cleanup run takes on; the rest wait for
// the next run (the schedule runs it every few minutes).
const CleanupBatch = 100

// CleanupReport says what one cleanup run did, and how many items it read to find its work.
type CleanupReport struct {
	Read             int `json:"read"`   // items the Due index queries read
	Loaded           int `json:"loaded"` // items read besides them, to decide on the due items
	InvitationsDue   int `json:"invitationRemindersQueued"`
	InvitationsDead  int `json:"invitationsExpired"`
	RemindersSent    int `json:"remindersQueued"`
	AgreementsEnded  int `json:"agreementsEnded"`
	TeardownsRedrive int `json:"teardownsRedriven"`
	// GraceReminders and GracePeriodsEnded count the grace periods' countdown e-mails queued and
	// the deadlines passed (the company's data then goes).
	GraceReminders    int  `json:"graceRemindersQueued"`
	GracePeriodsEnded int  `json:"gracePeriodsEnded"`
	MessagesResent    int  `json:"messagesResent"`
	Skipped           int  `json:"skipped"` // changed by someone else meanwhile
	More              bool `json:"more"`    // a kind had more due items than one batch

	// ScheduledEnds counts the scheduled ends checked at their date: ended, blocked (both parties
	// e-mailed), or waiting for the solution's facts (Service.endAsScheduled).
	ScheduledEnds int `json:"scheduledEndsChecked"`
	// RetentionsEnded counts the archives whose retention date passed: the solution told to
	// delete the data, or the retention dropped when the archive is in use again.
	RetentionsEnded int `json:"retentionsEnded"`
}

// Cleanup does the time-driven work that is due at Now: reminds the company's administrators of
// invitations about to expire, expires unanswered invitations (rolling back a subscription their
// activation opened, telling the office), queues reminders before agreement periods end, ends collaborations whose agreement period ran out (outcome continue,
// through the ordinary teardown), re-queues teardowns stuck in ending, and re-sends queued
// messages no consumer took. It reads only due items from the sparse Due index, at most
// CleanupBatch of each kind, and decides on the collaborations the index holds (it projects
// them whole): the index lags the table, so each write is conditioned on the version read, and a
// collaboration changed since is skipped until the next run. The expiries and the invitation
// reminders read their invitations and subscriptions, the retention ends their subscriptions, in
// one BatchGetItem per 50. So a due item costs one transaction, and reads
// at most one item more than the index query's. Two runs at once do each piece of work once, the
// loser skipping it.
func (s *Service) Cleanup(ctx context.Context) (CleanupReport, error) {
	var rep CleanupReport
	now := s.Now()
	kinds := map[collab.DueKind]struct {
		do func(context.Context, *collab.Collaboration, port.Expiring, time.Time) error
		n  *int
	}{
		collab.DueInvitationReminder: {s.remindInvitation, &rep.InvitationsDue},
		collab.DueInvitationExpiry:   {s.expireInvitation, &rep.InvitationsDead},
		collab.DueAgreementReminder:  {s.remindAgreement, &rep.RemindersSent},
		collab.DueAgreementEnd:       {s.expireAgreement, &rep.AgreementsEnded},
		collab.DueTeardownStuck:      {s.redriveTeardown, &rep.TeardownsRedrive},
		collab.DueGraceReminder:      {s.remindGrace, &rep.GraceReminders},
		collab.DueGraceEnd:           {s.endGrace, &rep.GracePeriodsEnded},
		collab.DueScheduledEnd:       {s.endAsScheduled, &rep.ScheduledEnds},
		collab.DueRetentionEnd:       {s.endRetention, &rep.RetentionsEnded},
	}
	var errs []error
	for _, kind := range collab.DueKinds {
		k := kinds[kind]
		due, err := s.Store.DueWork(ctx, string(kind), now, CleanupBatch)
		if err == nil && (kind == collab.DueInvitationExpiry || kind == collab.DueInvitationReminder || kind == collab.DueRetentionEnd) {
			var loaded int
			due.Expiring, loaded, err = s.Store.ExpiringOf(ctx, due.Collaborations)
			rep.Loaded += loaded
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Read += due.Read
		rep.More = rep.More || due.More
		for _, r := range due.Collaborations {
			k := k
			if kind == collab.DueInvitationReminder && !now.Before(r.InvitationExpiry) {
				k = kinds[collab.DueInvitationExpiry] // too late to remind: it expires
			}
			if kind == collab.DueGraceReminder && !now.Before(r.GraceUntil) {
				k = kinds[collab.DueGraceEnd] // too late to remind: the deadline has passed
			}
			switch err := k.do(ctx, collab.RestoreCollaboration(r), due.Expiring[r.ID], now); {
			case err == nil:
				*k.n++
			case collab.ErrorKind(err) == collab.ECONFLICT:
				rep.Skipped++
			default:
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, s.resend(ctx, now, &rep)...)
	s.Metrics.Count(ctx, metrics.Expiries, rep.InvitationsDead)
	if len(errs) > 0 {
		s.Log.ErrorContext(ctx, "cleanup finished with errors", "errors", len(errs), "first", errs[0].Error())
	}
	return rep, errors.Join(errs...)
}

// resend sends the outbox's overdue messages again, and looks at each again later, waiting
// longer each time (collab.Timing.Backoff), until its consumer deletes it: a teardown command's
// consumer is the solution's acknowledgement, so an unanswered command is sent again, and raised
// to the operators after CommandSends sends (unanswered).
func (s *Service) resend(ctx context.Context, now time.Time, rep *CleanupReport) []error {
	due, err := s.Store.DueWork(ctx, port.DueOutbox, now, CleanupBatch)
	if err != nil {
		return []error{err}
	}
	rep.Read += due.Read
	rep.More = rep.More || due.More
	var errs []error
	for _, m := range due.Messages {
		s.unanswered(ctx, m)
		if err := s.Queue.Send(ctx, m); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.Store.Postpone(ctx, m, now.Add(collab.Timing(s.Store.Timing()).Backoff(m.Sends+1))); err != nil {
			errs = append(errs, err)
		}
		rep.MessagesResent++
	}
	return errs
}

// expireInvitation expires a pending collaboration whose invitation ran out: the invitation is
// revoked, a subscription its activation opened rolled back, and the office told.
func (s *Service) expireInvitation(ctx context.Context, c *collab.Collaboration, e port.Expiring, now time.Time) error {
	if err := c.Expire(now); err != nil {
		return err
	}
	ch := s.change()
	if inv := e.Invitation; inv != nil {
		inv.Revoke(now)
		ch.tx.PutInvitation(*inv)
	}
	ch.tx.PutCollaboration(c)
	if sub := e.Subscription; sub != nil {
		if after, remove, ok := sub.RollBackFor(c.ID(), now); remove {
			ch.tx.DeleteSubscription(*sub)
		} else if ok {
			ch.tx.PutSubscription(after)
		}
	}
	s.enqueue(ch, emailAbout(c.Record(), EmailInvitationExpired))
	return s.write(ctx, ch)
}

// remindInvitation queues the reminder of a pending collaboration's invitation, with its link, to
// the company's administrators (Cleanup expires one past its expiry instead).
func (s *Service) remindInvitation(ctx context.Context, c *collab.Collaboration, e port.Expiring, now time.Time) error {
	if e.Invitation == nil || e.Invitation.TokenHash != c.Record().InvitationHash {
		return collab.ErrConflict // the index lags a resend or an answer; the next run sees it
	}
	if err := c.RemindInvitation(now); err != nil {
		return err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: c.ID(), Email: collab.EmailInvitationReminder, Nonce: e.Invitation.Nonce})
	return s.write(ctx, ch)
}

func (s *Service) remindAgreement(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	if c.Status() != collab.Active || !c.Record().ReminderSentAt.IsZero() {
		return collab.ErrConflict
	}
	c.MarkReminderSent(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, emailAbout(c.Record(), EmailAgreementReminder))
	return s.write(ctx, ch)
}

func (s *Service) expireAgreement(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	if err := c.ExpireAgreement(now); err != nil {
		return err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, emailAbout(c.Record(), EmailAgreementExpired))
	s.enqueue(ch, teardownJob(c.Record()))
	return s.write(ctx, ch)
}

func (s *Service) redriveTeardown(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	if c.Status() != collab.Ending {
		return collab.ErrConflict
	}
	c.Redriven(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, teardownJob(c.Record()))
	s.Log.WarnContext(ctx, "teardown re-driven", "collaboration", c.ID(), "redrives", c.Record().Redrives,
		"lastError", c.Record().TeardownError)
	return s.write(ctx, ch)
}

// remindGrace queues a countdown reminder of a grace period's deadline to the company's
// administrators: the latest one due, when the cleanup comes late (Cleanup ends the grace period
// instead once its deadline has passed, so no reminder offers an undo no longer possible).
func (s *Service) remindGrace(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	if c.Status() != collab.Ending || c.Record().GraceUntil.IsZero() {
		return collab.ErrConflict
	}
	send := c.RemindGrace(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	if send {
		s.enqueue(ch, emailAbout(c.Record(), collab.EmailGraceReminder))
	}
	return s.write(ctx, ch)
}

// endGrace records that a grace period's deadline has passed and queues the teardown, which then
// sends the solution the command that archives or deletes the company's data.
func (s *Service) endGrace(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	if c.Status() != collab.Ending || c.Record().GraceUntil.IsZero() || now.Before(c.Record().GraceUntil) {
		return collab.ErrConflict
	}
	c.EndGrace(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	if c.Record().Awaiting == nil { // else the acknowledgement of the command sends the last one
		s.enqueue(ch, teardownJob(c.Record()))
	}
	return s.write(ctx, ch)
}

// endRetention has the solution delete the data an ended collaboration left archived, now that
// its retention date has passed (collab.Collaboration.EndRetention): the subscription ends (as
// read), what the solution reported about the company goes with the data, and the deletion is
// sent as a teardown command, which the solution acknowledges on the collaboration.
func (s *Service) endRetention(ctx context.Context, c *collab.Collaboration, e port.Expiring, now time.Time) error {
	end, err := c.EndRetention(e.Subscription, now)
	if err != nil {
		return err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	if end.Command != nil {
		ch.tx.PutSubscription(*end.Subscription)
		ch.tx.DeleteFacts(c.Record().CompanyID, c.Record().Solution)
		s.sendCommand(ch, c, end.Command)
	}
	return s.write(ctx, ch)
}
