package actions

import (
	"context"
	"encoding/json"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// AcknowledgeInput is a solution's answer to a teardown command.
type AcknowledgeInput struct {
	Result string `json:"result"` // "done" or "failed"
	Reason string `json:"reason"` // why it failed
	// Backup is where the company downloads the backup file, for hand_over_backup done.
	Backup *Download `json:"backup"`
	// Export is where the main contact downloads the export of the company's data, for
	// export_data done.
	Export *Download `json:"export"`
}

// Download is a file the company downloads from a solution, and until when.
type Download struct {
	URL            string `json:"url"`
	AvailableUntil string `json:"availableUntil"` // RFC 3339
}

// AcknowledgementView is the answer to an acknowledgement: the collaboration's status and where
// its teardown stands.
type AcknowledgementView struct {
	CollaborationID string        `json:"collaborationId"`
	Status          collab.Status `json:"status"`
	Teardown        *TeardownView `json:"teardown,omitempty"`
}

// AcknowledgeTeardown records a solution's answer to the command of teardown step step of
// collaboration id (collab.Collaboration.AcknowledgeStep). Only the integration of the
// collaboration's solution may answer; another solution's collaboration is not found. It reads
// the collaboration (one GetItem) and commits the answer conditioned on the version read: done
// deletes the command's outbox message and sends the next command, or queues the teardown's
// last stage, or, for the deletion of an archive at its retention date, records it on the
// subscription (ArchiveDeleted); failed deletes the message too (nothing is re-sent until an operator re-drives
// the teardown: Redrive) and raises the failure to the operators (the TeardownCommandsFailed
// metric). The same answer again changes nothing and answers the same. It returns EUNAUTHORIZED
// unauthenticated; EFORBIDDEN service_only, integration_unknown, integration_not_for_solution;
// EINVALID id_invalid, step_unknown, result_invalid, reason_missing, backup_missing,
// backup_url_invalid, backup_until_invalid, backup_expired; ENOTFOUND collaboration_not_found;
// ECONFLICT step_not_pending, concurrent_update.
func (s *Service) AcknowledgeTeardown(ctx context.Context, caller Caller, id, step string, in AcknowledgeInput) (AcknowledgementView, error) {
	if caller.Service == "" {
		return AcknowledgementView{}, s.integrationFor(caller, "")
	}
	if err := collab.CheckID("id", id); err != nil {
		return AcknowledgementView{}, err
	}
	var backupURL, until string
	d := in.Backup
	if step == string(collab.StepExportData) {
		d = in.Export
	}
	if d != nil {
		backupURL, until = d.URL, d.AvailableUntil
	}
	st, a, err := collab.ParseAcknowledgement(step, in.Result, in.Reason, backupURL, until, s.Now())
	if err != nil {
		return AcknowledgementView{}, err
	}
	c, err := s.Store.Collaboration(ctx, id)
	if err != nil {
		return AcknowledgementView{}, err
	}
	if err := s.integrationFor(caller, c.Record().Solution); err != nil {
		if collab.ErrorCode(err) == "integration_not_for_solution" {
			return AcknowledgementView{}, collab.ErrCollaborationNotFound // another solution's: not revealed
		}
		return AcknowledgementView{}, err
	}
	waited := c.Record().Awaiting
	res, err := c.AcknowledgeStep(st, a, s.Now())
	if err != nil || !res.Changed {
		return acknowledgementView(c.Record()), err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	ch.tx.Consume(commandJobID(id, waited.Step, waited.Attempt))
	switch {
	case res.Command != nil:
		s.sendCommand(ch, c, res.Command)
	case res.Finish:
		s.enqueue(ch, teardownJob(c.Record()))
	case res.ArchiveDeleted:
		ch.tx.ArchiveDeleted(c.Record().CompanyID, c.Record().Solution, s.Now())
	}
	for _, kind := range res.Emails {
		s.enqueue(ch, emailAbout(c.Record(), kind))
	}
	if err := s.write(ctx, ch); err != nil {
		return AcknowledgementView{}, err
	}
	if !a.Done {
		s.Metrics.Count(ctx, metrics.CommandsFailed, 1, metrics.Dim{Name: "Solution", Value: string(c.Record().Solution)})
		s.Log.WarnContext(ctx, "a solution answered a teardown command failed", "collaboration", id, "step", string(st))
	}
	return acknowledgementView(c.Committed().Record()), nil
}

func acknowledgementView(r collab.CollaborationRecord) AcknowledgementView {
	return AcknowledgementView{CollaborationID: r.ID, Status: r.Status, Teardown: teardownView(r)}
}

// Redrive is an operator's re-drive of collaboration id's teardown (the cleanup function invoked
// with {"redrive": id}: docs/deploy.md's runbook): the command it waits on goes to the solution
// again as the next attempt, its failure cleared, or the teardown is queued again when it waits
// on none. It returns ENOTFOUND collaboration_not_found; ECONFLICT collaboration_not_ending,
// concurrent_update.
func (s *Service) Redrive(ctx context.Context, id string) (CollaborationView, error) {
	if err := collab.CheckID("id", id); err != nil {
		return CollaborationView{}, err
	}
	c, err := s.Store.Collaboration(ctx, id)
	if err != nil {
		return CollaborationView{}, err
	}
	waited := c.Record().Awaiting
	cmd, err := c.Redrive(s.Now())
	if err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	if cmd != nil {
		ch.tx.Consume(commandJobID(id, waited.Step, waited.Attempt)) // gone already if it failed
		s.sendCommand(ch, c, cmd)
	} else {
		s.enqueue(ch, teardownJob(c.Record()))
	}
	if err := s.write(ctx, ch); err != nil {
		return CollaborationView{}, err
	}
	s.Log.WarnContext(ctx, "teardown re-driven by an operator", "collaboration", id)
	return collaborationView(c.Committed().Record(), nil), nil
}

// unanswered raises a teardown command the cleanup re-sends for the CommandSends-th time or more
// to the operators (the TeardownCommandsUnanswered metric, which an alarm watches, and an error
// log line): the solution has not acknowledged it. The cleanup goes on re-sending it, ever more
// slowly.
func (s *Service) unanswered(ctx context.Context, m port.Message) {
	var j Job
	if json.Unmarshal([]byte(m.Body), &j) != nil || j.Command == "" || m.Sends+1 < s.Store.Timing().CommandSends {
		return
	}
	s.Metrics.Count(ctx, metrics.CommandsUnanswered, 1, metrics.Dim{Name: "Solution", Value: string(j.Solution)})
	s.Log.ErrorContext(ctx, "a teardown command is unanswered", "collaboration", j.CollaborationID, "step", string(j.Command), "sends", m.Sends+1)
}

// UndoEnd is an administrator of the company undoing an end with a grace period before its
// deadline (collab.Collaboration.UndoEnd): the company keeps the solution and pays for it itself,
// recorded on the history; the solution is told to transfer the billing, and the collaboration
// with the office ends as before. It reads the collaboration with the caller's memberships (one
// BatchGetItem) and commits conditioned on the version read, deleting the outbox message of a
// command the end no longer needs and queuing the teardown. It returns EUNAUTHORIZED
// unauthenticated; EFORBIDDEN not_company_user, administrator_required; EINVALID id_invalid;
// ENOTFOUND collaboration_not_found; ECONFLICT collaboration_not_ending, undo_not_possible,
// undo_too_late, concurrent_update.
func (s *Service) UndoEnd(ctx context.Context, caller Caller, id string) (CollaborationView, error) {
	c, p, err := s.collaborationFor(ctx, caller, id, collab.CompanySide)
	if err != nil {
		return CollaborationView{}, err
	}
	dropped, err := c.UndoEnd(p.by, s.Now())
	if err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	p.require(ch)
	ch.tx.PutCollaboration(c)
	if dropped != nil {
		ch.tx.Consume(commandJobID(id, dropped.Step, dropped.Attempt))
	}
	s.enqueue(ch, teardownJob(c.Record()))
	v := collaborationView(c.Committed().Record(), nil)
	return v, s.save(ctx, ch, v)
}
