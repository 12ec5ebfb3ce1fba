package httpapi_test

import (
	"errors"
	"html"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/spiris/collab/internal/actions"
)

// signInButton is the button of an e-mail that leads to the harness's sign-in page.
var signInButton = regexp.MustCompile(`href="(` + regexp.QuoteMeta(signInURL) + `[^"]*)"`)

// signInMail is one e-mail's first sign-in link, taken apart.
type signInMail struct {
	subject, body string
	code, expires string
}

// signInMails returns the e-mails of this test to an address, oldest first, with the code and the
// expiry of their first sign-in links.
func (h *harness) signInMails(t *testing.T, address string) []signInMail {
	t.Helper()
	var out []signInMail
	for _, m := range h.mails(t) {
		if len(m.To) != 1 || m.To[0] != address {
			continue
		}
		sm := signInMail{subject: m.Subject, body: m.Body}
		if found := signInButton.FindStringSubmatch(m.Body); found != nil {
			u, err := url.Parse(html.UnescapeString(found[1]))
			if err != nil {
				t.Fatal(err)
			}
			fragment, _ := url.ParseQuery(u.Fragment)
			sm.code, sm.expires = fragment.Get("code"), u.Query().Get("expires")
		}
		out = append(out, sm)
	}
	return out
}

// firstSignIn signs in with a first sign-in code as the sign-in page does (USER_PASSWORD_AUTH
// through the web client) and reports whether Cognito asks for a new password, as it does for a
// working code; with choose set it answers the challenge with that password.
func (h *harness) firstSignIn(t *testing.T, userID, code, choose string) (bool, error) {
	t.Helper()
	client := cip.NewFromConfig(h.cfg)
	app := h.res.UserPoolClientID("UserPoolClient")
	out, err := client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &app, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": userID, "PASSWORD": code}})
	if err != nil {
		return false, err
	}
	if out.ChallengeName != ciptypes.ChallengeNameTypeNewPasswordRequired {
		return false, nil
	}
	if choose != "" {
		_, err = client.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &app, Session: out.Session,
			ChallengeName: out.ChallengeName, ChallengeResponses: map[string]string{"USERNAME": userID, "NEW_PASSWORD": choose}})
	}
	return true, err
}

// plainUser creates a plain user of the world's company through the API, as its administrator,
// and sends the user_added e-mail; it returns the user's id and e-mail address.
func (h *harness) plainUser(t *testing.T, w world, lang string) (string, string) {
	t.Helper()
	email := rid("nils") + "@customer.test"
	r := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Nils Ny","email":"`+email+`","language":"`+lang+`","role":"user"}`)
	expect(t, r, 201, "")
	h.drain(t)
	return r.str("id"), email
}

func TestAPlainUserWhoseFirstSignInLinkExpiredGetsANewOne(t *testing.T) {
	h := newHarness(t)
	var log lineBuffer
	h.svc.Log = slog.New(slog.NewTextHandler(&log, nil))
	w := h.world(t)
	id, email := h.plainUser(t, w, "en")
	first := h.signInMails(t, email)
	if len(first) != 1 || first[0].code == "" {
		t.Fatalf("e-mails to the new user: %+v, want the user_added e-mail with a first sign-in code", first)
	}

	h.advance(31 * 24 * time.Hour) // the link of the user_added e-mail has expired
	r := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users/"+id+"/sign-in-link", "")
	expect(t, r, 202, "")
	if r.str("userId") != id || r.str("companyId") != w.co || r.JSON["queued"] != true {
		t.Fatalf("answer %s, want the user, the company and queued", r.Raw)
	}
	h.drain(t)
	got := h.signInMails(t, email)
	if len(got) != 2 {
		t.Fatalf("%d e-mails to the user, want the user_added one and the new link's", len(got))
	}
	m := got[1]
	wantExpiry := h.clock().Add(actions.DefaultFirstSignInValidity).UTC().Format(time.RFC3339)
	switch {
	case m.subject != "A new sign-in link for Ett AB":
		t.Errorf("subject %q, want the English one naming the company", m.subject)
	case !strings.Contains(m.body, "Admin Ett AB (Ett AB) has asked for a new sign-in link for you"):
		t.Errorf("the e-mail does not say who asked for it:\n%s", m.body)
	case !strings.Contains(m.body, "valid until 1 May 2027"):
		t.Errorf("the e-mail does not say until when the link works (%s):\n%s", wantExpiry, m.body)
	case m.code == "" || m.code == first[0].code:
		t.Fatalf("the new e-mail's code %q, want a new one", m.code)
	case m.expires != wantExpiry:
		t.Errorf("the link expires %s, want %s", m.expires, wantExpiry)
	}
	if asks, err := h.firstSignIn(t, id, first[0].code, ""); err == nil || asks {
		t.Errorf("the replaced code still signs in (new password asked %v, error %v)", asks, err)
	}
	if asks, err := h.firstSignIn(t, id, m.code, "Chosen-Password-1"); err != nil || !asks {
		t.Fatalf("the new code: new password asked %v, error %v; want the first sign-in's challenge", asks, err)
	}
	if strings.Contains(log.String(), m.code) || strings.Contains(log.String(), first[0].code) {
		t.Errorf("a first sign-in code is in the service's log")
	}
	history := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/history", "")
	expect(t, history, 200, "")
	if !strings.Contains(history.Raw, `"actorId":"`+w.ca+`","event":"sign_in_link_sent","userId":"`+id+`"`) {
		t.Errorf("the company's history does not record who asked for the link, for whom: %s", history.Raw)
	}

	// Signed in now: no link to send, and no e-mail.
	refused := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users/"+id+"/sign-in-link", "")
	expect(t, refused, 409, "already_signed_in")
	if fix := refused.JSON["error"].(map[string]any)["fix"].(string); !strings.Contains(fix, "password") || strings.Contains(refused.Raw, m.code) {
		t.Errorf("the refusal's fix %q does not say to sign in with the password", fix)
	}
	h.drain(t)
	if n := len(h.signInMails(t, email)); n != 2 {
		t.Errorf("%d e-mails to the user after the refusal, want still 2", n)
	}
}

func TestANewSignInLinkIsDroppedWhenTheUserSignsInBeforeItGoes(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id, email := h.plainUser(t, w, "sv")
	code := h.signInMails(t, email)[0].code
	expect(t, h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users/"+id+"/sign-in-link", ""), 202, "")
	if _, err := h.firstSignIn(t, id, code, "Chosen-Password-1"); err != nil { // before the e-mail worker runs
		t.Fatal(err)
	}
	h.drain(t)
	if got := h.signInMails(t, email); len(got) != 1 {
		t.Fatalf("%d e-mails to the user, want only the user_added one: no link-less first sign-in e-mail", len(got))
	}
	if _, err := h.firstSignIn(t, id, "Chosen-Password-1", ""); err != nil {
		t.Errorf("the chosen password no longer signs in: %v", err)
	}
}

func TestANewSignInLinkOnlyForTheCompanysUsersByItsAdministrators(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	link := func(company, userID string) string {
		return "/companies/" + company + "/users/" + userID + "/sign-in-link"
	}
	for _, c := range []struct {
		name   string
		as     who
		target string
		status int
		code   string
	}{
		{"a_plain_user_of_the_company", user(w.cu), link(w.co, w.cu), 403, "administrator_required"},
		{"another_companys_administrator", user(w.c2a), link(w.co, w.cu), 403, "not_company_user"},
		{"another_companys_administrator_for_their_own_company", user(w.c2a), link(w.otherCo, w.cu), 404, "user_not_found"},
		{"an_office_employee_without_access", user(w.ox), link(w.co, w.cu), 403, "not_company_user"},
		{"an_unknown_user", user(w.ca), link(w.co, rid("nobody")), 404, "user_not_found"},
		{"a_user_of_another_company", user(w.ca), link(w.co, w.c2a), 404, "user_not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := h.state(t)
			expect(t, h.call(t, c.as, "POST", c.target, ""), c.status, c.code)
			if diff := stateDiff(before, h.state(t)); diff != "" {
				t.Fatalf("the refused request changed the state:\n%s", diff)
			}
		})
	}
	if got := h.mailsTo(t, w.cu+"@customer.test"); len(got) != 0 {
		t.Errorf("refused requests e-mailed the user: %q", got)
	}
}

func TestAnOfficeEmployeeActingInTheCompanyAsksForANewSignInLinkToo(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "scanner", "") // the employee on the task gets full access to the company
	h.drain(t)
	// The world's plain user was stored around the service: the pool does not know them yet.
	expect(t, h.call(t, user(w.oe), "POST", "/companies/"+w.co+"/users/"+w.cu+"/sign-in-link", ""), 202, "")
	h.drain(t)
	got := h.signInMails(t, w.cu+"@customer.test")
	if len(got) != 1 || got[0].code == "" || !strings.Contains(got[0].body, "Eva Employee (Byrå Ett) has asked") {
		t.Fatalf("e-mails to the user: %+v, want one with a code naming the employee and the office", got)
	}
	if asks, err := h.firstSignIn(t, w.cu, got[0].code, ""); err != nil || !asks {
		t.Errorf("the code: new password asked %v, error %v", asks, err)
	}
}

func TestNoSignInLinksWithAnExternalIdentityProvider(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.svc.Identity = nil // no user pool configured: an external provider signs people in
	r := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users/"+w.cu+"/sign-in-link", "")
	expect(t, r, 409, "external_identity_provider")
	if fix := r.JSON["error"].(map[string]any)["fix"].(string); !strings.Contains(fix, "identity provider") {
		t.Errorf("fix %q does not send the caller to the identity provider", fix)
	}
	var missing *ciptypes.UserNotFoundException
	_, err := cip.NewFromConfig(h.cfg).AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(h.res.UserPoolID("UserPool")), Username: &w.cu})
	if !errors.As(err, &missing) {
		t.Errorf("the user is in the service's pool now (%v), with an external provider", err)
	}
}
