package actions

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
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
	// SignInState tells whether the user has signed in (and chose a password), has not yet, or
	// is not known to the provider at all; it changes nothing.
	SignInState(ctx context.Context, userID string) (SignInState, error)
}

// SignInState is where a person stands with the identity provider.
type SignInState string

// The states of a person at the identity provider.
const (
	// SignInUnknown is a user the provider does not know (stored around the service).
	SignInUnknown SignInState = "unknown"
	// SignInPending is a user who never signed in: a first sign-in code lets them in once.
	SignInPending SignInState = "pending"
	// SignedIn is a user who signed in and chose a password of their own.
	SignedIn SignInState = "signed_in"
)

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
// e-mail, name and language of u's existing sign-in instead. Either way the change tells the bus
// (PersonChanged), for an external provider, which the service cannot call.
func (s *Service) addPerson(ch *change, u collab.User, changed bool) {
	p := personChange{user: u, changed: changed}
	ch.rec.people = append(ch.rec.people, p)
	if s.Identity != nil {
		ch.people = append(ch.people, p)
	}
}

// personEvents returns a PersonChanged event per person the change creates or corrects, naming
// the collaboration it writes, if any (an activation).
func (r *recorder) personEvents(newID func() string, now time.Time) []events.Event {
	var via string
	if n := len(r.collabs); n > 0 {
		via = r.collabs[n-1].ID()
	}
	out := make([]events.Event, 0, len(r.people))
	for _, p := range r.people {
		u, change := p.user, events.PersonCreated
		if p.changed {
			change = events.PersonUpdated
		}
		out = append(out, events.New(events.PersonChanged, events.Person{EventID: newID(), At: now, UserID: u.ID,
			CompanyID: u.CompanyID, Email: u.Email, Name: u.Name, Language: string(u.Language), Role: string(u.Role),
			Change: change, CollaborationID: via}))
	}
	return out
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

// DefaultFirstSignInValidity is how long a first sign-in code works unless configured: 30 days,
// the user pool's default TemporaryPasswordValidityDays (FirstSignInDays).
const DefaultFirstSignInValidity = 30 * 24 * time.Hour

// firstSignInLink is where a company's e-mail with a link (the login instructions, an invitation,
// its reminder) sends a user: the link next in the recipient's language (lang=, which the
// invitation page and the sign-in page read), and for a user who never signed in, the sign-in
// page in their language with the code's expiry (expires=, RFC 3339: the page refuses a link past
// it and says how to get a new one), leading on to next (the invitation) once the user has chosen
// a password and accepted the user terms, and the e-mail address and a new one-time code in the
// fragment (which browsers never send to a server, so no log holds it); each such e-mail
// replaces the code of the one before. It is next alone when there is no provider, no page, or the
// user has signed in before; withCode says whether the link carries a code.
func (s *Service) firstSignInLink(ctx context.Context, rc recipient, next string) (link string, withCode bool, err error) {
	signInOnly := next == s.SignInURL
	next = withQuery(next, url.Values{"lang": {string(rc.Language)}})
	if s.Identity == nil || s.SignInURL == "" {
		return next, false, nil
	}
	code, err := s.Identity.FirstSignIn(ctx, rc.UserID)
	if err != nil || code == "" {
		return next, false, err
	}
	validity := cmp.Or(s.FirstSignInValidity, DefaultFirstSignInValidity)
	q := url.Values{"lang": {string(rc.Language)}, "expires": {s.Now().Add(validity).UTC().Format(time.RFC3339)}}
	if !signInOnly { // else the sign-in itself is what the e-mail is for
		q.Set("next", next)
	}
	return withQuery(s.SignInURL, q) + "#" + url.Values{"email": {rc.Email}, "code": {code}}.Encode(), true, nil
}

// withQuery returns link with the parameters q that have a value added to its query.
func withQuery(link string, q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return link
	}
	sep := "?"
	if strings.Contains(link, "?") {
		sep = "&"
	}
	return link + sep + q.Encode()
}

// addressedUser is a company's e-mail to one of its users (collab.EmailUserAdded,
// collab.EmailSignInLink): to the user the job names, as the company's partition has them now, with the
// sign-in page as its link (deliverOne makes it their first sign-in link). A user no longer in the
// company gets nothing. A new sign-in link's e-mail also names who asked for it and until when
// the link works.
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
		return e, nil
	}
	if j.Email == collab.EmailSignInLink {
		e.expires = s.Now().Add(cmp.Or(s.FirstSignInValidity, DefaultFirstSignInValidity)) // the code's, as firstSignInLink states it
		e.data.Requester, err = s.requester(ctx, j.About, company)
	}
	return e, err
}

// UserTermsInput is the body of an acceptance of the user terms: the version the page showed.
type UserTermsInput struct {
	Version string `json:"version"`
}

// UserTermsView is a person's acceptance of the user terms: which version, and when.
type UserTermsView struct {
	UserID     string    `json:"userId"`
	Version    string    `json:"version"`
	AcceptedAt time.Time `json:"acceptedAt"`
}

// AcceptUserTerms records that the caller accepted the user terms of My Spiris
// (collab.UserTermsVersion), as the first sign-in page asks once the password is chosen: the
// version and the time, beside the person's memberships, in one read and one write. Accepting the
// version recorded already keeps its first time and writes nothing. It returns EUNAUTHORIZED
// unauthenticated; EFORBIDDEN not_this_user (another person's terms); EINVALID field_required;
// ECONFLICT user_terms_changed, concurrent_update.
func (s *Service) AcceptUserTerms(ctx context.Context, caller Caller, userID string, in UserTermsInput) (UserTermsView, error) {
	switch {
	case caller.UserID == "":
		return UserTermsView{}, collab.ErrUnauthenticated
	case caller.UserID != userID:
		return UserTermsView{}, collab.ErrNotThisUser
	}
	was, found, err := s.Store.UserTerms(ctx, userID)
	if err != nil {
		return UserTermsView{}, err
	}
	a, changed, err := collab.AcceptUserTerms(was, found, userID, in.Version, s.Now())
	if err != nil {
		return UserTermsView{}, err
	}
	view := UserTermsView{UserID: a.UserID, Version: a.Terms, AcceptedAt: a.AcceptedAt}
	if !changed {
		return view, nil
	}
	ch := s.change()
	ch.tx.PutUserTerms(a)
	return view, s.save(ctx, ch, view)
}
