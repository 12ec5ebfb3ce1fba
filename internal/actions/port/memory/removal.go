package memory

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

var (
	_ port.RemovalStore = (*Store)(nil)
	_ port.RemovalTx    = (*Tx)(nil)
)

// OfficeStaffAndTasks returns the office, its employees by user id and its tasks by task id.
func (s *Store) OfficeStaffAndTasks(ctx context.Context, office string) (collab.Office, []collab.Employee, []collab.Task, error) {
	o, staff, _ := s.OfficeStaff(ctx, office)
	s.mu.Lock()
	defer s.mu.Unlock()
	var tasks []collab.Task
	for k, t := range s.tasks {
		if k.a == office {
			tasks = append(tasks, cloneTask(t))
		}
	}
	slices.SortFunc(tasks, func(a, b collab.Task) int { return strings.Compare(a.ID, b.ID) })
	return o, staff, tasks, nil
}

// RequireOfficeAdministrator makes the transaction depend on the user still being an
// administrator of the office, or the commit fails with collab.ErrConflict.
func (t *Tx) RequireOfficeAdministrator(office, user string) {
	t.add("EMPLOYEE#"+office+"#"+user, conflictUnless(func(s *Store) bool {
		return s.employees[pair{office, user}].e.Role == collab.OfficeAdministrator
	}), nil)
}

// DeleteUser removes a company user at the version read (collab.ErrConflict if it changed).
func (t *Tx) DeleteUser(u collab.User) {
	t.member(u.ID)
	k := pair{u.CompanyID, u.ID}
	t.add("USER#"+k.a+"#"+k.b, conflictUnless(func(s *Store) bool {
		was, ok := s.users[k]
		return ok && was.Version == u.Version
	}), func(s *Store) { delete(s.users, k) })
}

// DeleteEmployee removes an office employee.
func (t *Tx) DeleteEmployee(e collab.Employee) {
	t.member(e.UserID)
	t.add("EMPLOYEE#"+e.OfficeID+"#"+e.UserID, nil, func(s *Store) { delete(s.employees, pair{e.OfficeID, e.UserID}) })
}

// DeleteTask removes a task where it was read: a change of it, or a collaboration joining it,
// since fails the commit with collab.ErrConflict.
func (t *Tx) DeleteTask(task collab.Task) {
	for _, u := range task.Assignees {
		t.member(u)
	}
	k := pair{task.OfficeID, task.ID}
	t.add(taskItem(task), conflictUnless(func(s *Store) bool {
		was, ok := s.tasks[k]
		return ok && was.Version == task.Version && was.Joins == task.Joins
	}), func(s *Store) { delete(s.tasks, k) })
}

// DeleteCustomer removes an office's customer on the condition that it has no collaboration that
// is not over (collab.ErrConflict otherwise).
func (t *Tx) DeleteCustomer(c collab.Customer) {
	t.add(customerItem(c), nil, func(s *Store) { delete(s.customers, pair{c.OfficeID, c.No}) })
	for _, id := range slices.Sorted(maps.Keys(collab.Solutions)) {
		slot := openKey(c.OfficeID, c.No, id)
		t.add("OPEN#"+slot, conflictUnless(func(s *Store) bool { return s.open[slot] == "" }), nil)
	}
}
