package devstack_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
	"github.com/spiris/collab/internal/collab"
)

// firstSignInLink matches the button of an e-mail that leads through a first sign-in to an
// invitation; welcomeLink that of a user's e-mail that leads to the sign-in alone.
var (
	firstSignInLink = regexp.MustCompile(`href="([^"]*/_local/login\?[^"#]*next=[^"]*invitations[^"]*)"`)
	welcomeLink     = regexp.MustCompile(`href="([^"]*/_local/login\?[^"#]*#[^"]*)"`)
)

// mailTo waits for an e-mail to address whose HTML matches re, and returns the match's group.
func mailTo(t *testing.T, ctx context.Context, base, address string, re *regexp.Regexp) string {
	t.Helper()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_local/mail", nil)
		req.Header.Set("Accept", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var box struct {
				Items []struct {
					To   []string
					Body string
				} `json:"items"`
			}
			json.NewDecoder(resp.Body).Decode(&box)
			resp.Body.Close()
			for _, m := range box.Items {
				if len(m.To) == 1 && m.To[0] == address {
					if g := re.FindStringSubmatch(m.Body); g != nil {
						return html.UnescapeString(g[1])
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s with a first sign-in link arrived", address)
	return ""
}

// browser is a client with cookies that does not follow redirects, so each step can be checked.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var hidden = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// firstSignIn follows a first sign-in link as the sign-in page's script and forms do: the
// e-mail and code from the fragment, then a chosen password and the user terms. It returns the
// access token the pages' cookie holds and where the sign-in led.
func firstSignIn(t *testing.T, stack *devstack.Stack, link string) (token, led string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	if frag.Get("email") == "" || frag.Get("code") == "" {
		t.Fatalf("the link %s carries no e-mail and code in its fragment", link)
	}
	b := newBrowser(t, stack.URL)
	resp, page := b.post("/_local/login", url.Values{"email": {frag.Get("email")}, "password": {frag.Get("code")}, "next": {u.Query().Get("next")}})
	if resp.StatusCode != 200 || !strings.Contains(page, `id="choose-password"`) {
		t.Fatalf("signing in with the link's code: %s, want the page that asks for a password:\n%s", resp.Status, page)
	}
	form := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("password", "My-own-password-2027")
	if resp, _ := b.post("/_local/login/password", form); resp.StatusCode != 400 {
		t.Errorf("choosing a password without accepting the user terms: %s, want 400", resp.Status)
	}
	form.Set("terms", "accepted")
	before := stack.Service.Now()
	resp, _ = b.post("/_local/login/password", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("choosing a password: %s, want a redirect", resp.Status)
	}
	// The ticked user terms are recorded, with the version the page showed and the time.
	if a, ok, err := stack.Store.UserTerms(context.Background(), form.Get("user")); err != nil || !ok || a.Terms != collab.UserTermsVersion ||
		form.Get("user_terms") != collab.UserTermsVersion || a.AcceptedAt.Before(before.Add(-time.Second)) || a.AcceptedAt.After(stack.Service.Now()) {
		t.Errorf("the user terms of %s recorded as %+v (%v %v), want version %s accepted now", form.Get("user"), a, ok, err, collab.UserTermsVersion)
	}
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(stack.URL, "http://"), Path: "/"}) {
		if c.Name == "local_token" {
			token = c.Value
		}
	}
	if resp, _ := b.post("/_local/login", url.Values{"email": {frag.Get("email")}, "password": {frag.Get("code")}}); resp.StatusCode != 401 {
		t.Errorf("the link's code signed in again: %s, want 401 (it is single use)", resp.Status)
	}
	if resp, _ := newBrowser(t, stack.URL).post("/_local/login", url.Values{"email": {frag.Get("email")}, "password": {"My-own-password-2027"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signing in with the chosen password: %s, want a redirect", resp.Status)
	}
	return token, resp.Header.Get("Location")
}

// api calls the local API with a bearer token and returns the status and the JSON answer.
func api(t *testing.T, stack *devstack.Stack, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	var out map[string]any
	return apiInto(t, context.Background(), stack, token, method, path, body, &out), out
}

// apiInto calls the local API with a bearer token, decodes the JSON answer into out, and returns
// the status.
func apiInto(t *testing.T, ctx context.Context, stack *devstack.Stack, token, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, stack.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

// acceptAt accepts the invitation a sign-in led to (/invitations/<token>) with a token.
func acceptAt(t *testing.T, stack *devstack.Stack, token, led string) {
	t.Helper()
	invitation, ok := strings.CutPrefix(led, "/invitations/")
	if !ok {
		t.Fatalf("the first sign-in led to %q, want the invitation", led)
	}
	invitation, _, _ = strings.Cut(invitation, "?")
	if status, body := api(t, stack, token, "POST", "/invitations/"+invitation+"/accept", ""); status != 200 || body["status"] != "active" {
		t.Fatalf("accepting with the first sign-in's token: %d %v", status, body)
	}
}

func TestANewCompanysAdministratorSignsInForTheFirstTimeFromTheEmail(t *testing.T) {
	stack, asSam := demoStack(t, "firstsignin", "emp-sam")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status, body := asSam("POST", "/offices/office-1/collaborations", `{"customerNo":"1003","solution":"bookkeeping","taskId":"task-1003",`+
		`"invoiceRecipient":"customer","startPeriod":"`+stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`",`+
		`"contact":{"name":"Tea Tre","email":"tea@tredesign.example","language":"en"}}`)
	if status != 201 || body["scenario"] != "new_company" {
		t.Fatalf("activate: %d %v", status, body)
	}
	link := mailTo(t, ctx, stack.URL, "tea@tredesign.example", firstSignInLink)
	token, led := firstSignIn(t, stack, link)
	acceptAt(t, stack, token, led)
}

func TestAUserAddedToTheCompanySignsInForTheFirstTimeFromTheirEmail(t *testing.T) {
	stack, asAnna := demoStack(t, "addeduser", "anna")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status, body := asAnna("POST", "/companies/company-ett/users", `{"name":"Ulf Ett","email":"ulf@ettbygg.example","language":"en","role":"user"}`)
	if status != 201 {
		t.Fatalf("create user: %d %v", status, body)
	}
	link := mailTo(t, ctx, stack.URL, "ulf@ettbygg.example", welcomeLink)
	token, led := firstSignIn(t, stack, link)
	if led != "/" {
		t.Errorf("the first sign-in led to %q, want the start page", led)
	}
	if status, users := api(t, stack, token, "GET", "/companies/company-ett/users", ""); status != 200 {
		t.Fatalf("the added user's token: %d %v, want the API to take it", status, users)
	}
}

func TestAnAdministratorAddedToTheCompanySignsInFromTheNextInvitation(t *testing.T) {
	stack, asAnna := demoStack(t, "addedadmin", "anna")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status, body := asAnna("POST", "/companies/company-ett/users", `{"name":"Ada Ett","email":"ada@ettbygg.example","language":"sv","role":"administrator"}`)
	if status != 201 {
		t.Fatalf("create user: %d %v", status, body)
	}
	eva, err := stack.Token("emp-eva")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := api(t, stack, eva, "POST", "/offices/office-1/collaborations", `{"customerNo":"1001","companyId":"company-ett","solution":"scanner",`+
		`"taskId":"task-1001","invoiceRecipient":"office","startPeriod":"`+stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`"}`); status != 201 {
		t.Fatalf("activate: %d %v", status, body)
	}
	link := mailTo(t, ctx, stack.URL, "ada@ettbygg.example", firstSignInLink)
	token, led := firstSignIn(t, stack, link)
	if got := body["id"]; got == nil {
		t.Fatalf("the created user has no id: %v", body)
	}
	if status, me := api(t, stack, token, "GET", "/companies/company-ett/users", ""); status != 200 {
		t.Fatalf("the added user's token: %d %v, want the API to take it", status, me)
	}
	acceptAt(t, stack, token, led)
}

// getPage fetches a page of the stack, without following redirects.
func (b *browser) get(link string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(link)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestAnExpiredFirstSignInLinkIsRefusedAndTheNextEmailBringsANewOne: the login instructions'
// link says in the e-mail's language until when its code works; once the stack's clock is past
// that, the sign-in page opened from the link, and a sign-in with its code, are refused (410) in
// that language with who to ask for a new one (the office, by name), and nothing is signed in;
// the office resends the invitation and the new e-mail's link signs in for the first time. A
// plain user's expired link (to the sign-in alone) says to ask an administrator of the company,
// and the administrator's new sign-in link signs them in.
func TestAnExpiredFirstSignInLinkIsRefusedAndTheNextEmailBringsANewOne(t *testing.T) {
	stack, asSam := demoStack(t, "expiredlink", "emp-sam")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stack.Service.FirstSignInValidity = 24 * time.Hour // shorter than the invitation's 30 days
	status, body := asSam("POST", "/offices/office-1/collaborations", `{"customerNo":"1003","solution":"bookkeeping","taskId":"task-1003",`+
		`"invoiceRecipient":"customer","startPeriod":"`+stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`",`+
		`"contact":{"name":"Tea Tre","email":"tea@tredesign.example","language":"sv"}}`)
	if status != 201 {
		t.Fatalf("activate: %d %v", status, body)
	}
	sent := stack.Service.Now()
	link := mailTo(t, ctx, stack.URL, "tea@tredesign.example", firstSignInLink)
	u, _ := url.Parse(link)
	expires, err := time.Parse(time.RFC3339, u.Query().Get("expires"))
	if err != nil || u.Query().Get("lang") != "sv" || expires.Before(sent.Add(24*time.Hour-time.Minute)) || expires.After(sent.Add(24*time.Hour+time.Minute)) {
		t.Fatalf("the link %s: want lang=sv and expires= a day after it was sent (%v)", link, err)
	}
	if next, _ := url.Parse(u.Query().Get("next")); next == nil || next.Query().Get("lang") != "sv" {
		t.Errorf("the link leads on to %q, want the invitation in Swedish", u.Query().Get("next"))
	}
	if resp, page := newBrowser(t, stack.URL).get(link); resp.StatusCode != 200 || strings.Contains(page, `id="link-expired"`) {
		t.Fatalf("the live link's page: %s", resp.Status)
	}

	if status, _ := asSam("POST", "/_local/clock", `{"advance":"25h"}`); status != 200 {
		t.Fatalf("moving the clock: %d", status)
	}
	b := newBrowser(t, stack.URL)
	resp, page := b.get(link)
	for _, want := range []string{`id="link-expired"`, "gick ut den", "Be Byrån Redovisning AB skicka inbjudan igen", `lang="sv"`} {
		if resp.StatusCode != http.StatusGone || !strings.Contains(page, want) {
			t.Errorf("the expired link's page (%s) does not say %q", resp.Status, want)
		}
	}
	if strings.Contains(page, "location.hash") {
		t.Errorf("the expired link's page still fills in its code")
	}
	frag, _ := url.ParseQuery(u.Fragment)
	resp, page = b.post("/_local/login", url.Values{"email": {frag.Get("email")}, "password": {frag.Get("code")},
		"next": {u.Query().Get("next")}, "lang": {"sv"}, "expires": {u.Query().Get("expires")}})
	if resp.StatusCode != http.StatusGone || !strings.Contains(page, `id="link-expired"`) || strings.Contains(page, `id="choose-password"`) {
		t.Fatalf("signing in with the expired code: %s, want 410 and the explanation", resp.Status)
	}

	if status, body := asSam("POST", "/collaborations/"+body["collaboration"].(map[string]any)["id"].(string)+"/resend", ""); status != 200 {
		t.Fatalf("resend: %d %v", status, body)
	}
	fresh := link
	for fresh == link && ctx.Err() == nil {
		fresh = mailTo(t, ctx, stack.URL, "tea@tredesign.example", firstSignInLink)
	}
	token, led := firstSignIn(t, stack, fresh)
	acceptAt(t, stack, token, led)

	// A plain user's link leads to the sign-in alone: its page, expired, says to ask an
	// administrator of the company, whose new sign-in link signs in for the first time.
	anna, err := stack.Token("anna")
	if err != nil {
		t.Fatal(err)
	}
	status, added := api(t, stack, anna, "POST", "/companies/company-ett/users", `{"name":"Ulla Ett","email":"ulla@ettbygg.example","language":"en","role":"user"}`)
	if status != 201 {
		t.Fatalf("create user: %d %v", status, added)
	}
	welcome := mailTo(t, ctx, stack.URL, "ulla@ettbygg.example", welcomeLink)
	if status, _ := asSam("POST", "/_local/clock", `{"advance":"25h"}`); status != 200 {
		t.Fatalf("moving the clock: %d", status)
	}
	resp, page = newBrowser(t, stack.URL).get(welcome)
	for _, want := range []string{`id="link-expired"`, "Ask an administrator of your company to send you a new sign-in link", `lang="en"`} {
		if resp.StatusCode != http.StatusGone || !strings.Contains(page, want) {
			t.Errorf("the plain user's expired link's page (%s) does not say %q", resp.Status, want)
		}
	}
	if status, body := api(t, stack, anna, "POST", "/companies/company-ett/users/"+added["id"].(string)+"/sign-in-link", ""); status != 202 {
		t.Fatalf("a new sign-in link: %d %v", status, body)
	}
	renewed := welcome
	for renewed == welcome && ctx.Err() == nil {
		renewed = mailTo(t, ctx, stack.URL, "ulla@ettbygg.example", welcomeLink)
	}
	if _, led := firstSignIn(t, stack, renewed); led != "/" {
		t.Errorf("the new link's first sign-in led to %q, want the start page", led)
	}
}
