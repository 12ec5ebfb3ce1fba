package memory

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// PutOffice writes an office (upsert: Practice management owns offices), for seeding.
func (t *Tx) PutOffice(o collab.Office) {
	t.add("OFFICE#"+o.ID, nil, func(s *Store) { s.offices[o.ID] = o })
}

// PutEmployee writes an office employee (upsert) with a new stamp, which their memberships carry.
func (t *Tx) PutEmployee(e collab.Employee) {
	t.member(e.UserID)
	t.add("EMPLOYEE#"+e.OfficeID+"#"+e.UserID, nil, func(s *Store) {
		s.employees[pair{e.OfficeID, e.UserID}] = employeeRow{e, s.newStamp()}
	})
}

// PutCustomer writes an office's customer as given, link included (upsert), for seeding.
func (t *Tx) PutCustomer(c collab.Customer) {
	t.add(customerItem(c), nil, func(s *Store) { s.customers[pair{c.OfficeID, c.No}] = c })
}

func customerItem(c collab.Customer) string { return "CUSTOMER#" + c.OfficeID + "#" + c.No }

// SyncCustomer writes an office's customer as Practice management sends it (upsert) without ever
// dropping or moving its company link: the link is set only when the customer has none.
func (t *Tx) SyncCustomer(c collab.Customer) {
	t.add(customerItem(c), nil, func(s *Store) {
		k := pair{c.OfficeID, c.No}
		was := s.customers[k]
		next := collab.Customer{OfficeID: c.OfficeID, No: c.No, Name: c.Name, OrgNo: c.OrgNo, CompanyID: was.CompanyID}
		if next.CompanyID == "" {
			next.CompanyID = c.CompanyID
		}
		s.customers[k] = next
	})
}

// RelinkCustomer writes a customer whose company link moved, on the conditions that the link is
// still the one read (was.CompanyID) and that the customer has no collaboration that is not
// over; either changed fails the commit with collab.ErrConflict.
func (t *Tx) RelinkCustomer(was, next collab.Customer) {
	k := pair{next.OfficeID, next.No}
	t.add(customerItem(next), conflictUnless(func(s *Store) bool {
		c, ok := s.customers[k]
		return ok && c.CompanyID != "" && c.CompanyID == was.CompanyID
	}), func(s *Store) {
		c := s.customers[k]
		c.Name, c.OrgNo, c.CompanyID = next.Name, next.OrgNo, next.CompanyID
		s.customers[k] = c
	})
	for _, id := range slices.Sorted(maps.Keys(collab.Solutions)) {
		slot := openKey(next.OfficeID, next.No, id)
		t.add("OPEN#"+slot, conflictUnless(func(s *Store) bool { return s.open[slot] == "" }), nil)
	}
}

// LinkCustomer links an existing customer to its company, changing nothing else of it. A
// customer missing, or linked to another company meanwhile, fails the commit with
// collab.ErrConflict.
func (t *Tx) LinkCustomer(c collab.Customer) {
	k := pair{c.OfficeID, c.No}
	t.add(customerItem(c), conflictUnless(func(s *Store) bool {
		was, ok := s.customers[k]
		return ok && (was.CompanyID == "" || was.CompanyID == c.CompanyID)
	}), func(s *Store) {
		was := s.customers[k]
		was.CompanyID = c.CompanyID
		s.customers[k] = was
	})
}

// PutTask writes a task whatever is stored, at version 1, for seeding.
func (t *Tx) PutTask(task collab.Task) {
	for _, u := range task.Assignees {
		t.member(u)
	}
	t.add(taskItem(task), nil, func(s *Store) {
		w := cloneTask(task)
		w.Version, w.Joins = 1, 0
		s.tasks[pair{task.OfficeID, task.ID}] = w
	})
}

func taskItem(task collab.Task) string { return "TASK#" + task.OfficeID + "#" + task.ID }

// ReplaceTask writes task where before was read (zero when there was none): the commit fails with
// collab.ErrConflict if the task changed since, or a collaboration joined it since (JoinTask).
func (t *Tx) ReplaceTask(before, task collab.Task) {
	for _, u := range append(slices.Clone(before.Assignees), task.Assignees...) {
		t.member(u)
	}
	k := pair{task.OfficeID, task.ID}
	t.add(taskItem(task), conflictUnless(func(s *Store) bool {
		was, ok := s.tasks[k]
		if before.Version == 0 {
			return !ok
		}
		return ok && was.Version == before.Version && was.Joins == before.Joins
	}), func(s *Store) {
		w := cloneTask(task)
		w.Version, w.Joins = before.Version+1, before.Joins
		s.tasks[k] = w
	})
}

// JoinTask makes the transaction depend on the task being at the version it was read at, or the
// commit fails with collab.ErrConflict, and counts the join.
func (t *Tx) JoinTask(task collab.Task) {
	k := pair{task.OfficeID, task.ID}
	t.add(taskItem(task), conflictUnless(func(s *Store) bool {
		was, ok := s.tasks[k]
		return ok && was.Version == task.Version
	}), func(s *Store) {
		w := s.tasks[k]
		w.Joins++
		s.tasks[k] = w
	})
}

// OfficeItems reads what refs names of one office; what is not found is zero.
func (s *Store) OfficeItems(_ context.Context, r port.OfficeRefs) (port.OfficeFacts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := port.OfficeFacts{Office: s.offices[r.OfficeID]}
	if r.EmployeeID != "" {
		f.Employee = s.employees[pair{r.OfficeID, r.EmployeeID}].e
	}
	if r.CustomerNo != "" {
		f.Customer = s.customers[pair{r.OfficeID, r.CustomerNo}]
	}
	if r.TaskID != "" {
		f.Task = cloneTask(s.tasks[pair{r.OfficeID, r.TaskID}])
	}
	if r.CompanyID != "" && r.Solution != "" {
		f.Subscription, _ = s.subscription(r.CompanyID, r.Solution)
	}
	if r.OrgNo != "" {
		f.OrgNoOf = s.orgNos[r.OrgNo]
	}
	if r.CustomerOpen && r.CustomerNo != "" {
		for _, id := range slices.Sorted(maps.Keys(collab.Solutions)) {
			if c := s.open[openKey(r.OfficeID, r.CustomerNo, id)]; c != "" {
				f.Open = append(f.Open, id)
				f.OpenIDs = append(f.OpenIDs, c)
			}
		}
	}
	slices.Sort(f.OpenIDs)
	if r.Staff != nil {
		f.Staff = map[string]collab.Employee{}
		for _, id := range r.Staff {
			if e, ok := s.employees[pair{r.OfficeID, id}]; ok {
				f.Staff[id] = e.e
			}
		}
	}
	return f, nil
}

// OfficeStaff returns an office and its employees, by user id; a zero Office when there is none.
func (s *Store) OfficeStaff(_ context.Context, office string) (collab.Office, []collab.Employee, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var staff []collab.Employee
	for k, e := range s.employees {
		if k.a == office {
			staff = append(staff, e.e)
		}
	}
	slices.SortFunc(staff, func(a, b collab.Employee) int { return strings.Compare(a.UserID, b.UserID) })
	return s.offices[office], staff, nil
}

// CustomerTasks returns the tasks of one customer of an office, in the order the DynamoDB store
// returns them (by task id, descending).
func (s *Store) CustomerTasks(_ context.Context, office, customerNo string) ([]collab.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customerTasks(office, customerNo), nil
}

func (s *Store) customerTasks(office, customerNo string) []collab.Task {
	var out []collab.Task
	for _, t := range s.tasks {
		if t.OfficeID == office && t.CustomerNo == customerNo {
			out = append(out, cloneTask(t))
		}
	}
	slices.SortFunc(out, func(a, b collab.Task) int { return strings.Compare(b.ID, a.ID) })
	return out
}
