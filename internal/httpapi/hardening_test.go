package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
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
				// The answer links keep the answer page's own query, and name the terms shown.
				approve := regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*id="approve"`).FindStringSubmatch(r.Raw)
				if want := "https://my.example.test/invitations/" + token + "?from=page&amp;lang=en&amp;answer=accept&amp;terms=" + collab.CurrentTerms.Version; approve == nil || approve[1] != want {
					t.Errorf("approve link %q, want %q", approve, want)
				}
			}
		})
	}

	t.Run("panic_answer_carries_them", func(t *testing.T) {
		// A Service without storage panics on the first read; the handler answers 500.
		svc := &actions.Service{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return start }}
		rt, e, err := apigw.Event(user(w.ca), "GET", "/companies/"+w.co+"/users", "")
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

// TestTeardownErrorIsACodeForThoseWhoHandleIt makes a teardown step fail the way a missing IAM
// permission would, with an error naming the role, the account and the table. The collaboration
// shows teardownError as a code and a message only, to the office's employees with access and the
// company's administrators; its plain users and an employee off the task see none. Once the
// teardown goes through, nobody sees it.
func TestTeardownErrorIsACodeForThoseWhoHandleIt(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+cid+"/end", `{"outcome":"end_subscription"}`), 202, "")
	table := h.res.TableName("Table")
	secrets := []string{"arn:", "123456789012", table, "collab-TeardownRole", "AccessDenied", "not authorized"}
	tap := h.tapDynamo()
	tap.setFault(func(op, body string) (*http.Response, error) {
		if op == "TransactWriteItems" && strings.Contains(body, string(collab.StepRevokeOfficeAccess)) {
			return accessDenied("User: arn:aws:sts::123456789012:assumed-role/collab-TeardownRole-1A2B/collab-Teardown " +
				"is not authorized to perform: dynamodb:DeleteItem on resource: arn:aws:dynamodb:eu-north-1:123456789012:table/" + table), nil
		}
		return nil, nil
	})
	if n, err := h.poller("TeardownQueue").Once(ctx); err != nil || n != 1 {
		t.Fatalf("teardown delivery: %d messages, %v", n, err)
	}
	tap.setFault(nil)

	type sight struct {
		name, as, path string
	}
	get, officeList, companyList := "/collaborations/"+cid, "/offices/"+w.office+"/collaborations", "/companies/"+w.co+"/collaborations"
	for _, c := range []struct {
		sight
		sees bool
	}{
		{sight{"office_employee_on_the_task_sees_it", "oe", get}, true},
		{sight{"office_administrator_sees_it", "oa", get}, true},
		{sight{"company_administrator_sees_it", "ca", get}, true},
		{sight{"plain_company_user_does_not_see_it", "cu", get}, false},
		{sight{"office_employee_on_the_task_sees_it_in_the_office_overview", "oe", officeList}, true},
		{sight{"office_administrator_sees_it_in_the_office_overview", "oa", officeList}, true},
		{sight{"office_employee_off_the_task_does_not_see_it_in_the_office_overview", "ox", officeList}, false},
		{sight{"company_administrator_sees_it_in_the_company_list", "ca", companyList}, true},
		{sight{"plain_company_user_does_not_see_it_in_the_company_list", "cu", companyList}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.call(t, w.as(c.as), "GET", c.path, "")
			expect(t, r, 200, "")
			v := r.JSON
			if c.path != get {
				v = nil
				items, _ := r.JSON["items"].([]any)
				for _, it := range items {
					if m, _ := it.(map[string]any); m["id"] == cid {
						v = m
					}
				}
				if v == nil {
					t.Fatalf("the collaboration is not in the list: %s", r.Raw)
				}
			}
			if v["status"] != "ending" {
				t.Fatalf("status %v, want ending", v["status"])
			}
			e, shown := v["teardownError"].(map[string]any)
			if shown != c.sees {
				t.Fatalf("teardownError shown = %v, want %v: %s", shown, c.sees, r.Raw)
			}
			if shown {
				msg, _ := e["message"].(string)
				if e["code"] != collab.TeardownStepFailed || !strings.Contains(msg, "access") || len(e) != 2 {
					t.Errorf("teardownError %v, want code %s and a message naming the step", e, collab.TeardownStepFailed)
				}
			}
			for _, s := range secrets {
				if strings.Contains(r.Raw, s) {
					t.Errorf("the answer holds %q from the AWS error: %s", s, r.Raw)
				}
			}
		})
	}

	h.drain(t)
	for _, as := range []string{"oa", "ca"} {
		if r := h.call(t, w.as(as), "GET", get, ""); r.str("status") != "ended" || r.JSON["teardownError"] != nil {
			t.Fatalf("after the teardown, %s got %s", as, r.Raw)
		}
	}
}

// accessDenied is DynamoDB's answer to a call the caller's IAM policy does not allow.
func accessDenied(message string) *http.Response {
	body := `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"` + message + `"}`
	return &http.Response{StatusCode: 400, Status: "400 Bad Request", ContentLength: int64(len(body)),
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(strings.NewReader(body))}
}

// TestNamesAndAddressesWithControlCharactersAreRefused sends every field that is a name or an
// e-mail address (names reach e-mail subjects) with a control character: CR, LF, NUL, tab, ESC,
// DEL, a C1 control, U+2028 or U+2029. Each is refused with 422 naming the field, and nothing is
// written.
func TestNamesAndAddressesWithControlCharactersAreRefused(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	employee := "/offices/" + w.office + "/employees/" + rid("emp")
	customer := "/offices/" + w.office + "/customers/1001"
	task := "/offices/" + w.office + "/tasks/" + w.task["1001"]
	users := "/companies/" + w.co + "/users"
	activate := "/offices/" + w.office + "/collaborations"
	newCompany := func(contact string) string {
		return `{"customerNo":"1003","solution":"scanner","taskId":"` + w.task["1003"] +
			`","invoiceRecipient":"office","startPeriod":"2027-04","contact":` + contact + `}`
	}
	state := h.state(t)
	for _, c := range []struct {
		name, as, method, path, body string
		code, field                  string
	}{
		{"employee_name_with_a_line_feed", "oa", "PUT", employee, `{"name":"Eva\nBcc: x@evil.test","email":"eva@office.test","role":"employee"}`, "field_invalid", "name"},
		{"employee_email_with_cr_lf_and_a_header", "oa", "PUT", employee, `{"name":"Eva","email":"eva@office.test\r\nBcc: x@evil.test","role":"employee"}`, "email_invalid", "email"},
		{"customer_name_with_cr_lf_and_a_header", "oa", "PUT", customer, `{"name":"Ett AB\r\nBcc: x@evil.test"}`, "field_invalid", "name"},
		{"customer_name_with_a_nul", "oa", "PUT", customer, `{"name":"Ett AB\u0000"}`, "field_invalid", "name"},
		{"task_name_with_a_tab", "oa", "PUT", task, `{"customerNo":"1001","name":"Löp\tande","assignees":["` + w.oe + `"]}`, "field_invalid", "name"},
		{"new_user_name_with_an_escape", "ca", "POST", users, `{"name":"Ny\u001b[2J","email":"ny@customer.test","role":"user"}`, "field_invalid", "name"},
		{"new_user_name_with_a_delete", "ca", "POST", users, `{"name":"Ny\u007f","email":"ny@customer.test","role":"user"}`, "field_invalid", "name"},
		{"new_user_name_with_a_next_line_c1_control", "ca", "POST", users, `{"name":"Ny\u0085Bcc","email":"ny@customer.test","role":"user"}`, "field_invalid", "name"},
		{"new_user_name_with_a_line_separator", "ca", "POST", users, `{"name":"Ny\u2028Bcc","email":"ny@customer.test","role":"user"}`, "field_invalid", "name"},
		{"new_user_name_with_a_raw_paragraph_separator", "ca", "POST", users, "{\"name\":\"Ny\u2029Bcc\",\"email\":\"ny@customer.test\",\"role\":\"user\"}", "field_invalid", "name"},
		{"new_user_email_with_a_c1_control", "ca", "POST", users, `{"name":"Ny","email":"ny\u0085@customer.test","role":"user"}`, "email_invalid", "email"},
		{"new_user_email_with_a_line_separator", "ca", "POST", users, `{"name":"Ny","email":"ny@customer.test\u2028","role":"user"}`, "email_invalid", "email"},
		{"activation_contact_name_with_a_line_feed", "oe", "POST", activate, newCompany(`{"name":"Tea\nBcc: x@evil.test","email":"tea@tre.test"}`), "field_invalid", "contact.name"},
		{"activation_contact_email_with_a_nul", "oe", "POST", activate, newCompany(`{"name":"Tea","email":"tea@tre.test\u0000"}`), "email_invalid", "contact.email"},
	} {
		t.Run(c.name+"_is_refused", func(t *testing.T) {
			r := h.call(t, w.as(c.as), c.method, c.path, c.body)
			fix := "control characters from " + c.field
			if c.code == "email_invalid" {
				fix = "on one line"
			}
			checkBadInput(t, badInput{status: 422, code: c.code, field: c.field, fix: fix}, r)
			after := h.state(t)
			if diff := stateDiff(state, after); diff != "" {
				state = after
				t.Fatalf("the refused request changed the state:\n%s", diff)
			}
		})
	}
	t.Run("names_in_any_script_are_taken", func(t *testing.T) {
		r := h.call(t, user(w.oa), "PUT", employee, `{"name":"Åsa Ñúñez-Øster 李","email":"asa@office.test","role":"employee"}`)
		expect(t, r, 200, "")
		if r.str("name") != "Åsa Ñúñez-Øster 李" {
			t.Fatalf("name stored as %q", r.str("name"))
		}
	})
}

// TestBodiesWithDuplicateOrMiscasedKeysAreRefused: encoding/json keeps the last of duplicate keys
// and matches keys to fields ignoring case, so a body could carry a value past a check of another
// (a plain user's {"Role":"administrator"}). The decoder refuses both with 422 naming the key, at
// any depth, and nothing is written.
func TestBodiesWithDuplicateOrMiscasedKeysAreRefused(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	role := "/companies/" + w.co + "/users/" + w.cu
	activate := "/offices/" + w.office + "/collaborations"
	facts := "/companies/" + w.co + "/solutions/travel-expenses/status"
	link := "/collaborations/" + importedCollaboration(t, h, w, "1001", "tax-annual") + "/link"
	newCompany := func(contact string) string {
		return `{"customerNo":"1003","solution":"scanner","taskId":"` + w.task["1003"] +
			`","invoiceRecipient":"office","startPeriod":"2027-04","contact":` + contact + `}`
	}
	state := h.state(t)
	for _, c := range []struct {
		name, as, method, path, body string
		code, field, fix             string
	}{
		{"role_given_twice", "ca", "PATCH", role, `{"role":"user","role":"administrator"}`, "duplicate_field", "role", "once"},
		{"role_given_twice_once_escaped", "ca", "PATCH", role, `{"role":"user","r\u006fle":"administrator"}`, "duplicate_field", "role", "once"},
		{"role_in_capitals", "ca", "PATCH", role, `{"Role":"administrator"}`, "unknown_field", "Role", "write role"},
		{"role_all_in_capitals_after_role", "ca", "PATCH", role, `{"role":"user","ROLE":"administrator"}`, "unknown_field", "ROLE", "write role"},
		{"task_id_with_the_kelvin_sign_for_k", "oe", "POST", link, `{"tas\u212aId":"` + w.task["1001"] + `"}`, "unknown_field", "tas\u212aId", ""},
		{"contact_given_twice", "oe", "POST", activate,
			strings.TrimSuffix(newCompany(`{"name":"Tea","email":"tea@tre.test"}`), "}") + `,"contact":{"name":"Eve","email":"eve@evil.test"}}`,
			"duplicate_field", "contact", "once"},
		{"contact_email_given_twice", "oe", "POST", activate, newCompany(`{"name":"Tea","email":"tea@tre.test","email":"eve@evil.test"}`),
			"duplicate_field", "contact.email", "once"},
		{"contact_name_in_capitals", "oe", "POST", activate, newCompany(`{"Name":"Tea","email":"tea@tre.test"}`),
			"unknown_field", "contact.Name", "write name"},
		{"a_count_given_twice", "integration", "PUT", facts, `{"unsubmittedReports":3,"unsubmittedReports":0}`,
			"duplicate_field", "unsubmittedReports", "once"},
	} {
		t.Run(c.name+"_is_refused", func(t *testing.T) {
			r := h.call(t, w.as(c.as), c.method, c.path, c.body)
			checkBadInput(t, badInput{status: 422, code: c.code, field: c.field, fix: c.fix}, r)
			after := h.state(t)
			if diff := stateDiff(state, after); diff != "" {
				state = after
				t.Fatalf("the refused request changed the state:\n%s", diff)
			}
		})
	}
}
