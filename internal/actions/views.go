package actions

import (
	"time"

	"github.com/spiris/collab/internal/collab"
)

// CollaborationView is a collaboration as the API returns it.
type CollaborationView struct {
	ID                  string             `json:"id"`
	OfficeID            string             `json:"officeId"`
	CustomerNo          string             `json:"customerNo"`
	CompanyID           string             `json:"companyId"`
	Solution            collab.Solution    `json:"solution"`
	SolutionName        string             `json:"solutionName"`
	TaskID              string             `json:"taskId,omitempty"`
	Status              collab.Status      `json:"status"`
	Scenario            collab.Scenario    `json:"scenario"`
	InvoiceRecipient    string             `json:"invoiceRecipient"`
	StartPeriod         string             `json:"startPeriod,omitempty"`
	AgreementMonths     int                `json:"agreementMonths,omitempty"`
	AgreementEndsAt     *time.Time         `json:"agreementEndsAt,omitempty"`
	InvitationExpiresAt *time.Time         `json:"invitationExpiresAt,omitempty"`
	Undelivered         *UndeliveredView   `json:"invitationUndelivered,omitempty"`
	Outcome             collab.Outcome     `json:"outcome,omitempty"`
	TeardownError       *TeardownErrorView `json:"teardownError,omitempty"`
	Teardown            *TeardownView      `json:"teardown,omitempty"`
	CreatedAt           time.Time          `json:"createdAt"`
	UpdatedAt           time.Time          `json:"updatedAt"`
	History             []TransitionView   `json:"history,omitempty"`
	// ScheduledEnd is the end either party scheduled for a month end, while the collaboration is
	// active.
	ScheduledEnd *ScheduledEndView `json:"scheduledEnd,omitempty"`
}

// UndeliveredView says the invitation e-mail could not be delivered to some of its recipients:
// the mail service refused their addresses for good (reason "recipient_rejected"). The office
// corrects the users' addresses and resends, which clears it.
type UndeliveredView struct {
	At      time.Time `json:"at"`
	Reason  string    `json:"reason"`
	UserIDs []string  `json:"userIds"`
}

// TeardownErrorView says why an ending collaboration is not ended yet: a stable code
// (teardown_step_failed) and a short message naming the step. The error behind it is only logged.
// Only the office's employees with access to the collaboration and the company's administrators
// get it; plain users of the company do not (collab.CollaborationRecord.SeesTeardown).
type TeardownErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TeardownView is where an ending (or ended) collaboration's teardown stands: the commands the
// solution carries out, those it acknowledged done, and the one it waits on, since when, and
// why it failed if the solution said so. Shown to whoever sees TeardownError.
type TeardownView struct {
	Steps     []collab.Step `json:"steps"`
	Done      []collab.Step `json:"done"`
	WaitingOn collab.Step   `json:"waitingOn,omitempty"`
	Since     *time.Time    `json:"since,omitempty"`
	Attempt   int           `json:"attempt,omitempty"`
	Failure   string        `json:"failure,omitempty"`
	FailedAt  *time.Time    `json:"failedAt,omitempty"`
	// Backup is where the company downloads the backup file the solution handed over; Export
	// the export of its data the solution made before the data went.
	Backup *BackupView `json:"backup,omitempty"`
	Export *BackupView `json:"export,omitempty"`
	// GraceUntil is the deadline of an end with a grace period: the data goes after it, and an
	// administrator of the company can undo the end until then (POST .../undo-end).
	GraceUntil *time.Time `json:"graceUntil,omitempty"`
	// RetainUntil is the retention date of the data an end archived: the solution keeps it
	// read-only until then, and is told at that date to delete it (delete_data).
	RetainUntil *time.Time `json:"retainUntil,omitempty"`
}

// BackupView is a handed-over backup file's link and how long it can be downloaded.
type BackupView struct {
	URL            string    `json:"url"`
	AvailableUntil time.Time `json:"availableUntil"`
}

func teardownView(r collab.CollaborationRecord) *TeardownView {
	if len(r.Commands) == 0 {
		return nil
	}
	v := &TeardownView{Steps: r.Commands, Done: r.StepsDone}
	if v.Done == nil {
		v.Done = []collab.Step{}
	}
	if a := r.Awaiting; a != nil {
		v.WaitingOn, v.Since, v.Attempt = a.Step, optTime(a.Since), a.Attempt
		v.Failure, v.FailedAt = a.Failure, optTime(a.FailedAt)
	}
	if b := r.Backup; b != nil {
		v.Backup = &BackupView{URL: b.URL, AvailableUntil: b.Until}
	}
	if b := r.Export; b != nil {
		v.Export = &BackupView{URL: b.URL, AvailableUntil: b.Until}
	}
	v.GraceUntil, v.RetainUntil = optTime(r.GraceUntil), optTime(r.RetainUntil)
	return v
}

// TransitionView is one history entry.
type TransitionView struct {
	At        time.Time `json:"at"`
	ActorKind string    `json:"actorKind"`
	ActorID   string    `json:"actorId,omitempty"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to"`
	Reason    string    `json:"reason"`
	// TermsVersion is the version of the terms an acceptance agreed to (collab.CurrentTerms).
	TermsVersion string `json:"termsVersion,omitempty"`
}

// optTime is t for a view, nil when unset, and nil too when t could not be written as RFC 3339
// (collab.Writable: stored by an older build without the checks), so no stored time can fail
// an answer's encoding.
func optTime(t time.Time) *time.Time {
	if t.IsZero() || !collab.Writable(t) {
		return nil
	}
	return &t
}

func collaborationView(r collab.CollaborationRecord, history []collab.Transition) CollaborationView {
	v := CollaborationView{
		ID: r.ID, OfficeID: r.OfficeID, CustomerNo: r.CustomerNo, CompanyID: r.CompanyID,
		Solution: r.Solution, SolutionName: collab.Solutions[r.Solution].Name, TaskID: r.TaskID,
		Status: r.Status, Scenario: r.Scenario, InvoiceRecipient: string(r.InvoiceRecipient),
		StartPeriod: r.StartPeriod.String(), AgreementMonths: r.AgreementMonths,
		AgreementEndsAt: optTime(r.AgreementEndsAt), Outcome: r.Outcome,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if f, ok := r.TeardownFailure(); ok {
		v.TeardownError = &TeardownErrorView{Code: f.Code, Message: f.Message}
	}
	v.Teardown = teardownView(r)
	v.ScheduledEnd = scheduledEndView(r)
	if r.Status == collab.Pending {
		v.InvitationExpiresAt = optTime(r.InvitationExpiry)
	}
	if u := r.Undelivered; u.Reason != "" {
		v.Undelivered = &UndeliveredView{At: u.At, Reason: u.Reason, UserIDs: u.Users}
	}
	for _, h := range history {
		v.History = append(v.History, TransitionView{At: h.At, ActorKind: string(h.Actor.Kind), ActorID: h.Actor.UserID,
			From: string(h.From), To: string(h.To), Reason: h.Reason, TermsVersion: h.Terms})
	}
	return v
}

// ListView is one page of collaborations; Next is the cursor of the next page.
type ListView struct {
	Items []CollaborationView `json:"items"`
	Next  string              `json:"next,omitempty"`
}

// UserView is a company user.
type UserView struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Email       string          `json:"email"`
	Language    collab.Language `json:"language"`
	Role        collab.Role     `json:"role"`
	MainContact bool            `json:"mainContact"`
}

// AccessView is one user's access to one solution of a company.
type AccessView struct {
	UserID   string            `json:"userId"`
	Solution collab.Solution   `json:"solution"`
	Mode     collab.AccessMode `json:"mode"`
	Via      string            `json:"via"` // "company", or the collaboration that grants an office employee access
}

// EndCheckView lists everything that stops a collaboration from ending right now.
type EndCheckView struct {
	CanEnd   bool             `json:"canEnd"`
	Outcome  collab.Outcome   `json:"outcome"`
	Blockers []collab.Blocker `json:"blockers"`
}

// EmployeeView is an office employee.
type EmployeeView struct {
	OfficeID string              `json:"officeId"`
	UserID   string              `json:"userId"`
	Name     string              `json:"name"`
	Email    string              `json:"email"`
	Language collab.Language     `json:"language"`
	Role     collab.EmployeeRole `json:"role"`
}

// CustomerView is a customer of an office.
type CustomerView struct {
	OfficeID   string `json:"officeId"`
	CustomerNo string `json:"customerNo"`
	Name       string `json:"name"`
	OrgNo      string `json:"orgNo,omitempty"`
	CompanyID  string `json:"companyId,omitempty"`
}

// TaskView is a task of an office.
type TaskView struct {
	OfficeID   string   `json:"officeId"`
	TaskID     string   `json:"taskId"`
	CustomerNo string   `json:"customerNo"`
	Name       string   `json:"name"`
	Assignees  []string `json:"assignees"`
	// Syncing says the change is too large for one transaction and is being applied in steps
	// (Service.SyncTask): the open collaborations' access follows shortly.
	Syncing bool `json:"syncing,omitempty"`
}
