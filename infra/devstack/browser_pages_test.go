package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/spiris/collab/infra/devstack"
)

// pagesSeed is scenario 1: customer 1001's company has the solutions already, with an
// administrator and an office employee on the task for each language.
const pagesSeed = `{
  "offices": [{"id": "office-1", "name": "Byrån Redovisning AB",
    "employees": [
      {"userId": "emp-eva", "name": "Eva Ek", "email": "eva@byran.example", "language": "sv", "role": "employee"},
      {"userId": "emp-sam", "name": "Sam Smith", "email": "sam@byran.example", "language": "en", "role": "employee"}],
    "customers": [{"customerNo": "1001", "name": "Ett Bygg AB", "orgNo": "556000-1001", "companyId": "company-ett"}],
    "tasks": [{"taskId": "task-1001", "customerNo": "1001", "name": "Löpande bokföring", "assignees": ["emp-eva", "emp-sam"]}]}],
  "companies": [{"id": "company-ett", "name": "Ett Bygg AB", "orgNo": "556000-1001", "mainContact": "anna",
    "users": [
      {"id": "anna", "name": "Anna Andersson", "email": "anna@ettbygg.example", "language": "sv", "role": "administrator"},
      {"id": "bo", "name": "Bo Berg", "email": "bo@ettbygg.example", "language": "en", "role": "administrator"}],
    "subscriptions": [{"solution": "bookkeeping", "status": "active", "invoiceRecipient": "customer"},
      {"solution": "scanner", "status": "active", "invoiceRecipient": "customer"}]}]
}`

// walk is one language's scenario-1 decline: who reads it, in which solution, and what its pages
// and e-mails must say.
type walk struct {
	lang, admin, adminEmail, officeEmail, solution string
	invitation, who, declined, officeSubject       string
}

// TestTheCustomersPagesInBothLanguagesOnAPhoneAndADesktop walks scenario 1 with a decline in
// headless Chromium, once in Swedish and once in English: the invitation e-mail in the local
// mailbox, its link to the invitation page, sign-in, the confirmation, the answered page, and the
// office's e-mail that the customer declined. Every page and e-mail is shot at 390 px and at
// 1280 px wide (go test -artifacts; make test keeps them under test-output/), and none scrolls
// sideways at 390 px, the local sign-in page included.
func TestTheCustomersPagesInBothLanguagesOnAPhoneAndADesktop(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make browser` (apt-get install chromium) first")
	}
	useLiveEmulator(t)
	// localaws.Start points AWS_ENDPOINT_URL at the emulator it starts; put it back afterwards, so
	// the next test of this process does not take the stopped one for an external emulator.
	t.Setenv("AWS_ENDPOINT_URL", os.Getenv("AWS_ENDPOINT_URL"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	seedFile := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seedFile, []byte(pagesSeed), 0o644); err != nil {
		t.Fatal(err)
	}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "pages" + time.Now().Format("150405"),
		StateDir: t.TempDir(), SeedFile: seedFile, Log: pagesLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	for _, w := range []walk{
		{lang: "sv", admin: "anna", adminEmail: "anna@ettbygg.example", officeEmail: "eva@byran.example", solution: "bookkeeping",
			invitation: "vill samarbeta med er i Bokföring & Fakturering", who: "Byrån Redovisning AB bjuder in Ett Bygg AB till ett samarbete i Bokföring & Fakturering", declined: "Ni har tackat nej",
			officeSubject: "Ett Bygg AB har tackat nej till samarbetet i Bokföring & Fakturering"},
		{lang: "en", admin: "bo", adminEmail: "bo@ettbygg.example", officeEmail: "sam@byran.example", solution: "scanner",
			invitation: "wants to collaborate with you in Scanner", who: "Byrån Redovisning AB invites Ett Bygg AB to collaborate in Scanner", declined: "You have declined",
			officeSubject: "Ett Bygg AB has declined the collaboration in Scanner"},
	} {
		t.Run(w.lang, func(t *testing.T) { walkDecline(t, ctx, stack, browser, w) })
	}
}

// walkDecline activates w's solution as the office employee and walks the customer's decline
// through the browser, in a browser whose language is w's.
func walkDecline(t *testing.T, ctx context.Context, stack *devstack.Stack, browser string, w walk) {
	token, _ := stack.Token("emp-eva")
	req, _ := http.NewRequestWithContext(ctx, "POST", stack.URL+"/offices/office-1/collaborations", strings.NewReader(
		`{"customerNo":"1001","companyId":"company-ett","solution":"`+w.solution+`","taskId":"task-1001","invoiceRecipient":"customer","startPeriod":"`+
			stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("activate: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	invitation := mailboxItem(t, ctx, stack.URL, w.adminEmail, w.invitation)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	b, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	b, cancelWalk := context.WithTimeout(b, time.Minute)
	defer cancelWalk()
	language := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error { // the reader's browser asks for their language
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": w.lang}})
		return err
	})
	p := pageWalker{t: t, ctx: b, dir: t.ArtifactDir(), prefix: w.lang}
	p.do(language)

	p.open("01-mailbox", stack.URL+"/_local/mail", `a.mail`, true)
	p.open("02-invitation-email", fmt.Sprintf("%s/_local/mail/%d", stack.URL, invitation.N), `a[href*="/invitations/"]`, true)
	p.open("03-invitation-email-text", fmt.Sprintf("%s/_local/mail/%d/text", stack.URL, invitation.N), `pre`, true)
	p.open("02-invitation-email", fmt.Sprintf("%s/_local/mail/%d", stack.URL, invitation.N), `a[href*="/invitations/"]`, false)
	p.do(chromedp.Click(`a[href*="/invitations/"]`, chromedp.NodeVisible), chromedp.WaitVisible(`#decline`))
	p.shoot("04-invitation-page", true)
	if got := p.text(`#who`); got != w.who+"." {
		t.Errorf("the invitation page says %q, want %q", got, w.who+".")
	}
	if grants := p.text(`#grants`); !strings.Contains(grants, "Byrån Redovisning AB") || !strings.Contains(p.text(`#ending`), "Ett Bygg AB") {
		t.Errorf("the invitation page's terms: %q", grants)
	}
	p.do(chromedp.Click(`#decline`, chromedp.NodeVisible), chromedp.WaitVisible(`#login-`+w.admin))
	p.shoot("05-sign-in", true)
	p.do(chromedp.Click(`#login-`+w.admin, chromedp.NodeVisible), chromedp.WaitVisible(`#confirm`))
	p.shoot("06-confirm-decline", true)
	if got := p.text(`#who`); got != w.who+"." {
		t.Errorf("the confirmation says %q, want %q", got, w.who+".")
	}
	p.do(chromedp.Click(`#confirm`, chromedp.NodeVisible), chromedp.WaitVisible(`#result`))
	p.shoot("07-declined", true)
	if got := p.text(`#result`); !strings.HasPrefix(got, w.declined) {
		t.Errorf("the answered page says %q, want it to begin %q", got, w.declined)
	}
	office := mailboxItem(t, ctx, stack.URL, w.officeEmail, w.officeSubject)
	if office.Language != w.lang || office.Text == "" || office.SentAt == nil {
		t.Errorf("the mailbox shows the office's e-mail without its language, text or time: %+v", office)
	}
	p.open("08-office-declined-email", fmt.Sprintf("%s/_local/mail/%d", stack.URL, office.N), `div p`, true)
	p.open("09-mailbox-after", stack.URL+"/_local/mail", `a.mail`, true)
}

// pageWalker drives one browser and shoots every page it is asked to at both widths.
type pageWalker struct {
	t           *testing.T
	ctx         context.Context
	dir, prefix string
}

func (p pageWalker) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

func (p pageWalker) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		p.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(v), " ")
}

// open navigates to url, waits for sel and shoots the page when shoot says so.
func (p pageWalker) open(name, url, sel string, shoot bool) {
	p.t.Helper()
	p.do(chromedp.Navigate(url), chromedp.WaitVisible(sel))
	if shoot {
		p.shoot(name, true)
	}
}

// shoot takes the page at 390 px (failing the test if it scrolls sideways there, when strict) and
// at 1280 px, leaving the viewport at 1280 px.
func (p pageWalker) shoot(name string, strict bool) {
	p.t.Helper()
	for _, width := range []int64{390, 1280} {
		p.do(chromedp.EmulateViewport(width, 844))
		sideways, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
		if err != nil {
			p.t.Fatalf("browser: %v", err)
		}
		if width == 390 && sideways {
			if strict {
				p.t.Errorf("%s scrolls sideways at 390 px", name)
			} else {
				p.t.Logf("%s scrolls sideways at 390 px", name)
			}
		}
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(p.dir, fmt.Sprintf("%s-%s-%d.png", p.prefix, name, width)), png, 0o644)
		}
		if err != nil {
			p.t.Fatalf("screenshot %s: %v", name, err)
		}
	}
}

// mailboxEntry is one e-mail as the local mailbox's JSON gives it.
type mailboxEntry struct {
	N        int        `json:"n"`
	To       []string   `json:"to"`
	Subject  string     `json:"subject"`
	SentAt   *time.Time `json:"sentAt"`
	Language string     `json:"language"`
	Text     string     `json:"text"`
	HTML     string     `json:"html"`
}

// mailboxItem waits until the local mailbox holds an e-mail to address whose subject holds
// subject, and returns the newest.
func mailboxItem(t *testing.T, ctx context.Context, base, address, subject string) mailboxEntry {
	t.Helper()
	for ctx.Err() == nil {
		for _, m := range mailbox(t, ctx, base) {
			if len(m.To) == 1 && m.To[0] == address && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s about %q arrived", address, subject)
	return mailboxEntry{}
}

// mailbox returns the local mailbox's e-mails, newest first; none when it does not answer.
func mailbox(t *testing.T, ctx context.Context, base string) []mailboxEntry {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_local/mail", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var box struct {
		Items []mailboxEntry `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&box)
	return box.Items
}

type pagesLog struct{ t *testing.T }

func (l pagesLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
