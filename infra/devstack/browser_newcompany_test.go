package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	// endWithGrace ends the active collaboration with end_subscription afterwards and follows its
	// grace period to the end (endWithGracePeriod).
	endWithGrace bool
}

// TestANewCompanyReachesAnActiveCollaborationThroughItsEmailsInBothLanguages walks scenario 3 in
// headless Chromium, once in Swedish and once in English, as the new customer does: an office
// employee activates for a customer that is not a company yet, naming a contact of the language;
// the contact opens the login instructions in the local mailbox, follows the button to the
// sign-in page (in the e-mail's language, their e-mail and one-time code filled in from the
// link), signs in for the first time, chooses a password and accepts the user terms, lands on the
// invitation in the same language, approves, and sees the collaboration active; the office's
// e-mail that the customer approved and the company's that access is granted arrive. The English
// walk then ends its Scanner collaboration with a grace period (endWithGracePeriod): the
// deadline, the export, the two reminders on the stack's clock, and the archive after the
// deadline, each e-mail opened in the browser. Every page and e-mail is shot at 390 px and
// 1280 px (go test -artifacts; make test keeps them under test-output/), and none scrolls
// sideways at 390 px, the sign-in pages included. The simulated solutions answer after 100 ms.
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
		StateDir: t.TempDir(), SeedFile: seedFile, Log: pagesLog{t}, SolutionDelay: 100 * time.Millisecond})
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
			grantedSubject: "The collaboration with Byrån Redovisning AB in Scanner has started", endWithGrace: true},
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
	var activated struct {
		Collaboration struct{ ID, CompanyID string } `json:"collaboration"`
	}
	json.NewDecoder(resp.Body).Decode(&activated)
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
	if w.endWithGrace {
		endWithGracePeriod(t, ctx, stack, p, w, token, activated.Collaboration.ID, activated.Collaboration.CompanyID)
	}
}

// graceState is what the grace walk reads of GET /collaborations/{id}.
type graceState struct {
	Status   string `json:"status"`
	Outcome  string `json:"outcome"`
	Teardown *struct {
		Steps      []string   `json:"steps"`
		Done       []string   `json:"done"`
		WaitingOn  string     `json:"waitingOn"`
		GraceUntil *time.Time `json:"graceUntil"`
		Export     *struct {
			URL            string    `json:"url"`
			AvailableUntil time.Time `json:"availableUntil"`
		} `json:"export"`
	} `json:"teardown"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// subscriptionState is what the grace walk reads of GET /companies/{companyId}/subscriptions.
type subscriptionState struct {
	Solution, Status, Mode string
	RetainUntil            *time.Time
}

// endWithGracePeriod ends w's active collaboration id as the office employee (token) with
// end_subscription, which for Scanner archives the company's data after a grace period, exporting
// it first, and follows it to the end as the company sees it: Scanner acknowledges the office's
// access revoked, read-only and the export; the administrator gets the deadline (grace_started)
// and the main contact the export's link (data_export); the stack's clock moves to 7 days and to
// 1 day before the deadline (a reminder each, grace_reminder) and past it, when Scanner archives
// the data and the collaboration ends; the company's e-mail says so, no reminder comes after the
// deadline, and the subscription says until when the data is kept.
func endWithGracePeriod(t *testing.T, ctx context.Context, stack *devstack.Stack, p pageWalker, w newCompanyWalk, token, id, companyID string) {
	const office = "Byrån Redovisning AB"
	company, err := stack.Store.Company(ctx, companyID)
	if err != nil || company.Company.MainContact == "" {
		t.Fatalf("the new company %s: %+v, %v", companyID, company.Company, err)
	}
	admin, err := stack.Token(company.Company.MainContact)
	if err != nil {
		t.Fatal(err)
	}
	call := func(token, method, path, body string, out any) int {
		t.Helper()
		return apiInto(t, ctx, stack, token, method, path, body, out)
	}
	// The end may wait for Scanner's facts (FactsRequested, answered by the simulated Scanner).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var out graceState
		status := call(token, "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`, &out)
		if status == http.StatusAccepted {
			break
		}
		if status != http.StatusConflict || out.Error == nil || !slices.Contains([]string{"facts_missing", "facts_stale", "concurrent_update"}, out.Error.Code) ||
			time.Now().After(deadline) {
			t.Fatalf("end answered %d %+v, want 202", status, out.Error)
		}
	}
	endedAt := stack.Service.Now()
	waitFor := func(what string, ok func(graceState) bool) graceState {
		t.Helper()
		var st graceState
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if st = (graceState{}); call(admin, "GET", "/collaborations/"+id, "", &st) == http.StatusOK && ok(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("the collaboration is %s (teardown %+v), want %s", st.Status, st.Teardown, what)
			}
		}
	}
	graceSteps := []string{"revoke_office_access", "set_read_only", "export_data"}
	st := waitFor("ending, Scanner having acknowledged "+strings.Join(graceSteps, ", "), func(st graceState) bool {
		return st.Status == "ending" && st.Teardown != nil && slices.Equal(st.Teardown.Done, graceSteps) && st.Teardown.Export != nil
	})
	if st.Teardown.GraceUntil == nil || st.Teardown.GraceUntil.Sub(endedAt) < 30*24*time.Hour-time.Minute || st.Teardown.GraceUntil.Sub(endedAt) > 30*24*time.Hour+time.Minute {
		t.Fatalf("the grace period ends %v, want 30 days after the end at %v", st.Teardown.GraceUntil, endedAt)
	}
	if st.Outcome != "end_subscription" {
		t.Errorf("during the grace period the outcome is %q, want end_subscription", st.Outcome)
	}
	deadline, export := *st.Teardown.GraceUntil, *st.Teardown.Export
	until := deadline.UTC().Format("2 January 2006") // the deadline as an English reader writes it
	if !strings.HasPrefix(export.URL, stack.Solutions.BackupURL()) {
		t.Errorf("the export's link %s is not the simulated Scanner's", export.URL)
	}

	// mailsAbout waits for n e-mails to address whose subject holds subject and returns them,
	// newest first.
	mailsAbout := func(address, subject string, n int) []mailboxEntry {
		t.Helper()
		for ctx.Err() == nil {
			var found []mailboxEntry
			for _, m := range mailbox(t, ctx, stack.URL) {
				if slices.Equal(m.To, []string{address}) && strings.Contains(m.Subject, subject) {
					found = append(found, m)
				}
			}
			if len(found) >= n {
				return found
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("fewer than %d e-mails to %s about %q arrived", n, address, subject)
		return nil
	}
	// says opens e-mail m in the browser, shoots it, and checks it is in English and its text
	// holds every one of want and no raw id or date.
	says := func(shot string, m mailboxEntry, want ...string) {
		t.Helper()
		if m.Language != w.lang {
			t.Errorf("%s is in %q, want %s", shot, m.Language, w.lang)
		}
		p.open(shot, fmt.Sprintf("%s/_local/mail/%d", stack.URL, m.N), `div p`, true)
		text := p.text(`body`)
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("%s does not say %q: %s", shot, s, text)
			}
		}
		for _, raw := range []string{id, companyID, company.Company.MainContact, deadline.UTC().Format("2006-01-02")} {
			if strings.Contains(text, raw) {
				t.Errorf("%s shows %q raw: %s", shot, raw, text)
			}
		}
	}
	undo := "An administrator of " + w.company + " can undo the end in My Spiris until " + until + "."
	says("12-grace-started-email", mailsAbout(w.contact, "The subscription to Scanner for "+w.company+" ends on "+until, 1)[0],
		"The collaboration between "+office+" and "+w.company+" in Scanner is ending",
		"After "+until+" the information is archived", undo)
	says("13-data-export-email", mailsAbout(w.contact, "The export from Scanner for "+w.company+" is ready to download", 1)[0],
		"Scanner has exported the information of "+w.company+", as the collaboration with "+office+" ends",
		"Download the export with the button by "+export.AvailableUntil.UTC().Format("2 January 2006"))
	if button := p.text(`a[href="` + export.URL + `"]`); button != "Download the export" {
		t.Errorf("the export e-mail's button says %q, want Download the export", button)
	}

	moveClock := func(to time.Time) map[string]any {
		t.Helper()
		resp, err := http.Post(stack.URL+"/_local/clock?cleanup=1", "application/json", strings.NewReader(`{"to":"`+to.Format(time.RFC3339Nano)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Cleanup map[string]any `json:"cleanup"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("moving the clock to %v: %s %v", to, resp.Status, err)
		}
		return out.Cleanup
	}
	reminder := "Reminder: the subscription to Scanner for " + w.company + " ends on " + until
	for i, r := range []struct {
		before time.Duration
		shot   string
	}{{7 * 24 * time.Hour, "14-grace-reminder-7-days-email"}, {24 * time.Hour, "15-grace-reminder-1-day-email"}} {
		at := deadline.Add(-r.before + time.Minute)
		if rep := moveClock(at); rep["graceRemindersQueued"] != 1.0 {
			t.Errorf("%v before the deadline the cleanup did %v, want one grace reminder", r.before, rep)
		}
		sent := mailsAbout(w.contact, reminder, i+1)[0]
		if sent.SentAt == nil || sent.SentAt.Before(at) || !sent.SentAt.Before(deadline) {
			t.Errorf("the reminder %v before the deadline was sent at %v, want at %v", r.before, sent.SentAt, at)
		}
		says(r.shot, sent, "ends on "+until+", as its collaboration with "+office+" has ended", undo)
	}
	if st := waitFor("still ending", func(graceState) bool { return true }); st.Status != "ending" || slices.Contains(st.Teardown.Done, "archive_data") {
		t.Fatalf("a day before the deadline: %s, done %v; want ending with nothing archived", st.Status, st.Teardown.Done)
	}

	if rep := moveClock(deadline.Add(time.Minute)); rep["gracePeriodsEnded"] != 1.0 {
		t.Errorf("past the deadline the cleanup did %v, want one grace period ended", rep)
	}
	st = waitFor("ended, Scanner having acknowledged archive_data", func(st graceState) bool { return st.Status == "ended" })
	if st.Teardown == nil || !slices.Equal(st.Teardown.Done, append(graceSteps, "archive_data")) {
		t.Errorf("ended with teardown %+v, want %v then archive_data", st.Teardown, graceSteps)
	}
	endedSubject := "The collaboration in Scanner between " + office + " and " + w.company + " has ended"
	mailsAbout(w.employeeEmail, endedSubject, 1)
	says("16-ended-email", mailsAbout(w.contact, endedSubject, 1)[0],
		office+" no longer has access to "+w.company+" in Scanner.",
		fmt.Sprintf("The information is archived: it is kept read-only until 31 December %d, as the Bookkeeping Act requires, then deleted.", endedAt.Year()+7))
	if n := len(mailsAbout(w.contact, reminder, 2)); n != 2 {
		t.Errorf("%d reminders, want the two before the deadline and none after it", n)
	}
	var subs struct {
		Items []subscriptionState `json:"items"`
	}
	if status := call(admin, "GET", "/companies/"+companyID+"/subscriptions", "", &subs); status != http.StatusOK {
		t.Fatalf("the company's subscriptions: %d", status)
	}
	// Kept until the end of the seventh year after the end's calendar year (docs/decisions.md,
	// Retention of accounting records): the company's last record is from before the end, as
	// its access has been read-only since.
	retain := time.Date(endedAt.Year()+7, 12, 31, 23, 59, 59, 0, time.UTC)
	i := slices.IndexFunc(subs.Items, func(s subscriptionState) bool { return s.Solution == w.solution })
	if i < 0 || subs.Items[i].Status != "read_only" || subs.Items[i].RetainUntil == nil || !subs.Items[i].RetainUntil.Equal(retain) {
		t.Errorf("the company's subscriptions after the archive: %+v, want %s read-only until %v, the end of the seventh year after the end's (%v)",
			subs.Items, w.solution, retain, endedAt.Format("2006-01-02"))
	}
	p.open("17-mailbox-after-the-end", stack.URL+"/_local/mail", `a.mail`, true)
}
