package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// maxTeardownRounds bounds the steps one delivery of a teardown job runs, so a bug cannot spin.
const maxTeardownRounds = 10

// Teardown runs the teardown plan of an ending collaboration: each step in its own transaction
// that also records the step on the collaboration under its version, then the end itself with the
// e-mails to both parties. A redelivered job or a second worker on the same collaboration loses
// the version race, reloads and carries on from the recorded progress, so every step and every
// e-mail happens once. A failing step leaves the collaboration ending with the error on record and
// returns the error, so the queue retries the job (and, after its maxReceiveCount, dead-letters it).
func (s *Service) Teardown(ctx context.Context, j Job) error {
	for range maxTeardownRounds {
		c, err := s.Store.Collaboration(ctx, j.CollaborationID)
		if collab.ErrorCode(err) == "collaboration_not_found" {
			s.Log.WarnContext(ctx, "teardown of an unknown collaboration dropped", "collaboration", j.CollaborationID, "job", j.ID)
			return s.Store.Consumed(ctx, j.ID)
		}
		if err != nil {
			return err
		}
		if c.Status() != collab.Ending {
			return s.Store.Consumed(ctx, j.ID) // done, by this job or another
		}
		err = s.teardownStep(ctx, c)
		if errors.Is(err, collab.ErrConflict) {
			continue // another worker moved it on; reload
		}
		if err != nil {
			s.recordTeardownFailure(ctx, j.CollaborationID, err)
			return fmt.Errorf("teardown %s: %w", j.CollaborationID, err)
		}
	}
	return fmt.Errorf("teardown %s: not finished after %d rounds", j.CollaborationID, maxTeardownRounds)
}

// teardownStep runs the collaboration's next step, or ends it when the plan is done.
func (s *Service) teardownStep(ctx context.Context, c *collab.Collaboration) error {
	now := s.Now()
	r := c.Record()
	ch := s.change()
	step, ok := c.NextStep()
	if !ok {
		if err := c.FinishTeardown(now); err != nil {
			return err
		}
		ch.tx.PutCollaboration(c)
		s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: EmailEnded})
		return s.commit(ctx, ch, 0, nil)
	}
	company, err := s.Store.Company(ctx, r.CompanyID)
	if err != nil {
		return err
	}
	switch step {
	case collab.StepRevokeOfficeAccess:
		for _, g := range company.Grants {
			if g.Via == r.ID {
				ch.tx.DeleteGrant(g)
			}
		}
	case collab.StepApplyOutcome:
		rules := c.Rules()
		if sub, ok := company.Subscriptions[r.Solution]; ok {
			sub.ApplyOutcome(r.Outcome, rules.EndEffect, now)
			ch.tx.PutSubscription(sub)
		}
		if r.Outcome == collab.EndSubscription {
			switch rules.EndEffect {
			case collab.EndDeleteData:
				ch.tx.DeleteFacts(r.CompanyID, r.Solution)
			case collab.EndHandOverBackup:
				s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: EmailPayrollHandover})
			}
		}
	}
	if err := c.CompleteStep(step, now); err != nil {
		return err
	}
	ch.tx.PutCollaboration(c)
	return s.commit(ctx, ch, 0, nil)
}

// recordTeardownFailure puts the failed step on the collaboration, which the API shows as
// teardownError (a code and a message, collab.TeardownFailure), and logs the cause: an AWS error
// text can name roles, the account and the table, so it goes to the log only. It is best effort:
// the job's retry is what makes the teardown happen.
func (s *Service) recordTeardownFailure(ctx context.Context, id string, cause error) {
	c, err := s.Store.Collaboration(ctx, id)
	if err == nil {
		s.Metrics.Count(ctx, metrics.TeardownFailures, 1, metrics.Dim{Name: "Solution", Value: string(c.Record().Solution)})
		if err = c.RecordTeardownFailure(s.Now()); err == nil {
			ch := s.change()
			ch.tx.PutCollaboration(c)
			err = s.commit(ctx, ch, 0, nil)
		}
	}
	s.Log.ErrorContext(ctx, "teardown step failed", "collaboration", id, "error", cause.Error(), "recorded", err == nil)
}
