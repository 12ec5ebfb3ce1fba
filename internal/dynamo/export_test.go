package dynamo

import "github.com/spiris/collab/internal/actions/port"

// TaskEntry is the name of a user's memberships entry of a task (taskAttr), for the tests to
// compare TaskOf with.
var TaskEntry = taskAttr

// TaskOf returns the entry of a task of the office's customer that memberships m, as this store
// read them, say the user is on, or "".
func TaskOf(m port.Memberships, office, customer string) string {
	a, _ := m.(Memberships).taskOf(office, customer, "")
	return a
}
