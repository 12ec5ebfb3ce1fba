package memory

import (
	"context"
	"slices"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// Memberships is what one user is to offices, companies and customers' tasks, as read: each entry
// a copy of one employee, user or task with the version (an employee's stamp) it had. The
// DynamoDB store keeps such a copy beside the user, written with its sources; here it is taken
// from the sources at the read, which gives the same entries.
type Memberships struct {
	offices   map[string]entry // by office
	companies map[string]entry // by company
	tasks     []taskEntry      // sorted by office, customer, task
}

type entry struct {
	role    string
	version string // an employee's stamp
	n       int    // a user's version
}

type taskEntry struct {
	office, customer, task string
	version                int
}

// membershipsOf reads the user's memberships. The caller holds the lock.
func (s *Store) membershipsOf(user string) Memberships {
	m := Memberships{offices: map[string]entry{}, companies: map[string]entry{}}
	for k, e := range s.employees {
		if k.b == user {
			m.offices[k.a] = entry{role: string(e.e.Role), version: e.stamp}
		}
	}
	for k, u := range s.users {
		if k.b == user {
			m.companies[k.a] = entry{role: string(u.Role), n: u.Version}
		}
	}
	for _, t := range s.tasks {
		if t.Assigned(user) {
			m.tasks = append(m.tasks, taskEntry{t.OfficeID, t.CustomerNo, t.ID, t.Version})
		}
	}
	slices.SortFunc(m.tasks, func(a, b taskEntry) int {
		return compare(a.office, b.office, a.customer, b.customer, a.task, b.task)
	})
	return m
}

// compare compares pairs of strings in turn.
func compare(ab ...string) int {
	for i := 0; i+1 < len(ab); i += 2 {
		if ab[i] != ab[i+1] {
			if ab[i] < ab[i+1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Office returns the user's role in the office, and whether they are its employee.
func (m Memberships) Office(office string) (collab.EmployeeRole, bool) {
	e, ok := m.offices[office]
	return collab.EmployeeRole(e.role), ok
}

// Company returns the user's role in the company, and whether they are its user.
func (m Memberships) Company(company string) (collab.Role, bool) {
	e, ok := m.companies[company]
	return collab.Role(e.role), ok
}

func (m Memberships) taskOf(office, customer, except string) (string, int) {
	for _, t := range m.tasks {
		if t.office == office && t.customer == customer && t.task != except {
			return t.task, t.version
		}
	}
	return "", 0
}

// proof is this store's port.Proof: the versions of the user, employee and task a decision about
// a user's right rests on.
type proof struct {
	user     *versioned // the user in the company
	employee *versioned // the employee of the office, by stamp
	task     *versioned // the user's other task of the customer
}

type versioned struct {
	a, b    string
	version int
	stamp   string
}

// Standing returns what the memberships make the user to collaboration r, and the proof of each
// part of it.
func (m Memberships) Standing(r collab.CollaborationRecord, user string) (collab.Standing, port.Proof) {
	st, p := collab.Standing{UserID: user}, proof{}
	if e, ok := m.companies[r.CompanyID]; ok {
		st.CompanyRole, p.user = collab.Role(e.role), &versioned{a: r.CompanyID, b: user, version: e.n}
	}
	if e, ok := m.offices[r.OfficeID]; ok {
		st.OfficeRole, p.employee = collab.EmployeeRole(e.role), &versioned{a: r.OfficeID, b: user, stamp: e.version}
	}
	except := r.TaskID
	if r.Status.Final() {
		except = ""
	}
	if task, v := m.taskOf(r.OfficeID, r.CustomerNo, except); task != "" {
		st.CustomerTask, p.task = task, &versioned{a: r.OfficeID, b: task, version: v}
	}
	return st, p
}

// RequireParty makes the transaction depend on what the actor's right rests on being unchanged
// since it was read, or the commit fails with collab.ErrConflict: the user for a company user;
// the employee for an employee, and their other task of the customer when the right rests on it.
func (t *Tx) RequireParty(pr port.Proof, g collab.Grounds) {
	p, _ := pr.(proof)
	switch g {
	case collab.AsCompanyUser:
		t.requireUser(p.user)
	case collab.AsEmployee:
		t.requireEmployee(p.employee)
	case collab.AsOnCustomerTask:
		t.requireEmployee(p.employee)
		t.requireTask(p.task)
	}
}

func (t *Tx) requireUser(v *versioned) {
	if v == nil {
		return
	}
	t.add("USER#"+v.a+"#"+v.b, conflictUnless(func(s *Store) bool {
		u, ok := s.users[pair{v.a, v.b}]
		return ok && u.Version == v.version
	}), nil)
}

func (t *Tx) requireEmployee(v *versioned) {
	if v == nil {
		return
	}
	t.add("EMPLOYEE#"+v.a+"#"+v.b, conflictUnless(func(s *Store) bool {
		e, ok := s.employees[pair{v.a, v.b}]
		return ok && e.stamp == v.stamp
	}), nil)
}

func (t *Tx) requireTask(v *versioned) {
	if v == nil {
		return
	}
	t.add("TASK#"+v.a+"#"+v.b, conflictUnless(func(s *Store) bool {
		task, ok := s.tasks[pair{v.a, v.b}]
		return ok && task.Version == v.version
	}), nil)
}

// StandingOf reads what the user is to collaboration r on the side from the user (not for the
// office side) and the employee (not for the company side), and, for an employee who neither
// administers the office nor is on r's task, the customer's tasks, with their proof.
func (s *Store) StandingOf(_ context.Context, r collab.CollaborationRecord, user string, side collab.Side) (collab.Standing, port.Proof, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, p := collab.Standing{UserID: user}, proof{}
	u, isUser := s.users[pair{r.CompanyID, user}]
	if side != collab.OfficeSide && isUser {
		st.CompanyRole, p.user = u.Role, &versioned{a: r.CompanyID, b: user, version: u.Version}
	}
	e, isEmployee := s.employees[pair{r.OfficeID, user}]
	if side == collab.CompanySide || !isEmployee {
		return st, p, nil
	}
	st.OfficeRole, p.employee = e.e.Role, &versioned{a: r.OfficeID, b: user, stamp: e.stamp}
	final := r.Status.Final()
	if st.OfficeRole == collab.OfficeAdministrator || !final && r.OnTask(user) {
		return st, p, nil
	}
	for _, t := range s.customerTasks(r.OfficeID, r.CustomerNo) {
		if (final || t.ID != r.TaskID) && t.Assigned(user) {
			st.CustomerTask, p.task = t.ID, &versioned{a: r.OfficeID, b: t.ID, version: t.Version}
			break
		}
	}
	return st, p, nil
}
