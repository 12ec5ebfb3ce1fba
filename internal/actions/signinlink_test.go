package actions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/actions"
)

// pendingPeople is an identity provider whose users have not signed in until signedIn says so:
// each FirstSignIn makes a new code for them, none once they have.
type pendingPeople struct {
	*people
	signedIn map[string]bool
	codes    int
}

func (p *pendingPeople) SignInState(ctx context.Context, userID string) (actions.SignInState, error) {
	if p.signedIn[userID] {
		return actions.SignedIn, nil
	}
	return p.people.SignInState(ctx, userID)
}

func (p *pendingPeople) FirstSignIn(_ context.Context, userID string) (string, error) {
	if p.signedIn[userID] {
		return "", nil
	}
	p.codes++
	return "code-" + strings.Repeat("x", p.codes), nil
}

func withPendingPeople(w *world) (*pendingPeople, bodies) {
	p := &pendingPeople{people: &people{byEmail: map[string]string{}}, signedIn: map[string]bool{}}
	sent := bodies{}
	w.svc.Identity, w.svc.Mailer, w.svc.SignInURL = p, sent, "https://my.test/sign-in"
	return p, sent
}

func TestSendSignInLink(t *testing.T) {
	t.Run("a_user_the_provider_lacks_is_created_and_emailed_a_code_naming_who_asked", func(t *testing.T) {
		w := newWorld(t)
		p, sent := withPendingPeople(w)
		v, err := w.svc.SendSignInLink(ctx, user(ca), co, cu)
		if err != nil || v != (actions.SignInLinkView{UserID: cu, CompanyID: co, Queued: true}) {
			t.Fatalf("SendSignInLink: %+v %v", v, err)
		}
		if len(p.created) != 1 || p.created[0] != cu {
			t.Errorf("created at the provider: %v, want %s", p.created, cu)
		}
		for _, err := range w.drain(t) {
			t.Errorf("worker: %v", err)
		}
		got := sent[cu+"@customer.test"]
		if len(got) != 1 || !strings.Contains(got[0], "#code=code-x") && !strings.Contains(got[0], "&code=code-x") ||
			!strings.Contains(got[0], "Admin Ett AB (Ett AB) has asked") {
			t.Fatalf("e-mails to the user: %q, want one in English with the code, naming who asked", got)
		}
	})
	t.Run("refused_for_a_user_who_signed_in", func(t *testing.T) {
		w := newWorld(t)
		p, sent := withPendingPeople(w)
		p.signedIn[cu] = true
		_, err := w.svc.SendSignInLink(ctx, user(ca), co, cu)
		wantCode(t, err, "already_signed_in")
		w.drain(t)
		if len(sent) != 0 {
			t.Errorf("e-mails: %v, want none", sent)
		}
	})
	t.Run("dropped_when_the_user_signs_in_before_it_goes", func(t *testing.T) {
		w := newWorld(t)
		p, sent := withPendingPeople(w)
		if _, err := w.svc.SendSignInLink(ctx, user(ca), co, cu); err != nil {
			t.Fatal(err)
		}
		p.signedIn[cu] = true
		for _, err := range w.drain(t) {
			t.Errorf("worker: %v", err)
		}
		if len(sent) != 0 {
			t.Errorf("e-mails: %v, want none: no first sign-in e-mail without its code", sent)
		}
	})
	t.Run("refused_with_an_external_provider", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.svc.SendSignInLink(ctx, user(ca), co, cu)
		wantCode(t, err, "external_identity_provider")
	})
	t.Run("not_found_for_a_user_of_another_company", func(t *testing.T) {
		w := newWorld(t)
		withPendingPeople(w)
		_, err := w.svc.SendSignInLink(ctx, user(ca), co, c2a)
		wantCode(t, err, "user_not_found")
	})
	t.Run("refused_when_the_email_signs_in_as_someone_else", func(t *testing.T) {
		w := newWorld(t)
		p, _ := withPendingPeople(w)
		p.byEmail[cu+"@customer.test"] = "someone-else"
		_, err := w.svc.SendSignInLink(ctx, user(ca), co, cu)
		wantCode(t, err, "email_signs_in_as_another_user")
	})
}
