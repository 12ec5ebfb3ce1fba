package actions

import (
	"context"
	"fmt"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// TaskJob is the job of a task change applied in steps: the task, whose stored Target says
// what it becomes.
type TaskJob struct {
	OfficeID string `json:"officeId"`
	TaskID   string `json:"taskId"`
}

// stepItems is how many writes one step of a task change commits at most, under DynamoDB's 100
// with room for the job's own outbox delete.
const stepItems = 90

// maxSyncRounds bounds the steps one delivery of a task job runs, so a bug cannot spin: a change
// of 50 assignees on 7 collaborations takes about a dozen.
const maxSyncRounds = 60

// taskChangeInSteps is the change that starts changing task before (as read) to after in steps,
// when it is too large for one transaction: the task records its target (collab.TaskTarget) and
// a job applies it (SyncTask). Nothing else changes yet, so access stays the old task's.
func (s *Service) taskChangeInSteps(before, after collab.Task) *change {
	marked := before
	marked.Target = &collab.TaskTarget{CustomerNo: after.CustomerNo, Name: after.Name, Assignees: after.Assignees, From: before.Origin()}
	ch := s.change()
	ch.tx.ReplaceTask(before, marked)
	s.enqueue(ch, Job{Kind: TeardownQueue, Task: &TaskJob{OfficeID: before.OfficeID, TaskID: before.ID}})
	return ch
}

// SyncTask applies a task change too large for one transaction, in the order collab.TaskStep
// gives, one transaction per step: the task's employees who leave it lose their access first,
// then the task takes its new employees, and the open collaborations grant them access, a few at
// a time. Every step reads the task and its collaborations afresh and commits on their versions,
// so a redelivered job, a crash between steps or a newer change of the task (which replaces the
// target) only makes it carry on from where things stand; the last step deletes the job's outbox
// message, and the cleanup re-sends one that a crash left.
func (s *Service) SyncTask(ctx context.Context, j Job) error {
	for range maxSyncRounds {
		f, err := s.Store.OfficeItems(ctx, port.OfficeRefs{OfficeID: j.Task.OfficeID, TaskID: j.Task.TaskID})
		if err != nil {
			return err
		}
		done, err := s.taskStep(ctx, f.Task, j)
		switch {
		case collab.ErrorCode(err) == "concurrent_update":
			continue // something else changed the task or a collaboration: read again
		case err != nil:
			return fmt.Errorf("sync task %s: %w", j.Task.TaskID, err)
		case done:
			return nil
		}
	}
	return fmt.Errorf("sync task %s: not finished after %d steps", j.Task.TaskID, maxSyncRounds)
}

// taskStep commits the next step of task's change and reports whether the change is over.
func (s *Service) taskStep(ctx context.Context, task collab.Task, j Job) (bool, error) {
	if task.ID == "" || task.Target == nil {
		return true, s.Store.Consumed(ctx, j.ID) // done, or the task went
	}
	if task.NextTaskStep(false) == collab.TaskToMidway { // the task first, its collaborations after
		ch := s.change()
		ch.tx.ReplaceTask(task, task.Midway())
		return false, s.write(ctx, ch)
	}
	follow := task
	if !task.Reached() {
		follow = task.Midway()
	}
	ch, followed, err := s.followChunk(ctx, follow)
	if err != nil {
		return false, err
	}
	switch task.NextTaskStep(followed) {
	case collab.TaskToTarget:
		ch.tx.ReplaceTask(task, task.AtTarget())
	case collab.TaskDone:
		done := task
		done.Target = nil
		ch.tx.ReplaceTask(task, done)
		ch.tx.Consume(j.ID)
		return true, s.write(ctx, ch)
	}
	return false, s.write(ctx, ch)
}

// followChunk returns the change that makes up to stepItems writes' worth of task's open
// collaborations (of its customer and of the one it moves from) follow it, with their grants,
// and whether every one follows it already.
func (s *Service) followChunk(ctx context.Context, task collab.Task) (*change, bool, error) {
	open, err := s.Store.OpenCollaborations(ctx, task.OfficeID, task.Customers(""))
	if err != nil {
		return nil, false, err
	}
	ch, items, now := s.change(), 0, s.Now()
	for _, r := range open {
		c := collab.RestoreCollaboration(r)
		if !c.FollowTask(task, collab.System, now) {
			continue
		}
		give, take := r.Regrant(r.Assignees, c.Record().Assignees)
		n := 1 + len(give) + len(take)
		if items > 0 && items+n > stepItems {
			return ch, false, nil
		}
		ch.tx.PutCollaboration(c)
		regrant(ch, r, r.Assignees, c.Record().Assignees)
		items += n
	}
	return ch, items == 0, nil
}
