package actions

import (
	"context"
	"errors"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
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
		NewCompany: r.Scenario == collab.NewCompany}
	liveErr := inv.Live(s.Now())
	if liveErr != nil {
		v.State = map[string]string{"invitation_used": "used", "invitation_revoked": "revoked", "invitation_expired": "expired"}[collab.ErrorCode(liveErr)]
	}
	return v, liveErr
}

// answer loads what accepting or declining needs and checks the caller is an administrator of
// the invited company.
func (s *Service) answer(ctx context.Context, caller Caller, token string) (collab.Invitation, *collab.Collaboration, dynamo.CompanyView, collab.Actor, error) {
	var view dynamo.CompanyView
	if caller.UserID == "" {
		return collab.Invitation{}, nil, view, collab.Actor{}, errUnauthenticated
	}
	inv, c, err := s.loadInvitation(ctx, token)
	if err != nil {
		return inv, nil, view, collab.Actor{}, err
	}
	if err := inv.Live(s.Now()); err != nil {
		return inv, nil, view, collab.Actor{}, err
	}
	if view, err = s.Store.Company(ctx, c.Record().CompanyID); err != nil {
		return inv, nil, view, collab.Actor{}, err
	}
	u, _ := view.User(caller.UserID)
	by, err := s.collaborationActor(ctx, caller, c.Record(), customerSide, &dynamo.Parties{User: u})
	return inv, c, view, by, err
}

// Accept answers an invitation yes: the collaboration and the subscription become active, the
// office employees on the task get full access, and the company's administrators are told.
// It reads the invitation and the collaboration, and commits on the condition that the caller is
// an administrator of the company; only when that fails does it read who the caller is, to say so.
// It returns EUNAUTHORIZED unauthenticated; ENOTFOUND invitation_not_found; EGONE
// invitation_used, invitation_revoked, invitation_expired; EFORBIDDEN not_company_user,
// administrator_required; ECONFLICT collaboration_not_pending, concurrent_update.
func (s *Service) Accept(ctx context.Context, caller Caller, token string) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Accepts)
	if caller.UserID == "" {
		return CollaborationView{}, errUnauthenticated
	}
	inv, c, err := s.loadInvitation(ctx, token)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	r := c.Record()
	if err := inv.Use(now); err != nil {
		return CollaborationView{}, err
	}
	if err := c.Accept(actorOf(collab.CustomerUser, caller.UserID, r.CompanyID), now); err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	ch.tx.AssumeAdministrator(r.CompanyID, caller.UserID)
	ch.tx.PutInvitation(inv)
	ch.tx.PutCollaboration(c)
	ch.tx.ActivateSubscription(c.Record(), now)
	regrant(ch, c.Record(), nil, c.Record().Assignees)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: EmailAccessGranted})
	v, err := s.saved(ctx, ch, c)
	if errors.Is(err, dynamo.ErrAssumption) {
		return v, s.refusal(ctx, caller, r, customerSide)
	}
	return v, err
}

// refusal says why a commit that assumed the caller may act for side on r was refused: the
// authorization error, or ECONFLICT concurrent_update when the caller has the right after all
// (it changed meanwhile, or another assumption failed) and may simply retry.
func (s *Service) refusal(ctx context.Context, caller Caller, r collab.CollaborationRecord, need side) error {
	if _, err := s.collaborationActor(ctx, caller, r, need, nil); err != nil {
		return err
	}
	return collab.ErrConflict
}

// Decline answers an invitation no: the collaboration is declined and a subscription its
// activation opened is rolled back. It returns the errors of Accept.
func (s *Service) Decline(ctx context.Context, caller Caller, token string) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Declines)
	inv, c, company, by, err := s.answer(ctx, caller, token)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	if err := inv.Use(now); err != nil {
		return CollaborationView{}, err
	}
	if err := c.Decline(by, now); err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	ch.tx.PutInvitation(inv)
	ch.tx.PutCollaboration(c)
	s.rollBackSubscription(ch, c.Record(), company, now)
	return s.saved(ctx, ch, c)
}

// rollBackSubscription undoes the subscription an activation opened, when its collaboration
// ends without ever becoming active.
func (s *Service) rollBackSubscription(ch *change, r collab.CollaborationRecord, company dynamo.CompanyView, now time.Time) {
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
// e-mails it again. It returns the authorization errors of the office side; ENOTFOUND
// collaboration_not_found; ECONFLICT collaboration_not_pending, concurrent_update.
func (s *Service) Resend(ctx context.Context, caller Caller, id string) (CollaborationView, error) {
	c, _, err := s.officeCollaboration(ctx, caller, id)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	r := c.Record()
	ch := s.change()
	if err := s.revokeInvitation(ctx, ch, r, now); err != nil {
		return CollaborationView{}, err
	}
	inv, keyVersion, err := s.newInvitation(ctx, r.ID, now)
	if err != nil {
		return CollaborationView{}, err
	}
	if err := c.Invite(inv); err != nil {
		return CollaborationView{}, err
	}
	ch.tx.PutInvitation(inv)
	ch.tx.PutCollaboration(c)
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: r.ID, Email: invitationEmail(r.Scenario), Nonce: inv.Nonce, KeyVersion: keyVersion})
	return s.saved(ctx, ch, c)
}

// Withdraw takes back a pending invitation: the collaboration is withdrawn, the link dies and a
// subscription the activation opened is rolled back. It returns the errors of Resend.
func (s *Service) Withdraw(ctx context.Context, caller Caller, id string) (_ CollaborationView, err error) {
	defer s.countIf(ctx, &err, metrics.Withdrawals)
	c, by, err := s.officeCollaboration(ctx, caller, id)
	if err != nil {
		return CollaborationView{}, err
	}
	now := s.Now()
	r := c.Record()
	if err := c.Withdraw(by, now); err != nil {
		return CollaborationView{}, err
	}
	company, err := s.Store.Company(ctx, r.CompanyID)
	if err != nil {
		return CollaborationView{}, err
	}
	ch := s.change()
	if err := s.revokeInvitation(ctx, ch, r, now); err != nil {
		return CollaborationView{}, err
	}
	ch.tx.PutCollaboration(c)
	s.rollBackSubscription(ch, r, company, now)
	return s.saved(ctx, ch, c)
}

// revokeInvitation adds to ch the revocation of r's live invitation, if it has one.
func (s *Service) revokeInvitation(ctx context.Context, ch *change, r collab.CollaborationRecord, now time.Time) error {
	if r.InvitationHash == "" {
		return nil
	}
	inv, err := s.Store.Invitation(ctx, r.InvitationHash)
	if err != nil {
		return err
	}
	inv.Revoke(now)
	ch.tx.PutInvitation(inv)
	return nil
}

// invitationEmail is the e-mail that carries the invitation of a collaboration activated in the
// scenario: a new company's administrator first gets login instructions.
func invitationEmail(sc collab.Scenario) string {
	if sc == collab.NewCompany {
		return EmailLoginInstructions
	}
	return EmailInvitation
}

// officeCollaboration loads a collaboration and checks the caller acts for its office.
func (s *Service) officeCollaboration(ctx context.Context, caller Caller, id string) (*collab.Collaboration, collab.Actor, error) {
	if caller.UserID == "" {
		return nil, collab.Actor{}, errUnauthenticated
	}
	if err := checkID("id", id); err != nil {
		return nil, collab.Actor{}, err
	}
	c, err := s.Store.Collaboration(ctx, id)
	if err != nil {
		return nil, collab.Actor{}, err
	}
	by, err := s.collaborationActor(ctx, caller, c.Record(), officeSide, nil)
	return c, by, err
}
