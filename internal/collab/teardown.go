package collab

import (
	"slices"
	"time"
)

// Step is one step of a collaboration's teardown. Each is recorded on the collaboration when
// done, so a redelivered or concurrent teardown continues where the plan stands instead of
// repeating a step.
type Step string

// The teardown steps.
const (
	// StepRevokeOfficeAccess removes the access the collaboration gave the office's employees.
	StepRevokeOfficeAccess Step = "revoke_office_access"
	// StepApplyOutcome changes the subscription as the outcome and the solution's EndEffect say:
	// the company pays itself (continue), or read-only, data deleted, or backup handed over.
	StepApplyOutcome Step = "apply_outcome"
)

// TeardownStepFailed is the code of the failure an ending collaboration shows while its teardown
// is held up by a step that failed; the teardown job is retried, and the cleanup queues it again.
const TeardownStepFailed = "teardown_step_failed"

// TeardownFailure is what the API shows of a teardown held up: a stable code and a short
// message naming the step. What made the step fail (an AWS error, which can name IAM roles, the
// account and the table) is only logged.
type TeardownFailure struct {
	Code    string
	Message string
}

var stepFailures = map[Step]string{
	StepRevokeOfficeAccess: "removing the office's access to the company failed; it is retried automatically",
	StepApplyOutcome:       "changing the subscription as the chosen outcome says failed; it is retried automatically",
}

// TeardownFailure returns the teardown failure on record, and false when there is none. The step
// that failed is the next one of the plan, as a failure stays on record only until a step is
// done. Items written before this rule hold the error's text instead of the code: they show the
// code and the message too, never the text.
func (r CollaborationRecord) TeardownFailure() (TeardownFailure, bool) {
	if r.TeardownError == "" {
		return TeardownFailure{}, false
	}
	msg := "marking the collaboration ended failed; it is retried automatically"
	if step, ok := r.nextStep(); ok {
		msg = stepFailures[step]
	}
	return TeardownFailure{Code: TeardownStepFailed, Message: msg}, true
}

// TeardownPlan returns the steps that end a collaboration of this solution, in order. Every
// solution revokes the office's access and then applies the outcome; what applying means is the
// solution's EndEffect, so the plan stays data.
func (r SolutionRules) TeardownPlan() []Step {
	return []Step{StepRevokeOfficeAccess, StepApplyOutcome}
}

// NextStep returns the first step of the plan not yet done, and false when the plan is complete.
func (c *Collaboration) NextStep() (Step, bool) { return c.rec.nextStep() }

func (r CollaborationRecord) nextStep() (Step, bool) {
	for _, s := range Solutions[r.Solution].TeardownPlan() {
		if !slices.Contains(r.StepsDone, s) {
			return s, true
		}
	}
	return "", false
}

// CompleteStep records a teardown step as done. It returns ECONFLICT collaboration_not_ending, or
// step_out_of_order when the step is not the next one.
func (c *Collaboration) CompleteStep(s Step, now time.Time) error {
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration has a teardown"); err != nil {
		return err
	}
	if next, ok := c.NextStep(); !ok || next != s {
		return Errorf(ECONFLICT, "step_out_of_order", "reload the collaboration and run its next step",
			"step %s is not the next step of the teardown", s)
	}
	c.rec.StepsDone = append(c.rec.StepsDone, s)
	c.rec.TeardownError = ""
	c.rec.UpdatedAt = now
	return nil
}

// Redriven records that the cleanup queued the teardown again, so it is not due again before
// another stuck period passes.
func (c *Collaboration) Redriven(now time.Time) {
	c.rec.Redrives++
	c.rec.UpdatedAt = now
}
