package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/httpapi"
)

// TestEveryResponseCarriesTheSecurityHeaders sends requests that end each way a response is
// built: JSON answers and errors, an idempotent replay, a panic's 500, and the HTML page live,
// dead and unknown. Every one says X-Content-Type-Options: nosniff; HTML has the page's policy
// (no framing, forms to this API only, nothing loaded but the page's own <style>, by its hash),
// and JSON one that loads nothing.
func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.svc.AnswerURL = "https://my.example.test/invitations/{token}?from=page"
	id, token := pendingCollaboration(t, h, w)
	withdrawn := h.activate(t, w, "1002", "scanner", "")
	expect(t, withdrawn, 201, "")
	used, usedToken := withdrawn.str("collaboration.id"), h.token(t, withdrawn.str("collaboration.id"))
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+used+"/withdraw", ""), 200, "")
	html := []string{"Accept", "text/html"}
	activation := `{"customerNo":"1002","solution":"payroll","taskId":"` + w.task["1002"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`

	for _, c := range []struct {
		name, method, path, body string
		as                       who
		headers                  []string
		status                   int
		page                     bool
	}{
		{name: "json_answer", method: "GET", path: "/collaborations/" + id, as: user(w.oe), status: 200},
		{name: "json_list", method: "GET", path: "/offices/" + w.office + "/collaborations", as: user(w.oe), status: 200},
		{name: "first_idempotent_answer", method: "POST", path: "/offices/" + w.office + "/collaborations", body: activation,
			as: user(w.oe), headers: []string{"Idempotency-Key", "hardening-1"}, status: 201},
		{name: "idempotent_replay", method: "POST", path: "/offices/" + w.office + "/collaborations", body: activation,
			as: user(w.oe), headers: []string{"Idempotency-Key", "hardening-1"}, status: 201},
		{name: "error_401", method: "GET", path: "/collaborations/" + id, as: nobody, status: 401},
		{name: "error_403", method: "GET", path: "/collaborations/" + id, as: user(w.c2a), status: 403},
		{name: "error_404", method: "GET", path: "/collaborations/" + rid("nope"), as: user(w.oe), status: 404},
		{name: "error_400", method: "PUT", path: "/offices/" + w.office + "/customers/1001", body: `{"name":`, as: user(w.oa), status: 400},
		{name: "error_422", method: "GET", path: "/offices/" + w.office + "/collaborations?limit=0", as: user(w.oe), status: 422},
		{name: "invitation_as_json", method: "GET", path: "/invitations/" + token, as: nobody, status: 200},
		{name: "invitation_page", method: "GET", path: "/invitations/" + token + "?lang=en", as: nobody, headers: html, status: 200, page: true},
		{name: "dead_invitation_page", method: "GET", path: "/invitations/" + usedToken, as: nobody, headers: html, status: 410, page: true},
		{name: "unknown_invitation_page", method: "GET", path: "/invitations/short", as: nobody, headers: html, status: 404, page: true},
	} {
		t.Run(c.name+"_carries_them", func(t *testing.T) {
			r := h.call(t, c.as, c.method, c.path, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("got %d, want %d\n%s", r.Status, c.status, r.Raw)
			}
			if c.name == "idempotent_replay" && r.Headers["Idempotent-Replayed"] != "true" {
				t.Fatalf("not a replay: %v", r.Headers)
			}
			checkSecurityHeaders(t, r.Headers, r.Raw, c.page)
			if c.page && c.status == 200 {
				// The answer links keep the answer page's own query.
				approve := regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*id="approve"`).FindStringSubmatch(r.Raw)
				if want := "https://my.example.test/invitations/" + token + "?from=page&amp;lang=en&amp;answer=accept"; approve == nil || approve[1] != want {
					t.Errorf("approve link %q, want %q", approve, want)
				}
			}
		})
	}

	t.Run("panic_answer_carries_them", func(t *testing.T) {
		// A Service without storage panics on the first read; the handler answers 500.
		svc := &actions.Service{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return start }}
		rt, e, err := httpapi.Event(user(w.ca), "GET", "/companies/"+w.co+"/users", "")
		if err != nil {
			t.Fatal(err)
		}
		out, err := httpapi.Handle(svc, rt)(ctx, e)
		if err != nil || out.StatusCode != 500 {
			t.Fatalf("got %d %v, want a 500", out.StatusCode, err)
		}
		checkSecurityHeaders(t, out.Headers, out.Body, false)
	})
}

// checkSecurityHeaders fails the test unless headers say nosniff and carry the policy for a page
// (page) or for JSON. A page's style-src must allow exactly its <style> element, by hash, and the
// page must need nothing else: no script, no style attribute, no form.
func checkSecurityHeaders(t *testing.T, headers map[string]string, body string, page bool) {
	t.Helper()
	if got := headers["X-Content-Type-Options"]; got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q, want nosniff", got)
	}
	csp := headers["Content-Security-Policy"]
	if !page {
		if !strings.HasPrefix(headers["Content-Type"], "application/json") {
			t.Errorf("Content-Type %q, want JSON", headers["Content-Type"])
		}
		if csp != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("JSON Content-Security-Policy %q", csp)
		}
		return
	}
	if !strings.HasPrefix(headers["Content-Type"], "text/html") {
		t.Fatalf("Content-Type %q, want HTML", headers["Content-Type"])
	}
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	_, rest, _ := strings.Cut(body, "<style>")
	style, _, found := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(style))
	for name, want := range map[string]string{
		"default-src": "'none'", "frame-ancestors": "'none'", "form-action": "'self'", "base-uri": "'none'",
		"style-src": "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
	} {
		if got := directives[name]; got != want {
			t.Errorf("Content-Security-Policy %s is %q, want %q (policy %q)", name, got, want, csp)
		}
	}
	if !found {
		t.Error("the page has no <style> element")
	}
	for _, needs := range []string{"<script", " style=", "<form", "<link", "<img", "<iframe"} {
		if strings.Contains(body, needs) {
			t.Errorf("the page has %q, which its policy does not allow for", needs)
		}
	}
}
