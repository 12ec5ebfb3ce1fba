package actions

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// officeAdmin checks that the caller administers the office and returns the office items of
// refs. It returns EUNAUTHORIZED unauthenticated; EINVALID id_invalid; EFORBIDDEN
// not_office_employee, office_administrator_required.
func (s *Service) officeAdmin(ctx context.Context, caller Caller, refs port.OfficeRefs) (port.OfficeFacts, error) {
	if caller.UserID == "" {
		return port.OfficeFacts{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("officeId", refs.OfficeID); err != nil {
		return port.OfficeFacts{}, err
	}
	f, _, err := s.officeEmployee(ctx, caller, refs, true)
	return f, err
}

// EmployeeInput is an employee as Practice management sends it.
type EmployeeInput struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
	Role     string `json:"role"`
}

// PutEmployee creates or updates an office employee (kept in sync by Practice management). Only
// office administrators may. It returns the errors of officeAdmin and EINVALID id_invalid,
// field_required, email_invalid, language_invalid, role_invalid.
func (s *Service) PutEmployee(ctx context.Context, caller Caller, officeID, userID string, in EmployeeInput) (EmployeeView, error) {
	if _, err := s.officeAdmin(ctx, caller, port.OfficeRefs{OfficeID: officeID}); err != nil {
		return EmployeeView{}, err
	}
	if err := collab.CheckID("userId", userID); err != nil {
		return EmployeeView{}, err
	}
	lang, err := Contact{Name: in.Name, Email: in.Email, Language: in.Language}.check("")
	if err != nil {
		return EmployeeView{}, err
	}
	role, err := collab.ParseEmployeeRole(in.Role)
	if err != nil {
		return EmployeeView{}, err
	}
	e := collab.Employee{OfficeID: officeID, UserID: userID, Name: in.Name, Email: in.Email, Language: lang, Role: role}
	ch := s.change()
	ch.tx.PutEmployee(e)
	v := EmployeeView{OfficeID: officeID, UserID: userID, Name: e.Name, Email: e.Email, Language: lang, Role: role}
	return v, s.save(ctx, ch, v)
}

// CustomerInput is a customer as Practice management sends it.
type CustomerInput struct {
	Name  string `json:"name"`
	OrgNo string `json:"orgNo"`
}

// PutCustomer creates or updates a customer of the office. Its company link follows its
// organisation number (collab.Customer.Resync): a customer not linked yet is linked to the company
// with its number, if there is one, so the customer view names the company activation can be
// told about (ActivateInput's CompanyID); a changed number moves the link while the customer has
// no collaboration that is not over. The office items, the number's company and the customer's
// open guards are one BatchGetItem. It returns the errors of officeAdmin; EINVALID id_invalid,
// field_required; ECONFLICT customer_relink_blocked, concurrent_update.
func (s *Service) PutCustomer(ctx context.Context, caller Caller, officeID, customerNo string, in CustomerInput) (CustomerView, error) {
	if caller.UserID == "" {
		return CustomerView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("customerNo", customerNo); err != nil {
		return CustomerView{}, err
	}
	// The customer's open guards decide only whether a changed number may move the link.
	refs := port.OfficeRefs{OfficeID: officeID, CustomerNo: customerNo, CustomerOpen: in.OrgNo != ""}
	if collab.CheckID("orgNo", in.OrgNo) == nil {
		refs.OrgNo = in.OrgNo
	}
	f, err := s.officeAdmin(ctx, caller, refs)
	if err != nil {
		return CustomerView{}, err
	}
	if err := collab.CheckText("name", in.Name, 200); err != nil {
		return CustomerView{}, err
	}
	if in.OrgNo != "" {
		if err := collab.CheckID("orgNo", in.OrgNo); err != nil {
			return CustomerView{}, err
		}
	}
	was := f.Customer
	was.OfficeID, was.No = officeID, customerNo
	c, err := was.Resync(in.Name, in.OrgNo, f.OrgNoOf, f.Open)
	if err != nil {
		return CustomerView{}, err
	}
	ch := s.change()
	if was.Relinked(c) {
		ch.tx.RelinkCustomer(was, c)
	} else {
		ch.tx.SyncCustomer(c)
	}
	v := CustomerView{OfficeID: officeID, CustomerNo: customerNo, Name: c.Name, OrgNo: c.OrgNo, CompanyID: c.CompanyID}
	return v, s.save(ctx, ch, v)
}

// TaskInput is a task as Practice management sends it.
type TaskInput struct {
	CustomerNo string   `json:"customerNo"`
	Name       string   `json:"name"`
	Assignees  []string `json:"assignees"`
}

// PutTask creates or updates a task of the office for one of its customers. Access follows the
// task: in the same transaction, employees removed from it lose the access its active
// collaborations gave them and employees added get it; a task moved to another customer leaves
// the old customer's collaborations without a task (and its employees without their access)
// until the office links them to another task. Every assignee must be an employee of the office:
// their employee items are read with the office's, in the same BatchGetItem. It returns the
// errors of officeAdmin; ENOTFOUND customer_not_found; EINVALID id_invalid, field_required,
// field_too_long, assignee_not_employee; ECONFLICT concurrent_update.
func (s *Service) PutTask(ctx context.Context, caller Caller, officeID, taskID string, in TaskInput) (TaskView, error) {
	if caller.UserID == "" {
		return TaskView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckIDs("taskId", taskID, "customerNo", in.CustomerNo); err != nil {
		return TaskView{}, err
	}
	if len(in.Assignees) > 50 {
		return TaskView{}, collab.TooLong("assignees", "assign at most 50 employees", "too many assignees")
	}
	for _, a := range in.Assignees {
		if err := collab.CheckID("assignees", a); err != nil {
			return TaskView{}, err
		}
	}
	assignees := slices.Compact(slices.Sorted(slices.Values(in.Assignees)))
	f, err := s.officeAdmin(ctx, caller, port.OfficeRefs{OfficeID: officeID, CustomerNo: in.CustomerNo, TaskID: taskID,
		Staff: append([]string{}, assignees...), CustomerOpen: true})
	if err != nil {
		return TaskView{}, err
	}
	if f.Customer.No == "" {
		return TaskView{}, collab.ErrCustomerNotFound
	}
	if err := collab.CheckText("name", in.Name, 200); err != nil {
		return TaskView{}, err
	}
	t := collab.Task{OfficeID: officeID, ID: taskID, CustomerNo: in.CustomerNo, Name: in.Name, Assignees: assignees}
	if err := t.CheckAssignees(f.Staff); err != nil {
		return TaskView{}, err
	}
	ch := s.change()
	ch.tx.ReplaceTask(f.Task, t)
	if err := s.syncGrants(ctx, ch, actorOf(collab.OfficeEmployee, caller.UserID, officeID), f, t); err != nil {
		return TaskView{}, err
	}
	v := TaskView{OfficeID: officeID, TaskID: taskID, CustomerNo: t.CustomerNo, Name: t.Name, Assignees: assignees}
	if v.Assignees == nil {
		v.Assignees = []string{}
	}
	err = s.save(ctx, ch, v)
	if errors.Is(err, port.ErrTooLarge) {
		v.Syncing = true
		return v, s.save(ctx, s.taskChangeInSteps(f.Task, t), v)
	}
	return v, err
}

// syncGrants adds to ch what changing the task f read to after implies for the open
// collaborations on it: those of its customer take its new assignees, those of the customer it
// was moved from leave it (collab.FollowTask), and the active ones' grants follow.
func (s *Service) syncGrants(ctx context.Context, ch *change, by collab.Actor, f port.OfficeFacts, after collab.Task) error {
	open, err := s.onTask(ctx, ch, f, after)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, r := range open {
		if r.TaskID != after.ID {
			continue
		}
		// The collaboration is written, or required, at the version read: a teardown or an
		// accept meanwhile makes the commit fail rather than leave access behind or miss it.
		c := collab.RestoreCollaboration(r)
		if c.FollowTask(after, by, now) {
			ch.tx.PutCollaboration(c)
		} else {
			ch.tx.RequireCollaboration(r)
		}
		regrant(ch, r, r.Assignees, c.Record().Assignees)
	}
	return nil
}

// onTask returns the open collaborations that a change of the task f read to after may move,
// read consistently. Those of after's customer are the ones its open guards, read with the task,
// name; the guards read absent are required absent at commit, so an activation whose guard the
// read missed fails the change instead of keeping the old assignees. Those of a customer the
// task moves from (or a change in steps began from) are read after the task.
func (s *Service) onTask(ctx context.Context, ch *change, f port.OfficeFacts, after collab.Task) ([]collab.CollaborationRecord, error) {
	for _, solution := range slices.Sorted(maps.Keys(collab.Solutions)) {
		if !slices.Contains(f.Open, solution) {
			ch.tx.RequireNotOpen(after.OfficeID, after.CustomerNo, solution)
		}
	}
	open, err := s.Store.Collaborations(ctx, f.OpenIDs)
	if err != nil {
		return open, err
	}
	others := slices.DeleteFunc(f.Task.Customers(after.CustomerNo), func(no string) bool { return no == after.CustomerNo })
	if len(others) == 0 {
		return open, nil
	}
	more, err := s.Store.OpenCollaborations(ctx, after.OfficeID, others)
	return append(open, more...), err
}

// regrant adds to ch the grants that follow an active collaboration's assignees changing from
// before to after (collab.CollaborationRecord.Regrant).
func regrant(ch *change, r collab.CollaborationRecord, before, after []string) {
	give, take := r.Regrant(before, after)
	for _, g := range take {
		ch.tx.DeleteGrant(g)
	}
	for _, g := range give {
		ch.tx.PutGrant(g)
	}
}
