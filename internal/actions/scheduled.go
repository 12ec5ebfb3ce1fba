package actions

import (
	"context"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// ScheduledEndView is an active collaboration's scheduled end: the month end it is for (Date), the
// moment it takes effect (At, the first instant after that day, UTC), the outcome, and who
// scheduled it and when.
type ScheduledEndView struct {
	Date        string         `json:"date"`
	At          time.Time      `json:"at"`
	Outcome     collab.Outcome `json:"outcome"`
	ActorKind   string         `json:"actorKind"`
	ActorID     string         `json:"actorId,omitempty"`
	ScheduledAt time.Time      `json:"scheduledAt"`
}

func scheduledEndView(r collab.CollaborationRecord) *ScheduledEndView {
	s, ok := r.ScheduledEndOf()
	if !ok {
		return nil
	}
	return &ScheduledEndView{Date: s.Day().Format("2006-01-02"), At: s.At, Outcome: s.Outcome,
		ActorKind: string(s.By.Kind), ActorID: s.By.UserID, ScheduledAt: s.ScheduledAt}
}

// scheduleEnd schedules the end of an active collaboration with outcome o at the month end
// written at (End with At): either party that may end it may, and it stays active until then.
// It reads the collaboration and the caller's memberships in one BatchGetItem and commits in one
// transaction, with the e-mail that tells both parties the date and what the end will do
// (collab.EmailEndScheduled); the company's rules are checked at the date (endAsScheduled). It
// returns EINVALID
// end_date_invalid (field at); the authorization errors of End; ECONFLICT
// collaboration_not_active, outcome_not_allowed, end_already_scheduled, concurrent_update.
func (s *Service) scheduleEnd(ctx context.Context, caller Caller, id string, o collab.Outcome, at string) (CollaborationView, error) {
	when, err := collab.ParseEndDate("at", at, s.Now())
	if err != nil {
		return CollaborationView{}, err
	}
	c, p, err := s.collaborationFor(ctx, caller, id, collab.EndingSide)
	if err != nil {
		return CollaborationView{}, err
	}
	if err := c.ScheduleEnd(p.by, o, when, s.Now()); err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	p.require(ch)
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: id, Email: collab.EmailEndScheduled, EndsOn: c.Record().ScheduledEnd.Day()})
	return s.saved(ctx, ch, c)
}

// CancelEnd cancels an active collaboration's scheduled end; it stays active. Either party that
// may end it may cancel, whoever scheduled it. It reads the collaboration and the caller's
// memberships in one BatchGetItem and commits in one transaction, with the e-mail that tells both
// parties (collab.EmailScheduledEndCancelled). It returns the errors of
// collaborationFor on the ending side (EUNAUTHORIZED unauthenticated; EFORBIDDEN
// not_company_user, administrator_required, not_on_task; ENOTFOUND collaboration_not_found;
// EINVALID id_invalid); ECONFLICT collaboration_not_active, no_scheduled_end, concurrent_update.
func (s *Service) CancelEnd(ctx context.Context, caller Caller, id string) (CollaborationView, error) {
	c, p, err := s.collaborationFor(ctx, caller, id, collab.EndingSide)
	if err != nil {
		return CollaborationView{}, err
	}
	sched, _ := c.Record().ScheduledEndOf()
	if err := c.CancelScheduledEnd(p.by, s.Now()); err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	p.require(ch)
	ch.tx.PutCollaboration(c)
	job := emailAbout(c.Record(), collab.EmailScheduledEndCancelled)
	job.About.EndsOn = sched.Day()
	s.enqueue(ch, job)
	return s.saved(ctx, ch, c)
}

// endAsScheduled runs the end-check of a collaboration whose scheduled end is due
// (collab.Collaboration.EndAsScheduled), on its company and its solution's facts read in one
// BatchGetItem, and commits what it decided in one transaction conditioned on the versions read:
// ended, it is ending with its teardown job queued, exactly as End leaves it; blocked, it stays
// active without the scheduled end and both parties are e-mailed why
// (collab.EmailScheduledEndBlocked); waiting for the solution's facts, the solution is asked for
// them (requestFacts) and the check runs again later.
func (s *Service) endAsScheduled(ctx context.Context, c *collab.Collaboration, _ port.Expiring, now time.Time) error {
	r := c.Record()
	sched, ok := r.ScheduledEndOf()
	if !ok {
		return collab.ErrConflict // the index lags a cancel or an end
	}
	f, err := s.Store.EndFactsOf(ctx, r, "")
	if err != nil {
		return err
	}
	result, bs, err := c.EndAsScheduled(f.Company, f.Facts, now, collab.Timing(s.Store.Timing()))
	if err != nil {
		return err
	}
	ch := s.change()
	ch.tx.PutCollaboration(c)
	switch result {
	case collab.ScheduledEndWaiting:
		s.requestFacts(ctx, r, bs)
		return s.write(ctx, ch)
	case collab.ScheduledEndBlocked:
		job := emailAbout(c.Record(), collab.EmailScheduledEndBlocked)
		job.About.EndsOn = sched.Day()
		for _, b := range bs {
			job.About.Blockers = append(job.About.Blockers, b.Code)
		}
		s.enqueue(ch, job)
		s.Log.InfoContext(ctx, "scheduled end blocked at its date", "collaboration", r.ID, "blocker", bs[0].Code)
	default:
		s.enqueue(ch, teardownJob(c.Record()))
	}
	// What the decision read (the main contact, the facts) must be unchanged: else the next run
	// decides again on what is there then.
	ch.tx.RequireCompany(f.Company)
	ch.tx.RequireFacts(r.CompanyID, r.Solution, f.Facts)
	err = s.write(ctx, ch)
	if result == collab.ScheduledEndDone {
		s.countIf(ctx, &err, metrics.Ends, metrics.Dim{Name: "Solution", Value: string(r.Solution)}, metrics.Dim{Name: "Outcome", Value: string(sched.Outcome)})
	}
	return err
}
