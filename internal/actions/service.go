// Package actions holds the service's use cases: every action of the HTTP API, the queue workers
// and the cleanup. Each one loads what it needs from the store, checks who the caller is and what
// they may do against current data, lets the domain decide, and commits every change with the
// queued work it causes in one transaction. The Lambda handlers and the local runner both call it.
package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
	"github.com/spiris/collab/internal/logs"
	"github.com/spiris/collab/internal/mail"
	"github.com/spiris/collab/internal/metrics"
)

// Queue sends a queued message to its SQS queue.
type Queue interface {
	Send(ctx context.Context, m port.Message) error
}

// Mailer sends one rendered e-mail; an error wrapping mail.ErrRejected is a permanent refusal.
type Mailer interface {
	Send(ctx context.Context, to string, m mail.Rendered) error
}

// TokenKeys holds the invitation-token key, a secret kept outside the service: the current
// version to mint new links with, and any version by its id, to rebuild a link minted before a
// rotation.
type TokenKeys interface {
	Current(ctx context.Context) (version string, key []byte, err error)
	Version(ctx context.Context, version string) ([]byte, error)
}

// Service runs the actions. Now and NewID are injectable for tests.
type Service struct {
	Store  port.Store
	Queue  Queue
	Mailer Mailer
	Log    *slog.Logger
	// BaseURL is where e-mail links point: BaseURL + "/invitations/<token>".
	BaseURL string
	// AnswerURL is where the invitation page sends a customer to sign in and answer, with
	// "{token}" in it: the My Spiris web client in AWS; empty means this API's own
	// /invitations/{token}/answer, which only the local runner serves.
	AnswerURL string
	Now       func() time.Time
	NewID     func() string
	// TokenKeys holds the secret invitation tokens are derived under (collab.InvitationToken).
	// Only the functions that mint links have it.
	TokenKeys TokenKeys
	// Bus publishes the events the queued jobs carry; the workers have it, and the routes that
	// ask a solution for its facts (End, EndCheck).
	Bus Bus
	// Integrations are the IAM roles the solutions' integrations sign with, and
	// IntegrationAccount the account they are in (integrationFor).
	Integrations       Integrations
	IntegrationAccount string
	// Identity is the identity provider the service creates people in (nil with an external
	// provider); SignInURL is its sign-in page, where a first sign-in link leads.
	Identity  Identity
	SignInURL string
	// FirstSignInValidity is how long a first sign-in code works (the user pool's
	// TemporaryPasswordValidityDays); DefaultFirstSignInValidity when zero.
	FirstSignInValidity time.Duration
	// Metrics counts business events (nil counts nothing).
	Metrics *metrics.EMF
	// InvitationTTL is how long an invitation link stays valid.
	InvitationTTL time.Duration
}

// DefaultInvitationTTL is how long an invitation is valid unless configured: 30 days.
const DefaultInvitationTTL = 30 * 24 * time.Hour

// NewID returns a random 128-bit id in hex.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Caller is who makes a request: a signed-in user (UserID, from the token's subject) or, on the
// service-to-service route, a solution integration authorized by IAM (Service).
type Caller struct {
	UserID  string
	Service string
}

// The queues jobs go to.
const (
	TeardownQueue = "teardown"
	EmailQueue    = "email"
)

// Job is the body of a queued message.
type Job struct {
	ID              string `json:"id"`
	Kind            string `json:"kind"` // TeardownQueue or EmailQueue
	CollaborationID string `json:"collaborationId"`
	// CompanyID and Solution name a teardown job's subscription, so the worker reads it with the
	// collaboration in one round trip (empty in jobs queued before they were added).
	CompanyID string          `json:"companyId,omitempty"`
	Solution  collab.Solution `json:"solution,omitempty"`
	// Task names a task whose change is being applied in steps, for the teardown worker
	// (Service.SyncTask); nil in every other job.
	Task *TaskJob `json:"task,omitempty"`
	// Email is the e-mail to send (an Email* constant) for e-mail jobs.
	Email string `json:"email,omitempty"`
	// UserID is the one recipient of a company's e-mail to its user (collab.EmailUserAdded,
	// collab.EmailSignInLink), whose company About names; such a job has no collaboration.
	UserID string `json:"userId,omitempty"`
	// Nonce rebuilds the invitation link for invitation and login e-mails, under the token
	// key's version KeyVersion ("" for the current one).
	Nonce      string `json:"nonce,omitempty"`
	KeyVersion string `json:"keyVersion,omitempty"`
	// EndsOn is the day of the scheduled end an end_scheduled e-mail tells of: the e-mail is
	// dropped when the collaboration is no longer scheduled to end that day (cancelled, or
	// ended otherwise, before the e-mail went).
	EndsOn time.Time `json:"endsOn,omitzero"`
	// About is what an e-mail queued by a worker or the cleanup says of its collaboration (see
	// EmailFacts); nil in the jobs a request queues, whose e-mail worker reads the collaboration.
	About *EmailFacts `json:"about,omitempty"`
	// Events are the events of the change that queued the job, which the worker that takes it
	// publishes first (Service.relay); a change with events and no job queues a job of them
	// alone on the teardown queue.
	Events []events.Event `json:"events,omitempty"`
	// Command is the teardown step whose command the job's events carry (a TeardownCommand):
	// its outbox message stays until the solution acknowledges the step, so the cleanup sends
	// it again while it is unanswered.
	Command collab.Step `json:"command,omitempty"`
}

// The e-mails the service sends.
const (
	EmailInvitation        = "invitation"
	EmailLoginInstructions = "login_instructions"
	EmailAccessGranted     = "access_granted"
	EmailEnded             = "ended"
	EmailAgreementReminder = "agreement_reminder"
	EmailAgreementExpired  = "agreement_expired"
	EmailInvitationExpired = "invitation_expired"
	EmailPayrollHandover   = "payroll_handover"
	// EmailMainContactRequest asks a company's administrators to choose a main contact, for an
	// end that was refused without one by a caller who cannot choose it.
	EmailMainContactRequest = "main_contact_request"
	// EmailAdministratorAdded tells a company's administrators that an office employee made
	// someone an administrator of their company.
	EmailAdministratorAdded = "administrator_added"
)

// change is one commit in the making: the writes and the jobs they cause.
type change struct {
	tx      port.Tx
	rec     *recorder      // tx, noting the change's events
	pending []Job          // to the outbox at commit, with the request's trace
	jobs    []port.Message // in the outbox, to send after commit
	people  []personChange // to the identity provider before commit (syncPeople)
}

func (s *Service) change() *change {
	rec := &recorder{Tx: s.Store.Begin()}
	return &change{tx: rec, rec: rec}
}

// enqueue adds a job to the transaction's outbox.
func (s *Service) enqueue(ch *change, j Job) {
	j.ID = s.NewID()
	ch.pending = append(ch.pending, j)
}

// save writes the change with view as the response when the request carries an
// Idempotency-Key (WithIdempotency), in the same transaction (write), after the people it adds
// are at the identity provider (syncPeople).
func (s *Service) save(ctx context.Context, ch *change, view any) error {
	if err := s.syncPeople(ctx, ch); err != nil {
		return err
	}
	if r, ok := ctx.Value(idempotencyKey{}).(*port.Response); ok {
		body, err := json.Marshal(view)
		if err != nil {
			return err
		}
		r.Body, r.At = string(body), s.Now()
		ch.tx.SaveResponse(*r)
	}
	return s.write(ctx, ch)
}

// write commits the change with its jobs in the outbox, each carrying the request's trace, and
// its events in the first job (or a job of their own), then sends the jobs. A failed send is logged, not returned: the job is in the outbox and the cleanup
// sends it later. The workers, and writes that answer no request, use it directly.
func (s *Service) write(ctx context.Context, ch *change) error {
	if es := ch.rec.events(s.NewID, s.Now()); len(es) > 0 {
		if len(ch.pending) == 0 {
			s.enqueue(ch, Job{Kind: TeardownQueue})
		}
		ch.pending[0].Events = append(es, ch.pending[0].Events...)
	}
	for _, j := range ch.pending {
		body, _ := json.Marshal(j)
		m := port.Message{ID: j.ID, Queue: j.Kind, Body: string(body), CreatedAt: s.Now(), Trace: logs.Trace(ctx), Keep: j.Command != ""}
		ch.tx.Enqueue(m)
		ch.jobs = append(ch.jobs, m)
	}
	ch.pending = nil
	if err := ch.tx.Commit(ctx); err != nil {
		return err
	}
	s.send(ctx, ch.jobs)
	return nil
}

func (s *Service) send(ctx context.Context, jobs []port.Message) {
	for _, m := range jobs {
		if err := s.Queue.Send(ctx, m); err != nil {
			s.Log.WarnContext(ctx, "queue send failed; the cleanup will re-send from the outbox",
				"queue", m.Queue, "message", m.ID, "error", err.Error())
		}
	}
}

type idempotencyKey struct{}

// WithIdempotency returns a context under which the next committed action also stores its
// response as r, in the same transaction: r names the request and the status the transport
// answers its success with; the action adds the body.
func WithIdempotency(ctx context.Context, r port.Response) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, &r)
}

// actorOf returns the history actor for a user acting for an office or company.
func actorOf(kind collab.ActorKind, userID, org string) collab.Actor {
	return collab.Actor{Kind: kind, UserID: userID, OrgID: org}
}

// newInvitation mints the invitation of collaboration id under the current token key, and
// returns the key's version for the job that e-mails it.
func (s *Service) newInvitation(ctx context.Context, id string, now time.Time) (collab.Invitation, string, error) {
	version, key, err := s.TokenKeys.Current(ctx)
	if err != nil {
		return collab.Invitation{}, "", err
	}
	_, inv := collab.NewInvitation(key, id, now, s.InvitationTTL)
	return inv, version, nil
}

// countIf counts one event of metric name when *err is nil: deferred by a use case, it counts
// what committed.
func (s *Service) countIf(ctx context.Context, err *error, name string, dims ...metrics.Dim) {
	if *err == nil {
		s.Metrics.Count(ctx, name, 1, dims...)
	}
}
