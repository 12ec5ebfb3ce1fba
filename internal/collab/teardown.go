package collab

import (
	"slices"
	"strings"
	"time"
)

// Step is one step of a collaboration's teardown: a command the solution carries out in its own
// data and acknowledges (AcknowledgeStep). Each is recorded on the collaboration when done, so a
// redelivered or concurrent teardown continues where it stands instead of repeating a step.
type Step string

// The teardown commands (EndEffectRules.Command says which one an effect needs).
const (
	// StepRevokeOfficeAccess: the office's employees lose their access to the company in the
	// solution. The service removes the grants it keeps when it sends the command.
	StepRevokeOfficeAccess Step = "revoke_office_access"
	// StepTransferBilling: the company pays for the solution itself from now on (continue).
	StepTransferBilling Step = "transfer_billing"
	// StepSetReadOnly: the company's data stays readable, nothing can be changed.
	StepSetReadOnly Step = "set_read_only"
	// StepDeleteData: the solution deletes the company's data.
	StepDeleteData Step = "delete_data"
	// StepHandOverBackup: the solution hands the company a backup file of its data; the
	// acknowledgement says where the company downloads it and until when (Backup).
	StepHandOverBackup Step = "hand_over_backup"
	// StepExportData: the solution exports the company's data (SolutionRules.Export) before it
	// goes; the acknowledgement says where the main contact downloads it and until when.
	StepExportData Step = "export_data"
	// StepArchiveData: the solution keeps the company's data read-only, archived until the
	// command's retainUntil, and deletes it then (EndArchive).
	StepArchiveData Step = "archive_data"
)

// Steps lists every teardown step, for parsing and for the API's documentation.
var Steps = []Step{StepRevokeOfficeAccess, StepTransferBilling, StepSetReadOnly, StepDeleteData, StepHandOverBackup,
	StepExportData, StepArchiveData}

// The e-mails of a grace period: its start and the countdown to the company's administrators,
// and the export's link to the main contact.
const (
	EmailGraceStarted  = "grace_started"
	EmailGraceReminder = "grace_reminder"
	EmailDataExport    = "data_export"
)

// TeardownStepFailed is the code of the failure an ending collaboration shows while its teardown
// is held up: the solution answered a command with failed, or a stage of the service's own failed.
const TeardownStepFailed = "teardown_step_failed"

// Awaiting is the command an ending collaboration waits on: the solution was told to carry it
// out, and the collaboration goes on only when the solution acknowledges it.
type Awaiting struct {
	Step    Step
	Since   time.Time // when the command was sent (again, on a re-drive)
	Attempt int       // 1 for the first command; each operator re-drive adds one
	// Failure is the reason the solution gave when it answered failed, and FailedAt when; empty
	// while the command is unanswered.
	Failure  string
	FailedAt time.Time
}

// Backup is where the company downloads the backup file a solution handed over, and until when.
type Backup struct {
	URL   string
	Until time.Time
}

// Command is a command the teardown sends the solution: its step and attempt, and for
// StepArchiveData the date until which the data is kept (for the StepDeleteData of an archive at
// that date, the date that has passed).
type Command struct {
	Step        Step
	Attempt     int
	At          time.Time
	RetainUntil time.Time
}

// RetentionDate is until when accounting records whose last one is from at are kept, retainYears
// after the end of its financial year: the service knows no company's financial year, so it takes
// the calendar year, the default of the Swedish Bookkeeping Act (docs/decisions.md). The date is
// the last instant of that year, in UTC.
func RetentionDate(at time.Time, retainYears int) time.Time {
	return time.Date(at.UTC().Year()+retainYears+1, time.January, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
}

// TeardownFailure is what the API shows of a teardown held up: a stable code and a short
// message naming the step. What made a stage of the service's own fail (an AWS error, which can
// name IAM roles, the account and the table) is only logged; a solution's own reason is shown.
type TeardownFailure struct {
	Code    string
	Message string
}

// TeardownFailure returns the teardown failure on record, and false when there is none.
func (r CollaborationRecord) TeardownFailure() (TeardownFailure, bool) {
	if a := r.Awaiting; a != nil && a.Failure != "" {
		return TeardownFailure{Code: TeardownStepFailed, Message: Solutions[r.Solution].Name + " could not carry out " +
			string(a.Step) + ": " + a.Failure + "; an operator re-drives it once the cause is fixed"}, true
	}
	if r.TeardownError == "" {
		return TeardownFailure{}, false
	}
	msg := "removing the office's access to the company and telling " + Solutions[r.Solution].Name + " failed; it is retried automatically"
	if len(r.StepsDone) > 0 {
		msg = "changing the subscription as the chosen outcome says and ending the collaboration failed; it is retried automatically"
	}
	return TeardownFailure{Code: TeardownStepFailed, Message: msg}, true
}

// Commands returns the commands the solution carries out when a collaboration ends with effect
// e, in order: the office's access goes first, then what the effect does to the company's data
// and billing (none when only this collaboration's use of a shared subscription ends). An effect
// with a grace period makes the company's access read-only and exports the data first (when the
// solution can), and its own command waits for the deadline (Collaboration.Teardown); grace
// false is a stack configured without grace periods.
func (r SolutionRules) Commands(e EndEffect, grace bool) []Step {
	steps := []Step{StepRevokeOfficeAccess}
	effect := EndEffects[e]
	if effect.Grace && grace {
		steps = append(steps, StepSetReadOnly)
		if r.Export != "" {
			steps = append(steps, StepExportData)
		}
	}
	if effect.Command != "" {
		steps = append(steps, effect.Command)
	}
	return steps
}

// waitsForGrace reports whether command step must wait: it is the last command of an end with a
// grace period, and the deadline has not passed at now.
func (r CollaborationRecord) waitsForGrace(step Step, now time.Time) bool {
	return !r.GraceUntil.IsZero() && now.Before(r.GraceUntil) && len(r.Commands) > 0 && step == r.Commands[len(r.Commands)-1]
}

// nextCommand returns the first decided command not yet done.
func (r CollaborationRecord) nextCommand() (Step, bool) {
	for _, s := range r.Commands {
		if !slices.Contains(r.StepsDone, s) {
			return s, true
		}
	}
	return "", false
}

// TeardownStage is what one stage of a collaboration's teardown changes besides the
// collaboration, for storage to commit with it in one transaction.
type TeardownStage struct {
	// Waiting says the collaboration waits on the solution's acknowledgement of a command
	// already sent: the stage changes nothing.
	Waiting bool
	// Command is the command the stage sends the solution; nil when it sends none.
	Command *Command
	// Revoke are the grants the collaboration gave the office's employees (one per employee on
	// its task: the collaboration keeps its task's assignees, and so its grants, in step),
	// removed with the command that tells the solution to remove the office's access.
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

// Teardown runs the next stage of an ending collaboration's teardown on it and returns what the
// stage changes besides it. The company's subscription sub as read (nil when there is none)
// decides the effect (EndUse) and so the solution's commands (Commands); the first command not
// done is sent, and the collaboration then waits for its acknowledgement. When every command is
// done, the stage applies the effect to the subscription, ends the collaboration and sends the
// e-mails: only then, so no e-mail tells of a handover or a deletion that has not happened. The
// commands are decided again at every stage, so a subscription that changed meanwhile (another
// collaboration's use ended) gets the command its effect now needs. It returns ECONFLICT
// collaboration_not_ending.
//
// An effect with a grace period (EndEffectRules.Grace) starts it with the first stage: the
// deadline is now plus grace, the subscription becomes read-only (its uses kept, so the last
// stage still knows whether it is shared), the company's administrators are e-mailed, and the
// effect's own command is sent only once the deadline has passed (the cleanup queues the
// teardown then). A grace of 0 is a stack without grace periods: the data goes at once.
func (c *Collaboration) Teardown(sub *Subscription, now time.Time, grace time.Duration) (TeardownStage, error) {
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration has a teardown"); err != nil {
		return TeardownStage{}, err
	}
	if c.rec.Awaiting != nil {
		return TeardownStage{Waiting: true}, nil
	}
	after, applied := EndUse(sub, c.rec, c.Rules().EffectOf(c.rec.Outcome), now)
	c.rec.Commands = c.Rules().Commands(applied, grace > 0 || !c.rec.GraceUntil.IsZero())
	var st TeardownStage
	if EndEffects[applied].Grace && grace > 0 && c.rec.GraceUntil.IsZero() {
		c.rec.GraceUntil = now.Add(grace)
		if years := EndEffects[applied].RetainYears; years > 0 { // no record is made after today
			c.rec.RetainUntil = RetentionDate(now, years)
		}
		st.Emails = append(st.Emails, EmailGraceStarted)
		if sub != nil { // read-only from now on, until the deadline or an undo
			ro := *sub
			ro.Status, ro.UpdatedAt = SubscriptionReadOnly, now
			st.Subscription = &ro
		}
		if rules := c.Rules(); rules.Export == "" {
			c.move(Ending, System, now, "no export before the data goes: "+rules.NoExport)
		}
	}
	if next, ok := c.rec.nextCommand(); ok {
		if c.rec.waitsForGrace(next, now) {
			return TeardownStage{Waiting: true}, nil
		}
		st.Command = c.send(next, 1, now)
		if next == StepRevokeOfficeAccess {
			st.Revoke = c.officeGrants()
		}
		return st, nil
	}
	effect := EndEffects[applied]
	if effect.RetainYears > 0 {
		if c.rec.RetainUntil.IsZero() { // set when the archive command was sent
			c.rec.RetainUntil = RetentionDate(now, effect.RetainYears)
		}
		after.RetainUntil = c.rec.RetainUntil
	}
	st = TeardownStage{Subscription: &after, Effect: applied, DeleteFacts: effect.DeletesData}
	if effect.Email != "" {
		st.Emails = append(st.Emails, effect.Email)
	}
	if err := c.FinishTeardown(now); err != nil {
		return TeardownStage{}, err
	}
	st.Emails, st.Ended = append(st.Emails, EmailEnded), true
	return st, nil
}

// send records that command step goes to the solution, and returns it. The archive's command
// names the retention date, and so does the deletion of the archive at that date (EndRetention):
// it is decided once, when the company's access became read-only (the grace period's start: no
// record is made after it), or else when the archive command is first sent.
func (c *Collaboration) send(step Step, attempt int, now time.Time) *Command {
	c.rec.Awaiting = &Awaiting{Step: step, Since: now, Attempt: attempt}
	c.rec.TeardownError = ""
	c.rec.UpdatedAt = now
	cmd := &Command{Step: step, Attempt: attempt, At: now}
	if step == StepArchiveData && c.rec.RetainUntil.IsZero() {
		c.rec.RetainUntil = RetentionDate(now, EndEffects[EndArchive].RetainYears)
	}
	if step == StepArchiveData || step == StepDeleteData {
		cmd.RetainUntil = c.rec.RetainUntil
	}
	return cmd
}

// officeGrants are the grants the collaboration gives the employees on its task.
func (c *Collaboration) officeGrants() []Grant {
	var gs []Grant
	for _, u := range c.rec.Assignees {
		gs = append(gs, Grant{CompanyID: c.rec.CompanyID, Solution: c.rec.Solution, UserID: u, Mode: FullAccess, Via: c.rec.ID})
	}
	return gs
}

// Acknowledgement is a solution's answer to a teardown command.
type Acknowledgement struct {
	Done   bool
	Reason string  // why it failed; required when not Done
	Backup *Backup // where the handed-over backup is; required for StepHandOverBackup done
}

// ParseAcknowledgement checks a solution's answer to command step: result "done" or "failed", a
// reason for a failure (at most 500 characters), and for a handover done the backup's https URL
// and the time until which it can be downloaded, which must be after now. It returns EINVALID
// step_unknown, result_invalid, reason_missing, backup_missing, backup_url_invalid,
// backup_expired, or a field's text error.
func ParseAcknowledgement(step, result, reason, backupURL, until string, now time.Time) (Step, Acknowledgement, error) {
	s := Step(step)
	if !slices.Contains(Steps, s) {
		return "", Acknowledgement{}, Invalid("step", "step_unknown", "use the step the command named", "unknown teardown step %q", step)
	}
	var a Acknowledgement
	switch result {
	case "done":
		a.Done = true
	case "failed":
		if strings.TrimSpace(reason) == "" {
			return "", a, Invalid("reason", "reason_missing", "say in reason why the step failed, for the operators and both parties", "a failed step needs a reason")
		}
	default:
		return "", a, Invalid("result", "result_invalid", `use "done" or "failed"`, "unknown result %q", result)
	}
	if reason != "" {
		if err := CheckText("reason", reason, 500); err != nil {
			return "", a, err
		}
	}
	a.Reason = strings.TrimSpace(reason)
	if (s != StepHandOverBackup && s != StepExportData) || !a.Done {
		return s, a, nil
	}
	field, what := "backup", "the backup file"
	if s == StepExportData {
		field, what = "export", "the export"
	}
	if backupURL == "" || until == "" {
		return "", a, Invalid(field, field+"_missing", "send "+field+".url and "+field+".availableUntil: where the company downloads "+what+" and until when",
			"%s needs its download link and expiry", what)
	}
	if len(backupURL) > 2000 || !strings.HasPrefix(backupURL, "https://") || strings.ContainsAny(backupURL, " \n\r\t<>\"") {
		return "", a, Invalid(field+".url", field+"_url_invalid", "send the https:// link the company downloads "+what+" from", "%s.url is not an https link", field)
	}
	t, err := time.Parse(time.RFC3339, until)
	if err != nil {
		return "", a, Invalid(field+".availableUntil", field+"_until_invalid", "send an RFC 3339 time, e.g. 2027-03-01T00:00:00Z", "%s.availableUntil is not a time", field)
	}
	if !t.After(now) {
		return "", a, Invalid(field+".availableUntil", field+"_expired", "hand over "+what+" while the company can still download it", "%s.availableUntil has passed", field)
	}
	a.Backup = &Backup{URL: backupURL, Until: t.UTC()}
	return s, a, nil
}

// AckResult is what an acknowledgement did: whether it changed the collaboration, the next
// command it sends, whether every command is done, so the teardown's last stage is next, and the
// e-mails it causes (the export's link).
type AckResult struct {
	Changed bool
	Command *Command
	Finish  bool
	Emails  []string
	// ArchiveDeleted says the solution deleted the data it kept archived until its retention
	// date (EndRetention): the subscription records when.
	ArchiveDeleted bool
}

// AcknowledgeStep records the solution's answer to command step. Done completes the step and
// sends the next command, or says the teardown's last stage is due (Finish); failed keeps the
// collaboration ending with the solution's reason on record (TeardownFailure) until an operator
// re-drives it. The same answer again changes nothing (the solution may answer every copy of a
// command it got), and so does done for a step done before. It returns ECONFLICT
// step_not_pending when the collaboration does not wait on step (not commanded yet, or done and
// now answered failed).
func (c *Collaboration) AcknowledgeStep(step Step, a Acknowledgement, now time.Time) (AckResult, error) {
	if slices.Contains(c.rec.StepsDone, step) {
		if a.Done {
			return AckResult{}, nil
		}
		return AckResult{}, notPending(step, "it is done already")
	}
	w := c.rec.Awaiting
	if (c.rec.Status != Ending && !c.rec.deletingArchive()) || w == nil || w.Step != step {
		return AckResult{}, notPending(step, "the collaboration does not wait on it")
	}
	if !a.Done {
		if w.Failure == a.Reason {
			return AckResult{}, nil
		}
		w.Failure, w.FailedAt = a.Reason, now
		c.rec.UpdatedAt = now
		return AckResult{Changed: true}, nil
	}
	c.rec.StepsDone = append(c.rec.StepsDone, step)
	c.rec.Awaiting, c.rec.Redrives = nil, 0
	res := AckResult{Changed: true}
	switch {
	case a.Backup != nil && step == StepExportData:
		c.rec.Export = a.Backup
		res.Emails = []string{EmailDataExport}
	case a.Backup != nil:
		c.rec.Backup = a.Backup
	}
	c.rec.UpdatedAt = now
	if c.rec.Status == Ended {
		return c.archiveDeleted(now), nil
	}
	next, ok := c.rec.nextCommand()
	switch {
	case ok && c.rec.waitsForGrace(next, now):
		// the cleanup queues the teardown at the deadline
	case ok:
		res.Command = c.send(next, 1, now)
	default:
		res.Finish = true
	}
	return res, nil
}

// UndoEnd is an administrator of the company undoing an end with a grace period before its
// deadline: the company keeps the solution and pays for it itself (the outcome becomes Continue,
// so the solution is told to transfer the billing, which gives the company its full access back),
// and the collaboration with the office ends as before. A command the end was waiting on is
// dropped (returned, so its outbox message can go). It returns ECONFLICT collaboration_not_ending,
// undo_not_possible (the end has no grace period), undo_too_late (the deadline has passed, or the
// data is already being deleted).
func (c *Collaboration) UndoEnd(by Actor, now time.Time) (*Awaiting, error) {
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration's end can be undone"); err != nil {
		return nil, err
	}
	if c.rec.GraceUntil.IsZero() || c.rec.Outcome != EndSubscription {
		return nil, Errorf(ECONFLICT, "undo_not_possible", "nothing to undo: this end deletes no data",
			"the end of the collaboration has no grace period")
	}
	last := c.rec.Commands[len(c.rec.Commands)-1]
	if !now.Before(c.rec.GraceUntil) || slices.Contains(c.rec.StepsDone, last) || (c.rec.Awaiting != nil && c.rec.Awaiting.Step == last) {
		return nil, Errorf(ECONFLICT, "undo_too_late", "start a new collaboration or subscription instead",
			"the grace period ended on %s", c.rec.GraceUntil.UTC().Format("2006-01-02"))
	}
	dropped := c.rec.Awaiting
	c.rec.Outcome, c.rec.GraceUntil, c.rec.GraceReminded, c.rec.RetainUntil = Continue, time.Time{}, 0, time.Time{}
	c.rec.Awaiting, c.rec.Commands = nil, nil
	c.move(Ending, by, now, "end undone: the company keeps "+c.Rules().Name+" and pays for it itself")
	return dropped, nil
}

// RemindGrace records the countdown reminders of the grace period's deadline that are due at
// now, and reports whether the company's administrators are to be e-mailed one: a cleanup that
// comes late sends only the latest reminder due (the 7-day one overtaken by the 1-day one is
// counted without an e-mail), and none once the deadline has passed (EndGrace then).
func (c *Collaboration) RemindGrace(now time.Time) (send bool) {
	if !now.Before(c.rec.GraceUntil) {
		return false
	}
	for c.rec.GraceReminded < len(GraceReminders) && !now.Before(c.rec.GraceUntil.Add(-GraceReminders[c.rec.GraceReminded])) {
		c.rec.GraceReminded++
		send = true
	}
	c.rec.UpdatedAt = now
	return send
}

// EndGrace records that the grace period's deadline has come, so the teardown goes on and
// sends the last command.
func (c *Collaboration) EndGrace(now time.Time) {
	c.rec.GraceReminded = graceOver
	c.rec.UpdatedAt = now
}

// graceOver is GraceReminded once the deadline has passed: two reminders, then the end.
const graceOver = 3

func notPending(step Step, why string) error {
	return Errorf(ECONFLICT, "step_not_pending",
		"acknowledge the step the command named, once it was sent; GET the collaboration to see which step it waits on",
		"step %s cannot be acknowledged: %s", step, why)
}

// Redrive is an operator's re-drive of an ending collaboration's teardown: the command it waits
// on is sent again (a failure on record is cleared, the attempt counted), or, when it waits on
// none, the teardown runs again (nil). An ended collaboration waiting on the deletion of its
// archive (EndRetention) has that command sent again. It returns ECONFLICT
// collaboration_not_ending.
func (c *Collaboration) Redrive(now time.Time) (*Command, error) {
	if c.rec.deletingArchive() {
		return c.send(c.rec.Awaiting.Step, c.rec.Awaiting.Attempt+1, now), nil
	}
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration's teardown can be re-driven"); err != nil {
		return nil, err
	}
	c.Redriven(now)
	if w := c.rec.Awaiting; w != nil {
		return c.send(w.Step, w.Attempt+1, now), nil
	}
	return nil, nil
}

// Redriven records that the cleanup queued the teardown again, so it is not due again before
// another stuck period passes.
func (c *Collaboration) Redriven(now time.Time) {
	c.rec.Redrives++
	c.rec.UpdatedAt = now
}
