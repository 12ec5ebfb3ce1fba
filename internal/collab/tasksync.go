package collab

import "slices"

// TaskTarget is a change of a task too large for one transaction (a task with many assignees
// and open collaborations, whose grants all change), applied in ordered steps: what the task
// becomes, and the customer it had when the change began.
type TaskTarget struct {
	CustomerNo string
	Name       string
	Assignees  []string
	From       string // the customer the task had before the change
}

// TaskStep is where a stepped task change stands, and so what its next step does.
type TaskStep int

// The steps of a task change, in order. Access never grows wider than the old task's or the new
// one's: everyone the change takes off loses access first, while the newcomers get none; then
// the newcomers get it.
const (
	// TaskToMidway: the task keeps only the employees on both the old and the new task (nobody
	// when it moves to another customer).
	TaskToMidway TaskStep = iota
	// CollaborationsToMidway: its open collaborations follow that, revoking the others' grants.
	CollaborationsToMidway
	// TaskToTarget: the task becomes its target (the newcomers are on it).
	TaskToTarget
	// CollaborationsToTarget: its open collaborations follow the task, granting the newcomers.
	CollaborationsToTarget
	// TaskDone: every open collaboration follows the task; the change is over.
	TaskDone
)

// Origin is the customer the task's open collaborations may still be with: the one it had when
// a change in steps began (a move not yet finished leaves some there), or its own.
func (t Task) Origin() string {
	if t.Target != nil && t.Target.From != "" {
		return t.Target.From
	}
	return t.CustomerNo
}

// Customers are the customers whose open collaborations a change of the task must look at: its
// own, the one a change in steps began from, and the one it goes to.
func (t Task) Customers(to string) []string {
	var out []string
	for _, c := range []string{to, t.CustomerNo, t.Origin()} {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Midway is the task a stepped change passes through: the employees on both the task and its
// target, none when the task moves to another customer.
func (t Task) Midway() Task {
	m := t
	m.Assignees = nil
	if t.Target != nil && t.Target.CustomerNo == t.CustomerNo {
		for _, a := range t.Assignees {
			if slices.Contains(t.Target.Assignees, a) {
				m.Assignees = append(m.Assignees, a)
			}
		}
	}
	return m
}

// AtTarget returns the task as its target says, still marked as being changed.
func (t Task) AtTarget() Task {
	a := t
	a.CustomerNo, a.Name, a.Assignees = t.Target.CustomerNo, t.Target.Name, t.Target.Assignees
	return a
}

// Reached reports whether the task is its target already.
func (t Task) Reached() bool {
	return t.Target != nil && t.CustomerNo == t.Target.CustomerNo && t.Name == t.Target.Name && slices.Equal(t.Assignees, t.Target.Assignees)
}

// NextTaskStep says what a stepped change of t does next, given whether every open collaboration
// on it follows it (collaborationsFollow).
func (t Task) NextTaskStep(collaborationsFollow bool) TaskStep {
	switch {
	case t.Target == nil:
		return TaskDone
	case !t.Reached() && !slices.Equal(t.Assignees, t.Midway().Assignees):
		return TaskToMidway
	case !t.Reached() && !collaborationsFollow:
		return CollaborationsToMidway
	case !t.Reached():
		return TaskToTarget
	case !collaborationsFollow:
		return CollaborationsToTarget
	}
	return TaskDone
}
