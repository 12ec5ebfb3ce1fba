package actions

import (
	"context"
	"maps"
	"slices"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// The removal routes: an employee from the office, a task, a customer, a user from a company.
// Each takes back, in the same transaction, the access what it removes gave. A second removal of
// what is gone is 404 with the code of what is missing.

// maxRemovalItems is how many items one removal may write: DynamoDB's 100 per transaction.
const maxRemovalItems = 100

// RemoveUser takes a user out of the company: their user item, their role and their entry in
// their memberships, recorded in the company's history (user_removed). An administrator of the
// company may, or an office employee acting in it. The company's main contact and its last
// administrator are refused until another is named. It reads the company's partition and
// commits (2 calls), and returns the errors of SetMainContact; EINVALID id_invalid; ENOTFOUND
// user_not_found; ECONFLICT main_contact_removal, last_administrator, concurrent_update.
func (s *Service) RemoveUser(ctx context.Context, caller Caller, companyID, userID string) (UserView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err != nil {
		return UserView{}, err
	}
	if err := collab.CheckID("userId", userID); err != nil {
		return UserView{}, err
	}
	u, ok := v.User(userID)
	if !ok {
		return UserView{}, collab.ErrUserNotFound
	}
	company := v.Company
	if err := company.RemoveUser(u); err != nil {
		return UserView{}, err
	}
	ch := s.change()
	if u.Role == collab.Administrator {
		ch.tx.PutCompany(company) // the count of administrators, under the company's version
	}
	ch.tx.DeleteUser(u)
	s.companyEvent(ch, companyID, collab.CompanyEvent{Actor: by, Kind: collab.UserRemoved, UserID: u.ID, From: string(u.Role)})
	view := userView(u, v.Company)
	return view, s.save(ctx, ch, view)
}

// RemoveTask removes a task of the office. Its pending and active collaborations lose it, its
// employees and the access they gave, and stay without a task, like imported ones, until the
// office links them to another (collab.Collaboration.LeaveTask). Only office administrators may.
// The office's items, the customer's open collaborations and the commit: 3 calls, as PutTask. It returns the errors of
// officeAdmin; ENOTFOUND task_not_found; ECONFLICT removal_too_large, concurrent_update.
func (s *Service) RemoveTask(ctx context.Context, caller Caller, officeID, taskID string) (TaskView, error) {
	if err := collab.CheckID("taskId", taskID); err != nil {
		return TaskView{}, err
	}
	f, err := s.officeAdmin(ctx, caller, port.OfficeRefs{OfficeID: officeID, TaskID: taskID})
	if err != nil {
		return TaskView{}, err
	}
	t := f.Task
	if t.ID == "" {
		return TaskView{}, collab.ErrTaskNotFound
	}
	ch := s.change()
	n := 1 + len(t.Assignees)
	ch.tx.DeleteTask(t)
	// With the customer a change in steps began from; read after the task, so a collaboration
	// that joined it before is here (one that joins after fails the commit: DeleteTask).
	open, err := s.Store.OpenCollaborations(ctx, officeID, t.Customers(""))
	if err != nil {
		return TaskView{}, err
	}
	by := actorOf(collab.OfficeEmployee, caller.UserID, officeID)
	for _, r := range open {
		c := collab.RestoreCollaboration(r)
		if !c.LeaveTask(t, by, s.Now()) {
			continue
		}
		ch.tx.PutCollaboration(c)
		_, take := r.Regrant(r.Assignees, nil)
		n += 2 + len(take)
		regrant(ch, r, r.Assignees, nil)
	}
	if n > maxRemovalItems {
		return TaskView{}, collab.ErrRemovalTooLarge
	}
	v := TaskView{OfficeID: officeID, TaskID: taskID, CustomerNo: t.CustomerNo, Name: t.Name, Assignees: slices.Clip(t.Assignees)}
	if v.Assignees == nil {
		v.Assignees = []string{}
	}
	return v, s.save(ctx, ch, v)
}

// RemoveCustomer removes a customer of the office with its tasks (and the tasks' entries in
// their employees' memberships). It is refused while the customer has a collaboration that is
// not over, which the commit requires still true; its collaborations that are over stay, with
// their history. Only office administrators may. The office's items with the customer's open
// guards, the customer's tasks and the commit: 3 calls. It returns the errors of officeAdmin;
// ENOTFOUND customer_not_found; ECONFLICT customer_removal_blocked, removal_too_large,
// concurrent_update.
func (s *Service) RemoveCustomer(ctx context.Context, caller Caller, officeID, customerNo string) (CustomerView, error) {
	if err := collab.CheckID("customerNo", customerNo); err != nil {
		return CustomerView{}, err
	}
	f, err := s.officeAdmin(ctx, caller, port.OfficeRefs{OfficeID: officeID, CustomerNo: customerNo, CustomerOpen: true})
	if err != nil {
		return CustomerView{}, err
	}
	c := f.Customer
	if c.No == "" {
		return CustomerView{}, collab.ErrCustomerNotFound
	}
	if err := collab.RemoveCustomer(f.Open); err != nil {
		return CustomerView{}, err
	}
	tasks, err := s.Store.CustomerTasks(ctx, officeID, customerNo)
	if err != nil {
		return CustomerView{}, err
	}
	ch := s.change()
	ch.tx.DeleteCustomer(c)
	staff := map[string]bool{}
	for _, t := range tasks {
		ch.tx.DeleteTask(t)
		for _, a := range t.Assignees {
			staff[a] = true
		}
	}
	if 1+len(collab.Solutions)+len(tasks)+len(staff) > maxRemovalItems {
		return CustomerView{}, collab.ErrRemovalTooLarge
	}
	v := CustomerView{OfficeID: officeID, CustomerNo: customerNo, Name: c.Name, OrgNo: c.OrgNo, CompanyID: c.CompanyID}
	return v, s.save(ctx, ch, v)
}

// RemoveEmployee removes an employee from the office, like Practice management's sync does when
// someone leaves: in one transaction the employee item goes, they are taken off every task of
// the office (and so off the assignees of the tasks' pending and active collaborations, whose
// grants to them go), and their memberships lose the office and the tasks. The office's last
// administrator is refused. Only office administrators may. The office's staff and tasks are one
// Query; the open collaborations are one Query per customer of a task of theirs (on no task: 2
// calls with the commit). It returns EUNAUTHORIZED unauthenticated; EINVALID
// id_invalid; EFORBIDDEN not_office_employee, office_administrator_required; ENOTFOUND
// employee_not_found; ECONFLICT last_office_administrator, removal_too_large, concurrent_update.
func (s *Service) RemoveEmployee(ctx context.Context, caller Caller, officeID, userID string) (EmployeeView, error) {
	if caller.UserID == "" {
		return EmployeeView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckIDs("officeId", officeID, "userId", userID); err != nil {
		return EmployeeView{}, err
	}
	_, staff, tasks, err := s.Store.OfficeStaffAndTasks(ctx, officeID)
	if err != nil {
		return EmployeeView{}, err
	}
	by, err := collab.OfficeActor(caller.UserID, officeID, employeeOf(staff, caller.UserID), true)
	if err != nil {
		return EmployeeView{}, err
	}
	e := employeeOf(staff, userID)
	if err := collab.RemoveEmployee(e, staff); err != nil {
		return EmployeeView{}, err
	}
	ch := s.change()
	ch.tx.DeleteEmployee(e)
	if e.Role == collab.OfficeAdministrator { // so that two cannot remove each other at once
		ch.tx.RequireOfficeAdministrator(officeID, otherAdministrator(staff, userID))
	}
	n, err := s.leaveTasks(ctx, ch, by, tasks, userID)
	if err != nil {
		return EmployeeView{}, err
	}
	if n+2 > maxRemovalItems {
		return EmployeeView{}, collab.ErrRemovalTooLarge
	}
	lang := e.Language
	if lang == "" {
		lang = collab.Swedish // stored before languages were kept: e-mails went out in Swedish
	}
	v := EmployeeView{OfficeID: officeID, UserID: userID, Name: e.Name, Email: e.Email, Language: lang, Role: e.Role}
	return v, s.save(ctx, ch, v)
}

// leaveTasks adds to ch the user leaving every task of tasks they are on, and the open
// collaborations on those tasks following them (collab.Collaboration.FollowTask, with their
// grants), and returns how many items that writes, the memberships of everyone on those tasks
// included.
func (s *Service) leaveTasks(ctx context.Context, ch *change, by collab.Actor, tasks []collab.Task, user string) (int, error) {
	n, users := 0, map[string]bool{user: true}
	byCustomer := map[string][]collab.Task{}
	for _, t := range tasks {
		if !t.Involves(user) {
			continue
		}
		after := t.Without(user)
		ch.tx.ReplaceTask(t, after)
		n++
		for _, a := range t.Assignees {
			users[a] = true
		}
		byCustomer[t.CustomerNo] = append(byCustomer[t.CustomerNo], after)
	}
	open, err := s.Store.OpenCollaborations(ctx, by.OrgID, slices.Sorted(maps.Keys(byCustomer)))
	if err != nil {
		return 0, err
	}
	now := s.Now()
	for _, r := range open {
		for _, t := range byCustomer[r.CustomerNo] {
			c := collab.RestoreCollaboration(r)
			if !c.FollowTask(t, by, now) {
				continue
			}
			ch.tx.PutCollaboration(c)
			_, take := r.Regrant(r.Assignees, c.Record().Assignees)
			n += 1 + len(take)
			regrant(ch, r, r.Assignees, c.Record().Assignees)
		}
	}
	return n + len(users), nil
}

func employeeOf(staff []collab.Employee, user string) collab.Employee {
	for _, e := range staff {
		if e.UserID == user {
			return e
		}
	}
	return collab.Employee{}
}

// otherAdministrator returns an administrator of the office other than the user, or "".
func otherAdministrator(staff []collab.Employee, user string) string {
	for _, e := range staff {
		if e.UserID != user && e.Role == collab.OfficeAdministrator {
			return e.UserID
		}
	}
	return ""
}
