package actions

import (
	"context"
	"errors"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// InvitationView is what the invitation link shows before anyone signs in: who invites, to which
// solution, on what terms, until when. State is "live", or why the link is dead.
type InvitationView struct {
	State            string          `json:"state"` // live, used, revoked, expired
	CollaborationID  string          `json:"collaborationId"`
	OfficeName       string          `json:"officeName"`
	CompanyName      string          `json:"companyName"`
	Solution         collab.Solution `json:"solution"`
	SolutionName     string          `json:"solutionName"`
	InvoiceRecipient string          `json:"invoiceRecipient"`
	StartPeriod      string          `json:"startPeriod,omitempty"`
	AgreementMonths  int             `json:"agreementMonths,omitempty"`
	ExpiresAt        time.Time       `json:"expiresAt"`
	NewCompany       bool            `json:"newCompany"`
	// TermsVersion names the terms an acceptance now agrees to (collab.CurrentTerms), whose
	// wording the page shows.
	TermsVersion string `json:"termsVersion"`
}

// loadInvitation reads the invitation of a link token and the collaboration it names, in one
// round trip. It returns ENOTFOUND invitation_not_found.
func (s *Service) loadInvitation(ctx context.Context, token string) (collab.Invitation, *collab.Collaboration, error) {
	id, hash, err := collab.ParseToken(token)
	if err != nil {
		return collab.Invitation{}, nil, err
	}
	return s.Store.Answering(ctx, id, hash)
}

// ShowInvitation describes the invitation of a link token; no sign-in is needed. For a dead link
// it returns the view with its state and EGONE invitation_used, invitation_revoked or
// invitation_expired; for an unknown one ENOTFOUND invitation_not_found.
func (s *Service) ShowInvitation(ctx context.Context, token string) (InvitationView, error) {
	s.Metrics.Count(ctx, metrics.InvitationViews, 1)
	inv, c, err := s.loadInvitation(ctx, token)
	if err != nil {
		return InvitationView{}, err
	}
	r := c.Record()
	v := InvitationView{State: "live", CollaborationID: r.ID, OfficeName: r.OfficeName, CompanyName: r.CompanyName,
		Solution: r.Solution, SolutionName: collab.Solutions[r.Solution].Name, InvoiceRecipient: string(r.InvoiceRecipient),
		StartPeriod: r.StartPeriod.String(), AgreementMonths: r.AgreementMonths, ExpiresAt: inv.ExpiresAt,
		NewCompany: r.Scenario == collab.NewCompany, TermsVersion: collab.CurrentTerms.Version}
	now := s.Now()
	v.State = string(inv.State(now))
	return v, inv.Live(now)
}

// answer loads what accepting or declining needs in one BatchGetItem (the invitation, the
// collaboration its token names and the caller's memberships) and decides that the caller is an
// administrator of the invited company and the invitation is live.
func (s *Service) answer(ctx context.Context, caller Caller, token string) (collab.Invitation, *collab.Collaboration, party, error) {
	if caller.UserID == "" {
		return collab.Invitation{}, nil, party{}, collab.ErrUnauthenticated
	}
	id, hash, err := collab.ParseToken(token)
	if err != nil {
		return collab.Invitation{}, nil, party{}, err
	}
	inv, c, m, err := s.Store.AnsweringFor(ctx, id, hash, caller.UserID)
	if err != nil {
		return inv, nil, party{}, err
	}
	if err := inv.Live(s.Now()); err != nil {
		return inv, nil, party{}, err
	}
	p, err := s.partyOf(ctx, caller, c.Record(), m, collab.CompanySide)
	return inv, c, p, err
}

// AcceptInput is the body of an acceptance: which terms the customer was shown.
type AcceptInput struct {
	// TermsVersion is the version of the terms the invitation showed (InvitationView.TermsVersion);
	// empty agrees to the current terms (a client that does not say).
	TermsVersion string `json:"termsVersion"`
}

// Accept answers an invitation yes, agreeing to the current terms: AcceptTerms with no version.
func (s *Service) Accept(ctx context.Context, caller Caller, token string) (CollaborationView, error) {
	return s.AcceptTerms(ctx, caller, token, AcceptInput{})
}

// AcceptTerms answers an invitation yes, agreeing to the terms in.TermsVersion names, which must
// be the current ones (recorded on the history): the collaboration and the subscription become
// active, the office employees on the task get full access, and the company's administrators are
// told, as are the activating employee and the task's employees (one e-mail job, each side in its
// own words). It returns EUNAUTHORIZED unauthenticated; ENOTFOUND invitation_not_found; EGONE
// invitation_used, invitation_revoked, invitation_expired; EFORBIDDEN not_company_user,
// administrator_required; ECONFLICT terms_changed (the terms shown are no longer the current
// ones; nothing changes), collaboration_not_pending, concurrent_update.
func (s *Service) AcceptTerms(ctx context.Context, caller Caller, token string, in AcceptInput) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Accepts)
	inv, c, p, err := s.answer(ctx, caller, token)
	if err != nil {
		return CollaborationView{}, err
	}
	if _, err := collab.CurrentTerms.Agree(in.TermsVersion); err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	if err := inv.Use(now); err != nil {
		return CollaborationView{}, err
	}
	if err := c.Accept(p.by, now); err != nil {
		return CollaborationView{}, err
	}
	r := c.Record()
	ch := s.change()
	p.require(ch)
	ch.tx.PutInvitation(inv)
	ch.tx.PutCollaboration(c)
	ch.tx.ActivateSubscription(r, now)
	ch.tx.CompanyAnswered(r.CompanyID, now)
	regrant(ch, r, nil, r.Assignees)
	s.enqueue(ch, emailAbout(r, EmailAccessGranted))
	return s.saved(ctx, ch, c)
}

// Decline answers an invitation no: the collaboration is declined, a subscription its activation
// opened is rolled back, and the activating employee and the task's employees are told. It
// returns the errors of Accept.
func (s *Service) Decline(ctx context.Context, caller Caller, token string) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Declines)
	inv, c, p, err := s.answer(ctx, caller, token)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	if err := inv.Use(now); err != nil {
		return CollaborationView{}, err
	}
	before := c.Record()
	if err := c.Decline(p.by, now); err != nil {
		return CollaborationView{}, err
	}
	return s.closeUnanswered(ctx, p, before, c, func(ch *change) {
		ch.tx.PutInvitation(inv)
		ch.tx.CompanyAnswered(before.CompanyID, now)
		s.enqueue(ch, emailAbout(c.Record(), collab.EmailInvitationDeclined))
	})
}

// closeUnanswered commits a pending collaboration (before, as read) that ended without becoming
// active (declined, withdrawn) with the writes of also, and undoes what its activation did to
// the company's subscription. The collaboration records that (collab.Opening), so no read of
// the subscription is needed; when it does not (activated before it did), or the subscription
// changed since the activation (another office's collaboration was accepted on it meanwhile),
// the company's subscription is read and collab.Subscription.RollBack decides.
func (s *Service) closeUnanswered(ctx context.Context, p party, before collab.CollaborationRecord, c *collab.Collaboration, also func(*change)) (CollaborationView, error) {
	now := s.Now()
	build := func(read *port.CompanyView) *change {
		ch := s.change()
		p.require(ch)
		also(ch)
		ch.tx.PutCollaboration(c)
		switch r := c.Record(); {
		case read != nil:
			s.rollBackSubscription(ch, r, *read, now)
		case r.Opened != nil:
			ch.tx.UndoOpening(r, now)
		}
		return ch
	}
	if !before.OpensSubscription() || before.Opened != nil {
		v, err := s.saved(ctx, build(nil), c)
		if !errors.Is(err, collab.ErrConflict) || before.Opened == nil {
			return v, err
		}
	}
	company, err := s.Store.Company(ctx, before.CompanyID)
	if err != nil {
		return CollaborationView{}, err
	}
	return s.saved(ctx, build(&company), c)
}

// rollBackSubscription undoes the subscription an activation opened, when its collaboration
// ends without ever becoming active, from the company's partition as read.
func (s *Service) rollBackSubscription(ch *change, r collab.CollaborationRecord, company port.CompanyView, now time.Time) {
	sub, ok := company.Subscriptions[r.Solution]
	if !ok || !sub.RolledBackBy(r.ID) {
		return
	}
	before := sub
	if sub.RollBack(now) {
		ch.tx.DeleteSubscription(before)
		return
	}
	ch.tx.PutSubscription(sub)
}

// saved commits the change and returns the collaboration as written.
func (s *Service) saved(ctx context.Context, ch *change, c *collab.Collaboration) (CollaborationView, error) {
	v := collaborationView(c.Record(), nil)
	return v, s.save(ctx, ch, v)
}

// Resend replaces a pending collaboration's invitation with a new one (the old link dies) and
// e-mails it again. It reads the collaboration and the caller's memberships in one BatchGetItem
// and commits in one transaction. It returns the errors of collaborationFor on the office side;
// ECONFLICT collaboration_not_pending, concurrent_update.
func (s *Service) Resend(ctx context.Context, caller Caller, id string) (CollaborationView, error) {
	c, p, err := s.collaborationFor(ctx, caller, id, collab.OfficeSide)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	old := c.Record().InvitationHash
	inv, keyVersion, err := s.newInvitation(ctx, id, now)
	if err != nil {
		return CollaborationView{}, err
	}
	if err := c.Invite(inv); err != nil {
		return CollaborationView{}, err
	}
	r := c.Record()
	ch := s.change()
	p.require(ch)
	if old != "" {
		ch.tx.RevokeInvitation(old, now)
	}
	ch.tx.PutInvitation(inv)
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: invitationEmail(r.Scenario), Nonce: inv.Nonce, KeyVersion: keyVersion})
	return s.saved(ctx, ch, c)
}

// Withdraw takes back a pending invitation: the collaboration is withdrawn, the link dies and a
// subscription the activation opened is rolled back. It reads the collaboration and the caller's
// memberships in one BatchGetItem and commits in one transaction (see closeUnanswered). It
// returns the errors of Resend.
func (s *Service) Withdraw(ctx context.Context, caller Caller, id string) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Withdrawals)
	c, p, err := s.collaborationFor(ctx, caller, id, collab.OfficeSide)
	if err != nil {
		return CollaborationView{}, err
	}
	before := c.Record()
	if err := c.Withdraw(p.by, s.Now()); err != nil {
		return CollaborationView{}, err
	}
	return s.closeUnanswered(ctx, p, before, c, func(ch *change) {
		if before.InvitationHash != "" {
			ch.tx.RevokeInvitation(before.InvitationHash, s.Now())
		}
	})
}

// invitationEmail is the e-mail that carries the invitation of a collaboration activated in the
// scenario: a new company's administrator first gets login instructions.
func invitationEmail(sc collab.Scenario) string {
	if sc == collab.NewCompany {
		return EmailLoginInstructions
	}
	return EmailInvitation
}
