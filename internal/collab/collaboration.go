package collab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is where a collaboration is in its lifecycle.
type Status string

// The states of a collaboration. Declined, Expired, Withdrawn and Ended are final.
const (
	Pending   Status = "pending"
	Active    Status = "active"
	Ending    Status = "ending"
	Ended     Status = "ended"
	Declined  Status = "declined"
	Expired   Status = "expired"
	Withdrawn Status = "withdrawn"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{Pending, Active, Ending, Ended, Declined, Expired, Withdrawn}

// Final reports whether no transition leaves s.
func (s Status) Final() bool {
	return s == Ended || s == Declined || s == Expired || s == Withdrawn
}

// ParseStatus returns the status named s. It returns EINVALID status_invalid otherwise.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Invalid("status", "status_invalid", "use one of pending, active, ending, ended, declined, expired, withdrawn", "unknown status %q", s)
}

// InvoiceRecipient says who pays for the solution during the collaboration.
type InvoiceRecipient string

// The invoice recipients an activation may choose.
const (
	InvoiceOffice   InvoiceRecipient = "office"
	InvoiceCustomer InvoiceRecipient = "customer"
)

// Scenario is how an activation found the customer (shared/DOMAIN.md, Activate).
type Scenario string

// The three activation scenarios.
const (
	ExistingSolution Scenario = "existing_solution" // the company already has the solution
	NewSolution      Scenario = "new_solution"      // the company exists but lacks the solution
	NewCompany       Scenario = "new_company"       // the customer is not yet a company here
)

// Transition is one entry of a collaboration's history: who moved it from where to where, when
// and why.
type Transition struct {
	At     time.Time
	Actor  Actor
	From   Status // empty for the activation
	To     Status
	Reason string
	// Terms is the version of the terms an acceptance agreed to (Terms.Version); empty for
	// every other transition.
	Terms string
}

// Collaboration is an accounting office and one customer company sharing one solution. Its state
// is unexported and changes only through its transition methods, each of which appends to the
// history.
type Collaboration struct {
	rec     CollaborationRecord
	history []Transition // transitions made since the collaboration was loaded or created
}

// CollaborationRecord is the stored form of a collaboration: storage reads and writes it, and
// readers see it through Collaboration.Record. Version counts writes, for optimistic locking.
type CollaborationRecord struct {
	ID         string
	OfficeID   string
	CustomerNo string
	CompanyID  string
	Solution   Solution
	TaskID     string // empty for a collaboration imported without a task, or whose task moved to another customer
	// Assignees are the employees on the task, kept in step with it (FollowTask), so accepting
	// and authorizing need not read the task.
	Assignees []string
	// OfficeName and CompanyName are the names the office knew at activation, for the
	// invitation page; empty for an imported collaboration.
	OfficeName       string
	CompanyName      string
	Status           Status
	Scenario         Scenario
	InvoiceRecipient InvoiceRecipient
	StartPeriod      Period
	AgreementMonths  int       // 0 when the solution has no agreement period
	AgreementEndsAt  time.Time // zero when the solution has no agreement period
	ReminderSentAt   time.Time // the agreement-ending reminder for the current period
	InvitationHash   string    // hash of the live invitation's token, while pending
	InvitationExpiry time.Time
	// InvitationRemindedAt is when the company's administrators were reminded of the live
	// invitation before it expires; zero until then, and again for a new invitation.
	InvitationRemindedAt time.Time
	// ActivatedBy is the office employee who activated the collaboration, who is told when the
	// customer answers; empty for an imported one.
	ActivatedBy   string
	Undelivered   Undelivered
	Outcome       Outcome // chosen when ending
	TeardownError string  // TeardownStepFailed while a stage of the service's own fails; never the error (see TeardownFailure)
	// Opened is what the activation did to the company's subscription when it opened one (the
	// new_solution and new_company scenarios), so a collaboration that ends unanswered undoes
	// it without reading the subscription; nil when it opened none, or was activated before
	// collaborations kept it.
	Opened *Opening
	// Commands are the teardown's commands to the solution as last decided (Teardown), in
	// order; StepsDone those the solution acknowledged done, in order; Awaiting the one sent and
	// not done yet, nil when none is.
	Commands  []Step
	StepsDone []Step
	Awaiting  *Awaiting
	// Backup is the backup file the solution handed over at teardown, for the company's e-mail;
	// Export the export of the company's data the solution made before the data went.
	Backup *Backup
	Export *Backup
	// GraceUntil is the deadline of an end with a grace period: the company's data goes after
	// it, and an administrator can undo the end until then; GraceReminded counts the reminders
	// sent (graceOver once the deadline has passed).
	GraceUntil    time.Time
	GraceReminded int
	// RetainUntil is the retention date of the company's data an end left archived with the
	// solution (EndArchive): at that date the cleanup has the solution delete it (EndRetention).
	// Zero otherwise, and once the archive is no longer this collaboration's to delete.
	RetainUntil time.Time
	Redrives    int // times the cleanup queued a stuck teardown again
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
	// ScheduledEnd is the end either party scheduled for a month end (ScheduleEnd), nil when
	// none is; it counts only while the collaboration is active (ScheduledEndOf).
	ScheduledEnd *ScheduledEnd
}

// ActivationInput is what an office employee chooses when activating.
type ActivationInput struct {
	ID               string
	OfficeID         string
	OfficeName       string
	Customer         Customer
	CompanyID        string
	Task             Task
	Solution         Solution
	InvoiceRecipient InvoiceRecipient
	StartPeriod      Period
	AgreementMonths  int
	Scenario         Scenario
	// Opened is the subscription the activation opens for the collaboration (Open), if any.
	Opened *Subscription
}

// Activate creates a pending collaboration. It returns EINVALID solution_unknown, period_invalid
// (a start period given before the current month or more than StartPeriodMonthsAhead months after
// it), agreement_period_required, agreement_period_invalid, agreement_period_not_applicable,
// invoice_recipient_invalid, or ECONFLICT task_customer_mismatch.
func Activate(in ActivationInput, by Actor, now time.Time) (*Collaboration, error) {
	rules, err := Rules(in.Solution)
	if err != nil {
		return nil, err
	}
	if !in.StartPeriod.IsZero() { // the API always gives one (ParseStartPeriod)
		if err := CheckStartPeriod("startPeriod", in.StartPeriod, now); err != nil {
			return nil, err
		}
	}
	if err := checkAgreement(rules, in.AgreementMonths); err != nil {
		return nil, err
	}
	if in.InvoiceRecipient != InvoiceOffice && in.InvoiceRecipient != InvoiceCustomer {
		return nil, Invalid("invoiceRecipient", "invoice_recipient_invalid", `use "office" or "customer"`,
			"unknown invoice recipient %q", in.InvoiceRecipient)
	}
	if in.Task.CustomerNo != in.Customer.No {
		return nil, Errorf(ECONFLICT, "task_customer_mismatch", "choose a task connected to this customer",
			"task %s belongs to customer %s, not %s", in.Task.ID, in.Task.CustomerNo, in.Customer.No)
	}
	c := &Collaboration{rec: CollaborationRecord{
		ID:               in.ID,
		OfficeID:         in.OfficeID,
		CustomerNo:       in.Customer.No,
		CompanyID:        in.CompanyID,
		Solution:         in.Solution,
		TaskID:           in.Task.ID,
		Assignees:        in.Task.Assignees,
		OfficeName:       in.OfficeName,
		CompanyName:      in.Customer.Name,
		Scenario:         in.Scenario,
		InvoiceRecipient: in.InvoiceRecipient,
		StartPeriod:      in.StartPeriod,
		AgreementMonths:  in.AgreementMonths,
		ActivatedBy:      by.UserID,
		CreatedAt:        now,
	}}
	if in.AgreementMonths > 0 {
		// As it would end if accepted now; Accept sets it from the acceptance.
		c.rec.AgreementEndsAt = agreementEnd(in.StartPeriod, now, in.AgreementMonths)
	}
	if s := in.Opened; s != nil {
		c.rec.Opened = &Opening{RestoreTo: s.RestoreTo, Version: s.Version}
	}
	c.move(Pending, by, now, "activated ("+string(in.Scenario)+")")
	return c, nil
}

func checkAgreement(rules SolutionRules, months int) error {
	if !rules.HasAgreementPeriod() {
		if months != 0 {
			return Invalid("agreementMonths", "agreement_period_not_applicable", "leave agreementMonths out",
				"%s has no agreement period", rules.Name)
		}
		return nil
	}
	if months == 0 {
		return Invalid("agreementMonths", "agreement_period_required", "choose an agreement period of 3 or 12 months",
			"%s needs an agreement period", rules.Name)
	}
	for _, m := range rules.AgreementMonths {
		if m == months {
			return nil
		}
	}
	return Invalid("agreementMonths", "agreement_period_invalid", "choose an agreement period of 3 or 12 months",
		"%d months is not an agreement period of %s", months, rules.Name)
}

// RestoreCollaboration rebuilds a collaboration from its stored record. Storage uses it; rules
// never see a record directly.
func RestoreCollaboration(r CollaborationRecord) *Collaboration {
	return &Collaboration{rec: r}
}

// Record returns a copy of the collaboration's state, for storage and for reading.
func (c *Collaboration) Record() CollaborationRecord { return c.rec }

// Committed returns the collaboration as storage holds it once its changes are committed: one
// version on (Version counts writes) and with no new transitions. A use case that changes it
// again after a commit goes on from here instead of reading it back; if anything else wrote it
// in between, the next commit fails on the version like any change since a read.
func (c *Collaboration) Committed() *Collaboration {
	r := c.rec
	r.Version++
	return RestoreCollaboration(r)
}

// NewTransitions returns the transitions made since the collaboration was loaded or created, for
// storage to append to the stored history.
func (c *Collaboration) NewTransitions() []Transition { return c.history }

// ID returns the collaboration's id.
func (c *Collaboration) ID() string { return c.rec.ID }

// Status returns the collaboration's current status.
func (c *Collaboration) Status() Status { return c.rec.Status }

// Rules returns the rules of the collaboration's solution.
func (c *Collaboration) Rules() SolutionRules { return Solutions[c.rec.Solution] }

func (c *Collaboration) move(to Status, by Actor, now time.Time, reason string) {
	c.history = append(c.history, Transition{At: now, Actor: by, From: c.rec.Status, To: to, Reason: reason})
	c.rec.Status = to
	c.rec.UpdatedAt = now
}

func (c *Collaboration) require(s Status, code, fix string) error {
	if c.rec.Status != s {
		return Errorf(ECONFLICT, code, fix, "the collaboration is %s, not %s", c.rec.Status, s)
	}
	return nil
}

const notPendingFix = "only a pending invitation can be answered, resent or withdrawn; reload the collaboration to see its state"

// Invite records the live invitation of a pending collaboration (at activation and on resend),
// which is yet to be delivered. It returns ECONFLICT collaboration_not_pending.
func (c *Collaboration) Invite(inv Invitation) error {
	if err := c.require(Pending, "collaboration_not_pending", notPendingFix); err != nil {
		return err
	}
	c.rec.InvitationHash = inv.TokenHash
	c.rec.InvitationExpiry = inv.ExpiresAt
	c.rec.InvitationRemindedAt = time.Time{}
	c.rec.Undelivered = Undelivered{}
	return nil
}

// Undelivered is an invitation e-mail the mail service refused for good for some recipients, so
// the office can correct their addresses and resend.
type Undelivered struct {
	At     time.Time
	Reason string   // RecipientRejected
	Users  []string // the company users whose address was refused, in the order found
}

// RecipientRejected is the reason of an Undelivered invitation whose recipients' addresses the
// mail service refused (malformed, or on a suppression list).
const RecipientRejected = "recipient_rejected"

// InvitationUndelivered records that the live invitation's e-mail could not be delivered to the
// users named because the mail service refused their addresses for good. It reports whether
// that changed anything (false when every user was recorded before), and returns ECONFLICT
// collaboration_not_pending.
func (c *Collaboration) InvitationUndelivered(users []string, now time.Time) (bool, error) {
	if err := c.require(Pending, "collaboration_not_pending", notPendingFix); err != nil {
		return false, err
	}
	u := &c.rec.Undelivered
	added := 0
	for _, id := range users {
		if !slices.Contains(u.Users, id) {
			u.Users = append(u.Users, id)
			added++
		}
	}
	if added == 0 {
		return false, nil
	}
	u.At, u.Reason = now, RecipientRejected
	c.history = append(c.history, Transition{At: now, Actor: System, From: Pending, To: Pending,
		Reason: "invitation e-mail could not be delivered to " + plural(len(u.Users), "recipient") + " (" + RecipientRejected + ")"})
	c.rec.UpdatedAt = now
	return true, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// Accept makes a pending collaboration active, the acceptance agreeing to the current terms
// (CurrentTerms.Version, recorded on the history with who accepted and when). Its agreement
// period, if it has one, runs from the later of the start period and the month of acceptance, so
// the time an invitation waited for an answer is not taken from it. It returns ECONFLICT
// collaboration_not_pending.
func (c *Collaboration) Accept(by Actor, now time.Time) error {
	if err := c.settle(Active, by, now, "invitation accepted (terms "+CurrentTerms.Version+")"); err != nil {
		return err
	}
	c.history[len(c.history)-1].Terms = CurrentTerms.Version
	if c.rec.AgreementMonths > 0 {
		c.rec.AgreementEndsAt = agreementEnd(c.rec.StartPeriod, now, c.rec.AgreementMonths)
	}
	return nil
}

// agreementEnd is the end of an agreement period of months that runs from the later of the start
// period and the month of from: the first day of the month after its last month.
func agreementEnd(start Period, from time.Time, months int) time.Time {
	return start.Later(PeriodOf(from)).AddMonths(months).Start()
}

// Decline ends a pending collaboration at the customer's wish. It returns ECONFLICT
// collaboration_not_pending.
func (c *Collaboration) Decline(by Actor, now time.Time) error {
	return c.settle(Declined, by, now, "invitation declined")
}

// Withdraw ends a pending collaboration at the office's wish. It returns ECONFLICT
// collaboration_not_pending.
func (c *Collaboration) Withdraw(by Actor, now time.Time) error {
	return c.settle(Withdrawn, by, now, "invitation withdrawn by the office")
}

// settle is the one shape of answering a pending collaboration's invitation (accept, decline,
// withdraw): only a pending one can be, its invitation is no longer live nor waiting for
// delivery, and it moves to the answer's status.
func (c *Collaboration) settle(to Status, by Actor, now time.Time, reason string) error {
	if err := c.require(Pending, "collaboration_not_pending", notPendingFix); err != nil {
		return err
	}
	c.rec.InvitationHash, c.rec.Undelivered = "", Undelivered{}
	c.move(to, by, now, reason)
	return nil
}

// RemindInvitation records that the company's administrators are reminded of the live invitation
// before it expires. It returns ECONFLICT collaboration_not_pending, or invitation_reminded when
// they were reminded of this invitation already.
func (c *Collaboration) RemindInvitation(now time.Time) error {
	if err := c.require(Pending, "collaboration_not_pending", notPendingFix); err != nil {
		return err
	}
	if !c.rec.InvitationRemindedAt.IsZero() {
		return Errorf(ECONFLICT, "invitation_reminded", "nothing to do: the reminder went out",
			"the administrators were reminded of this invitation at %s", c.rec.InvitationRemindedAt.Format(time.RFC3339))
	}
	c.rec.InvitationRemindedAt, c.rec.UpdatedAt = now, now
	return nil
}

// Expire ends a pending collaboration whose invitation has run out. It returns ECONFLICT
// collaboration_not_pending, or invitation_not_expired when the invitation is still live at now.
func (c *Collaboration) Expire(now time.Time) error {
	if err := c.require(Pending, "collaboration_not_pending", notPendingFix); err != nil {
		return err
	}
	if now.Before(c.rec.InvitationExpiry) {
		return Errorf(ECONFLICT, "invitation_not_expired", "wait until the invitation expires",
			"the invitation is live until %s", c.rec.InvitationExpiry.Format(time.RFC3339))
	}
	c.rec.InvitationHash = ""
	c.move(Expired, System, now, "invitation expired unanswered")
	return nil
}

// EndBlockers returns every rule that stops the collaboration from ending with outcome right now,
// each with its fix; none means End would succeed. company is the customer company and facts what
// the solution last reported about it.
func (c *Collaboration) EndBlockers(outcome Outcome, company Company, facts SolutionFacts, now time.Time, maxAge time.Duration) []Blocker {
	bs := c.ownEndBlockers(outcome)
	if company.MainContact == "" {
		bs = append(bs, MainContactMissing())
	}
	if b := c.Rules().FactsBlocker(facts, now, maxAge); b != nil {
		return append(bs, *b) // what stale facts say proves nothing
	}
	return append(bs, c.Rules().Blockers(facts)...)
}

// ownEndBlockers are the rules of ending that the collaboration alone decides.
func (c *Collaboration) ownEndBlockers(outcome Outcome) []Blocker {
	var bs []Blocker
	if c.rec.Status != Active {
		bs = append(bs, Blocker{Code: "collaboration_not_active",
			Message: "the collaboration is " + string(c.rec.Status) + ", only an active collaboration can be ended",
			Fix:     "reload the collaboration; a pending one can be withdrawn or declined instead"})
	}
	rules := c.Rules()
	if !rules.Allows(outcome) {
		bs = append(bs, Blocker{Code: "outcome_not_allowed",
			Message: rules.Name + " cannot end with outcome " + string(outcome),
			Fix:     "choose one of: " + outcomeList(rules.Outcomes)})
	}
	return bs
}

func outcomeList(outcomes []Outcome) string {
	names := make([]string, len(outcomes))
	for i, o := range outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// End moves an active collaboration to ending; the teardown then runs asynchronously. It refuses
// with the first of EndBlockers as an *Error (kind ECONFLICT, with every blocker attached):
// collaboration_not_active, outcome_not_allowed, main_contact_missing,
// payroll_handover_incomplete, expenses_not_submitted.
func (c *Collaboration) End(by Actor, outcome Outcome, company Company, facts SolutionFacts, now time.Time, maxAge time.Duration) error {
	if bs := c.EndBlockers(outcome, company, facts, now, maxAge); len(bs) > 0 {
		return &Error{Kind: ECONFLICT, Code: bs[0].Code, Message: bs[0].Message, Fix: bs[0].Fix, Blockers: bs}
	}
	c.rec.Outcome = outcome
	c.move(Ending, by, now, "ended with outcome "+string(outcome))
	return nil
}

// EndIfCompanyReady is End for a caller that has not read the company: when the collaboration's own
// rules allow (it is active, the outcome is allowed) it moves to ending and reports true, and the
// company's rules (a main contact, the solution's preconditions) become the commit's to require
// (dynamo Tx.RequireEndable). When it reports false nothing changed, and End with the company
// says why.
func (c *Collaboration) EndIfCompanyReady(by Actor, outcome Outcome, now time.Time) bool {
	if len(c.ownEndBlockers(outcome)) > 0 {
		return false
	}
	c.rec.Outcome = outcome
	c.move(Ending, by, now, "ended with outcome "+string(outcome))
	return true
}

// ExpireAgreement starts ending an active collaboration whose agreement period has run out, with
// outcome Continue (nothing is deleted). It returns ECONFLICT collaboration_not_active or
// agreement_not_expired.
func (c *Collaboration) ExpireAgreement(now time.Time) error {
	if err := c.require(Active, "collaboration_not_active", "only an active collaboration's agreement can expire"); err != nil {
		return err
	}
	if c.rec.AgreementEndsAt.IsZero() || now.Before(c.rec.AgreementEndsAt) {
		return Errorf(ECONFLICT, "agreement_not_expired", "wait until the agreement period ends",
			"the agreement period has not ended")
	}
	c.rec.Outcome = Continue
	c.move(Ending, System, now, "agreement period ended without renewal")
	return nil
}

// FinishTeardown marks an ending collaboration ended once every step of its teardown is done. It
// returns ECONFLICT collaboration_not_ending or teardown_incomplete.
func (c *Collaboration) FinishTeardown(now time.Time) error {
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration finishes its teardown"); err != nil {
		return err
	}
	if next, ok := c.rec.nextCommand(); ok || c.rec.Awaiting != nil {
		if !ok {
			next = c.rec.Awaiting.Step
		}
		return Errorf(ECONFLICT, "teardown_incomplete", "wait for the solution to acknowledge its commands", "step %s is not done", next)
	}
	c.rec.TeardownError = ""
	c.move(Ended, System, now, "teardown complete")
	return nil
}

// RecordTeardownFailure keeps an ending collaboration ending with the failure of its next step on
// record, so the office and the company's administrators see that the teardown is held up (see
// TeardownFailure). Only the code is recorded, not what caused the failure. It returns ECONFLICT
// collaboration_not_ending.
func (c *Collaboration) RecordTeardownFailure(now time.Time) error {
	if err := c.require(Ending, "collaboration_not_ending", "only an ending collaboration has a teardown"); err != nil {
		return err
	}
	c.rec.TeardownError = TeardownStepFailed
	c.rec.UpdatedAt = now
	return nil
}

// Link connects a collaboration imported without a task to a task of the same customer. It
// returns ECONFLICT collaboration_already_linked, collaboration_final or task_customer_mismatch.
func (c *Collaboration) Link(task Task, by Actor, now time.Time) error {
	if c.rec.TaskID != "" {
		return Errorf(ECONFLICT, "collaboration_already_linked", "nothing to do; the collaboration already has a task",
			"the collaboration is linked to task %s", c.rec.TaskID)
	}
	if c.rec.Status.Final() {
		return Errorf(ECONFLICT, "collaboration_final", "a finished collaboration cannot be linked",
			"the collaboration is %s", c.rec.Status)
	}
	if task.CustomerNo != c.rec.CustomerNo {
		return Errorf(ECONFLICT, "task_customer_mismatch", "choose a task connected to this customer",
			"task %s belongs to customer %s, not %s", task.ID, task.CustomerNo, c.rec.CustomerNo)
	}
	c.rec.TaskID, c.rec.Assignees = task.ID, task.Assignees
	c.history = append(c.history, Transition{At: now, Actor: by, From: c.rec.Status, To: c.rec.Status,
		Reason: "linked to task " + task.ID})
	c.rec.UpdatedAt = now
	return nil
}

// FollowTask keeps a collaboration that is on task and not final in step with it: it takes the
// task's assignees, or, when the task now belongs to another customer, leaves the task (no task,
// no assignees) so the office links it to a task of its own customer again. It reports whether
// the collaboration changed (then it must be written).
func (c *Collaboration) FollowTask(task Task, by Actor, now time.Time) bool {
	if c.rec.TaskID != task.ID || c.rec.Status.Final() {
		return false
	}
	if task.CustomerNo != c.rec.CustomerNo {
		c.rec.TaskID, c.rec.Assignees = "", nil
		c.history = append(c.history, Transition{At: now, Actor: by, From: c.rec.Status, To: c.rec.Status,
			Reason: "task " + task.ID + " moved to another customer; link a task of this customer"})
		c.rec.UpdatedAt = now
		return true
	}
	if slices.Equal(c.rec.Assignees, task.Assignees) {
		return false
	}
	c.rec.Assignees = task.Assignees
	return true
}

// OnTask reports whether the user works on the collaboration's task.
func (r CollaborationRecord) OnTask(userID string) bool { return slices.Contains(r.Assignees, userID) }

// RenewalMonthsAhead is how far ahead of the current month an agreement period may already run
// and still be renewed, so renewals cannot push its end out of reach (past year 9999).
const RenewalMonthsAhead = 24

// Renew extends an active collaboration's agreement period by months (3 or 12), from its end, or
// from the current month when it has no end on record (imported without one). It returns
// ECONFLICT collaboration_not_active, agreement_period_not_applicable or
// agreement_renewal_too_early (the period already runs more than RenewalMonthsAhead months
// ahead), or EINVALID agreement_period_invalid.
func (c *Collaboration) Renew(months int, by Actor, now time.Time) error {
	if err := c.require(Active, "collaboration_not_active", "only an active collaboration can be renewed"); err != nil {
		return err
	}
	rules := c.Rules()
	if !rules.HasAgreementPeriod() {
		return Errorf(ECONFLICT, "agreement_period_not_applicable", "nothing to renew",
			"%s has no agreement period", rules.Name)
	}
	if err := checkAgreement(rules, months); err != nil {
		return err
	}
	limit := PeriodOf(now).AddMonths(RenewalMonthsAhead).Start()
	if c.rec.AgreementEndsAt.After(limit) {
		return Errorf(ECONFLICT, "agreement_renewal_too_early",
			fmt.Sprintf("renew once the agreement period ends before %s", limit.Format("2006-01-02")),
			"the agreement period already runs until %s, more than %d months ahead", c.rec.AgreementEndsAt.Format("2006-01-02"), RenewalMonthsAhead)
	}
	if c.rec.AgreementEndsAt.IsZero() {
		c.rec.AgreementEndsAt = PeriodOf(now).Start()
	}
	c.rec.AgreementEndsAt = c.rec.AgreementEndsAt.AddDate(0, months, 0)
	c.rec.ReminderSentAt = time.Time{}
	c.history = append(c.history, Transition{At: now, Actor: by, From: Active, To: Active,
		Reason: "agreement period renewed until " + c.rec.AgreementEndsAt.Format("2006-01-02")})
	c.rec.UpdatedAt = now
	return nil
}

// MarkReminderSent records that the agreement-ending reminder went out for the current period.
func (c *Collaboration) MarkReminderSent(now time.Time) {
	c.rec.ReminderSentAt = now
}
