package actions_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/mail"
)

// people is an identity provider in memory: users by id, and by e-mail.
type people struct {
	byEmail map[string]string // lower-case e-mail → user id
	created []string          // ids Ensure created, in order
	// raced, when set, is the id another request created the next Ensure's e-mail under.
	raced string
}

func (p *people) Lookup(_ context.Context, email string) (string, bool, error) {
	id, ok := p.byEmail[strings.ToLower(email)]
	return id, ok, nil
}

func (p *people) Ensure(_ context.Context, person actions.Person) (string, error) {
	email := strings.ToLower(person.Email)
	if p.raced != "" {
		p.byEmail[email], p.raced = p.raced, ""
	}
	if id, ok := p.byEmail[email]; ok {
		return id, nil
	}
	p.byEmail[email] = person.UserID
	p.created = append(p.created, person.UserID)
	return person.UserID, nil
}

func (p *people) FirstSignIn(context.Context, string) (string, error) { return "", nil }

// SignInState has everyone the provider knows not yet signed in.
func (p *people) SignInState(_ context.Context, userID string) (actions.SignInState, error) {
	for _, id := range p.byEmail {
		if id == userID {
			return actions.SignInPending, nil
		}
	}
	return actions.SignInUnknown, nil
}

func (p *people) Change(_ context.Context, person actions.Person) error {
	p.byEmail[strings.ToLower(person.Email)] = person.UserID
	return nil
}

func withPeople(w *world) *people {
	p := &people{byEmail: map[string]string{}}
	w.svc.Identity = p
	return p
}

func TestAPersonIsCreatedAtTheIdentityProviderOnlyWithTheCommit(t *testing.T) {
	w := newWorld(t)
	p := withPeople(w)
	refused := withContact(activation("1003", "scanner"))
	refused.AgreementMonths = -1
	if _, err := w.svc.Activate(ctx, user(oe), office, refused); codeOf(err) == "" {
		t.Fatalf("activate with a negative agreement period: %v, want a refusal", err)
	}
	if len(p.created) != 0 {
		t.Fatalf("a refused activation created %v at the identity provider", p.created)
	}
	id := w.activate(t, withContact(activation("1003", "scanner")))
	v := w.company(t, w.collaboration(t, id).CompanyID)
	if len(p.created) != 1 || p.created[0] != v.Company.MainContact {
		t.Errorf("created %v, want the new company's main contact %s", p.created, v.Company.MainContact)
	}
}

func TestAPersonTheProviderKnowsKeepsTheirID(t *testing.T) {
	w := newWorld(t)
	p := withPeople(w)
	p.byEmail["tina@tre.test"] = "tina-from-the-first-attempt"
	id := w.activate(t, withContact(activation("1003", "scanner")))
	if got := w.company(t, w.collaboration(t, id).CompanyID).Company.MainContact; got != "tina-from-the-first-attempt" || len(p.created) != 0 {
		t.Errorf("main contact %s, created %v; want the provider's user, none created", got, p.created)
	}
	p.byEmail["nils@ett.test"] = "nils-elsewhere"
	u, err := w.svc.CreateUser(ctx, user(ca), co, actions.NewUserInput{Name: "Nils", Email: "Nils@ett.test", Language: "sv", Role: "user"})
	if err != nil || u.ID != "nils-elsewhere" {
		t.Errorf("create user: %+v %v, want the id the provider knows the e-mail by", u, err)
	}
}

func TestAPersonCreatedMeanwhileUnderAnotherIDIsAConflict(t *testing.T) {
	w := newWorld(t)
	p := withPeople(w)
	p.raced = "tina-by-another-request"
	_, err := w.svc.Activate(ctx, user(oe), office, withContact(activation("1003", "scanner")))
	wantCode(t, err, "concurrent_update")
	if id, _ := w.store.CompanyByOrgNo(ctx, orgNo3); id != "" {
		t.Errorf("the conflict committed company %s", id)
	}
	v, err := w.svc.Activate(ctx, user(oe), office, withContact(activation("1003", "scanner")))
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if got := w.company(t, w.collaboration(t, v.CollaborationID()).CompanyID).Company.MainContact; got != "tina-by-another-request" {
		t.Errorf("the retry's main contact is %s, want the other request's user", got)
	}
}

// bodies records each e-mail's text by address.
type bodies map[string][]string

func (b bodies) Send(_ context.Context, to string, r mail.Rendered) error {
	b[to] = append(b[to], r.Text)
	return nil
}

func TestAnAddedUserIsEmailedTheirFirstSignInLink(t *testing.T) {
	w := newWorld(t)
	p := withPeople(w)
	sent := bodies{}
	w.svc.Mailer, w.svc.SignInURL = sent, "https://my.test/sign-in"
	codes := &firstSignIns{people: p, code: "one-time-1"}
	w.svc.Identity = codes
	u, err := w.svc.CreateUser(ctx, user(ca), co, actions.NewUserInput{Name: "Nils", Email: "nils@ett.test", Language: "en", Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range w.drain(t) {
		t.Errorf("worker: %v", err)
	}
	// The sign-in page in the user's language, with the code's expiry (the clock's now plus the
	// default validity), and the e-mail and code in the fragment.
	want := "https://my.test/sign-in?expires=" + url.QueryEscape(w.clock().Add(actions.DefaultFirstSignInValidity).UTC().Format(time.RFC3339)) +
		"&lang=en#code=one-time-1&email=nils%40ett.test"
	if got := sent["nils@ett.test"]; len(got) != 1 || !strings.Contains(got[0], want) || !strings.Contains(got[0], "Ett AB") {
		t.Fatalf("e-mails to the added user: %q, want one naming the company with %s", got, want)
	}
	if codes.asked != u.ID {
		t.Errorf("the first sign-in code was made for %q, want %s", codes.asked, u.ID)
	}
}

// firstSignIns is people whose every user gets code at their first sign-in.
type firstSignIns struct {
	*people
	code, asked string
}

func (f *firstSignIns) FirstSignIn(_ context.Context, userID string) (string, error) {
	f.asked = userID
	return f.code, nil
}
