package port

import (
	"context"

	"github.com/spiris/collab/internal/collab"
)

// RemovalStore is what the removal routes read, part of Store.
type RemovalStore interface {
	// OfficeStaffAndTasks returns the office, its employees and its tasks, in one round trip
	// (a zero Office when there is none).
	OfficeStaffAndTasks(ctx context.Context, office string) (collab.Office, []collab.Employee, []collab.Task, error)
}

// RemovalTx is what the removal routes write, part of Tx. Each removal takes the removed item's entry out of the memberships of those it named, in the
// same transaction.
type RemovalTx interface {
	// DeleteUser removes a company user read at u.Version (collab.ErrConflict if it changed).
	DeleteUser(u collab.User)
	// DeleteEmployee removes an office employee.
	DeleteEmployee(e collab.Employee)
	// DeleteTask removes a task read at t.Version with t.Joins (collab.ErrConflict if either
	// moved: a collaboration took its assignees since).
	DeleteTask(t collab.Task)
	// DeleteCustomer removes an office's customer, on the condition that it has no collaboration
	// that is not over, as read (collab.ErrConflict otherwise).
	DeleteCustomer(c collab.Customer)
	// RequireOfficeAdministrator makes the commit depend on the user still being an
	// administrator of the office (collab.ErrConflict otherwise).
	RequireOfficeAdministrator(office, user string)
}
