// Package port is what the use cases in internal/actions need from storage, in the domain's
// terms: the Store they read through, the Tx they commit a change with, and the values the two
// exchange. internal/dynamo implements it on the service's DynamoDB table; the use-case tests
// implement it in memory. Nothing here knows an item, a key or a condition expression.
package port

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// Message is queued work: written to the table in the same transaction as the state change that
// causes it (the outbox), then sent to its queue. The consumer deletes it when done; until then
// the store keeps it due, and the cleanup re-sends it once it is overdue. So a failed send after
// a successful write delays the work but never loses it.
type Message struct {
	ID        string // unique; consumers use it as their deduplication key
	Queue     string // logical queue: "teardown" or "email"
	Body      string
	CreatedAt time.Time
	Sends     int    // how many times the cleanup re-sent it
	Trace     string // X-Ray trace header of the request that queued it; sent as AWSTraceHeader
	// Keep says the message stays until its consumer deletes it, however long that takes: a
	// teardown command, which only its solution's acknowledgement consumes (the collaboration
	// waits on it, and nothing else would send it again). Other messages expire after a while.
	Keep bool
}

// IdempotencyWindow is how long a response is kept for a retry with the same Idempotency-Key.
const IdempotencyWindow = 24 * time.Hour

// Response is the first response to a request made with an Idempotency-Key, kept so a retry gets
// it again without the work being done twice.
type Response struct {
	Scope       string // who asked, and for what route
	Key         string
	RequestHash string
	Status      int
	Body        string
	At          time.Time
}

// Timing says when time-driven work falls due.
type Timing struct {
	// ReminderLead is how long before an agreement period ends its reminder is due.
	ReminderLead time.Duration
	// StuckAfter is how long a collaboration may stay ending, or a queued message unconsumed,
	// before the cleanup re-drives it.
	StuckAfter time.Duration
	// InvitationReminderLead is how long before an invitation expires its reminder is due; 0
	// sends none.
	InvitationReminderLead time.Duration
	// FactsMaxAge is how old a solution's facts may be to decide an end; 0 accepts any age.
	FactsMaxAge time.Duration
	// CommandSends is how many times an unanswered teardown command is sent before it is raised.
	CommandSends int
	// GracePeriod is how long an end that deletes or archives a company's data waits.
	GracePeriod time.Duration
}

// DefaultTiming is collab.DefaultTiming.
var DefaultTiming = Timing(collab.DefaultTiming)

// Filter narrows an office's collaborations. Zero fields do not filter.
type Filter struct {
	Status     collab.Status
	Solution   collab.Solution
	CustomerNo string
	Limit      int    // at most this many; 0 means 50
	Cursor     string // from the previous page's Page.Next
}

// Page is one page of collaborations, newest first; Next is empty on the last page.
type Page struct {
	Items []collab.CollaborationRecord
	Next  string
}

// OfficeRefs names what of one office to read together in one round trip; empty names are
// skipped. CompanyID and Solution, when both are set, add that company's subscription to the
// solution (activation reads it with the office's items when the client names the company);
// OrgNo adds which company has that organisation number (a customer sync links by it); Staff
// adds those users' employee items (a task change checks its assignees by them).
type OfficeRefs struct {
	OfficeID   string
	EmployeeID string
	Staff      []string
	CustomerNo string
	TaskID     string
	CompanyID  string
	Solution   collab.Solution
	OrgNo      string
	// CustomerOpen asks for the customer's collaborations that are not over: the open guard of
	// every solution (OfficeFacts.Open).
	CustomerOpen bool
}

// OfficeFacts is what OfficeRefs named, as read; what was not found is zero.
type OfficeFacts struct {
	Office       collab.Office
	Employee     collab.Employee
	Customer     collab.Customer
	Task         collab.Task
	Subscription collab.Subscription
	OrgNoOf      string // the id of the company with OrgNo
	// Staff holds the employees found of the users OfficeRefs.Staff names, by user id; a user
	// who is not an employee of the office is not in it.
	Staff map[string]collab.Employee
	// Open lists the solutions in which the customer has a collaboration that is not over, and
	// OpenIDs those collaborations' ids, sorted, when OfficeRefs.CustomerOpen asked.
	Open    []collab.Solution
	OpenIDs []string
}

// CompanyView is everything stored of one company, read in one round trip: the company, its
// users, subscriptions, access grants of office employees, and what solutions reported.
type CompanyView struct {
	Company       collab.Company
	Users         []collab.User
	Subscriptions map[collab.Solution]collab.Subscription
	Grants        []collab.Grant
	Facts         map[collab.Solution]collab.SolutionFacts
}

// User returns the company's user with the id, and whether there is one.
func (v CompanyView) User(id string) (collab.User, bool) {
	for _, u := range v.Users {
		if u.ID == id {
			return u, true
		}
	}
	return collab.User{}, false
}

// Parties is who a user is to one company and one office.
type Parties struct {
	User     collab.User // zero when the user is not a user of the company
	Employee collab.Employee
}

// EndFacts is what deciding whether a collaboration may end reads besides it: its company, what
// its solution last reported, and who the caller is to the company and the office.
type EndFacts struct {
	Company collab.Company
	Facts   collab.SolutionFacts
	Parties
}

// Memberships is what one user is to the offices and companies they belong to, and which tasks
// of each office's customers they are on, as the store keeps it beside the user: read with a
// collaboration in the same round trip, it tells who the caller is without reading the employee,
// user and task items themselves. An entry the store cannot vouch for counts for nothing, and the
// use case asks the store (Store.StandingOf).
type Memberships interface {
	// Office returns the user's role in the office, and whether they are its employee.
	Office(office string) (collab.EmployeeRole, bool)
	// Company returns the user's role in the company, and whether they are its user.
	Company(company string) (collab.Role, bool)
	// Standing returns what the memberships make the user to collaboration r, and its proof.
	Standing(r collab.CollaborationRecord, user string) (collab.Standing, Proof)
}

// Proof is what a decision about a user's right read, in the store's own terms, for the commit
// to require unchanged (Tx.RequireParty). Only the store that issued it looks inside.
type Proof any

// Expiring is what expiring a pending collaboration decides on besides the collaboration: its
// invitation and its company's subscription to the solution, each nil when there is none.
type Expiring struct {
	Invitation   *collab.Invitation
	Subscription *collab.Subscription
}

// Kinds of due work (Store.DueWork): the collaborations' (collab.DueKinds) and the outbox's.
const (
	DueInvitationReminder = string(collab.DueInvitationReminder)
	DueInvitationExpiry   = string(collab.DueInvitationExpiry)
	DueAgreementReminder  = string(collab.DueAgreementReminder)
	DueAgreementEnd       = string(collab.DueAgreementEnd)
	DueTeardownStuck      = string(collab.DueTeardownStuck)
	DueOutbox             = "outbox" // queued messages not yet consumed
)

// Due is one page of due work and how many items the store read to find it.
type Due struct {
	Collaborations []collab.CollaborationRecord
	Messages       []Message
	// Expiring is what expiring each collaboration decides on, by id, when the store read it
	// with the page.
	Expiring map[string]Expiring
	Read     int
	More     bool
}

// How one recipient's delivery ended.
const (
	DeliverySent     = "sent"     // SES accepted it
	DeliveryRejected = "rejected" // SES refused the address for good; not retried
)

// The reasons Store.ClaimDeliveries gives for not claiming.
var (
	// ErrDelivered says the job's e-mails were settled for good: nothing is left to send.
	ErrDelivered = errors.New("the job's e-mails are delivered")
	// ErrDeliveryLeased says another worker holds the job's lease and is sending its e-mails.
	ErrDeliveryLeased = errors.New("another worker is delivering the job's e-mails")
)

// Deliveries is where the e-mails of one job stand: how the delivery to each recipient that is
// over ended, by RecipientKey, under the lease of the one worker sending the rest.
type Deliveries struct {
	JobID string
	Ended map[string]DeliveryEnd
	// Lease is the claim the store granted, for the settle to require still held.
	Lease string
	// Recorded holds the deliveries ended since the claim, for the settle to write.
	Recorded map[string]DeliveryEnd
}

// DeliveryEnd is how one recipient's delivery ended: DeliverySent, or DeliveryRejected with SES's
// reason (e-mail addresses redacted).
type DeliveryEnd struct {
	State  string
	Reason string `dynamodbav:",omitempty"`
}

// RecipientKey is the key of a recipient's delivery within a job: 8 bytes of SHA-256 of the
// lower-cased address, in hex, so the store holds no address.
func RecipientKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return hex.EncodeToString(sum[:8])
}

// MaxDeliveryReason is how much of a rejection's reason a delivery keeps (the whole of it goes
// to the log), so a job's record stays far under DynamoDB's item limit for an e-mail to every
// user of a large company.
const MaxDeliveryReason = 120

// Record notes that the delivery to a recipient ended, for Tx.SettleDeliveries to write.
func (d *Deliveries) Record(recipient, state, reason string) {
	if len(reason) > MaxDeliveryReason {
		reason = strings.ToValidUTF8(reason[:MaxDeliveryReason], "")
	}
	if d.Recorded == nil {
		d.Recorded = map[string]DeliveryEnd{}
	}
	d.Recorded[recipient] = DeliveryEnd{State: state, Reason: reason}
	d.Ended[recipient] = d.Recorded[recipient]
}

// ErrTooLarge is what Tx.Commit returns, writing nothing, for a change of more writes than one
// transaction of the store holds (DynamoDB's: 100 items).
var ErrTooLarge = errors.New("the change is too large for one transaction")
