package actions

import (
	"context"
	"errors"
	"slices"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// Collaboration returns one collaboration with its history, to a user of the company or an
// employee of the office working for the customer. It returns EUNAUTHORIZED unauthenticated;
// EFORBIDDEN not_company_user, not_on_task; ENOTFOUND collaboration_not_found.
func (s *Service) Collaboration(ctx context.Context, caller Caller, id string) (CollaborationView, error) {
	if caller.UserID == "" {
		return CollaborationView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("id", id); err != nil {
		return CollaborationView{}, err
	}
	r, history, err := s.Store.CollaborationWithHistory(ctx, id)
	if err != nil {
		return CollaborationView{}, err
	}
	p, err := s.Store.PartiesOf(ctx, r.CompanyID, r.OfficeID, caller.UserID)
	if err != nil {
		return CollaborationView{}, err
	}
	by, err := s.collaborationActor(ctx, caller, r, collab.EitherSide, &p)
	if err != nil {
		return CollaborationView{}, err
	}
	v := collaborationView(r, history)
	if !r.SeesTeardown(by, standing(caller, p)) {
		v.TeardownError, v.Teardown = nil, nil
	}
	return v, nil
}

// ending loads a collaboration, what its company and solution say about ending it, and the
// caller's right to end it, in two round trips.
func (s *Service) ending(ctx context.Context, caller Caller, id, outcome string) (*collab.Collaboration, port.EndFacts, collab.Actor, collab.Outcome, error) {
	var facts port.EndFacts
	if caller.UserID == "" {
		return nil, facts, collab.Actor{}, "", collab.ErrUnauthenticated
	}
	if err := collab.CheckID("id", id); err != nil {
		return nil, facts, collab.Actor{}, "", err
	}
	o, err := collab.ParseOutcome(outcome)
	if err != nil {
		return nil, facts, collab.Actor{}, "", err
	}
	c, err := s.Store.Collaboration(ctx, id)
	if err != nil {
		return nil, facts, collab.Actor{}, "", err
	}
	facts, by, err := s.endFacts(ctx, caller, c.Record())
	return c, facts, by, o, err
}

// endFacts reads the company's side of ending r and who the caller is to it, in one BatchGetItem
// (and a task query for an employee not on r's task).
func (s *Service) endFacts(ctx context.Context, caller Caller, r collab.CollaborationRecord) (port.EndFacts, collab.Actor, error) {
	facts, err := s.Store.EndFactsOf(ctx, r, caller.UserID)
	if err != nil {
		return facts, collab.Actor{}, err
	}
	by, err := s.collaborationActor(ctx, caller, r, collab.EndingSide, &facts.Parties)
	return facts, by, err
}

// EndCheck lists everything that would stop the caller from ending the collaboration with the
// outcome right now, each with its fix, so a client can show them before the user tries. It
// returns the authorization errors of End and EINVALID outcome_invalid.
func (s *Service) EndCheck(ctx context.Context, caller Caller, id, outcome string) (EndCheckView, error) {
	c, company, _, o, err := s.ending(ctx, caller, id, outcome)
	if err != nil {
		return EndCheckView{}, err
	}
	bs := c.EndBlockers(o, company.Company, company.Facts, s.Now(), s.Store.Timing().FactsMaxAge)
	s.requestFacts(ctx, c.Record(), bs)
	if bs == nil {
		bs = []collab.Blocker{}
	}
	if bs, _, err = s.offerAdministrators(ctx, caller, c.Record().CompanyID, bs); err != nil {
		return EndCheckView{}, err
	}
	return EndCheckView{CanEnd: len(bs) == 0, Outcome: o, Blockers: bs}, nil
}

// EndInput is the body of an end request.
type EndInput struct {
	Outcome string `json:"outcome"`
	// CompanyID is optional: the collaboration's company, as the client shows it. With it, the
	// company and its solutions' facts are read with the collaboration in one round trip; a
	// company that is not the collaboration's is not used.
	CompanyID string `json:"companyId"`
	// At, when given, schedules the end instead: the last day of a month (YYYY-MM-DD), at most
	// collab.ScheduledEndMonthsAhead months ahead; the collaboration stays active until then.
	At string `json:"at,omitempty"`
}

// End starts ending an active collaboration with an outcome: it is ending at once and the
// teardown is queued. Either party may end: an administrator of the company, or an employee of
// the office working for the customer. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// not_company_user, administrator_required, not_on_task; ENOTFOUND collaboration_not_found;
// EINVALID id_invalid, outcome_invalid; ECONFLICT collaboration_not_active, outcome_not_allowed,
// main_contact_missing, payroll_handover_incomplete, expenses_not_submitted, facts_missing,
// facts_stale (the solution is asked for its facts: requestFacts), concurrent_update. With At it
// schedules the end instead (scheduleEnd: EINVALID end_date_invalid; ECONFLICT
// end_already_scheduled).
//
// It loads the collaboration with the caller's memberships and, when the request names the
// collaboration's company, the company and the facts its solution reported, in one BatchGetItem
// (else those in a second); the domain decides; the commit requires what the decision read to be
// unchanged: the collaboration's version, what the caller's right rests on (party.require), the
// company's version (its main contact) and the facts as reported.
func (s *Service) End(ctx context.Context, caller Caller, id string, in EndInput) (CollaborationView, error) {
	if caller.UserID == "" {
		return CollaborationView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("id", id); err != nil {
		return CollaborationView{}, err
	}
	o, err := collab.ParseOutcome(in.Outcome)
	if err != nil {
		return CollaborationView{}, err
	}
	if in.At != "" {
		return s.scheduleEnd(ctx, caller, id, o, in.At)
	}
	if in.CompanyID != "" {
		if err := collab.CheckID("companyId", in.CompanyID); err != nil {
			return CollaborationView{}, err
		}
	}
	c, m, facts, err := s.Store.EndingFor(ctx, id, caller.UserID, in.CompanyID)
	if err != nil {
		return CollaborationView{}, err
	}
	r := c.Record()
	p, err := s.partyOf(ctx, caller, r, m, collab.EndingSide)
	if err != nil {
		return CollaborationView{}, err
	}
	if facts == nil {
		f, err := s.Store.EndFactsOf(ctx, r, caller.UserID)
		if err != nil {
			return CollaborationView{}, err
		}
		facts = &f
	}
	if err := c.End(p.by, o, facts.Company, facts.Facts, s.Now(), s.Store.Timing().FactsMaxAge); err != nil {
		return CollaborationView{}, s.endRefused(ctx, caller, r, err)
	}
	ch := s.change()
	p.require(ch)
	ch.tx.RequireCompany(facts.Company)
	ch.tx.RequireFacts(r.CompanyID, r.Solution, facts.Facts)
	return s.ended(ctx, ch, c)
}

// endRefused returns End's refusal err of collaboration r as the caller gets it: with the
// company's administrators offered on main_contact_missing when the caller may choose one, and
// else the administrators asked by e-mail to choose one (requestMainContact).
func (s *Service) endRefused(ctx context.Context, caller Caller, r collab.CollaborationRecord, err error) error {
	var refusal *collab.Error
	if !errors.As(err, &refusal) || len(refusal.Blockers) == 0 {
		return err
	}
	s.requestFacts(ctx, r, refusal.Blockers)
	bs, mayAct, rerr := s.offerAdministrators(ctx, caller, r.CompanyID, refusal.Blockers)
	if rerr != nil {
		return err // the refusal stands without the offer
	}
	offered := *refusal
	offered.Blockers, offered.Fix = bs, bs[0].Fix
	if noMainContact(bs) && !mayAct && s.requestMainContact(ctx, r) {
		offered.Message += "; the company's administrators have been asked by e-mail to choose one"
	}
	return &offered
}

// offerAdministrators returns the blockers bs with the company's administrators offered on
// main_contact_missing when the caller may set the company's main contact (an administrator of
// the company, or an office employee acting in it: companyActor); the company's partition is
// read for it, so only such a refusal pays the read.
func (s *Service) offerAdministrators(ctx context.Context, caller Caller, companyID string, bs []collab.Blocker) (_ []collab.Blocker, mayAct bool, _ error) {
	if !noMainContact(bs) {
		return bs, false, nil
	}
	v, err := s.Store.Company(ctx, companyID)
	if err != nil {
		return bs, false, err
	}
	if _, err := companyActor(caller, v, true); err != nil {
		return bs, false, nil // may not act in the company: nobody to offer
	}
	return collab.OfferAdministrators(bs, v.Users), true, nil
}

func noMainContact(bs []collab.Blocker) bool {
	return slices.ContainsFunc(bs, func(b collab.Blocker) bool { return b.Code == "main_contact_missing" })
}

// requestMainContact e-mails the company's administrators a request to choose a main contact,
// for an end refused without one by a caller who cannot choose it; at most once a day per
// company (collab.MainContactRequestDay), recorded with the e-mail's job in one transaction. It
// reports whether they were asked now or earlier today; a failure is logged and leaves the
// refusal as it is. The request is no answer to the caller's request, so it is written without
// the Idempotency-Key's response (write, not save).
func (s *Service) requestMainContact(ctx context.Context, r collab.CollaborationRecord) bool {
	now := s.Now()
	ch := s.change()
	ch.tx.RequestMainContact(r.CompanyID, collab.MainContactRequestDay(now), now)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: EmailMainContactRequest})
	err := s.write(ctx, ch)
	if err != nil && !errors.Is(err, collab.ErrConflict) {
		s.Log.WarnContext(ctx, "main contact request not recorded", "error", err.Error())
		return false
	}
	return true
}

// ended commits a collaboration moved to ending with its teardown job.
func (s *Service) ended(ctx context.Context, ch *change, c *collab.Collaboration) (CollaborationView, error) {
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, teardownJob(c.Record()))
	r := c.Record()
	v := collaborationView(r, nil)
	err := s.save(ctx, ch, v)
	s.countIf(ctx, &err, metrics.Ends, metrics.Dim{Name: "Solution", Value: string(r.Solution)}, metrics.Dim{Name: "Outcome", Value: string(r.Outcome)})
	return v, err
}

// LinkInput is the body of a link request.
type LinkInput struct {
	TaskID string `json:"taskId"`
	// OfficeID is the collaboration's office, as Practice management knows it (optional): with
	// it the task is read with the collaboration, in one round trip. It is only a hint: another
	// office's id is not used.
	OfficeID string `json:"officeId,omitempty"`
}

// Link connects a collaboration without a task (imported, or its task moved to another customer)
// to a task of its customer; an active one gives the task's employees access. The caller must be
// an office administrator or work on that task. It returns the office-side
// authorization errors; ENOTFOUND task_not_found; ECONFLICT collaboration_already_linked,
// collaboration_final, task_customer_mismatch.
func (s *Service) Link(ctx context.Context, caller Caller, id string, in LinkInput) (CollaborationView, error) {
	if in.TaskID == "" {
		return CollaborationView{}, collab.ErrTaskRequired
	}
	if err := collab.CheckID("taskId", in.TaskID); err != nil {
		return CollaborationView{}, err
	}
	c, p, f, err := s.linkFacts(ctx, caller, id, in)
	if err != nil {
		return CollaborationView{}, err
	}
	if f.Task.ID == "" {
		return CollaborationView{}, collab.ErrTaskNotFound
	}
	if err := collab.MayUseTask(f.Employee, f.Task); err != nil {
		return CollaborationView{}, err
	}
	if err := c.Link(f.Task, p.by, s.Now()); err != nil {
		return CollaborationView{}, err
	}
	r := c.Record()
	ch := s.change()
	// The right to use the task was decided on the task as read, which JoinTask requires
	// unchanged; what is left to require is the caller's employee item.
	ch.tx.RequireParty(p.proof, collab.AsEmployee)
	ch.tx.PutCollaboration(c)
	ch.tx.JoinTask(f.Task)
	regrant(ch, r, nil, r.Assignees)
	return s.saved(ctx, ch, c)
}

// linkFacts loads what Link decides on: the collaboration with the caller as its office-side
// party, and the caller's employee item and the task at the collaboration's office. With the
// office named in the request that is one BatchGetItem; without it, or when it names another
// office than the collaboration's, the office's items are read after the collaboration.
func (s *Service) linkFacts(ctx context.Context, caller Caller, id string, in LinkInput) (*collab.Collaboration, party, port.OfficeFacts, error) {
	var f port.OfficeFacts
	if in.OfficeID == "" || collab.CheckID("officeId", in.OfficeID) != nil || caller.UserID == "" || collab.CheckID("id", id) != nil {
		c, p, err := s.collaborationFor(ctx, caller, id, collab.OfficeSide)
		if err != nil {
			return nil, party{}, f, err
		}
		f, err = s.Store.OfficeItems(ctx, port.OfficeRefs{OfficeID: c.Record().OfficeID, EmployeeID: caller.UserID, TaskID: in.TaskID})
		return c, p, f, err
	}
	c, m, e, t, err := s.Store.CollaborationTaskFor(ctx, id, caller.UserID, in.OfficeID, in.TaskID)
	if err != nil {
		return nil, party{}, f, err
	}
	p, err := s.partyOf(ctx, caller, c.Record(), m, collab.OfficeSide)
	if err != nil {
		return nil, party{}, f, err
	}
	if office := c.Record().OfficeID; office != in.OfficeID { // a wrong hint: read the right office's items
		f, err = s.Store.OfficeItems(ctx, port.OfficeRefs{OfficeID: office, EmployeeID: caller.UserID, TaskID: in.TaskID})
		return c, p, f, err
	}
	f.Employee, f.Task = e, t
	return c, p, f, nil
}

// RenewInput is the body of a renew request.
type RenewInput struct {
	Months int `json:"months"`
}

// Renew extends an active collaboration's agreement period by 3 or 12 months (office side). It
// reads the collaboration and the caller's memberships in one BatchGetItem and commits in one
// transaction. It returns the errors of collaborationFor on the office side; EINVALID
// agreement_period_invalid (field months); ECONFLICT collaboration_not_active,
// agreement_period_not_applicable, concurrent_update.
func (s *Service) Renew(ctx context.Context, caller Caller, id string, in RenewInput) (CollaborationView, error) {
	c, p, err := s.collaborationFor(ctx, caller, id, collab.OfficeSide)
	if err != nil {
		return CollaborationView{}, err
	}
	if err := c.Renew(in.Months, p.by, s.Now()); err != nil {
		var e *collab.Error
		if errors.As(err, &e) && e.Field == "agreementMonths" {
			named := *e // the renew body calls it months
			named.Field = "months"
			return CollaborationView{}, &named
		}
		return CollaborationView{}, err
	}
	ch := s.change()
	p.require(ch)
	ch.tx.PutCollaboration(c)
	return s.saved(ctx, ch, c)
}

// ListFilter is the query of an office overview.
type ListFilter struct {
	Status, Solution, CustomerNo, Cursor string
	Limit                                int
}

// OfficeCollaborations lists an office's collaborations, newest first, to any employee of the
// office. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN not_office_employee; EINVALID
// status_invalid, solution_unknown, id_invalid, cursor_invalid.
func (s *Service) OfficeCollaborations(ctx context.Context, caller Caller, officeID string, q ListFilter) (ListView, error) {
	if caller.UserID == "" {
		return ListView{}, collab.ErrUnauthenticated
	}
	f := port.Filter{CustomerNo: q.CustomerNo, Cursor: q.Cursor, Limit: q.Limit}
	if err := collab.CheckID("officeId", officeID); err != nil {
		return ListView{}, err
	}
	if q.Status != "" {
		st, err := collab.ParseStatus(q.Status)
		if err != nil {
			return ListView{}, err
		}
		f.Status = st
	}
	if q.Solution != "" {
		if _, err := collab.Rules(collab.Solution(q.Solution)); err != nil {
			return ListView{}, err
		}
		f.Solution = collab.Solution(q.Solution)
	}
	if q.CustomerNo != "" {
		if err := collab.CheckID("customerNo", q.CustomerNo); err != nil {
			return ListView{}, err
		}
	}
	office, _, err := s.officeEmployee(ctx, caller, port.OfficeRefs{OfficeID: officeID}, false)
	if err != nil {
		return ListView{}, err
	}
	page, err := s.Store.OfficeCollaborations(ctx, officeID, f)
	if err != nil {
		return ListView{}, err
	}
	// Every employee sees the overview, but only those with access to a collaboration see its
	// teardown failure (collab.CollaborationRecord.InOverview).
	return listView(page, func(r collab.CollaborationRecord) bool { return r.InOverview(office.Employee) }), nil
}

// listView is a page of collaborations, with the teardown failure of those sees says no to left
// out.
func listView(p port.Page, sees func(collab.CollaborationRecord) bool) ListView {
	v := ListView{Items: make([]CollaborationView, len(p.Items)), Next: p.Next}
	for i, r := range p.Items {
		v.Items[i] = collaborationView(r, nil)
		if !sees(r) {
			v.Items[i].TeardownError, v.Items[i].Teardown = nil, nil
		}
	}
	return v
}
