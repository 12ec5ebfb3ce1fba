package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// maxTeardownRounds bounds the stages one delivery of a teardown job runs, so a bug cannot spin.
const maxTeardownRounds = 10

// Teardown runs the teardown plan of an ending collaboration (collab.SolutionRules.TeardownPlan):
// it reads the collaboration (everything else a stage changes follows from it: the grants to
// revoke from its assignees, the subscription's end from its solution and outcome), and commits
// each stage the domain decides in one transaction conditioned on the version read, going on
// from the committed collaboration (collab.Collaboration.Committed) without reading it again;
// the last stage also ends the collaboration, queues the e-mails and deletes the job's outbox
// message. So one delivery costs one DynamoDB call plus one per stage. A redelivered job or a
// second worker on the same collaboration loses the version race, reloads and carries on from
// the recorded progress, so every step and every e-mail happens once. A failing stage leaves the
// collaboration ending with the failure on record and returns the error, so the queue retries
// the job (and, after its maxReceiveCount, dead-letters it).
//
// The same queue carries the jobs of task changes applied in steps (Job.Task: SyncTask), and
// the events of changes that queue no other job (Service.relay).
func (s *Service) Teardown(ctx context.Context, j Job) error {
	if done, err := s.relay(ctx, j); done || err != nil {
		return err
	}
	if j.Task != nil {
		return s.SyncTask(ctx, j)
	}
	var c *collab.Collaboration
	var sub *collab.Subscription
	for range maxTeardownRounds {
		if c == nil {
			var err error
			if c, sub, err = s.Store.Ending(ctx, j.CollaborationID, j.CompanyID, j.Solution); err != nil {
				return s.teardownUnread(ctx, j, err)
			}
		}
		if c.Status() != collab.Ending {
			return s.Store.Consumed(ctx, j.ID) // done, by this job or another
		}
		read := c.Record()
		st, err := s.teardownStage(ctx, c, sub, j)
		switch {
		case errors.Is(err, collab.ErrConflict):
			c = nil // another worker moved it on; reload
		case err != nil:
			s.recordTeardownFailure(ctx, collab.RestoreCollaboration(read), err)
			return fmt.Errorf("teardown %s: %w", j.CollaborationID, err)
		case st.Ended:
			return nil
		case st.Subscription != nil:
			c = nil // reload the subscription the stage wrote with the collaboration
		default:
			c = c.Committed()
		}
	}
	return fmt.Errorf("teardown %s: not finished after %d rounds", j.CollaborationID, maxTeardownRounds)
}

// teardownJob is the job that tears collaboration r down, naming its subscription.
func teardownJob(r collab.CollaborationRecord) Job {
	return Job{Kind: TeardownQueue, CollaborationID: r.ID, CompanyID: r.CompanyID, Solution: r.Solution}
}

// teardownUnread handles a collaboration the teardown could not read: one that is gone drops the
// job (nothing is left to tear down); any other error is the queue's to retry.
func (s *Service) teardownUnread(ctx context.Context, j Job, err error) error {
	if collab.ErrorCode(err) != "collaboration_not_found" {
		return err
	}
	s.Log.WarnContext(ctx, "teardown of an unknown collaboration dropped", "collaboration", j.CollaborationID, "job", j.ID)
	return s.Store.Consumed(ctx, j.ID)
}

// teardownStage runs and commits the next stage of c's teardown, with the company's
// subscription sub as read, and returns it.
func (s *Service) teardownStage(ctx context.Context, c *collab.Collaboration, sub *collab.Subscription, j Job) (collab.TeardownStage, error) {
	st, err := c.Teardown(sub, s.Now())
	if err != nil {
		return st, err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	for _, g := range st.Revoke {
		ch.tx.DeleteGrant(g)
	}
	if st.Subscription != nil {
		ch.tx.PutSubscription(*st.Subscription)
	}
	if r := c.Record(); st.DeleteFacts {
		ch.tx.DeleteFacts(r.CompanyID, r.Solution)
	}
	for _, kind := range st.Emails {
		job := emailAbout(c.Record(), kind)
		job.About.Effect = st.Effect
		s.enqueue(ch, job)
	}
	if st.Ended {
		ch.tx.Consume(j.ID)
	}
	return st, s.write(ctx, ch)
}

// recordTeardownFailure puts the failed step on the collaboration (as read before the stage),
// which the API shows as teardownError (a code and a message, collab.TeardownFailure), and logs
// the cause: an AWS error text can name roles, the account and the table, so it goes to the log
// only. It is best effort: the job's retry is what makes the teardown happen.
func (s *Service) recordTeardownFailure(ctx context.Context, c *collab.Collaboration, cause error) {
	s.Metrics.Count(ctx, metrics.TeardownFailures, 1, metrics.Dim{Name: "Solution", Value: string(c.Record().Solution)})
	err := c.RecordTeardownFailure(s.Now())
	if err == nil {
		ch := s.change()
		ch.tx.PutCollaboration(c)
		err = s.write(ctx, ch)
	}
	s.Log.ErrorContext(ctx, "teardown step failed", "collaboration", c.ID(), "error", cause.Error(), "recorded", err == nil)
}
