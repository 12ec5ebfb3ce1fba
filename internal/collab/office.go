package collab

import (
	"slices"
	"strings"
)

// EmployeeRole is an office employee's role at the office.
type EmployeeRole string

// The roles of an office employee.
const (
	OfficeAdministrator EmployeeRole = "administrator"
	OfficeStaff         EmployeeRole = "employee"
)

// ParseEmployeeRole returns the role named s. It returns EINVALID role_invalid otherwise.
func ParseEmployeeRole(s string) (EmployeeRole, error) {
	switch r := EmployeeRole(s); r {
	case OfficeAdministrator, OfficeStaff:
		return r, nil
	}
	return "", Invalid("role", "role_invalid", `use "administrator" or "employee"`, "unknown role %q", s)
}

// Office is an accounting office.
type Office struct {
	ID   string
	Name string
}

// Employee is a person working at an office.
type Employee struct {
	OfficeID string
	UserID   string
	Name     string
	Email    string
	Language Language
	Role     EmployeeRole
}

// Customer is a customer of an office, as Practice management knows it. CompanyID is set once the
// customer is a company here.
type Customer struct {
	OfficeID  string
	No        string
	Name      string
	OrgNo     string
	CompanyID string
}

// Task is an engagement of an office for one customer, with the employees working on it.
type Task struct {
	OfficeID   string
	ID         string
	CustomerNo string
	Name       string
	Assignees  []string
	// Target is a change of the task being applied in steps (TaskTarget); nil when none is.
	Target *TaskTarget
	// Version is the stored task's version and Joins how many collaborations have taken its
	// assignees; a change of the task commits only if neither moved since it was read.
	Version, Joins int
}

// Assigned reports whether the user works on the task.
func (t Task) Assigned(userID string) bool { return slices.Contains(t.Assignees, userID) }

// CheckAssignees refuses a task with assignees who are not employees of its office, since the
// task's assignees get access to the customer's company: employees are the office's employee
// records found for them, keyed by user id. It returns EINVALID assignee_not_employee naming
// every such assignee.
func (t Task) CheckAssignees(employees map[string]Employee) error {
	var outsiders []string
	for _, id := range t.Assignees {
		if e, ok := employees[id]; !ok || e.UserID != id || e.OfficeID != t.OfficeID {
			outsiders = append(outsiders, id)
		}
	}
	if len(outsiders) == 0 {
		return nil
	}
	return Invalid("assignees", "assignee_not_employee",
		"add them as employees of the office first (PUT /offices/"+t.OfficeID+"/employees/{userId}), or leave them off the task",
		"not employees of office %s: %s", t.OfficeID, strings.Join(outsiders, ", "))
}
