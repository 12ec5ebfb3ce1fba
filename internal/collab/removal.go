package collab

import (
	"slices"
	"strings"
	"time"
)

// What removing an employee, a task, a customer or a company user decides. Each removal takes
// back, in the same change, the access the removed thing gave.

// UserRemoved is the kind of company event that records a user taken out of the company.
const UserRemoved = "user_removed"

// ErrEmployeeNotFound: the office has no such employee.
var ErrEmployeeNotFound = Errorf(ENOTFOUND, "employee_not_found",
	"check the user id, or sync the employee from Practice management", "the office has no such employee")

// RemoveUser takes u out of the company. It returns ENOTFOUND user_not_found when u is not its
// user; ECONFLICT main_contact_removal when u is the main contact, and last_administrator when u
// is its last administrator: a company keeps a main contact and an administrator, so another
// one is named first.
func (c *Company) RemoveUser(u User) error {
	if u.CompanyID != c.ID || u.ID == "" {
		return ErrUserNotFound
	}
	if c.MainContact == u.ID {
		return Errorf(ECONFLICT, "main_contact_removal",
			"make another administrator the main contact first (PUT /companies/{companyId}/main-contact), then remove this user",
			"the main contact cannot be removed")
	}
	if u.Role == Administrator {
		if c.Admins <= 1 {
			return Errorf(ECONFLICT, "last_administrator", "make another user an administrator first, then remove this user",
				"a company needs at least one administrator")
		}
		c.Admins--
	}
	return nil
}

// RemoveEmployee checks that employee e may leave the office whose employees are staff: not its
// last administrator. It returns ENOTFOUND employee_not_found when e is no employee, and
// ECONFLICT last_office_administrator.
func RemoveEmployee(e Employee, staff []Employee) error {
	if e.UserID == "" {
		return ErrEmployeeNotFound
	}
	if e.Role != OfficeAdministrator {
		return nil
	}
	for _, o := range staff {
		if o.UserID != e.UserID && o.Role == OfficeAdministrator {
			return nil
		}
	}
	return Errorf(ECONFLICT, "last_office_administrator",
		"make another employee an administrator of the office first (PUT /offices/{officeId}/employees/{userId}), then remove this one",
		"an office needs at least one administrator")
}

// Without returns the task with the user no longer on it, nor on the target of a change being
// applied in steps (TaskTarget), which would otherwise put them back.
func (t Task) Without(user string) Task {
	t.Assignees = slices.DeleteFunc(slices.Clone(t.Assignees), func(a string) bool { return a == user })
	if t.Target != nil {
		target := *t.Target
		target.Assignees = slices.DeleteFunc(slices.Clone(target.Assignees), func(a string) bool { return a == user })
		t.Target = &target
	}
	return t
}

// Involves reports whether the user is on the task or on the target of its change in steps.
func (t Task) Involves(user string) bool {
	return t.Assigned(user) || t.Target != nil && slices.Contains(t.Target.Assignees, user)
}

// RemoveCustomer checks that a customer may be removed from the office: not while it has a
// collaboration that is not over (open lists their solutions). It returns ECONFLICT
// customer_removal_blocked naming them.
func RemoveCustomer(open []Solution) error {
	if len(open) == 0 {
		return nil
	}
	names := make([]string, len(open))
	for i, s := range open {
		names[i] = string(s)
	}
	return Errorf(ECONFLICT, "customer_removal_blocked",
		"end or withdraw the customer's collaborations first, then remove the customer",
		"the customer has collaborations that are not over (%s)", strings.Join(names, ", "))
}

// ErrRemovalTooLarge: a removal would change more than one transaction can hold.
var ErrRemovalTooLarge = Errorf(ECONFLICT, "removal_too_large",
	"take the employee off some tasks first (PUT /offices/{officeId}/tasks/{taskId}), or remove the customer's tasks one by one, then retry",
	"the removal changes too much to be made in one step")

// LeaveTask takes the collaboration off task, which is removed: while it is not over it keeps
// no task and no assignees, like one imported without a task, until the office links it to
// another; its history says so. It reports whether it changed.
func (c *Collaboration) LeaveTask(task Task, by Actor, now time.Time) bool {
	if c.rec.TaskID != task.ID || c.rec.Status.Final() {
		return false
	}
	c.rec.TaskID, c.rec.Assignees = "", nil
	c.history = append(c.history, Transition{At: now, Actor: by, From: c.rec.Status, To: c.rec.Status,
		Reason: "task " + task.ID + " removed; link a task of this customer"})
	c.rec.UpdatedAt = now
	return true
}
