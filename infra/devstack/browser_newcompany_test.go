package devstack_test

import (
	"context"
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

// newCompanySeed has two customers of the office that are not companies yet (scenario 3), one
// for each language, with an office employee of each language on their tasks.
const newCompanySeed = `{
  "offices": [{"id": "office-1", "name": "Byrån Redovisning AB",
    "employees": [
      {"userId": "emp-eva", "name": "Eva Ek", "email": "eva@byran.example", "language": "sv", "role": "employee"},
      {"userId": "emp-sam", "name": "Sam Smith", "email": "sam@byran.example", "language": "en", "role": "employee"}],
    "customers": [
      {"customerNo": "1003", "name": "Tre Design AB", "orgNo": "556000-1003"},
      {"customerNo": "1004", "name": "Fyra Konsult AB", "orgNo": "556000-1004"}],
    "tasks": [
      {"taskId": "task-1003", "customerNo": "1003", "name": "Löpande bokföring", "assignees": ["emp-eva", "emp-sam"]},
      {"taskId": "task-1004", "customerNo": "1004", "name": "Bokslut", "assignees": ["emp-eva", "emp-sam"]}]}],
  "companies": []
}`

// newCompanyWalk is one language's scenario 3: the customer, the contact the office names, the
// employee who activates (of the same language), and what the pages and e-mails must say.
type newCompanyWalk struct {
	lang, customerNo, task, company, contact, contactName, employee, employeeEmail, solution string
	solutionName, who, active, officeSubject, grantedSubject                                 string
}

// TestANewCompanyReachesAnActiveCollaborationThroughItsEmailsInBothLanguages walks scenario 3 in
// headless Chromium, once in Swedish and once in English, as the new customer does: an office
// employee activates for a customer that is not a company yet, naming a contact of the language;
// the contact opens the login instructions in the local mailbox, follows the button to the
// sign-in page (in the e-mail's language, their e-mail and one-time code filled in from the
// link), signs in for the first time, chooses a password and accepts the user terms, lands on the
// invitation in the same language, approves, and sees the collaboration active; the office's
// e-mail that the customer approved and the company's that access is granted arrive. Every page
// and e-mail is shot at 390 px and 1280 px (go test -artifacts; make test keeps them under
// test-output/), and none scrolls sideways at 390 px, the sign-in pages included.
func TestANewCompanyReachesAnActiveCollaborationThroughItsEmailsInBothLanguages(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make browser` (apt-get install chromium) first")
	}
	useLiveEmulator(t)
	t.Setenv("AWS_ENDPOINT_URL", os.Getenv("AWS_ENDPOINT_URL")) // as the pages' test: leave it as found
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	seedFile := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seedFile, []byte(newCompanySeed), 0o644); err != nil {
		t.Fatal(err)
	}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "newcompany" + time.Now().Format("150405"),
		StateDir: t.TempDir(), SeedFile: seedFile, Log: pagesLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	for _, w := range []newCompanyWalk{
		{lang: "sv", customerNo: "1003", task: "task-1003", company: "Tre Design AB", contact: "tea@tredesign.example", contactName: "Tea Tre",
			employee: "emp-eva", employeeEmail: "eva@byran.example", solution: "bookkeeping", solutionName: "Bokföring & Fakturering",
			who:    "Byrån Redovisning AB bjuder in Tre Design AB till ett samarbete i Bokföring & Fakturering.",
			active: "Samarbetet är aktivt.", officeSubject: "Tre Design AB har godkänt samarbetet i Bokföring & Fakturering",
			grantedSubject: "Samarbetet med Byrån Redovisning AB i Bokföring & Fakturering har startat"},
		{lang: "en", customerNo: "1004", task: "task-1004", company: "Fyra Konsult AB", contact: "fia@fyrakonsult.example", contactName: "Fia Fyra",
			employee: "emp-sam", employeeEmail: "sam@byran.example", solution: "scanner", solutionName: "Scanner",
			who:    "Byrån Redovisning AB invites Fyra Konsult AB to collaborate in Scanner.",
			active: "The collaboration is active.", officeSubject: "Fyra Konsult AB has approved the collaboration in Scanner",
			grantedSubject: "The collaboration with Byrån Redovisning AB in Scanner has started"},
	} {
		t.Run(w.lang, func(t *testing.T) { walkNewCompany(t, ctx, stack, browser, w) })
	}
}

// walkNewCompany activates w's customer as w's employee and walks the contact's first sign-in and
// approval through the browser, in a browser whose language is w's.
func walkNewCompany(t *testing.T, ctx context.Context, stack *devstack.Stack, browser string, w newCompanyWalk) {
	token, err := stack.Token(w.employee)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", stack.URL+"/offices/office-1/collaborations", strings.NewReader(
		`{"customerNo":"`+w.customerNo+`","solution":"`+w.solution+`","taskId":"`+w.task+`","invoiceRecipient":"customer","startPeriod":"`+
			stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`","contact":{"name":"`+w.contactName+`","email":"`+w.contact+`","language":"`+w.lang+`"}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("activate: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	instructions := mailboxItem(t, ctx, stack.URL, w.contact, w.company)
	if instructions.Language != w.lang {
		t.Errorf("the login instructions are in %q, want %s", instructions.Language, w.lang)
	}

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
	p := pageWalker{t: t, ctx: b, dir: t.ArtifactDir(), prefix: "new-company-" + w.lang}
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error { // the contact's browser asks for their language
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": w.lang}})
		return err
	}))
	lang := func(page string) {
		t.Helper()
		if got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || got != w.lang {
			t.Errorf("the %s is in %q (%v), want %s", page, got, err, w.lang)
		}
	}
	mail := fmt.Sprintf("%s/_local/mail/%d", stack.URL, instructions.N)

	p.open("01-mailbox", stack.URL+"/_local/mail", `a.mail`, true)
	p.open("02-login-instructions-email", mail, `a[href*="/_local/login"]`, true)
	p.open("03-login-instructions-email-text", mail+"/text", `pre`, true)
	p.open("02-login-instructions-email", mail, `a[href*="/_local/login"]`, false)
	p.do(chromedp.Click(`a[href*="/_local/login"]`, chromedp.NodeVisible), chromedp.WaitVisible(`#first-sign-in`))
	p.shoot("04-first-sign-in", true)
	lang("first sign-in page")
	if filled, err := chromedp.Run(p.ctx, chromedp.Value(`#email`)); err != nil || filled != w.contact {
		t.Fatalf("the sign-in page's e-mail field holds %q (%v), want the link's %s", filled, err, w.contact)
	}
	if address, _ := chromedp.Run(p.ctx, chromedp.Location()); strings.Contains(address, "#") || strings.Contains(address, "code=") {
		t.Errorf("the one-time code stays in the address bar: %s", address)
	}
	p.do(chromedp.Click(`#sign-in-submit`, chromedp.NodeVisible), chromedp.WaitVisible(`#choose-password`))
	p.shoot("05-choose-password", true)
	lang("password page")
	p.do(chromedp.SendKeys(`#new-password`, "Chosen-password-2027"), chromedp.Click(`#accept-terms`, chromedp.NodeVisible),
		chromedp.Click(`#choose-password`, chromedp.NodeVisible), chromedp.WaitVisible(`#approve`))
	p.shoot("06-invitation-page", true)
	lang("invitation page")
	if got := p.text(`#who`); got != w.who {
		t.Errorf("the invitation page says %q, want %q", got, w.who)
	}
	p.do(chromedp.Click(`#approve`, chromedp.NodeVisible), chromedp.WaitVisible(`#confirm`))
	p.shoot("07-confirm-approval", true)
	lang("confirmation")
	p.do(chromedp.Click(`#confirm`, chromedp.NodeVisible), chromedp.WaitVisible(`#status`))
	p.shoot("08-active", true)
	if status, result := p.text(`#status`), p.text(`#result`); status != "active" || !strings.HasPrefix(result, w.active) {
		t.Fatalf("after the first sign-in and approving: status %q, %q; want active, %q", status, result, w.active)
	}
	office := mailboxItem(t, ctx, stack.URL, w.employeeEmail, w.officeSubject)
	p.open("09-office-approved-email", fmt.Sprintf("%s/_local/mail/%d", stack.URL, office.N), `div p`, true)
	granted := mailboxItem(t, ctx, stack.URL, w.contact, w.grantedSubject)
	p.open("10-access-granted-email", fmt.Sprintf("%s/_local/mail/%d", stack.URL, granted.N), `div p`, true)
	p.open("11-mailbox-after", stack.URL+"/_local/mail", `a.mail`, true)
}
