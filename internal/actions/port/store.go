package port

import (
	"context"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// Store is what the use cases read, each method one round trip unless it says otherwise. The
// errors it returns are the domain's (collab's coded errors) or, for a failure of the store
// itself, any other error.
type Store interface {
	// Begin starts a change to commit in one transaction.
	Begin() Tx
	Timing() Timing
	RemovalStore

	// Collaborations.
	Collaboration(ctx context.Context, id string) (*collab.Collaboration, error)
	CollaborationWithHistory(ctx context.Context, id string) (collab.CollaborationRecord, []collab.Transition, error)
	CollaborationFor(ctx context.Context, id, user string) (*collab.Collaboration, Memberships, error)
	CollaborationTaskFor(ctx context.Context, id, user, officeID, taskID string) (*collab.Collaboration, Memberships, collab.Employee, collab.Task, error)
	StandingOf(ctx context.Context, r collab.CollaborationRecord, user string, side collab.Side) (collab.Standing, Proof, error)
	// Ending returns the collaboration with its company's subscription to its solution (nil
	// when there is none); company and solution may be empty when the caller does not know them.
	Ending(ctx context.Context, id, company string, solution collab.Solution) (*collab.Collaboration, *collab.Subscription, error)
	// EndingFor returns the collaboration with the user's memberships and, when company is the
	// collaboration's company, what ending it decides on besides (its EndFacts, without the
	// parties): one round trip. facts is nil when company is empty or another company.
	EndingFor(ctx context.Context, id, user, company string) (*collab.Collaboration, Memberships, *EndFacts, error)
	EndFactsOf(ctx context.Context, r collab.CollaborationRecord, user string) (EndFacts, error)
	Answering(ctx context.Context, collaborationID, hash string) (collab.Invitation, *collab.Collaboration, error)
	AnsweringFor(ctx context.Context, collaborationID, hash, user string) (collab.Invitation, *collab.Collaboration, Memberships, error)
	OfficeCollaborations(ctx context.Context, office string, f Filter) (Page, error)
	CompanyCollaborations(ctx context.Context, company string, limit int, cursor string) (Page, error)
	// Collaborations returns the collaborations with the ids that are not over, read
	// consistently, sorted by id.
	Collaborations(ctx context.Context, ids []string) ([]collab.CollaborationRecord, error)
	// OpenCollaborations returns the office's collaborations with the customers that are not
	// over, read consistently: none committed before the call is missing (two round trips).
	OpenCollaborations(ctx context.Context, office string, customers []string) ([]collab.CollaborationRecord, error)

	// Offices.
	OfficeItems(ctx context.Context, r OfficeRefs) (OfficeFacts, error)
	OfficeStaff(ctx context.Context, office string) (collab.Office, []collab.Employee, error)
	CustomerTasks(ctx context.Context, office, customerNo string) ([]collab.Task, error)

	// Companies.
	Company(ctx context.Context, id string) (CompanyView, error)
	CompanyRecord(ctx context.Context, id string) (collab.Company, error)
	CompanyUser(ctx context.Context, company, user string) (collab.User, bool, error)
	// UserTerms returns what a person accepted of the user terms, and whether they have.
	UserTerms(ctx context.Context, user string) (collab.UserTerms, bool, error)
	CompanyByOrgNo(ctx context.Context, orgNo string) (string, error)
	CompanyHistory(ctx context.Context, companyID string, limit int) ([]collab.CompanyEvent, error)
	PartiesOf(ctx context.Context, company, office, user string) (Parties, error)

	// Queued work and its e-mails.
	DueWork(ctx context.Context, kind string, now time.Time, limit int) (Due, error)
	ExpiringOf(ctx context.Context, rs []collab.CollaborationRecord) (map[string]Expiring, int, error)
	Consumed(ctx context.Context, id string) error
	Postpone(ctx context.Context, m Message, until time.Time) error
	ClaimDeliveries(ctx context.Context, jobID string, now time.Time, lease time.Duration) (*Deliveries, error)

	// SavedResponse returns the response kept for a retry of the request with the key in the
	// scope, if one was kept within IdempotencyWindow before now.
	SavedResponse(ctx context.Context, scope, key string, now time.Time) (Response, bool, error)
}

// Tx collects the writes of one change, to succeed or fail together at Commit. A Put of an item
// read at a version commits only if it is still at that version (0: it must not exist); the
// Require* writes commit only if what they name is unchanged since it was read. A failed
// condition fails the commit with the domain's error for it (collab.ErrConflict unless the
// method says otherwise), and nothing is written.
type Tx interface {
	Commit(ctx context.Context) error
	RemovalTx

	// Collaborations and their invitations.
	PutCollaboration(c *collab.Collaboration)
	RequireCollaboration(r collab.CollaborationRecord)
	// RequireNotOpen makes the change depend on the customer having no collaboration with the
	// office in the solution that is not over, as read (OfficeFacts.Open).
	RequireNotOpen(office, customerNo string, solution collab.Solution)
	UndoOpening(r collab.CollaborationRecord, now time.Time)
	PutInvitation(i collab.Invitation)
	RevokeInvitation(hash string, now time.Time)
	RequireParty(p Proof, g collab.Grounds)

	// Offices.
	PutEmployee(e collab.Employee)
	SyncCustomer(c collab.Customer)
	LinkCustomer(c collab.Customer)
	RelinkCustomer(was, next collab.Customer)
	ReplaceTask(before, task collab.Task)
	JoinTask(task collab.Task)

	// Companies.
	PutCompany(c collab.Company)
	PutUser(u collab.User)
	// PutUserTerms writes a person's acceptance of the user terms under its version (ECONFLICT
	// concurrent_update when it changed since it was read).
	PutUserTerms(a collab.UserTerms)
	RequireAdministrator(company, user string)
	CompanyAnswered(company string, now time.Time)
	PutSubscription(s collab.Subscription)
	DeleteSubscription(s collab.Subscription)
	ActivateSubscription(r collab.CollaborationRecord, now time.Time)
	RequireSubscription(s collab.Subscription)
	RequireCompany(c collab.Company)
	RequireFacts(company string, solution collab.Solution, f collab.SolutionFacts)
	PutGrant(g collab.Grant)
	DeleteGrant(g collab.Grant)
	PutFacts(company string, solution collab.Solution, f collab.SolutionFacts)
	DeleteFacts(company string, solution collab.Solution)
	// ArchiveDeleted records on the company's subscription to the solution when the solution
	// deleted the data it kept archived until its retention date (collab.EndRetention), without
	// reading it: it sets exactly DataDeletedAt.
	ArchiveDeleted(company string, solution collab.Solution, at time.Time)
	RequestMainContact(companyID, day string, now time.Time)
	AddCompanyEvent(companyID, id string, e collab.CompanyEvent)

	// Queued work, e-mails and responses kept for retries.
	Enqueue(m Message)
	Consume(id string)
	SettleDeliveries(d *Deliveries, done bool)
	SaveResponse(r Response)
}
