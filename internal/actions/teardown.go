package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
	"github.com/spiris/collab/internal/metrics"
)

// maxTeardownRounds bounds the reloads one delivery of a teardown job makes after losing a
// version race, so a bug cannot spin.
const maxTeardownRounds = 10

// Teardown runs the next stage of an ending collaboration's teardown (collab.Collaboration.Teardown):
// it reads the collaboration with the company's subscription (which decide the commands the
// solution carries out) and commits the stage in one transaction conditioned on the version read.
// A stage sends the solution its next command (sendCommand) and the job is done: the
// collaboration goes on when the solution acknowledges it (AcknowledgeTeardown), whose commit
// queues the teardown again once every command is done. The last stage changes the subscription,
// ends the collaboration, queues the e-mails and deletes the job's outbox message. So one
// delivery costs one DynamoDB call plus one for the stage. A redelivered job or a second worker
// on the same collaboration loses the version race, reloads and finds the command sent (the
// collaboration waits) or the teardown done, so every command and every e-mail happens once. A
// failing stage leaves the collaboration ending with the failure on record and returns the
// error, so the queue retries the job (and, after its maxReceiveCount, dead-letters it).
//
// The same queue carries the jobs of task changes applied in steps (Job.Task: SyncTask), and
// the events of changes that queue no other job, the commands among them (Service.relay).
func (s *Service) Teardown(ctx context.Context, j Job) error {
	if done, err := s.relay(ctx, j); done || err != nil {
		return err
	}
	if j.Task != nil {
		return s.SyncTask(ctx, j)
	}
	for range maxTeardownRounds {
		c, sub, err := s.Store.Ending(ctx, j.CollaborationID, j.CompanyID, j.Solution)
		if err != nil {
			return s.teardownUnread(ctx, j, err)
		}
		if c.Status() != collab.Ending {
			return s.Store.Consumed(ctx, j.ID) // done, by this job or another
		}
		read := c.Record()
		st, err := s.teardownStage(ctx, c, sub, j)
		switch {
		case errors.Is(err, collab.ErrConflict):
			continue // another worker or an acknowledgement moved it on; reload
		case err != nil:
			s.recordTeardownFailure(ctx, collab.RestoreCollaboration(read), err)
			return fmt.Errorf("teardown %s: %w", j.CollaborationID, err)
		case st.Waiting:
			return s.Store.Consumed(ctx, j.ID)
		}
		return nil
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
	st, err := c.Teardown(sub, s.Now(), s.Store.Timing().GracePeriod)
	if err != nil {
		return st, err
	}
	if st.Waiting {
		return st, nil
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	ch.tx.Consume(j.ID)
	for _, g := range st.Revoke {
		ch.tx.DeleteGrant(g)
	}
	if st.Command != nil {
		s.sendCommand(ch, c, st.Command)
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

// commandJobID is the id of the outbox message that carries attempt of collaboration id's
// command step: the acknowledgement deletes it without having read it.
func commandJobID(id string, step collab.Step, attempt int) string {
	return "cmd-" + id + "-" + string(step) + "-" + strconv.Itoa(attempt)
}

// sendCommand queues the solution's command cmd of collaboration c (as the change writes it) in
// a message of its own on the teardown queue, whose worker publishes it (relay). The message
// stays in the outbox until the solution acknowledges the step, so the cleanup sends it again
// while it is unanswered.
func (s *Service) sendCommand(ch *change, c *collab.Collaboration, cmd *collab.Command) {
	r := c.Committed().Record()
	id := commandJobID(r.ID, cmd.Step, cmd.Attempt)
	e := events.New(events.TeardownCommand, events.Command{
		Header:   events.Header{EventID: id, At: cmd.At, CollaborationID: r.ID, Version: r.Version},
		OfficeID: r.OfficeID, CompanyID: r.CompanyID, Solution: string(r.Solution), Step: string(cmd.Step),
		Outcome: string(r.Outcome), Attempt: cmd.Attempt, AcknowledgePath: "/collaborations/" + r.ID + "/teardown/" + string(cmd.Step),
		RetainUntil: optTime(cmd.RetainUntil)})
	ch.pending = append(ch.pending, Job{ID: id, Kind: TeardownQueue, CollaborationID: r.ID, CompanyID: r.CompanyID, Solution: r.Solution,
		Command: cmd.Step, Events: []events.Event{e}})
}
