package actions

import (
	"cmp"
	"context"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// SignInLinkView is the answer to a request for a user's new first sign-in link: the e-mail that
// carries it is queued.
type SignInLinkView struct {
	UserID    string `json:"userId"`
	CompanyID string `json:"companyId"`
	Queued    bool   `json:"queued"`
}

// SendSignInLink e-mails a user of the company who has never signed in a new first sign-in link
// (collab.EmailSignInLink, in their language, naming who asked), for when the link of their earlier
// e-mail expired or was lost: its one-time code replaces the earlier one. The code is made by the
// e-mail worker as it sends (Service.Deliver), which drops the e-mail if the user signed in
// meanwhile, so neither the request nor its queued job holds it. An administrator of the company
// may ask, or an office employee acting in it, as for CreateUser. It reads the company's
// partition, asks the identity provider whether the user has signed in (a user it does not know,
// stored around the service, is created there now, as CreateUser would have) and commits the
// e-mail's job with an entry on the company's history (who asked, for whom): 2 DynamoDB calls
// and the queue's send. It returns the authorization errors of
// SetMainContact; EINVALID id_invalid; ENOTFOUND company_not_found, user_not_found; ECONFLICT
// already_signed_in, external_identity_provider, email_signs_in_as_another_user.
func (s *Service) SendSignInLink(ctx context.Context, caller Caller, companyID, userID string) (SignInLinkView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err != nil {
		return SignInLinkView{}, err
	}
	if err := collab.CheckID("userId", userID); err != nil {
		return SignInLinkView{}, err
	}
	u, ok := v.User(userID)
	if !ok {
		return SignInLinkView{}, collab.ErrUserNotFound
	}
	if s.Identity == nil {
		return SignInLinkView{}, collab.ErrExternalIdentityProvider
	}
	if err := s.firstSignInPending(ctx, u); err != nil {
		return SignInLinkView{}, err
	}
	facts := &EmailFacts{CompanyID: companyID, RequestedBy: by.UserID}
	if by.Kind == collab.OfficeEmployee {
		facts.RequestedVia = fullAccessVia(v, by.UserID)
	}
	ch := s.change()
	s.companyEvent(ch, companyID, collab.CompanyEvent{Actor: by, Kind: collab.SignInLinkSent, UserID: u.ID})
	s.enqueue(ch, Job{Kind: EmailQueue, Email: collab.EmailSignInLink, UserID: u.ID, About: facts})
	view := SignInLinkView{UserID: u.ID, CompanyID: companyID, Queued: true}
	return view, s.save(ctx, ch, view)
}

// firstSignInPending checks that company user u has never signed in at the identity provider,
// creating them there when it does not know them. It returns ECONFLICT already_signed_in,
// email_signs_in_as_another_user.
func (s *Service) firstSignInPending(ctx context.Context, u collab.User) error {
	state, err := s.Identity.SignInState(ctx, u.ID)
	switch {
	case err != nil:
		return err
	case state == SignedIn:
		return collab.ErrAlreadySignedIn
	case state == SignInPending:
		return nil
	}
	id, err := s.Identity.Ensure(ctx, Person{UserID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language})
	if err == nil && id != u.ID {
		return collab.ErrSignsInAsAnother
	}
	return err
}

// fullAccessVia returns the collaboration through which the office employee userID has full
// access to the company, as the company's partition was read.
func fullAccessVia(v port.CompanyView, userID string) string {
	for _, g := range v.Grants {
		if g.UserID == userID && g.Mode == collab.FullAccess {
			return g.Via
		}
	}
	return ""
}

// requester names who asked for a new sign-in link, for its e-mail: "name (organisation)", the
// company's user as the company's partition has them now, or the office employee as their
// office's staff has them; when they are gone, the organisation alone.
func (s *Service) requester(ctx context.Context, f *EmailFacts, company port.CompanyView) (string, error) {
	if u, ok := company.User(f.RequestedBy); ok {
		return u.Name + " (" + company.Company.Name + ")", nil
	}
	if f.RequestedVia == "" {
		return company.Company.Name, nil
	}
	c, err := s.Store.Collaboration(ctx, f.RequestedVia)
	if collab.ErrorCode(err) == "collaboration_not_found" {
		return company.Company.Name, nil
	}
	if err != nil {
		return "", err
	}
	r := c.Record()
	office, staff, err := s.Store.OfficeStaff(ctx, r.OfficeID)
	if err != nil {
		return "", err
	}
	name := cmp.Or(office.Name, r.OfficeName, company.Company.Name)
	for _, e := range staff {
		if e.UserID == f.RequestedBy {
			return e.Name + " (" + name + ")", nil
		}
	}
	return name, nil
}
