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

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/mail"
)

// Queue sends a queued message to its SQS queue.
type Queue interface {
	Send(ctx context.Context, m dynamo.Message) error
}

// Mailer sends one rendered e-mail; an error wrapping mail.ErrRejected is a permanent refusal.
type Mailer interface {
	Send(ctx context.Context, to string, m mail.Rendered) error
}

// Service runs the actions. Now and NewID are injectable for tests.
type Service struct {
	Store  *dynamo.Store
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
	// TokenKey derives invitation tokens (collab.InvitationToken); it is a secret.
	TokenKey []byte
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
	// Email is the e-mail to send (an Email* constant) for e-mail jobs.
	Email string `json:"email,omitempty"`
	// Nonce rebuilds the invitation link for invitation and login e-mails.
	Nonce string `json:"nonce,omitempty"`
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
)

// change is one commit in the making: the writes and the jobs they cause.
type change struct {
	tx   *dynamo.Tx
	jobs []dynamo.Message
}

func (s *Service) change() *change { return &change{tx: s.Store.Tx()} }

// enqueue adds a job to the transaction's outbox.
func (s *Service) enqueue(ch *change, j Job) {
	j.ID = s.NewID()
	body, _ := json.Marshal(j)
	m := dynamo.Message{ID: j.ID, Queue: j.Kind, Body: string(body), CreatedAt: s.Now()}
	ch.tx.Enqueue(m)
	ch.jobs = append(ch.jobs, m)
}

// commit writes the change, with the response when the request carries an Idempotency-Key, then
// sends its jobs. A failed send is logged, not returned: the job is in the outbox and the cleanup
// sends it later, so the caller's request has succeeded.
func (s *Service) commit(ctx context.Context, ch *change, status int, view any) error {
	if r, ok := ctx.Value(idempotencyKey{}).(*dynamo.Response); ok {
		body, err := json.Marshal(view)
		if err != nil {
			return err
		}
		r.Status, r.Body, r.At = status, string(body), s.Now()
		ch.tx.SaveResponse(*r)
	}
	if err := ch.tx.Commit(ctx); err != nil {
		return err
	}
	s.send(ctx, ch.jobs)
	return nil
}

func (s *Service) send(ctx context.Context, jobs []dynamo.Message) {
	for _, m := range jobs {
		if err := s.Queue.Send(ctx, m); err != nil {
			s.Log.WarnContext(ctx, "queue send failed; the cleanup will re-send from the outbox",
				"queue", m.Queue, "message", m.ID, "error", err.Error())
		}
	}
}

type idempotencyKey struct{}

// WithIdempotency returns a context under which the next committed action also stores its
// response as r, in the same transaction.
func WithIdempotency(ctx context.Context, r dynamo.Response) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, &r)
}

// actorOf returns the history actor for a user acting for an office or company.
func actorOf(kind collab.ActorKind, userID, org string) collab.Actor {
	return collab.Actor{Kind: kind, UserID: userID, OrgID: org}
}
