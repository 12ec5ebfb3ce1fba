package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/mail"
	"github.com/spiris/collab/internal/metrics"
)

// deliveryLease is how long a worker holds a claimed delivery before another may retry it; far
// above an SES call, well below the queue's visibility timeout.
const deliveryLease = 2 * time.Minute

// errDeliveryInProgress asks the queue to retry later: another worker holds the delivery.
var errDeliveryInProgress = errors.New("another worker is sending this e-mail")

// recipient is one address an e-mail goes to.
type recipient struct {
	UserID, Name, Email string
	Language            collab.Language
}

// Deliver sends an e-mail job to each of its recipients, resolved from current data, once per
// recipient: each delivery is claimed in the table before SES is called and settled after, so a
// job delivered twice or to two workers sends nothing twice. A send that failed for any reason
// but the recipient's (throttling, the sender's identity not verified, sending paused, quota
// exceeded: mail.ErrSenderUnavailable, or anything unknown) releases the claim and returns the
// error, so the job is retried, dead-lettered while the cause lasts, and sent once it is fixed.
// A recipient refused for good (mail.ErrRejected) is recorded and the job goes on; an invitation
// refused for some of its recipients is marked on the collaboration (Undelivered) in the same
// transaction that consumes the job. An invitation job whose invitation was replaced since is
// dropped: its link is dead.
func (s *Service) Deliver(ctx context.Context, j Job) error {
	c, err := s.Store.Collaboration(ctx, j.CollaborationID)
	if collab.ErrorCode(err) == "collaboration_not_found" {
		s.Log.WarnContext(ctx, "e-mail for an unknown collaboration dropped", "collaboration", j.CollaborationID, "job", j.ID)
		return s.Store.Consumed(ctx, j.ID)
	}
	if err != nil {
		return err
	}
	r := c.Record()
	data := mail.Data{Solution: collab.Solutions[r.Solution].Name, Expires: day(r.InvitationExpiry),
		AgreementEnds: day(r.AgreementEndsAt)}
	if j.Nonce != "" {
		key, err := s.TokenKeys.Version(ctx, j.KeyVersion)
		if err != nil {
			return err
		}
		token := collab.InvitationToken(key, r.ID, j.Nonce)
		if r.Status != collab.Pending || r.InvitationHash != collab.HashToken(token) {
			s.Log.InfoContext(ctx, "invitation e-mail dropped: the invitation was answered or replaced", "job", j.ID)
			return s.Store.Consumed(ctx, j.ID)
		}
		data.Link = strings.TrimRight(s.BaseURL, "/") + "/invitations/" + token
	}
	to, err := s.recipients(ctx, j.Email, r, &data)
	if err != nil {
		return err
	}
	var refused []string // users whose address was refused for good, now or by an earlier delivery
	for _, rc := range to {
		rejected, err := s.deliverOne(ctx, j, rc, data)
		if err != nil {
			return err
		}
		if rejected {
			refused = append(refused, rc.UserID)
		}
	}
	if j.Nonce != "" && len(refused) > 0 {
		return s.markUndelivered(ctx, c, j, refused)
	}
	return s.Store.Consumed(ctx, j.ID)
}

// deliverOne sends the e-mail to one recipient unless it was sent before. It reports whether
// the recipient is rejected for good, by this send or an earlier one.
func (s *Service) deliverOne(ctx context.Context, j Job, rc recipient, data mail.Data) (rejected bool, err error) {
	sum := sha256.Sum256([]byte(strings.ToLower(rc.Email)))
	key := j.ID + "#" + hex.EncodeToString(sum[:8])
	claimed, state, err := s.Store.ClaimDelivery(ctx, key, s.Now(), deliveryLease)
	if err != nil {
		return false, err
	}
	if !claimed {
		if state == dynamo.DeliverySending {
			return false, errDeliveryInProgress
		}
		return state == dynamo.DeliveryRejected, nil // settled before
	}
	data.Recipient = rc.Name
	data.OutcomeText = outcomeText(j.Email, rc.Language, data.OutcomeText)
	m, err := mail.Render(j.Email, string(rc.Language), data)
	if err != nil {
		s.Store.ReleaseDelivery(ctx, key)
		return false, err
	}
	switch err := s.Mailer.Send(ctx, rc.Email, m); {
	case errors.Is(err, mail.ErrRejected):
		reason := mail.Redact(err.Error())
		s.Log.WarnContext(ctx, "e-mail rejected for good", "job", j.ID, "email", j.Email, "user", rc.UserID, "error", reason)
		s.Metrics.Count(ctx, metrics.EmailsRejected, 1)
		return true, s.Store.SettleDelivery(ctx, key, dynamo.DeliveryRejected, reason)
	case err != nil:
		if rerr := s.Store.ReleaseDelivery(ctx, key); rerr != nil {
			s.Log.ErrorContext(ctx, "release of a failed delivery failed", "job", j.ID, "error", mail.Redact(rerr.Error()))
		}
		if errors.Is(err, mail.ErrSenderUnavailable) {
			s.Log.ErrorContext(ctx, "e-mail not sent: the sender cannot send (SES identity, sending paused or quota); the job is retried",
				"job", j.ID, "email", j.Email, "error", mail.Redact(err.Error()))
		}
		return false, &redacted{err}
	}
	s.Metrics.Count(ctx, metrics.EmailsSent, 1)
	return false, s.Store.SettleDelivery(ctx, key, dynamo.DeliverySent, "")
}

// markUndelivered marks the invitation of c as undelivered to the users refused, and consumes the
// job, in one transaction. A collaboration changed since it was read fails the commit with
// concurrent_update, and the job is retried on what it is then.
func (s *Service) markUndelivered(ctx context.Context, c *collab.Collaboration, j Job, refused []string) error {
	changed, err := c.InvitationUndelivered(refused, s.Now())
	if err != nil || !changed {
		return s.Store.Consumed(ctx, j.ID)
	}
	tx := s.Store.Tx()
	tx.PutCollaboration(c)
	tx.Consume(j.ID)
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("mark the invitation undelivered: %w", err)
	}
	return nil
}

// redacted is a send's error with every e-mail address taken out of its text, for the worker's
// log; it unwraps to the error itself.
type redacted struct{ err error }

func (r *redacted) Error() string { return mail.Redact(r.err.Error()) }
func (r *redacted) Unwrap() error { return r.err }

// recipients resolves who gets an e-mail of a kind about collaboration r, and fills the names of
// the parties into data. Company-side e-mails go to the company's administrators; office-side
// ones to the employees on the collaboration's task (or the office's administrators without one).
func (s *Service) recipients(ctx context.Context, kind string, r collab.CollaborationRecord, data *mail.Data) ([]recipient, error) {
	company, err := s.Store.Company(ctx, r.CompanyID)
	if err != nil {
		return nil, err
	}
	office, err := s.Store.OfficeItems(ctx, dynamo.OfficeRefs{OfficeID: r.OfficeID, TaskID: r.TaskID})
	if err != nil {
		return nil, err
	}
	data.Company, data.Office = company.Company.Name, office.Office.Name
	if r.Status == collab.Ended || r.Status == collab.Ending {
		data.OutcomeText = string(r.Outcome) + ":" + string(collab.Solutions[r.Solution].EndEffect)
	}
	var to []recipient
	if kind != EmailInvitationExpired {
		for _, u := range company.Users {
			if u.Role == collab.Administrator {
				to = append(to, recipient{UserID: u.ID, Name: u.Name, Email: u.Email, Language: u.Language})
			}
		}
	}
	switch kind {
	case EmailEnded, EmailAgreementReminder, EmailAgreementExpired, EmailInvitationExpired:
		employees, err := s.Store.Employees(ctx, r.OfficeID)
		if err != nil {
			return nil, err
		}
		for _, e := range employees {
			if office.Task.Assigned(e.UserID) || (len(office.Task.Assignees) == 0 && e.Role == collab.OfficeAdministrator) {
				to = append(to, recipient{UserID: e.UserID, Name: e.Name, Email: e.Email, Language: e.Language})
			}
		}
	}
	return to, nil
}

// outcomeText says, in the recipient's language, what the end of a collaboration did to the
// subscription; spec is "<outcome>:<end effect>".
func outcomeText(kind string, lang collab.Language, spec string) string {
	if kind != EmailEnded {
		return ""
	}
	texts := map[string][2]string{
		"continue":                         {"Företaget fortsätter med tjänsten på egen hand och är nu själv fakturamottagare.", "The company continues with the solution on its own and is now its own invoice recipient."},
		"end_subscription:read_only":       {"Abonnemanget har avslutats. Befintlig information går fortfarande att läsa men inte ändra.", "The subscription has ended. Existing information can still be read but not changed."},
		"end_subscription:delete_data":     {"Abonnemanget har avslutats och all information i tjänsten har tagits bort.", "The subscription has ended and all information in the solution has been deleted."},
		"end_subscription:handover_backup": {"Säkerhetskopian har lämnats över till företaget.", "The backup file has been handed over to the company."},
	}
	t, ok := texts[spec]
	if !ok {
		t = texts[strings.SplitN(spec, ":", 2)[0]]
	}
	if lang == collab.English {
		return t[1]
	}
	return t[0]
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
