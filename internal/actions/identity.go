package actions

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/spiris/collab/internal/collab"
)

// Person is someone the service makes a company user: who the identity provider must let sign in.
type Person struct {
	UserID   string // the id the service proposes; the provider's username
	Email    string
	Name     string
	Language collab.Language
}

// Identity is the identity provider people sign in with (the stack's Cognito user pool, in
// internal/identity/cognito). The service creates a person there before it commits them as a
// company user, so nobody is committed who cannot sign in; both methods are safe to repeat.
type Identity interface {
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

// ensurePerson creates u at the identity provider, when the service has one, and returns u with
// the user id they sign in as.
func (s *Service) ensurePerson(ctx context.Context, u collab.User) (collab.User, error) {
	if s.Identity == nil {
		return u, nil // an external provider: told by the service's events
	}
	id, err := s.Identity.Ensure(ctx, Person{UserID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language})
	if err != nil {
		return u, err
	}
	u.ID = id
	return u, nil
}

// changePerson gives u's sign-in at the identity provider u's e-mail, name and language, when
// the service has a provider: a contact correction. An e-mail that signs in as someone else is
// ECONFLICT contact_not_administrator (that person is added as an administrator instead).
func (s *Service) changePerson(ctx context.Context, u collab.User) error {
	if s.Identity == nil {
		return nil
	}
	err := s.Identity.Change(ctx, Person{UserID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language})
	if errors.Is(err, ErrEmailTaken) {
		return collab.ErrContactNotAdministrator
	}
	return err
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
	sep := "?"
	if strings.Contains(s.SignInURL, "?") {
		sep = "&"
	}
	fragment := url.Values{"email": {rc.Email}, "code": {code}}.Encode()
	return s.SignInURL + sep + url.Values{"next": {next}}.Encode() + "#" + fragment, nil
}
