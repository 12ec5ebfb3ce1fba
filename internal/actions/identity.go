package actions

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail"
)

// Person is someone the service makes a company user: who the identity provider must let sign in.
type Person struct {
	UserID   string // the id the service proposes; the provider's username
	Email    string
	Name     string
	Language collab.Language
}

// Identity is the identity provider people sign in with (the stack's Cognito user pool, in
// internal/identity/cognito). A use case chooses a person's user id with Lookup while it decides
// (no side effect), and the person is created or changed there right before the commit (save,
// syncPeople), so nobody is committed who cannot sign in, and a refused request leaves nothing
// behind; every method is safe to repeat.
type Identity interface {
	// Lookup returns the user id of the provider's user with the e-mail, if there is one.
	Lookup(ctx context.Context, email string) (userID string, found bool, err error)
	// Ensure makes sure the person can sign in and returns the user id they sign in as: the id of
	// the provider's user with the person's e-mail when there is one (created by an earlier
	// attempt of the same request, or the same person in another company), else UserID, created
	// now with its name and language.
	Ensure(ctx context.Context, p Person) (userID string, err error)
	// FirstSignIn returns a new one-time code for the user's first sign-in, replacing any earlier
	// one (it expires after the provider's validity), or "" when the user has signed in already
	// and chose a password.
	FirstSignIn(ctx context.Context, userID string) (code string, err error)
	// Change gives the user p.UserID p's e-mail, name and language (creating them when the
	// provider lacks them). It returns ErrEmailTaken when the e-mail signs in as another user.
	Change(ctx context.Context, p Person) error
}

// ErrEmailTaken is an e-mail address that already signs in as another user.
var ErrEmailTaken = errors.New("the e-mail address signs in as another user")

// personChange is a person a change creates (or, changed, corrects) at the identity provider
// before it commits.
type personChange struct {
	user    collab.User
	changed bool
}

// newUserID is the user id of a person the service adds with an e-mail: the id the identity
// provider knows the e-mail by (an earlier attempt of the same request, or the same person in
// another company), else a new one. The person is created with ch (addPerson).
func (s *Service) newUserID(ctx context.Context, email string) (string, error) {
	if s.Identity == nil {
		return s.NewID(), nil // an external provider: told by the service's events
	}
	id, found, err := s.Identity.Lookup(ctx, email)
	if err != nil || found {
		return id, err
	}
	return s.NewID(), nil
}

// addPerson has ch create u at the identity provider before it commits; changed corrects the
// e-mail, name and language of u's existing sign-in instead.
func (s *Service) addPerson(ch *change, u collab.User, changed bool) {
	if s.Identity != nil {
		ch.people = append(ch.people, personChange{user: u, changed: changed})
	}
}

// syncPeople creates or corrects the change's people at the identity provider, right before its
// commit. A person created meanwhile by another request for the same e-mail under another id is
// ECONFLICT concurrent_update (a retry uses that id); a corrected e-mail that signs in as
// someone else is ECONFLICT contact_not_administrator (that person is added as an administrator
// instead).
func (s *Service) syncPeople(ctx context.Context, ch *change) error {
	for _, p := range ch.people {
		u := p.user
		person := Person{UserID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language}
		if p.changed {
			if err := s.Identity.Change(ctx, person); errors.Is(err, ErrEmailTaken) {
				return collab.ErrContactNotAdministrator
			} else if err != nil {
				return err
			}
			continue
		}
		id, err := s.Identity.Ensure(ctx, person)
		if err != nil {
			return err
		}
		if id != u.ID {
			return collab.ErrConflict
		}
	}
	return nil
}

// firstSignInLink is where a company's e-mail with a link (the login instructions, an invitation,
// its reminder) sends a user who never signed in: the sign-in page with the e-mail address and a
// new one-time code in the fragment (which browsers never send to a server, so no log holds it),
// leading on to next (the invitation) once the user has chosen a password and accepted the user
// terms; each such e-mail replaces the code of the one before. It is next itself when there is
// no provider, no page, or the user has signed in before.
func (s *Service) firstSignInLink(ctx context.Context, rc recipient, next string) (string, error) {
	if s.Identity == nil || s.SignInURL == "" {
		return next, nil
	}
	code, err := s.Identity.FirstSignIn(ctx, rc.UserID)
	if err != nil || code == "" {
		return next, err
	}
	fragment := "#" + url.Values{"email": {rc.Email}, "code": {code}}.Encode()
	if next == s.SignInURL {
		return s.SignInURL + fragment, nil // the sign-in itself is what the e-mail is for
	}
	sep := "?"
	if strings.Contains(s.SignInURL, "?") {
		sep = "&"
	}
	return s.SignInURL + sep + url.Values{"next": {next}}.Encode() + fragment, nil
}

// addressedUser is a company's e-mail to one of its users (collab.EmailUserAdded): to the user
// the job names, as the company's partition has them now, with the sign-in page as its link
// (deliverOne makes it their first sign-in link). A user no longer in the company gets nothing.
func (s *Service) addressedUser(ctx context.Context, j Job) (email, error) {
	if j.About == nil {
		return email{drop: "e-mail to a user without their company dropped"}, nil
	}
	company, err := s.Store.Company(ctx, j.About.CompanyID)
	if collab.ErrorCode(err) == "company_not_found" {
		return email{drop: "e-mail to a user of an unknown company dropped"}, nil
	}
	if err != nil {
		return email{}, err
	}
	e := email{data: mail.Data{Company: company.Company.Name, Link: s.SignInURL}}
	for _, u := range company.Users {
		if u.ID == j.UserID {
			e.to = append(e.to, recipient{UserID: u.ID, Name: u.Name, Email: u.Email, Language: u.Language})
		}
	}
	if len(e.to) == 0 {
		e.drop = "e-mail to a user no longer in the company dropped"
	}
	return e, nil
}
