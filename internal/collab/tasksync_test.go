package collab_test

import (
	"slices"
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// TestATaskChangeInStepsTakesAccessAwayBeforeItGivesAny: the steps of a task change too large
// for one transaction, from every state it can be found in.
func TestATaskChangeInStepsTakesAccessAwayBeforeItGivesAny(t *testing.T) {
	target := &collab.TaskTarget{CustomerNo: "1001", Name: "Ny", Assignees: []string{"b", "c"}, From: "1001"}
	task := func(customer, name string, assignees ...string) collab.Task {
		return collab.Task{OfficeID: "o", ID: "t", CustomerNo: customer, Name: name, Assignees: assignees, Target: target}
	}
	for _, c := range []struct {
		name   string
		task   collab.Task
		follow bool
		want   collab.TaskStep
		midway []string
	}{
		{"first_the_leavers_go_from_the_task", task("1001", "Gammal", "a", "b"), false, collab.TaskToMidway, []string{"b"}},
		{"then_from_its_collaborations", task("1001", "Gammal", "b"), false, collab.CollaborationsToMidway, []string{"b"}},
		{"then_the_task_takes_its_target", task("1001", "Gammal", "b"), true, collab.TaskToTarget, []string{"b"}},
		{"then_its_collaborations_follow", task("1001", "Ny", "b", "c"), false, collab.CollaborationsToTarget, []string{"b", "c"}},
		{"and_the_change_is_over", task("1001", "Ny", "b", "c"), true, collab.TaskDone, []string{"b", "c"}},
		{"a_task_moving_to_another_customer_keeps_nobody_midway", collab.Task{ID: "t", CustomerNo: "1002", Assignees: []string{"b"}, Target: target}, false, collab.TaskToMidway, nil},
		{"no_target_nothing_to_do", collab.Task{ID: "t", CustomerNo: "1001", Assignees: []string{"a"}}, false, collab.TaskDone, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.task.NextTaskStep(c.follow); got != c.want {
				t.Errorf("next step %d, want %d", got, c.want)
			}
			if c.task.Target != nil && c.want != collab.TaskDone && !slices.Equal(c.task.Midway().Assignees, c.midway) {
				t.Errorf("midway %v, want %v", c.task.Midway().Assignees, c.midway)
			}
		})
	}
	at := task("1001", "Gammal", "b").AtTarget()
	if !at.Reached() || at.Target == nil || !slices.Equal(at.Assignees, target.Assignees) || at.Name != "Ny" {
		t.Errorf("at its target: %+v", at)
	}
}
