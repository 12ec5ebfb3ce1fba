package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spiris/collab/infra/devstack"
)

// TestInvitationLinkInARealBrowser drives headless Chromium through what a customer does: open
// the invitation e-mail in the local mailbox, follow its link, read the invitation, sign in,
// approve as the company's administrator and see the collaboration active; a second visit to the
// link says it is used. Screenshots of each step go to the test's artifact directory (go test
// -artifacts; make test keeps them under test-output/).
func TestInvitationLinkInARealBrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make browser` (apt-get install chromium) first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "browser" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()

	// The office employee on the task activates Payroll's sibling, Scanner, for customer 1002:
	// its company exists (found by organisation number) and lacks the solution.
	token, _ := stack.Token("emp-eva")
	req, _ := http.NewRequestWithContext(ctx, "POST", stack.URL+"/offices/office-1/collaborations", strings.NewReader(
		`{"customerNo":"1002","solution":"scanner","taskId":"task-1002","invoiceRecipient":"office","startPeriod":"`+
			stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("activate: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	waitForMail(t, ctx, stack.URL, "cilla@tvacafe.example")

	shots := t.ArtifactDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "en-US"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	type step = chromedp.Action[chromedp.Void]
	shot := func(name string) step {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
	}
	do := func(steps ...step) {
		t.Helper()
		if err := chromedp.Do(browserCtx, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(browserCtx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("browser: text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}

	do(chromedp.Navigate(stack.URL+"/_local/mail"), chromedp.WaitVisible(`a.mail`), shot("1-mailbox"),
		chromedp.Click(`a.mail`, chromedp.NodeVisible), chromedp.WaitVisible(`a[href*="/invitations/"]`), shot("2-invitation-email"))
	href, err := chromedp.Run(browserCtx, chromedp.AttributeValue(`a[href*="/invitations/"]`, "href"))
	if err != nil || !href.Exists {
		t.Fatalf("no invitation link in the e-mail: %v", err)
	}
	link := href.Value
	do(chromedp.Click(`a[href*="/invitations/"]`, chromedp.NodeVisible), chromedp.WaitVisible(`#approve`), shot("3-invitation-page"))
	who, solution, expires := text(`#who`), text(`#solution`), text(`#expires`)
	do(chromedp.Click(`#approve`, chromedp.NodeVisible), chromedp.WaitVisible(`#login-cilla`), shot("4-sign-in"),
		chromedp.Click(`#login-cilla`, chromedp.NodeVisible), chromedp.WaitVisible(`#confirm`), shot("5-confirm"),
		chromedp.Click(`#confirm`, chromedp.NodeVisible), chromedp.WaitVisible(`#status`), shot("6-active"))
	status := text(`#status`)
	if !strings.Contains(who, "Byrån Redovisning AB") || !strings.Contains(who, "Två Café AB") || solution != "Scanner" || expires == "" {
		t.Errorf("invitation page shows who=%q solution=%q expires=%q", who, solution, expires)
	}
	if status != "active" {
		t.Fatalf("after approving, the collaboration is %q, want active", status)
	}
	do(chromedp.Navigate(link), chromedp.WaitVisible(`#state`), shot("7-link-used"))
	dead := text(`#state`)
	plain, _, _ := strings.Cut(link, "?") // the link carries the e-mail's language (lang=)
	do(chromedp.Navigate(plain+"?lang=sv"), chromedp.WaitVisible(`#state`), shot("8-link-used-swedish"))
	deadSv := text(`#state`)
	if !strings.Contains(dead, "already been answered") || !strings.Contains(deadSv, "redan besvarats") {
		t.Fatalf("second visit says %q / %q, want that the invitation is used", dead, deadSv)
	}
	t.Logf("screenshots in %s", shots)
}

// waitForMail waits until the local mailbox holds an e-mail to address (the e-mail worker polls).
func waitForMail(t *testing.T, ctx context.Context, base, address string) {
	t.Helper()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_local/mail", nil)
		req.Header.Set("Accept", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var box struct {
				Items []struct{ To []string } `json:"items"`
			}
			json.NewDecoder(resp.Body).Decode(&box)
			resp.Body.Close()
			for _, m := range box.Items {
				for _, to := range m.To {
					if to == address {
						return
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s arrived", address)
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
