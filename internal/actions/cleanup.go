package actions

import (
	"context"
	"errors"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/metrics"
)

// CleanupBatch is how many due items of each kind one cleanup run takes on; the rest wait for
// the next run (the schedule runs it every few minutes).
const CleanupBatch = 100

// CleanupReport says what one cleanup run did, and how many items it read to find its work.
type CleanupReport struct {
	Read             int  `json:"read"`
	InvitationsDead  int  `json:"invitationsExpired"`
	RemindersSent    int  `json:"remindersQueued"`
	AgreementsEnded  int  `json:"agreementsEnded"`
	TeardownsRedrive int  `json:"teardownsRedriven"`
	MessagesResent   int  `json:"messagesResent"`
	Skipped          int  `json:"skipped"` // changed by someone else meanwhile
	More             bool `json:"more"`    // a kind had more due items than one batch
}

// Cleanup does the time-driven work that is due at Now: expires unanswered invitations (rolling
// back a subscription their activation opened, telling the office), queues reminders before
// agreement periods end, ends collaborations whose agreement period ran out (outcome continue,
// through the ordinary teardown), re-queues teardowns stuck in ending, and re-sends queued
// messages no consumer took. It reads only due items from the sparse Due index, at most
// CleanupBatch of each kind, and every change is a conditional write: two runs at once do each
// piece of work once, the loser skipping it.
func (s *Service) Cleanup(ctx context.Context) (CleanupReport, error) {
	var rep CleanupReport
	now := s.Now()
	kinds := []struct {
		kind string
		do   func(context.Context, *collab.Collaboration, time.Time) error
		n    *int
	}{
		{dynamo.DueInvitationExpiry, s.expireInvitation, &rep.InvitationsDead},
		{dynamo.DueAgreementReminder, s.remindAgreement, &rep.RemindersSent},
		{dynamo.DueAgreementEnd, s.expireAgreement, &rep.AgreementsEnded},
		{dynamo.DueTeardownStuck, s.redriveTeardown, &rep.TeardownsRedrive},
	}
	var errs []error
	for _, k := range kinds {
		due, err := s.Store.DueWork(ctx, k.kind, now, CleanupBatch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Read += due.Read
		rep.More = rep.More || due.More
		for _, r := range due.Collaborations {
			c, err := s.Store.Collaboration(ctx, r.ID) // fresh and strongly consistent: the index lags
			if err == nil {
				err = k.do(ctx, c, now)
			}
			switch {
			case err == nil:
				*k.n++
			case collab.ErrorKind(err) == collab.ECONFLICT:
				rep.Skipped++
			default:
				errs = append(errs, err)
			}
		}
	}
	due, err := s.Store.DueWork(ctx, dynamo.DueOutbox, now, CleanupBatch)
	if err != nil {
		errs = append(errs, err)
	}
	rep.Read += due.Read
	rep.More = rep.More || due.More
	for _, m := range due.Messages {
		if err := s.Queue.Send(ctx, m); err != nil {
			errs = append(errs, err)
			continue
		}
		// Look again later, waiting longer each time, until the consumer deletes it.
		if err := s.Store.Postpone(ctx, m, now.Add(s.backoff(m.Sends+1))); err != nil {
			errs = append(errs, err)
		}
		rep.MessagesResent++
	}
	s.Metrics.Count(ctx, metrics.Expiries, rep.InvitationsDead)
	if len(errs) > 0 {
		s.Log.ErrorContext(ctx, "cleanup finished with errors", "errors", len(errs), "first", errs[0].Error())
	}
	return rep, errors.Join(errs...)
}

// backoff is how long to wait before the n-th re-send: the stuck period doubled each time, at
// most a day.
func (s *Service) backoff(n int) time.Duration {
	return min(s.Store.Timing().StuckAfter<<min(n, 7), 24*time.Hour)
}

func (s *Service) expireInvitation(ctx context.Context, c *collab.Collaboration, now time.Time) error {
	r := c.Record()
	if err := c.Expire(now); err != nil {
		return err
	}
	company, err := s.Store.Company(ctx, r.CompanyID)
	if err != nil {
		return err
	}
	ch := s.change()
	if r.InvitationHash != "" {
		if inv, err := s.Store.Invitation(ctx, r.InvitationHash); err == nil {
			inv.Revoke(now)
			ch.tx.PutInvitation(inv)
		}
	}
	ch.tx.PutCollaboration(c)
	s.rollBackSubscription(ch, r, company, now)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: EmailInvitationExpired})
	return s.commit(ctx, ch, 0, nil)
}

func (s *Service) remindAgreement(ctx context.Context, c *collab.Collaboration, now time.Time) error {
	if c.Status() != collab.Active || !c.Record().ReminderSentAt.IsZero() {
		return collab.ErrConflict
	}
	c.MarkReminderSent(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: c.ID(), Email: EmailAgreementReminder})
	return s.commit(ctx, ch, 0, nil)
}

func (s *Service) expireAgreement(ctx context.Context, c *collab.Collaboration, now time.Time) error {
	if err := c.ExpireAgreement(now); err != nil {
		return err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: c.ID(), Email: EmailAgreementExpired})
	s.enqueue(ch, Job{Kind: TeardownQueue, CollaborationID: c.ID()})
	return s.commit(ctx, ch, 0, nil)
}

func (s *Service) redriveTeardown(ctx context.Context, c *collab.Collaboration, now time.Time) error {
	if c.Status() != collab.Ending {
		return collab.ErrConflict
	}
	c.Redriven(now)
	ch := s.change()
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: TeardownQueue, CollaborationID: c.ID()})
	s.Log.WarnContext(ctx, "teardown re-driven", "collaboration", c.ID(), "redrives", c.Record().Redrives,
		"lastError", c.Record().TeardownError)
	return s.commit(ctx, ch, 0, nil)
}
