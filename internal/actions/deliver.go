package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/logs"
	"github.com/spiris/collab/internal/mail"
	"github.com/spiris/collab/internal/metrics"
)

// deliveryLease is how long a worker holds a job's deliveries before another may retry them; far
// above an SES call, well below the queue's visibility timeout.
const deliveryLease = 2 * time.Minute

// errDeliveryInProgress asks the queue to retry later: another worker holds the delivery.
var errDeliveryInProgress = errors.New("another worker is sending this e-mail")

// EmailFacts is what an e-mail queued by a worker or the cleanup (ended, backup handed over,
// agreement reminder and expiry, invitation expired) says of its collaboration: the collaboration
// as it was when the e-mail was queued, in the state the e-mail reports. With them the e-mail
// worker reads only who gets the e-mail, not the collaboration again.
type EmailFacts struct {
	CompanyID string          `json:"companyId"`
	OfficeID  string          `json:"officeId"`
	Solution  collab.Solution `json:"solution"`
	Assignees []string        `json:"assignees,omitempty"`
	Outcome   collab.Outcome  `json:"outcome,omitempty"`
	// Effect is what the end did to the subscription, when the teardown knows it
	// (collab.EndShared: only this collaboration's use ended).
	Effect           collab.EndEffect `json:"effect,omitempty"`
	InvitationExpiry time.Time        `json:"invitationExpiry,omitzero"`
	AgreementEndsAt  time.Time        `json:"agreementEndsAt,omitzero"`
	// ActivatedBy is the employee who activated the collaboration, whom the office's e-mails go to.
	ActivatedBy string `json:"activatedBy,omitempty"`
	// Backup is the backup file the solution handed over, for the handover e-mail; Export the
	// export of the company's data, for its e-mail; GraceUntil the deadline of a grace period.
	Backup     *collab.Backup `json:"backup,omitempty"`
	Export     *collab.Backup `json:"export,omitempty"`
	GraceUntil time.Time      `json:"graceUntil,omitzero"`
	// RetainUntil is until when the archive an end left is kept, for the ended e-mail.
	RetainUntil time.Time `json:"retainUntil,omitzero"`
	// EndsOn is the day a scheduled end was for, and Blockers the codes of what stopped it, for
	// the e-mail of a scheduled end that did not happen (collab.EmailScheduledEndBlocked).
	EndsOn   time.Time `json:"endsOn,omitzero"`
	Blockers []string  `json:"blockers,omitempty"`
	// RequestedBy is the user who asked for a user's new first sign-in link (collab.EmailSignInLink),
	// whom its e-mail names, and RequestedVia the collaboration through which they act in the
	// company when they are one of an office's employees.
	RequestedBy  string `json:"requestedBy,omitempty"`
	RequestedVia string `json:"requestedVia,omitempty"`
}

// emailAbout is the job of an e-mail of a kind about collaboration r, with r's facts.
func emailAbout(r collab.CollaborationRecord, kind string) Job {
	return Job{Kind: EmailQueue, CollaborationID: r.ID, Email: kind, About: &EmailFacts{CompanyID: r.CompanyID,
		OfficeID: r.OfficeID, Solution: r.Solution, Assignees: r.Assignees, Outcome: r.Outcome,
		InvitationExpiry: r.InvitationExpiry, AgreementEndsAt: r.AgreementEndsAt, ActivatedBy: r.ActivatedBy, Backup: r.Backup,
		Export: r.Export, GraceUntil: r.GraceUntil, RetainUntil: r.RetainUntil}}
}

func (f *EmailFacts) record(id string) collab.CollaborationRecord {
	return collab.CollaborationRecord{ID: id, CompanyID: f.CompanyID, OfficeID: f.OfficeID, Solution: f.Solution,
		Assignees: f.Assignees, Outcome: f.Outcome, InvitationExpiry: f.InvitationExpiry, AgreementEndsAt: f.AgreementEndsAt,
		ActivatedBy: f.ActivatedBy, Backup: f.Backup, Export: f.Export, GraceUntil: f.GraceUntil, RetainUntil: f.RetainUntil}
}

// recipient is one address an e-mail goes to; office says it is one of the office's people.
type recipient struct {
	UserID, Name, Email string
	Language            collab.Language
	office              bool
}

// email is one job's e-mail, loaded: what it says, to whom, the solution it is about (named in
// each recipient's language) and the collaboration read for it (nil for a job that carries its
// facts).
type email struct {
	data     mail.Data
	solution collab.Solution
	// expires and agreementEnds are written in each recipient's language (collab.DateIn).
	expires, agreementEnds time.Time
	// until is a date the e-mail names ({Until}): until when a handed-over backup or an export
	// can be downloaded, a grace period's deadline, a scheduled end's date.
	until time.Time
	// downloadLink says the link is the solution's download (a backup, an export), which no
	// first sign-in link wraps.
	downloadLink bool
	to           []recipient
	c            *collab.Collaboration
	drop         string // why nothing is sent, when nothing is
}

// Deliver sends an e-mail job to each of its recipients, resolved from current data, once per
// recipient. It claims the job's deliveries (one UpdateItem that also returns who got the e-mail
// already), loads what the e-mail says and who gets it (two reads), sends to each recipient not
// yet served, and settles every delivery with the job's outbox message in one transaction: four
// DynamoDB calls and one SES call per recipient. A job delivered twice or to two workers sends
// nothing twice. A send that failed for any reason but the recipient's (throttling, the sender's
// identity not verified, sending paused, quota exceeded: mail.ErrSenderUnavailable, or anything
// unknown) settles what was sent, releases the lease and returns the error, so the job is
// retried, dead-lettered while the cause lasts, and sent once it is fixed. A recipient refused
// for good (mail.ErrRejected) is recorded and the job goes on; an invitation refused for some of
// its recipients is marked on the collaboration (Undelivered) in the settling transaction. An
// invitation job whose invitation was answered or replaced since is dropped: its link is dead.
func (s *Service) Deliver(ctx context.Context, j Job) error {
	if _, err := s.relay(ctx, j); err != nil {
		return err
	}
	d, err := s.Store.ClaimDeliveries(ctx, j.ID, s.Now(), deliveryLease)
	switch {
	case errors.Is(err, port.ErrDelivered):
		return nil
	case errors.Is(err, port.ErrDeliveryLeased):
		return errDeliveryInProgress
	case err != nil:
		return err
	}
	e, err := s.loadEmail(ctx, j)
	if err != nil {
		s.settle(ctx, j, d, false, nil)
		return err
	}
	if e.drop != "" {
		s.Log.InfoContext(ctx, e.drop, "job", j.ID, "collaboration", j.CollaborationID)
		return s.settle(ctx, j, d, true, nil)
	}
	var refused []string // users whose address was refused for good, now or by an earlier delivery
	for _, rc := range e.to {
		rejected, err := s.deliverOne(ctx, j, d, rc, e)
		if err != nil {
			if serr := s.settle(ctx, j, d, false, nil); serr != nil {
				s.Log.ErrorContext(ctx, "settling a failed delivery failed", "job", j.ID, "error", logs.Redact(serr.Error()))
			}
			return err
		}
		if rejected {
			refused = append(refused, rc.UserID)
		}
	}
	var undelivered *collab.Collaboration
	if j.Nonce != "" && len(refused) > 0 {
		if changed, err := e.c.InvitationUndelivered(refused, s.Now()); err == nil && changed {
			undelivered = e.c
		}
	}
	err = s.settle(ctx, j, d, true, undelivered)
	if err != nil && undelivered != nil {
		// The collaboration changed since it was read: keep what was sent, and mark it on a retry.
		s.settle(ctx, j, d, false, nil)
	}
	return err
}

// settle commits how the job's deliveries ended and gives up its lease, in one transaction; when
// done it also deletes the job's outbox message, and writes the collaboration marked undelivered
// when there is one (at the version read: a collaboration changed since fails the commit with
// concurrent_update, and the job is retried on what it is then).
func (s *Service) settle(ctx context.Context, j Job, d *port.Deliveries, done bool, undelivered *collab.Collaboration) error {
	tx := s.Store.Begin()
	tx.SettleDeliveries(d, done)
	if done {
		tx.Consume(j.ID)
	}
	if undelivered != nil {
		tx.PutCollaboration(undelivered)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("settle the deliveries of %s: %w", j.ID, err)
	}
	return nil
}

// deliverOne sends the e-mail to one recipient in the recipient's language, the solution named
// in it too, unless its delivery ended before, and records how it ended in d. It reports whether
// the recipient is rejected for good, by this send or an earlier one.
func (s *Service) deliverOne(ctx context.Context, j Job, d *port.Deliveries, rc recipient, e email) (rejected bool, err error) {
	key := port.RecipientKey(rc.Email)
	if end, ok := d.Ended[key]; ok {
		return end.State == port.DeliveryRejected, nil
	}
	data := e.data
	data.Recipient, data.Solution = rc.Name, collab.Solutions[e.solution].NameIn(rc.Language)
	data.Expires, data.AgreementEnds = collab.DateIn(e.expires, rc.Language), collab.DateIn(e.agreementEnds, rc.Language)
	data.Until = collab.DateIn(e.until, rc.Language)
	data.ForOffice = rc.office
	kind := j.Email
	if office := collab.AudienceOf(kind).OfficeEmail; rc.office && office != "" {
		kind = office // the office's side of an e-mail both sides get
	}
	if data.Link != "" && !rc.office && !e.downloadLink {
		link, withCode, err := s.firstSignInLink(ctx, rc, data.Link)
		if err != nil {
			return false, err
		}
		if !withCode && kind == collab.EmailSignInLink { // never a "sign in for the first time" e-mail without its code
			s.Log.InfoContext(ctx, "sign-in link e-mail dropped: the user has signed in since it was asked for, or cannot get a code",
				"job", j.ID, "user", rc.UserID)
			return false, nil
		}
		data.Link = link
	}
	m, err := mail.Render(kind, string(rc.Language), data)
	if err != nil {
		return false, err
	}
	switch err := s.Mailer.Send(ctx, rc.Email, m); {
	case errors.Is(err, mail.ErrRejected):
		reason := logs.Redact(err.Error())
		s.Log.WarnContext(ctx, "e-mail rejected for good", "job", j.ID, "email", j.Email, "user", rc.UserID, "error", reason)
		s.Metrics.Count(ctx, metrics.EmailsRejected, 1)
		d.Record(key, port.DeliveryRejected, reason)
		return true, nil
	case err != nil:
		if errors.Is(err, mail.ErrSenderUnavailable) {
			s.Log.ErrorContext(ctx, "e-mail not sent: the sender cannot send (SES identity, sending paused or quota); the job is retried",
				"job", j.ID, "email", j.Email, "error", logs.Redact(err.Error()))
		}
		return false, &redacted{err}
	}
	s.Metrics.Count(ctx, metrics.EmailsSent, 1)
	d.Record(key, port.DeliverySent, "")
	return false, nil
}

// redacted is a send's error with every e-mail address taken out of its text, for the worker's
// log; it unwraps to the error itself.
type redacted struct{ err error }

func (r *redacted) Error() string { return logs.Redact(r.err.Error()) }
func (r *redacted) Unwrap() error { return r.err }

// loadEmail reads what a job's e-mail says and who gets it: the collaboration (unless the job
// carries its facts), then the company's users and, for the office's e-mails, the office's staff.
func (s *Service) loadEmail(ctx context.Context, j Job) (email, error) {
	if collab.AudienceOf(j.Email).User {
		return s.addressedUser(ctx, j)
	}
	if j.About != nil {
		e, err := s.addressed(ctx, j.Email, j.About.record(j.CollaborationID))
		if j.About.Effect != "" {
			e.data.Outcome = string(j.About.Effect)
		}
		if !j.About.EndsOn.IsZero() {
			e.until, e.data.Blockers = j.About.EndsOn, j.About.Blockers
		}
		return e, err
	}
	c, err := s.Store.Collaboration(ctx, j.CollaborationID)
	if collab.ErrorCode(err) == "collaboration_not_found" {
		return email{drop: "e-mail for an unknown collaboration dropped"}, nil
	}
	if err != nil {
		return email{}, err
	}
	r := c.Record()
	var link string
	if j.Nonce != "" {
		key, err := s.TokenKeys.Version(ctx, j.KeyVersion)
		if err != nil {
			return email{}, err
		}
		token := collab.InvitationToken(key, r.ID, j.Nonce)
		if r.Status != collab.Pending || r.InvitationHash != collab.HashToken(token) {
			return email{drop: "invitation e-mail dropped: the invitation was answered or replaced"}, nil
		}
		link = strings.TrimRight(s.BaseURL, "/") + "/invitations/" + token
	}
	if j.Email == collab.EmailEndScheduled {
		sched, ok := r.ScheduledEndOf()
		if !ok || !sched.Day().Equal(j.EndsOn) {
			return email{drop: "scheduled end e-mail dropped: the end was cancelled or changed before it went"}, nil
		}
		r.Outcome = sched.Outcome // what the end will do
	}
	e, err := s.addressed(ctx, j.Email, r)
	e.c, e.data.Link = c, link
	return e, err
}

// addressed resolves who gets an e-mail of a kind about collaboration r (collab.AudienceOf) and
// what it says. Company-side e-mails name the office as the collaboration does (as the invitation
// page does); the office's staff is read for office-side e-mails, or when the collaboration does
// not carry the office's name (imported).
func (s *Service) addressed(ctx context.Context, kind string, r collab.CollaborationRecord) (email, error) {
	e := email{solution: r.Solution, data: mail.Data{Office: r.OfficeName}, expires: r.InvitationExpiry, agreementEnds: r.AgreementEndsAt}
	if r.Outcome != "" {
		e.data.Outcome = string(collab.Solutions[r.Solution].EffectOf(r.Outcome))
	}
	switch {
	case r.Backup != nil && kind == EmailPayrollHandover:
		e.data.Link, e.until, e.downloadLink = r.Backup.URL, r.Backup.Until, true
	case r.Export != nil && kind == collab.EmailDataExport:
		e.data.Link, e.until, e.downloadLink = r.Export.URL, r.Export.Until, true
	case kind == collab.EmailGraceStarted || kind == collab.EmailGraceReminder:
		e.until = r.GraceUntil
	case kind == EmailEnded && !r.RetainUntil.IsZero():
		e.until = r.RetainUntil
	case kind == collab.EmailEndScheduled:
		if sched, ok := r.ScheduledEndOf(); ok {
			e.until = sched.Day()
		}
	}
	audience := collab.AudienceOf(kind)
	company, err := s.Store.Company(ctx, r.CompanyID)
	if err != nil {
		return email{}, err
	}
	e.data.Company = company.Company.Name
	if audience.Company || audience.MainContact {
		for _, u := range company.Users {
			if (audience.Company && u.Role == collab.Administrator) || (audience.MainContact && u.ID == company.Company.MainContact) {
				e.to = append(e.to, recipient{UserID: u.ID, Name: u.Name, Email: u.Email, Language: u.Language})
			}
		}
	}
	if !audience.Office && e.data.Office != "" {
		return e, nil
	}
	office, staff, err := s.Store.OfficeStaff(ctx, r.OfficeID)
	if err != nil {
		return email{}, err
	}
	e.data.Office = office.Name
	if audience.Office {
		for _, emp := range r.OfficeRecipients(staff) {
			e.to = append(e.to, recipient{UserID: emp.UserID, Name: emp.Name, Email: emp.Email, Language: emp.Language, office: true})
		}
	}
	return e, nil
}
