package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// badInput is one request with bad input and the answer it must get.
type badInput struct {
	name    string
	as      string // a caller name for world.as: the caller the route is for, so input is what fails
	method  string
	path    string
	body    string
	headers []string
	status  int
	code    string
	field   string // the field the error must name; "" when it names none
	// fix, when set, is a word the error's fix must contain.
	fix string
	// bug, when set, describes a known defect: the case is skipped when the answer is wrong.
	bug string
}

// TestBadInputIsRefusedAndChangesNothing sends requests with bad bodies, paths, queries and
// headers, each as the caller the route is for. Each gets a 4xx with the error shape, the code and
// the field at fault, and changes nothing: no refused activation leaves a collaboration in the
// office's overview or an e-mail on the queue.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	w := h.world(t) // activations are tried here; none may succeed
	w2 := h.world(t)
	c2 := importedCollaboration(t, h, w2, "1001", "tax-annual")
	agreement := importedCollaboration(t, h, w2, "1001", "financial-overview")

	base := map[string]string{"customerNo": `"1001"`, "solution": `"scanner"`, "taskId": `"` + w.task["1001"] + `"`,
		"invoiceRecipient": `"office"`, "startPeriod": `"2027-04"`}
	// activation returns a valid activation body with the fields changed: a name, then its raw
	// JSON value, or "" to leave the field out.
	activation := func(changes ...string) string {
		m := map[string]json.RawMessage{}
		for k, v := range base {
			m[k] = json.RawMessage(v)
		}
		for i := 0; i+1 < len(changes); i += 2 {
			if changes[i+1] == "" {
				delete(m, changes[i])
				continue
			}
			m[changes[i]] = json.RawMessage(changes[i+1])
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("activation body %v: %v", changes, err)
		}
		return string(b)
	}
	newCompany := func(contact string) string {
		return activation("customerNo", `"1003"`, "taskId", `"`+w.task["1003"]+`"`, "contact", contact)
	}
	valid := activation()
	activate := "/offices/" + w.office + "/collaborations"
	long := strings.Repeat("x", 65)

	// Nothing a case sends may change the state; a case that does fails, and the next is compared
	// with the state it left.
	state := h.state(t)
	unchanged := func(t *testing.T) {
		t.Helper()
		after := h.state(t)
		diff := stateDiff(state, after)
		state = after
		if diff != "" {
			t.Fatalf("the refused request changed the state:\n%s", diff)
		}
	}

	t.Run("activation", func(t *testing.T) {
		for _, c := range []badInput{
			{name: "unknown_field_is_named", body: activation("colour", `"red"`), status: 422, code: "unknown_field", field: "colour"},
			{name: "unknown_field_of_the_contact_is_named_with_its_path", body: newCompany(`{"name":"Tea","email":"tea@tre.test","phone":"1"}`),
				status: 422, code: "unknown_field", field: "contact.phone",
				bug: "an unknown field inside an object is named without its path (field \"phone\", not \"contact.phone\"), " +
					"while type and validation errors name nested fields with their path (contact.name, contact.email): " +
					"decodeJSON takes the name from encoding/json's message, which has no path"},
			{name: "unknown_field_with_an_empty_name_is_named", body: activation("", `1`), status: 422, code: "unknown_field", fix: `""`},
			{name: "malformed_json_is_400", body: `{"customerNo":"1001",`, status: 400, code: "malformed_json"},
			{name: "single_quoted_json_is_400", body: `{'customerNo':'1001'}`, status: 400, code: "malformed_json"},
			{name: "trailing_garbage_after_the_object_is_400", body: valid + "x", status: 400, code: "malformed_json"},
			{name: "second_object_after_the_first_is_400", body: valid + " {}", status: 400, code: "malformed_json"},
			{name: "body_that_is_a_json_array_is_400", body: "[" + valid + "]", status: 400, code: "malformed_json"},
			{name: "body_that_is_a_json_string_is_400", body: `"scanner"`, status: 400, code: "malformed_json"},
			{name: "body_that_is_null_is_400", body: `null`, status: 400, code: "malformed_json"},
			{name: "empty_body_is_400", body: ``, status: 400, code: "malformed_json"},
			{name: "body_over_64_KiB_is_413", body: newCompany(`{"name":"` + strings.Repeat("T", 64<<10) + `","email":"tea@tre.test"}`),
				status: 413, code: "body_too_large"},
			{name: "body_over_128_KiB_is_413", body: newCompany(`{"name":"` + strings.Repeat("T", 130<<10) + `","email":"tea@tre.test"}`),
				status: 413, code: "body_too_large"},
			{name: "agreement_months_as_a_string_is_named", body: activation("solution", `"financial-overview"`, "agreementMonths", `"12"`),
				status: 422, code: "field_invalid", field: "agreementMonths", fix: "number"},
			{name: "agreement_months_as_a_fraction_is_named", body: activation("solution", `"financial-overview"`, "agreementMonths", `1.5`),
				status: 422, code: "field_invalid", field: "agreementMonths"},
			{name: "customer_number_as_a_number_is_named", body: activation("customerNo", `1001`), status: 422, code: "field_invalid", field: "customerNo", fix: "string"},
			{name: "contact_as_a_string_is_named", body: newCompany(`"Tea Tre"`), status: 422, code: "field_invalid", field: "contact"},
			{name: "contact_name_as_a_number_is_named_with_its_path", body: newCompany(`{"name":5,"email":"tea@tre.test"}`), status: 422, code: "field_invalid", field: "contact.name"},
			{name: "unknown_solution", body: activation("solution", `"crm"`), status: 422, code: "solution_unknown", field: "solution"},
			{name: "solution_in_the_wrong_case", body: activation("solution", `"Scanner"`), status: 422, code: "solution_unknown", field: "solution"},
			{name: "missing_solution", body: activation("solution", ""), status: 422, code: "solution_unknown", field: "solution"},
			{name: "unknown_invoice_recipient", body: activation("invoiceRecipient", `"bank"`), status: 422, code: "invoice_recipient_invalid", field: "invoiceRecipient"},
			{name: "missing_invoice_recipient", body: activation("invoiceRecipient", ""), status: 422, code: "invoice_recipient_invalid", field: "invoiceRecipient"},
			{name: "unknown_contact_language", body: newCompany(`{"name":"Tea","email":"tea@tre.test","language":"de"}`),
				status: 422, code: "language_invalid", field: "contact.language"},
			{name: "contact_without_email", body: newCompany(`{"name":"Tea"}`), status: 422, code: "email_invalid", field: "contact.email"},
			{name: "start_period_with_month_13", body: activation("startPeriod", `"2027-13"`), status: 422, code: "period_invalid", field: "startPeriod"},
			{name: "start_period_with_a_one_digit_month", body: activation("startPeriod", `"2027-1"`), status: 422, code: "period_invalid", field: "startPeriod"},
			{name: "empty_start_period", body: activation("startPeriod", `""`), status: 422, code: "period_invalid", field: "startPeriod"},
			{name: "start_period_as_a_date", body: activation("startPeriod", `"2027-04-01"`), status: 422, code: "period_invalid", field: "startPeriod"},
			{name: "agreement_period_of_6_months", body: activation("solution", `"financial-overview"`, "agreementMonths", `6`),
				status: 422, code: "agreement_period_invalid", field: "agreementMonths"},
			{name: "agreement_period_missing_where_required", body: activation("solution", `"financial-overview"`),
				status: 422, code: "agreement_period_required", field: "agreementMonths"},
			{name: "agreement_period_where_the_solution_has_none", body: activation("agreementMonths", `12`),
				status: 422, code: "agreement_period_not_applicable", field: "agreementMonths"},
			{name: "missing_task", body: activation("taskId", ""), status: 422, code: "task_required", field: "taskId"},
			{name: "task_id_with_a_hash", body: activation("taskId", `"task#1"`), status: 422, code: "id_invalid", field: "taskId"},
			{name: "customer_number_over_64_characters", body: activation("customerNo", `"`+long+`"`), status: 422, code: "id_invalid", field: "customerNo"},
			{name: "office_id_over_64_characters", path: "/offices/" + long + "/collaborations", body: valid, status: 422, code: "id_invalid", field: "officeId"},
			{name: "office_id_with_a_hash", path: "/offices/" + w.office + "%23x/collaborations", body: valid, status: 422, code: "id_invalid", field: "officeId"},
			{name: "idempotency_key_of_200_characters", body: valid, headers: []string{"Idempotency-Key", strings.Repeat("k", 200)},
				status: 422, code: "idempotency_key_invalid", field: "Idempotency-Key"},
			{name: "idempotency_key_with_a_hash", body: valid, headers: []string{"Idempotency-Key", "k#1"},
				status: 422, code: "idempotency_key_invalid", field: "Idempotency-Key"},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.as, c.method = "oe", "POST"
				if c.path == "" {
					c.path = activate
				}
				r := h.call(t, w.as(c.as), c.method, c.path, c.body, c.headers...)
				overview := h.call(t, user(w.oa), "GET", activate, "")
				expect(t, overview, 200, "")
				if items, _ := overview.JSON["items"].([]any); len(items) != 0 {
					t.Errorf("the refused activation is in the office overview: %s", overview.Raw)
				}
				if n := h.queueDepth(t, "EmailQueue"); n != 0 {
					t.Errorf("the refused activation queued %d e-mails", n)
				}
				unchanged(t)
				checkBadInput(t, c, r)
			})
		}
	})

	t.Run("other_routes", func(t *testing.T) {
		officeList := "/offices/" + w2.office + "/collaborations"
		companyList := "/companies/" + w2.co + "/collaborations"
		cursor := func(m map[string]string) string {
			b, _ := json.Marshal(m)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		otherOffice := cursor(map[string]string{"GSI1PK": "OFFICE#" + w.office, "GSI1SK": "2027-03-01T09:00:00Z#x", "PK": "COLLAB#x", "SK": "COLLAB"})
		otherCompany := cursor(map[string]string{"GSI4PK": "COMPANY#" + w.co, "GSI4SK": "COLLAB#x", "PK": "COLLAB#x", "SK": "COLLAB"})
		users := "/companies/" + w2.co + "/users"
		facts := "/companies/" + w2.co + "/solutions/payroll/status"
		employee := "/offices/" + w2.office + "/employees/newbie"
		task := "/offices/" + w2.office + "/tasks/" + w2.task["1001"]
		collaboration := "/collaborations/" + c2
		token := strings.Repeat("A", 43)
		many := `"a"` + strings.Repeat(`,"a"`, 50)
		for _, c := range []badInput{
			{name: "unknown_status_filter", as: "oe", method: "GET", path: officeList + "?status=open", status: 422, code: "status_invalid", field: "status"},
			{name: "unknown_solution_filter", as: "oe", method: "GET", path: officeList + "?solution=crm", status: 422, code: "solution_unknown", field: "solution"},
			{name: "customer_filter_with_a_hash", as: "oe", method: "GET", path: officeList + "?customerNo=10%2301", status: 422, code: "id_invalid", field: "customerNo"},
			{name: "limit_of_zero", as: "oe", method: "GET", path: officeList + "?limit=0", status: 422, code: "limit_invalid", field: "limit"},
			{name: "limit_over_100", as: "oe", method: "GET", path: officeList + "?limit=101", status: 422, code: "limit_invalid", field: "limit"},
			{name: "negative_limit", as: "oe", method: "GET", path: officeList + "?limit=-1", status: 422, code: "limit_invalid", field: "limit"},
			{name: "limit_that_is_not_a_number", as: "oe", method: "GET", path: officeList + "?limit=ten", status: 422, code: "limit_invalid", field: "limit"},
			{name: "company_list_limit_of_zero", as: "ca", method: "GET", path: companyList + "?limit=0", status: 422, code: "limit_invalid", field: "limit"},
			{name: "cursor_that_is_not_base64", as: "oe", method: "GET", path: officeList + "?cursor=%25%25%25", status: 422, code: "cursor_invalid", field: "cursor"},
			{name: "cursor_of_another_office", as: "oe", method: "GET", path: officeList + "?cursor=" + otherOffice, status: 422, code: "cursor_invalid", field: "cursor"},
			{name: "company_cursor_that_is_not_json", as: "ca", method: "GET", path: companyList + "?cursor=bm90IGpzb24", status: 422, code: "cursor_invalid", field: "cursor"},
			{name: "cursor_of_another_company", as: "ca", method: "GET", path: companyList + "?cursor=" + otherCompany, status: 422, code: "cursor_invalid", field: "cursor"},
			{name: "collaboration_id_over_64_characters", as: "oe", method: "GET", path: "/collaborations/" + long, status: 422, code: "id_invalid", field: "id"},
			{name: "collaboration_id_with_a_hash", as: "oe", method: "GET", path: collaboration + "%23HIST", status: 422, code: "id_invalid", field: "id"},
			{name: "company_id_with_a_hash", as: "ca", method: "GET", path: "/companies/" + w2.co + "%23x/users", status: 422, code: "id_invalid", field: "companyId"},
			{name: "end_with_an_unknown_outcome", as: "oe", method: "POST", path: collaboration + "/end", body: `{"outcome":"maybe"}`, status: 422, code: "outcome_invalid", field: "outcome"},
			{name: "end_without_an_outcome", as: "oe", method: "POST", path: collaboration + "/end", body: `{}`, status: 422, code: "outcome_invalid", field: "outcome"},
			{name: "end_with_the_outcome_as_a_number", as: "oe", method: "POST", path: collaboration + "/end", body: `{"outcome":1}`, status: 422, code: "field_invalid", field: "outcome"},
			{name: "end_with_an_unknown_field", as: "oe", method: "POST", path: collaboration + "/end", body: `{"outcome":"continue","force":true}`, status: 422, code: "unknown_field", field: "force"},
			{name: "end_check_with_an_unknown_outcome", as: "oe", method: "GET", path: collaboration + "/end-check?outcome=maybe", status: 422, code: "outcome_invalid", field: "outcome"},
			{name: "end_id_with_a_hash", as: "oe", method: "POST", path: collaboration + "%23x/end", body: `{"outcome":"continue"}`, status: 422, code: "id_invalid", field: "id"},
			{name: "link_without_a_task", as: "oe", method: "POST", path: collaboration + "/link", body: `{}`, status: 422, code: "task_required", field: "taskId"},
			{name: "link_to_a_task_id_with_a_hash", as: "oe", method: "POST", path: collaboration + "/link", body: `{"taskId":"t#1"}`, status: 422, code: "id_invalid", field: "taskId"},
			{name: "renew_by_6_months", as: "oe", method: "POST", path: "/collaborations/" + agreement + "/renew", body: `{"months":6}`, status: 422, code: "agreement_period_invalid", field: "months"},
			{name: "renew_with_months_as_a_string", as: "oe", method: "POST", path: "/collaborations/" + agreement + "/renew", body: `{"months":"12"}`, status: 422, code: "field_invalid", field: "months"},
			{name: "renew_with_an_unknown_field", as: "oe", method: "POST", path: "/collaborations/" + agreement + "/renew", body: `{"agreementMonths":12}`, status: 422, code: "unknown_field", field: "agreementMonths"},
			{name: "accept_with_an_unknown_field", as: "ca", method: "POST", path: "/invitations/" + token + "/accept", body: `{"answer":"yes"}`, status: 422, code: "unknown_field", field: "answer"},
			{name: "decline_with_an_array_body", as: "ca", method: "POST", path: "/invitations/" + token + "/decline", body: `[]`, status: 400, code: "body_not_expected"},
			{name: "resend_with_a_body", as: "oe", method: "POST", path: collaboration + "/resend", body: `{"force":true}`, status: 400, code: "body_not_expected"},
			{name: "withdraw_with_a_body", as: "oe", method: "POST", path: collaboration + "/withdraw", body: `null`, status: 400, code: "body_not_expected"},
			{name: "role_unknown", as: "ca", method: "PATCH", path: users + "/" + w2.cu, body: `{"role":"owner"}`, status: 422, code: "role_invalid", field: "role"},
			{name: "role_missing", as: "ca", method: "PATCH", path: users + "/" + w2.cu, body: `{}`, status: 422, code: "role_invalid", field: "role"},
			{name: "new_user_with_an_unknown_role", as: "ca", method: "POST", path: users, body: `{"name":"Ny","email":"ny@customer.test","role":"owner"}`, status: 422, code: "role_invalid", field: "role"},
			{name: "new_user_with_an_unknown_language", as: "ca", method: "POST", path: users, body: `{"name":"Ny","email":"ny@customer.test","language":"de","role":"user"}`, status: 422, code: "language_invalid", field: "language"},
			{name: "new_user_with_a_bad_email", as: "ca", method: "POST", path: users, body: `{"name":"Ny","email":"Ny <ny@customer.test>","role":"user"}`, status: 422, code: "email_invalid", field: "email"},
			{name: "new_user_without_a_name", as: "ca", method: "POST", path: users, body: `{"name":"  ","email":"ny@customer.test","role":"user"}`, status: 422, code: "field_required", field: "name"},
			{name: "main_contact_without_a_user", as: "ca", method: "PUT", path: "/companies/" + w2.co + "/main-contact", body: `{}`, status: 422, code: "field_required", field: "userId"},
			{name: "main_contact_as_an_object", as: "ca", method: "PUT", path: "/companies/" + w2.co + "/main-contact", body: `{"userId":{"id":"x"}}`, status: 422, code: "field_invalid", field: "userId"},
			{name: "employee_with_an_unknown_role", as: "oa", method: "PUT", path: employee, body: `{"name":"Ny","email":"ny@office.test","role":"boss"}`, status: 422, code: "role_invalid", field: "role"},
			{name: "employee_with_an_unknown_language", as: "oa", method: "PUT", path: employee, body: `{"name":"Ny","email":"ny@office.test","language":"fi","role":"employee"}`, status: 422, code: "language_invalid", field: "language"},
			{name: "employee_id_with_a_hash", as: "oa", method: "PUT", path: employee + "%23x", body: `{"name":"Ny","email":"ny@office.test","role":"employee"}`, status: 422, code: "id_invalid", field: "userId"},
			{name: "customer_without_a_name", as: "oa", method: "PUT", path: "/offices/" + w2.office + "/customers/1001", body: `{"name":""}`, status: 422, code: "field_required", field: "name"},
			{name: "customer_number_with_a_hash", as: "oa", method: "PUT", path: "/offices/" + w2.office + "/customers/10%2301", body: `{"name":"Ett AB"}`, status: 422, code: "id_invalid", field: "customerNo"},
			{name: "task_assignee_with_a_hash", as: "oa", method: "PUT", path: task, body: `{"customerNo":"1001","name":"Löpande","assignees":["a#b"]}`, status: 422, code: "id_invalid", field: "assignees"},
			{name: "task_with_51_assignees", as: "oa", method: "PUT", path: task, body: `{"customerNo":"1001","name":"Löpande","assignees":[` + many + `]}`, status: 422, code: "field_too_long", field: "assignees"},
			{name: "task_assignees_as_a_string", as: "oa", method: "PUT", path: task, body: `{"customerNo":"1001","name":"Löpande","assignees":"` + w2.oe + `"}`, status: 422, code: "field_invalid", field: "assignees", fix: "array"},
			{name: "facts_with_a_negative_count", as: "integration", method: "PUT", path: facts, body: `{"unsubmittedReports":-1}`, status: 422, code: "field_invalid", field: "unsubmittedReports"},
			{name: "facts_with_a_count_as_a_string", as: "integration", method: "PUT", path: facts, body: `{"unsubmittedReports":"2"}`, status: 422, code: "field_invalid", field: "unsubmittedReports"},
			{name: "facts_with_over_1000_users", as: "integration", method: "PUT", path: facts, body: `{"usersWithUnsubmittedExpenses":[` + strings.Repeat(`"u",`, 1000) + `"u"]}`, status: 422, code: "field_invalid", field: "usersWithUnsubmittedExpenses"},
			{name: "facts_for_an_unknown_solution", as: "integration", method: "PUT", path: "/companies/" + w2.co + "/solutions/crm/status", body: `{}`, status: 422, code: "solution_unknown", field: "solution"},
			{name: "facts_with_a_user_list_of_numbers", as: "integration", method: "PUT", path: facts, body: `{"usersWithUnsubmittedExpenses":[1,2]}`,
				status: 422, code: "field_invalid", field: "usersWithUnsubmittedExpenses", fix: "array"},
			{name: "facts_with_a_time_that_is_not_rfc3339", as: "integration", method: "PUT", path: facts, body: `{"lastSyncAt":"yesterday"}`,
				status: 422, code: "field_invalid", field: "lastSyncAt"},
			{name: "facts_with_a_time_as_a_number", as: "integration", method: "PUT", path: facts, body: `{"lastChangeAt":5}`,
				status: 422, code: "field_invalid", field: "lastChangeAt"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := h.call(t, w2.as(c.as), c.method, c.path, c.body, c.headers...)
				unchanged(t)
				checkBadInput(t, c, r)
			})
		}
	})
}

// checkBadInput checks that a response is the error the case wants, in the one error shape, or
// skips the case when it describes a known bug that is still there.
func checkBadInput(t *testing.T, c badInput, r response) {
	t.Helper()
	checkErrorShape(t, r)
	e, _ := r.JSON["error"].(map[string]any)
	field, _ := e["field"].(string)
	fix, _ := e["fix"].(string)
	message, _ := e["message"].(string)
	if r.Status != c.status || r.code() != c.code || field != c.field || !strings.Contains(fix, c.fix) {
		if c.bug != "" {
			t.Logf("answer: %d %s", r.Status, r.Raw)
			t.Skip("BUG: " + c.bug)
		}
		t.Fatalf("got %d %s field %q fix %q, want %d %s field %q fix with %q\n%s",
			r.Status, r.code(), field, fix, c.status, c.code, c.field, c.fix, r.Raw)
	}
	if c.code == "unknown_field" && !strings.Contains(message, c.field) {
		t.Errorf("message %q does not name the unknown field %s", message, c.field)
	}
}

// checkErrorShape fails the test unless the response is {"error":{"code","message","fix"}} with
// non-empty strings, and nothing else at the top.
func checkErrorShape(t *testing.T, r response) {
	t.Helper()
	if r.Status < 400 {
		t.Fatalf("got %d, want an error\n%s", r.Status, r.Raw)
	}
	var body map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil || len(body) != 1 || body["error"] == nil {
		t.Fatalf("error response is not {\"error\":{...}}: %v\n%s", err, r.Raw)
	}
	for _, k := range []string{"code", "message", "fix"} {
		if s, ok := body["error"][k].(string); !ok || strings.TrimSpace(s) == "" {
			t.Fatalf("error response has no %s\n%s", k, r.Raw)
		}
	}
}
