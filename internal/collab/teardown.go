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

// TeardownPlan returns the stages that end a collaboration of this solution with outcome o, in
// order. A stage is the steps committed together, in one transaction with the collaboration, and
// the collaboration ends with the last stage. Every plan removes the office's access and applies
// the outcome's effect, both in one stage; an effect applied on its own (EndEffectRules.OnItsOwn)
// gets a stage of its own after the removal, with which the collaboration ends.
func (r SolutionRules) TeardownPlan(o Outcome) [][]Step {
	if EndEffects[r.EffectOf(o)].OnItsOwn {
		return [][]Step{{StepRevokeOfficeAccess}, {StepApplyOutcome}}
	}
	return [][]Step{{StepRevokeOfficeAccess, StepApplyOutcome}}
}

// NextStep returns the first step of the plan not yet done, and false when the plan is complete.
func (c *Collaboration) NextStep() (Step, bool) { return c.rec.nextStep() }

func (r CollaborationRecord) nextStep() (Step, bool) {
	for _, stage := range Solutions[r.Solution].TeardownPlan(r.Outcome) {
		for _, s := range stage {
			if !slices.Contains(r.StepsDone, s) {
				return s, true
			}
		}
	}
	return "", false
}

// NextStage returns the steps of the next stage of the teardown plan not yet done (none for a
// stage that only ends the collaboration) and whether the collaboration ends with it, and ok
// false when the collaboration is not ending.
func (c *Collaboration) NextStage() (steps []Step, ends, ok bool) {
	if c.rec.Status != Ending {
		return nil, false, false
	}
	plan := c.Rules().TeardownPlan(c.rec.Outcome)
	for i, stage := range plan {
		var left []Step
		for _, s := range stage {
			if !slices.Contains(c.rec.StepsDone, s) {
				left = append(left, s)
			}
		}
		if len(left) > 0 || len(stage) == 0 {
			return left, i == len(plan)-1, true
		}
	}
	return nil, true, true
}

// TeardownStage is what one stage of a collaboration's teardown changes besides the
// collaboration, for storage to commit with it in one transaction.
type TeardownStage struct {
	Steps []Step // the steps the stage did
	// Revoke are the grants the collaboration gave the office's employees (one per employee on
	// its task: the collaboration keeps its task's assignees, and so its grants, in step).
	Revoke []Grant
	// Subscription is the company's subscription as the stage leaves it, to be written at the
	// version it was read at; nil when the stage does not change it.
	Subscription *Subscription
	// Effect is what the stage did to the subscription (EndShared: only this collaboration's
	// use ended); empty when it did not apply the outcome.
	Effect EndEffect
	// DeleteFacts says what the solution reported about the company goes, with its data.
	DeleteFacts bool
	// Emails are the e-mails the stage causes, by template name.
	Emails []string
	// Ended says the collaboration ended with the stage.
	Ended bool
}

// EmailEnded is the e-mail both parties get when a collaboration has ended.
const EmailEnded = "ended"

// Teardown runs the next stage of an ending collaboration's teardown plan on it and returns what
// the stage changes besides it: its assignees give the grants to revoke; its solution and outcome,
// with the company's subscription sub as read (nil when there is none), the subscription's end
// (EndUse). It returns ECONFLICT collaboration_not_ending.
func (c *Collaboration) Teardown(sub *Subscription, now time.Time) (TeardownStage, error) {
	steps, ends, ok := c.NextStage()
	if !ok {
		return TeardownStage{}, c.require(Ending, "collaboration_not_ending", "only an ending collaboration has a teardown")
	}
	var st TeardownStage
	for _, step := range steps {
		if err := c.CompleteStep(step, now); err != nil {
			return TeardownStage{}, err
		}
		st.Steps = append(st.Steps, step)
		switch step {
		case StepRevokeOfficeAccess:
			st.Revoke = c.officeGrants()
		case StepApplyOutcome:
			after, applied := EndUse(sub, c.rec, c.Rules().EffectOf(c.rec.Outcome), now)
			effect := EndEffects[applied]
			st.Subscription, st.Effect, st.DeleteFacts = &after, applied, effect.DeletesData
			if effect.Email != "" {
				st.Emails = append(st.Emails, effect.Email)
			}
		}
	}
	if !ends {
		return st, nil
	}
	if err := c.FinishTeardown(now); err != nil {
		return TeardownStage{}, err
	}
	st.Emails, st.Ended = append(st.Emails, EmailEnded), true
	return st, nil
}

// officeGrants are the grants the collaboration gives the employees on its task.
func (c *Collaboration) officeGrants() []Grant {
	var gs []Grant
	for _, u := range c.rec.Assignees {
		gs = append(gs, Grant{CompanyID: c.rec.CompanyID, Solution: c.rec.Solution, UserID: u, Mode: FullAccess, Via: c.rec.ID})
	}
	return gs
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
