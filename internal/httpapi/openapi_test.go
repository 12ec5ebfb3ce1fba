package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// The OpenAPI description (docs/openapi.yaml) is the API's contract. The tests here check that it
// lists exactly the routes httpapi.Routes serves, and validateResponse checks every handler
// response the tests see against it, so the description and the code cannot drift apart
// unnoticed. Loading and schema validation are kin-openapi's (openapi3, openapi3filter, with
// JSON Schema 2020-12 for this 3.1 document); what is this project's own is checked here: routes
// against the spec, the error codes a response lists (x-error-codes), one JSON value per body.

const openAPIPath = "docs/openapi.yaml"

var (
	openAPIOnce sync.Once
	openAPIDoc  *openapi3.T
	openAPIErr  error
)

// openAPI returns docs/openapi.yaml, loaded and validated, found beside template.yaml.
func openAPI(t *testing.T) *openapi3.T {
	t.Helper()
	openAPIOnce.Do(func() {
		var tpl string
		if tpl, openAPIErr = samtemplate.Find("."); openAPIErr != nil {
			return
		}
		path := filepath.Join(filepath.Dir(tpl), openAPIPath)
		openAPIDoc, openAPIErr = loadSpec(func(l *openapi3.Loader) (*openapi3.T, error) { return l.LoadFromFile(path) })
		if openAPIErr != nil {
			openAPIErr = fmt.Errorf("%s: %w", path, openAPIErr)
		}
	})
	if openAPIErr != nil {
		t.Fatal(openAPIErr)
	}
	return openAPIDoc
}

var registerFormats sync.Once

// loadSpec loads a document with kin-openapi's loader (no external references: the document is
// self-contained) and validates it as an OpenAPI document.
func loadSpec(load func(*openapi3.Loader) (*openapi3.T, error)) (*openapi3.T, error) {
	registerFormats.Do(func() {
		// kin-openapi checks "email" loosely; the service refuses what net/mail does not take whole.
		openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
				return fmt.Errorf("%q is not an e-mail address", s)
			}
			return nil
		}))
		// The invitation page: its content type is checked, its text is not.
		openapi3filter.RegisterBodyDecoder("text/html", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
	})
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := load(l)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(l.Context); err != nil {
		return nil, err
	}
	return doc, nil
}

// route returns the spec's operation for a method and a route path as declared
// ("/collaborations/{id}").
func route(doc *openapi3.T, method, routePath string) (*routers.Route, error) {
	item := doc.Paths.Value(routePath)
	if item == nil || item.GetOperation(strings.ToUpper(method)) == nil {
		return nil, fmt.Errorf("the spec has no operation %s %s", strings.ToUpper(method), routePath)
	}
	return &routers.Route{Spec: doc, Path: routePath, PathItem: item, Method: strings.ToUpper(method),
		Operation: item.GetOperation(strings.ToUpper(method))}, nil
}

// validateResponse checks one handler response against docs/openapi.yaml: the route's operation
// must document the status (or have a default response), the content type and the headers it
// describes, a JSON body must be one value matching the response's schema, and an error code
// must be one the response lists in x-error-codes. routePath is the route's path as declared.
func validateResponse(t *testing.T, method, routePath string, status int, headers map[string]string, body string) {
	t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	if err := checkResponse(openAPI(t), method, routePath, status, h, body); err != nil {
		t.Errorf("response does not match %s: %v\nbody: %s", openAPIPath, err, body)
	}
}

// checkResponse is validateResponse returning the mismatch.
func checkResponse(doc *openapi3.T, method, routePath string, status int, header http.Header, body string) error {
	rt, err := route(doc, method, routePath)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s %s %d", rt.Method, routePath, status)
	req, err := http.NewRequest(rt.Method, "http://collab.test/", nil)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: rt},
		Status:                 status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes([]byte(body))
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	resp := rt.Operation.Responses.Status(status)
	if resp == nil {
		resp = rt.Operation.Responses.Default()
	}
	if len(resp.Value.Content) == 0 {
		if body != "" {
			return fmt.Errorf("%s: the response documents no body, but one was sent", where)
		}
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		return nil
	}
	if !json.Valid([]byte(body)) {
		return fmt.Errorf("%s: the body is not one JSON value", where)
	}
	if codes, ok := resp.Value.Extensions["x-error-codes"].([]any); ok {
		var value struct {
			Error struct{ Code string }
		}
		json.Unmarshal([]byte(body), &value)
		if !slices.Contains(codes, any(value.Error.Code)) {
			return fmt.Errorf("%s: error code %q is not in the response's x-error-codes %v", where, value.Error.Code, codes)
		}
	}
	return nil
}

// checkRequest checks a request the service accepted against the operation: its path and query
// parameters, its headers and its body. A body where the operation documents none must be empty
// or {}, which the service accepts as no body.
func checkRequest(doc *openapi3.T, method, target string, headers []string, body string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	declared, params, ok := apigw.Match(method, u.Path)
	if !ok {
		return fmt.Errorf("no route for %s %s", method, u.Path)
	}
	rt, err := route(doc, method, declared.Path)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s %s request", rt.Method, declared.Path)
	if rt.Operation.RequestBody == nil {
		if b := strings.TrimSpace(body); b != "" && b != "{}" {
			return fmt.Errorf("%s: the operation documents no body", where)
		}
		body = ""
	}
	req, err := http.NewRequest(rt.Method, "http://collab.test"+target, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, QueryParams: u.Query(), Route: rt,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// --- the spec against httpapi.Routes

// operations returns the document's operations by "METHOD /path".
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

func TestOpenAPIDescribesEveryRouteOnce(t *testing.T) {
	doc := openAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi is %q, want 3.1.0", doc.OpenAPI)
	}
	ops := operations(doc)
	served := map[string]httpapi.Route{}
	for _, rt := range httpapi.Routes {
		key := rt.Method + " " + rt.Path
		if _, dup := served[key]; dup {
			t.Errorf("httpapi.Routes serves %s twice", key)
		}
		served[key] = rt
	}
	for key, rt := range served {
		if _, ok := ops[key]; !ok {
			t.Errorf("%s does not describe %s (function %s); add the operation", openAPIPath, key, rt.Function)
		}
	}
	operationIDs := map[string]string{}
	for key, op := range ops {
		rt, ok := served[key]
		if !ok {
			t.Errorf("%s describes %s, which httpapi.Routes does not serve; remove it or add the route", openAPIPath, key)
			continue
		}
		if op.OperationID != rt.Function {
			t.Errorf("%s: operationId %q, want the function's name %q", key, op.OperationID, rt.Function)
		}
		if other, dup := operationIDs[op.OperationID]; dup {
			t.Errorf("operationId %q is used by %s and %s", op.OperationID, other, key)
		}
		operationIDs[op.OperationID] = key

		sec, explicit := op.Security, op.Security != nil
		if !explicit {
			sec = &doc.Security
		}
		want := map[string][]string{httpapi.AuthJWT: {"bearerJWT"}, httpapi.AuthIAM: {"iamSigV4"}, httpapi.AuthNone: {}}[rt.Auth]
		if got := securitySchemesOf(sec); !slices.Equal(got, want) || (rt.Auth == httpapi.AuthNone && !explicit) {
			t.Errorf("%s: security %v (explicit %v), want %v for auth %q", key, got, explicit, want, rt.Auth)
		}

		params := map[string]*openapi3.Parameter{} // "in name" → parameter
		for _, p := range op.Parameters {
			params[p.Value.In+" "+strings.ToLower(p.Value.Name)] = p.Value
		}
		if _, ok := params["header idempotency-key"]; ok != rt.Idempotent {
			t.Errorf("%s: Idempotency-Key header parameter documented %v, route idempotent %v", key, ok, rt.Idempotent)
		}
		var inPath, declared []string
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				inPath = append(inPath, strings.ToLower(strings.Trim(seg, "{}")))
			}
		}
		for k, p := range params {
			if name, ok := strings.CutPrefix(k, "path "); ok {
				declared = append(declared, name)
				if !p.Required {
					t.Errorf("%s: path parameter %s is not required", key, name)
				}
			}
		}
		sort.Strings(inPath)
		sort.Strings(declared)
		if !slices.Equal(inPath, declared) {
			t.Errorf("%s: path parameters %v declared, the path has %v", key, declared, inPath)
		}
		success := false
		for status := range op.Responses.Map() {
			success = success || strings.HasPrefix(status, "2")
		}
		if !success {
			t.Errorf("%s: no success response", key)
		}
	}
}

// securitySchemesOf returns the scheme names of a security requirement list, one entry per
// requirement.
func securitySchemesOf(sec *openapi3.SecurityRequirements) []string {
	out := []string{}
	for _, req := range *sec {
		names := slices.Sorted(func(yield func(string) bool) {
			for name := range req {
				if !yield(name) {
					return
				}
			}
		})
		out = append(out, strings.Join(names, "+"))
	}
	return out
}

// TestOpenAPIIsWellFormed checks what the loader's validation and the route test do not: every
// required property is a property, every format is one the validation asserts, the security
// schemes are declared, error responses use the one Error schema and name their codes, and the
// enums are the domain's.
func TestOpenAPIIsWellFormed(t *testing.T) {
	doc := openAPI(t)
	schemas := doc.Components.Schemas
	for _, name := range []string{"Error", "Blocker"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("components/schemas has no %s", name)
		}
	}
	var checkSchema func(s *openapi3.SchemaRef, at string)
	checkSchema = func(s *openapi3.SchemaRef, at string) {
		if s == nil || s.Value == nil || s.Ref != "" { // a reference is checked where it is defined
			return
		}
		sch := s.Value
		for _, r := range sch.Required {
			if _, ok := sch.Properties[r]; !ok {
				t.Errorf("%s: required %q is not a property", at, r)
			}
		}
		if f := sch.Format; f != "" && f != "date-time" && f != "email" {
			t.Errorf("%s: format %q is not one the tests assert (date-time, email)", at, f)
		}
		for name, p := range sch.Properties {
			checkSchema(p, at+"/properties/"+name)
		}
		checkSchema(sch.Items, at+"/items")
		checkSchema(sch.AdditionalProperties.Schema, at+"/additionalProperties")
		for kw, subs := range map[string]openapi3.SchemaRefs{"oneOf": sch.OneOf, "anyOf": sch.AnyOf, "allOf": sch.AllOf} {
			for i, sub := range subs {
				checkSchema(sub, fmt.Sprintf("%s/%s/%d", at, kw, i))
			}
		}
	}
	for name, sch := range schemas {
		checkSchema(sch, "#/components/schemas/"+name)
	}

	for key, op := range operations(doc) {
		sec := op.Security
		if sec == nil {
			sec = &doc.Security
		}
		for _, names := range securitySchemesOf(sec) {
			for _, name := range strings.Split(names, "+") {
				if _, ok := doc.Components.SecuritySchemes[name]; name != "" && !ok {
					t.Errorf("%s: security scheme %q is not declared", key, name)
				}
			}
		}
		for status, resp := range op.Responses.Map() {
			if !strings.HasPrefix(status, "4") && !strings.HasPrefix(status, "5") {
				continue
			}
			if js := resp.Value.Content.Get("application/json"); js == nil || js.Schema == nil || js.Schema.Ref != "#/components/schemas/Error" {
				t.Errorf("%s %s: the JSON schema is not the Error schema", key, status)
			}
			codes, _ := resp.Value.Extensions["x-error-codes"].([]any)
			if len(codes) == 0 {
				t.Errorf("%s %s: no x-error-codes", key, status)
			}
			desc := ""
			if resp.Value.Description != nil {
				desc = *resp.Value.Description
			}
			for _, c := range codes {
				if !strings.Contains(desc, fmt.Sprint(c)) {
					t.Errorf("%s %s: the description does not name %v", key, status, c)
				}
			}
		}
	}

	// The enums are the domain's.
	var solutions []any
	for id := range collab.Solutions {
		solutions = append(solutions, string(id))
	}
	var statuses []any
	for _, st := range collab.Statuses {
		statuses = append(statuses, string(st))
	}
	for name, want := range map[string][]any{"Solution": solutions, "Status": statuses} {
		var got []any
		if s := schemas[name]; s != nil && s.Value != nil {
			got = s.Value.Enum
		}
		if !sameStrings(got, want) {
			t.Errorf("schema %s enum %v, the domain has %v", name, got, want)
		}
	}
}

func sameStrings(a, b []any) bool {
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i, x := range a {
		as[i] = fmt.Sprint(x)
	}
	for i, x := range b {
		bs[i] = fmt.Sprint(x)
	}
	sort.Strings(as)
	sort.Strings(bs)
	return slices.Equal(as, bs)
}

// jsonList returns a JSON array, or nil.
func jsonList(v any) []any {
	s, _ := v.([]any)
	return s
}

// lookupJSON returns the value at a path of object keys, or nil.
func lookupJSON(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// --- the response validation itself

const validatorTestSpec = `
openapi: 3.1.0
info: {title: validation test, version: '1'}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          headers:
            Cache-Control: {schema: {type: string, enum: [no-store]}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
            text/html:
              schema: {type: string}
        '404':
          description: not found
          x-error-codes: [thing_not_found]
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
  /things/special:
    get:
      responses:
        '204': {description: nothing}
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [id, at, kind]
      properties:
        id: {type: string, pattern: '^[a-z]+$'}
        at: {type: string, format: date-time}
        mail: {type: string, format: email}
        kind: {type: string, enum: [small, large]}
        size: {type: integer, minimum: 1, maximum: 3}
        note: {type: [string, 'null']}
        tags: {type: array, maxItems: 2, items: {type: string}}
        child: {$ref: '#/components/schemas/Child'}
        extra: {type: object, patternProperties: {'^x': {type: string}}}
        either:
          oneOf:
            - {type: string}
            - {type: object, required: [a], properties: {a: {type: boolean}}}
    Child:
      type: object
      additionalProperties: false
      required: [name]
      properties:
        name: {type: string, minLength: 1}
    Error:
      type: object
      additionalProperties: false
      required: [error]
      properties:
        error:
          type: object
          required: [code]
          properties:
            code: {type: string}
`

// TestResponseValidationCatchesMismatches checks that validateResponse, as wired here, refuses
// what the contract does not allow: each kind of schema mismatch, an undocumented status,
// content type or error code, a header outside its schema, a body where none is documented.
func TestResponseValidationCatchesMismatches(t *testing.T) {
	doc, err := loadSpec(func(l *openapi3.Loader) (*openapi3.T, error) { return l.LoadFromData([]byte(validatorTestSpec)) })
	if err != nil {
		t.Fatal(err)
	}
	const valid = `{"id":"abc","at":"2027-03-01T09:00:00Z","kind":"small"}`
	with := func(extra string) string { return strings.TrimSuffix(valid, "}") + "," + extra + "}" }

	for _, tc := range []struct {
		name      string
		path      string
		status    int
		ct, body  string
		header    string // a Cache-Control value, when not ""
		wantError string // "" when the response is valid; else a substring of the error ("?" for any error)
	}{
		{"valid_body_passes", "/things/{id}", 200, "application/json", valid, "", ""},
		{"optional_fields_pass", "/things/{id}", 200, "application/json; charset=utf-8",
			with(`"size":3,"mail":"a@b.test","note":null,"tags":["a"],"child":{"name":"n"},"extra":{"xa":"s"},"either":{"a":true}`), "no-store", ""},
		{"literal_path_without_body", "/things/special", 204, "", "", "", ""},
		{"missing_required_field", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01T09:00:00Z"}`, "", "?"},
		{"extra_property", "/things/{id}", 200, "application/json", with(`"colour":"red"`), "", "?"},
		{"wrong_type", "/things/{id}", 200, "application/json", with(`"size":"2"`), "", "?"},
		{"fraction_is_not_an_integer", "/things/{id}", 200, "application/json", with(`"size":1.5`), "", "?"},
		{"null_where_not_nullable", "/things/{id}", 200, "application/json", `{"id":null,"at":"2027-03-01T09:00:00Z","kind":"small"}`, "", "?"},
		{"wrong_type_among_several", "/things/{id}", 200, "application/json", with(`"note":5`), "", "?"},
		{"bad_enum", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01T09:00:00Z","kind":"medium"}`, "", "?"},
		{"bad_date_time", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01 09:00","kind":"small"}`, "", "?"},
		{"bad_email", "/things/{id}", 200, "application/json", with(`"mail":"Name <a@b.test>"`), "", "?"},
		{"pattern_mismatch", "/things/{id}", 200, "application/json", `{"id":"ABC","at":"2027-03-01T09:00:00Z","kind":"small"}`, "", "?"},
		{"above_maximum", "/things/{id}", 200, "application/json", with(`"size":4`), "", "?"},
		{"below_minimum", "/things/{id}", 200, "application/json", with(`"size":0`), "", "?"},
		{"too_many_items", "/things/{id}", 200, "application/json", with(`"tags":["a","b","c"]`), "", "?"},
		{"wrong_item_type", "/things/{id}", 200, "application/json", with(`"tags":["a",1]`), "", "?"},
		{"mismatch_behind_a_ref", "/things/{id}", 200, "application/json", with(`"child":{"name":""}`), "", "?"},
		{"extra_property_behind_a_ref", "/things/{id}", 200, "application/json", with(`"child":{"name":"n","age":3}`), "", "?"},
		{"pattern_properties", "/things/{id}", 200, "application/json", with(`"extra":{"xa":1}`), "", "?"},
		{"one_of_none_matches", "/things/{id}", 200, "application/json", with(`"either":5`), "", "?"},
		{"one_of_wrong_branch_content", "/things/{id}", 200, "application/json", with(`"either":{"a":"yes"}`), "", "?"},
		{"header_outside_its_schema", "/things/{id}", 200, "application/json", valid, "private", "Cache-Control"},
		{"body_not_json", "/things/{id}", 200, "application/json", `<html>`, "", "?"},
		{"data_after_the_json_value", "/things/{id}", 200, "application/json", valid + ` {}`, "", "not one JSON value"},
		{"array_instead_of_object", "/things/{id}", 200, "application/json", `[]`, "", "?"},
		{"html_checked_for_content_type_only", "/things/{id}", 200, "text/html; charset=utf-8", "<p>hi</p>", "", ""},
		{"undocumented_content_type", "/things/{id}", 200, "text/plain", "hi", "", `"text/plain"`},
		{"undocumented_status", "/things/{id}", 500, "application/json", `{"error":{"code":"internal_error"}}`, "", "status is not supported"},
		{"documented_error_code", "/things/{id}", 404, "application/json", `{"error":{"code":"thing_not_found"}}`, "", ""},
		{"undocumented_error_code", "/things/{id}", 404, "application/json", `{"error":{"code":"other"}}`, "", `error code "other" is not in the response's x-error-codes`},
		{"unknown_route", "/nothing", 200, "application/json", `{}`, "", "the spec has no operation GET /nothing"},
		{"body_where_none_is_documented", "/things/special", 204, "application/json", `{}`, "", "documents no body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			if tc.header != "" {
				h.Set("Cache-Control", tc.header)
			}
			err := checkResponse(doc, "GET", tc.path, tc.status, h, tc.body)
			switch {
			case tc.wantError == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tc.wantError != "" && err == nil:
				t.Fatalf("got no error, want one containing %q", tc.wantError)
			case tc.wantError != "?" && tc.wantError != "" && !strings.Contains(err.Error(), tc.wantError):
				t.Fatalf("got error %q, want one containing %q", err, tc.wantError)
			}
		})
	}
}

// --- the spec against what the handlers answer

// TestSpecMatchesHandlerResponses exercises a success and an error of every route through the
// handlers and validates each response against the spec.
func TestSpecMatchesHandlerResponses(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	seen := map[string]map[string]bool{} // function → "2xx", "4xx"
	check := func(t *testing.T, as who, method, target, body string, status int, code string, headers ...string) response {
		t.Helper()
		r := h.call(t, as, method, target, body, headers...)
		if r.JSON != nil {
			expect(t, r, status, code)
		} else if r.Status != status {
			t.Fatalf("got %d, want %d\n%s", r.Status, status, r.Raw)
		}
		rt, _, _ := apigw.Match(method, strings.Split(target, "?")[0]) // h.call validated the response
		if r.Status < 300 {
			// The service accepted the request, so the spec must describe it as valid.
			if err := checkRequest(openAPI(t), method, target, headers, body); err != nil {
				t.Errorf("accepted request does not match %s: %v\nbody: %s", openAPIPath, err, body)
			}
		}
		if seen[rt.Function] == nil {
			seen[rt.Function] = map[string]bool{}
		}
		seen[rt.Function][strconv.Itoa(r.Status/100)+"xx"] = true
		return r
	}
	office, co := "/offices/"+w.office, "/companies/"+w.co

	t.Run("offices", func(t *testing.T) {
		check(t, user(w.oa), "PUT", office+"/employees/"+rid("emp"), `{"name":"Ny Anställd","email":"ny@office.test","language":"en","role":"employee"}`, 200, "")
		check(t, user(w.ox), "PUT", office+"/employees/"+rid("emp"), `{"name":"X","email":"x@office.test","role":"employee"}`, 403, "office_administrator_required")
		check(t, user(w.oa), "PUT", office+"/employees/"+rid("emp"), `{"name":"X","email":"x@office.test","role":"boss"}`, 422, "role_invalid")
		check(t, user(w.oa), "PUT", office+"/employees/"+rid("emp"), `{"name":"X","email":"x@office.test","role":"employee","age":3}`, 422, "unknown_field")
		check(t, user(w.oa), "PUT", office+"/employees/"+rid("emp"), `{"name":`, 400, "malformed_json")
		check(t, user(w.oa), "PUT", office+"/employees/"+rid("emp"), `{"name":"`+strings.Repeat("x", httpapi.MaxBody)+`"}`, 413, "body_too_large")

		check(t, user(w.oa), "PUT", office+"/customers/1004", `{"name":"Fyra AB","orgNo":"`+rid("org")+`"}`, 200, "")
		check(t, user(w.oa), "PUT", office+"/customers/1005", `{"name":"Fem AB"}`, 200, "")
		check(t, user(w.oe), "PUT", office+"/customers/1004", `{"name":"Fyra AB"}`, 403, "office_administrator_required")
		check(t, nobody, "PUT", office+"/customers/1004", `{"name":"Fyra AB"}`, 401, "unauthenticated")

		task := check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":"Bokslut","assignees":["`+w.ox+`","`+w.oe+`","`+w.ox+`"]}`, 200, "")
		if got := fmt.Sprint(task.JSON["assignees"]); got != "["+w.oe+" "+w.ox+"]" {
			t.Errorf("assignees %s, want sorted without duplicates", got)
		}
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":"Inga"}`, 200, "")
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"9999","name":"Bokslut"}`, 404, "customer_not_found")
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":""}`, 422, "field_required")
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":"Bokslut","assignees":["`+w.o2+`"]}`, 422, "assignee_not_employee")

		gone := rid("task")
		check(t, user(w.oa), "PUT", office+"/tasks/"+gone, `{"customerNo":"1005","name":"Bokslut"}`, 200, "")
		check(t, user(w.oe), "DELETE", office+"/tasks/"+gone, "", 403, "office_administrator_required")
		check(t, user(w.oa), "DELETE", office+"/tasks/"+gone, "", 200, "")
		check(t, user(w.oa), "DELETE", office+"/tasks/"+gone, "", 404, "task_not_found")
		check(t, user(w.oa), "DELETE", office+"/customers/1005", "", 200, "")
		check(t, user(w.oa), "DELETE", office+"/customers/1005", "", 404, "customer_not_found")
		check(t, user(w.oa), "DELETE", office+"/customers/bad$no", "", 422, "id_invalid")
		leaver := rid("emp")
		check(t, user(w.oa), "PUT", office+"/employees/"+leaver, `{"name":"Går Snart","email":"gar@office.test","role":"employee"}`, 200, "")
		check(t, user(w.oa), "DELETE", office+"/employees/"+leaver, "", 200, "")
		check(t, user(w.oa), "DELETE", office+"/employees/"+leaver, "", 404, "employee_not_found")
		check(t, nobody, "DELETE", office+"/employees/"+w.ox, "", 401, "unauthenticated")
	})

	var pending, active string
	t.Run("collaborations", func(t *testing.T) {
		body := `{"customerNo":"1001","solution":"financial-overview","taskId":"` + w.task["1001"] + `","invoiceRecipient":"customer","startPeriod":"2027-04","agreementMonths":3}`
		first := check(t, user(w.oe), "POST", office+"/collaborations", body, 201, "", "Idempotency-Key", "spec-1")
		again := check(t, user(w.oe), "POST", office+"/collaborations", body, 201, "", "Idempotency-Key", "spec-1")
		if again.Headers["Idempotent-Replayed"] != "true" || again.Raw != first.Raw {
			t.Errorf("retry not replayed: %v %s", again.Headers, again.Raw)
		}
		pending = first.str("collaboration.id")
		check(t, user(w.oe), "POST", office+"/collaborations", strings.Replace(body, "2027-04", "2027-05", 1), 422, "idempotency_key_reused", "Idempotency-Key", "spec-1")
		check(t, user(w.oe), "POST", office+"/collaborations", body, 422, "idempotency_key_invalid", "Idempotency-Key", "a#b")
		check(t, user(w.oe), "POST", office+"/collaborations", body, 409, "collaboration_exists")
		check(t, user(w.oe), "POST", office+"/collaborations", strings.Replace(body, "2027-04", "2027-13", 1), 422, "period_invalid")
		check(t, user(w.ox), "POST", office+"/collaborations", strings.Replace(body, "financial-overview", "scanner", 1), 403, "not_on_task")
		check(t, user(w.oe), "POST", office+"/collaborations",
			`{"customerNo":"1003","solution":"scanner","taskId":"`+w.task["1003"]+`","invoiceRecipient":"office","startPeriod":"2027-04"}`, 422, "contact_required")
		check(t, user(w.oe), "POST", office+"/collaborations",
			`{"customerNo":"1003","solution":"scanner","taskId":"`+w.task["1003"]+`","invoiceRecipient":"office","startPeriod":"2027-04","contact":{"name":"Tea","email":"tea@tre.test"}}`, 201, "")
		active = h.active(t, w, "1001", "bookkeeping", "")

		list := check(t, user(w.ox), "GET", office+"/collaborations?limit=1", "", 200, "")
		if next, _ := list.JSON["next"].(string); next != "" {
			check(t, user(w.ox), "GET", office+"/collaborations?limit=1&cursor="+url.QueryEscape(next), "", 200, "")
		}
		check(t, user(w.oe), "GET", office+"/collaborations?status=pending&solution=financial-overview&customerNo=1001", "", 200, "")
		check(t, user(w.oe), "GET", office+"/collaborations?limit=0", "", 422, "limit_invalid")
		check(t, user(w.oe), "GET", office+"/collaborations?status=open", "", 422, "status_invalid")
		check(t, user(w.oe), "GET", office+"/collaborations?cursor=nonsense", "", 422, "cursor_invalid")
		check(t, user(w.ca), "GET", office+"/collaborations", "", 403, "not_office_employee")
		check(t, nobody, "GET", office+"/collaborations", "", 401, "unauthenticated")

		got := check(t, user(w.oe), "GET", "/collaborations/"+active, "", 200, "")
		if len(jsonList(got.JSON["history"])) != 2 {
			t.Errorf("history %s", got.Raw)
		}
		check(t, user(w.cu), "GET", "/collaborations/"+pending, "", 200, "")
		check(t, user(w.c2a), "GET", "/collaborations/"+active, "", 403, "not_company_user")
		check(t, user(w.ox), "GET", "/collaborations/"+active, "", 403, "not_on_task")
		check(t, user(w.oe), "GET", "/collaborations/"+rid("nope"), "", 404, "collaboration_not_found")
		check(t, user(w.oe), "GET", "/collaborations/no%20such", "", 422, "id_invalid")
	})

	t.Run("resend_and_withdraw", func(t *testing.T) {
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/resend", "", 200, "")
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/resend", "{}", 200, "", "Idempotency-Key", "spec-resend")
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/resend", `{"x":1}`, 400, "body_not_expected")
		check(t, user(w.ox), "POST", "/collaborations/"+pending+"/resend", "", 403, "not_on_task")
		check(t, user(w.oe), "POST", "/collaborations/"+active+"/resend", "", 409, "collaboration_not_pending")
		check(t, nobody, "POST", "/collaborations/"+pending+"/resend", "", 401, "unauthenticated", "Idempotency-Key", "k")

		r := h.activate(t, w, "1002", "consolidated", "")
		expect(t, r, 201, "")
		id := r.str("collaboration.id")
		check(t, user(w.ca2), "POST", "/collaborations/"+id+"/withdraw", "", 403, "not_office_employee")
		withdrawn := check(t, user(w.oa), "POST", "/collaborations/"+id+"/withdraw", "", 200, "")
		if withdrawn.str("status") != "withdrawn" {
			t.Errorf("withdrawn %s", withdrawn.Raw)
		}
		check(t, user(w.oa), "POST", "/collaborations/"+id+"/withdraw", "", 409, "collaboration_not_pending")
		check(t, user(w.oa), "POST", "/collaborations/"+rid("nope")+"/withdraw", "", 404, "collaboration_not_found")
	})

	t.Run("link", func(t *testing.T) {
		imported := collab.RestoreCollaboration(collab.CollaborationRecord{
			ID: rid("imported"), OfficeID: w.office, CustomerNo: "1002", CompanyID: w.co2, Solution: "tax-annual",
			Status: collab.Active, Scenario: collab.ExistingSolution, InvoiceRecipient: collab.InvoiceCustomer,
			StartPeriod: collab.Period{Year: 2020, Month: 1}, CreatedAt: start, UpdatedAt: start})
		tx := h.store.Tx()
		tx.PutCollaboration(imported)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		path := "/collaborations/" + imported.ID() + "/link"
		check(t, user(w.oe), "POST", path, `{}`, 422, "task_required")
		check(t, user(w.oe), "POST", path, `{"taskId":"`+w.task["1001"]+`"}`, 409, "task_customer_mismatch")
		check(t, user(w.oe), "POST", path, `{"taskId":"`+rid("task")+`"}`, 404, "task_not_found")
		linked := check(t, user(w.oe), "POST", path, `{"taskId":"`+w.task["1002"]+`"}`, 200, "")
		if linked.str("taskId") != w.task["1002"] {
			t.Errorf("linked %s", linked.Raw)
		}
		check(t, user(w.oe), "POST", path, `{"taskId":"`+w.task["1002"]+`"}`, 409, "collaboration_already_linked")
	})

	t.Run("invitations", func(t *testing.T) {
		r := h.activate(t, w, "1001", "scanner", "")
		expect(t, r, 201, "")
		id := r.str("collaboration.id")
		token := h.token(t, id)
		check(t, nobody, "GET", "/invitations/"+token, "", 200, "")
		check(t, nobody, "GET", "/invitations/"+token+"?lang=en", "", 200, "", "Accept", "text/html,application/xhtml+xml")
		check(t, nobody, "GET", "/invitations/"+strings.Repeat("A", 43), "", 404, "invitation_not_found")
		check(t, nobody, "GET", "/invitations/short", "", 404, "", "Accept", "text/html")

		check(t, nobody, "POST", "/invitations/"+token+"/accept", "", 401, "unauthenticated")
		check(t, user(w.cu), "POST", "/invitations/"+token+"/accept", "", 403, "administrator_required")
		check(t, user(w.c2a), "POST", "/invitations/"+token+"/decline", "", 403, "not_company_user")
		check(t, user(w.ca), "POST", "/invitations/"+token+"/accept", "", 200, "", "Idempotency-Key", "spec-accept")
		check(t, user(w.ca), "POST", "/invitations/"+token+"/accept", "", 200, "", "Idempotency-Key", "spec-accept")
		check(t, user(w.ca), "POST", "/invitations/"+token+"/accept", "", 410, "invitation_used")
		check(t, nobody, "GET", "/invitations/"+token, "", 410, "invitation_used")
		check(t, nobody, "GET", "/invitations/"+token, "", 410, "", "Accept", "text/html")
		check(t, user(w.ca), "POST", "/invitations/"+strings.Repeat("A", 43)+"/decline", "", 404, "invitation_not_found")

		r = h.activate(t, w, "1001", "tax-annual", "")
		expect(t, r, 201, "")
		token = h.token(t, r.str("collaboration.id"))
		declined := check(t, user(w.ca), "POST", "/invitations/"+token+"/decline", "", 200, "")
		if declined.str("status") != "declined" {
			t.Errorf("declined %s", declined.Raw)
		}
		check(t, user(w.ca), "POST", "/invitations/"+token+"/decline", "", 410, "invitation_used")
	})

	t.Run("companies", func(t *testing.T) {
		check(t, user(w.cu), "GET", co+"/collaborations", "", 200, "")
		check(t, user(w.ca), "GET", co+"/collaborations?limit=2", "", 200, "")
		check(t, user(w.c2a), "GET", co+"/collaborations", "", 403, "not_company_user")
		check(t, user(w.ca), "GET", co+"/collaborations?limit=101", "", 422, "limit_invalid")

		check(t, user(w.cu), "GET", co+"/users", "", 200, "")
		check(t, user(w.oe), "GET", co+"/users", "", 200, "") // through the active collaboration
		check(t, user(w.c2a), "GET", co+"/users", "", 403, "not_company_user")
		check(t, user(w.ca), "GET", "/companies/"+rid("co")+"/users", "", 404, "company_not_found")

		created := check(t, user(w.ca), "POST", co+"/users", `{"name":"Ny","email":"ny@customer.test","role":"user"}`, 201, "", "Idempotency-Key", "spec-user")
		check(t, user(w.ca), "POST", co+"/users", `{"name":"Ny","email":"ny@customer.test","role":"user"}`, 201, "", "Idempotency-Key", "spec-user")
		check(t, user(w.cu), "POST", co+"/users", `{"name":"Ny","email":"ny2@customer.test","role":"user"}`, 403, "administrator_required")
		check(t, user(w.ca), "POST", co+"/users", `{"name":"Ny","email":"ny@","role":"user"}`, 422, "email_invalid")
		check(t, user(w.ca), "POST", co+"/users", `{"name":"Ny","email":"ny@customer.test","role":"owner"}`, 422, "role_invalid")
		newUser := created.str("id")
		link := co + "/users/" + newUser + "/sign-in-link"
		check(t, user(w.ca), "POST", link, "", 202, "", "Idempotency-Key", "spec-link")
		check(t, user(w.ca), "POST", link, "", 202, "", "Idempotency-Key", "spec-link")
		check(t, user(w.cu), "POST", link, "", 403, "administrator_required")
		check(t, user(w.ca), "POST", co+"/users/"+rid("u")+"/sign-in-link", "", 404, "user_not_found")
		check(t, user(w.ca), "POST", link, `{"x":1}`, 400, "body_not_expected")

		check(t, user(w.ca), "PATCH", co+"/users/"+newUser, `{"role":"administrator"}`, 200, "")
		check(t, user(w.ca), "PATCH", co+"/users/"+w.ca, `{"role":"user"}`, 409, "main_contact_demotion")
		check(t, user(w.ca), "PATCH", co+"/users/"+rid("u"), `{"role":"user"}`, 404, "user_not_found")
		check(t, user(w.ca), "PATCH", co+"/users/"+newUser, `{"role":1}`, 422, "field_invalid")

		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+newUser+`"}`, 200, "")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+w.cu+`"}`, 409, "user_not_administrator")
		check(t, user(w.cu), "PUT", co+"/main-contact", `{"userId":"`+w.ca+`"}`, 403, "administrator_required")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{}`, 422, "field_required")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+w.ca+`"}`, 200, "")

		check(t, user(w.ca), "GET", co+"/history", "", 200, "")
		check(t, user(w.cu), "GET", co+"/history", "", 403, "administrator_required")
		check(t, user(w.oe), "GET", co+"/history", "", 403, "not_company_user")

		check(t, user(w.ca), "GET", co+"/subscriptions", "", 200, "")
		check(t, user(w.cu), "GET", co+"/subscriptions", "", 403, "administrator_required")
		check(t, user(w.oe), "GET", co+"/subscriptions", "", 403, "not_company_user")
		check(t, user(w.ca), "GET", "/companies/no-such-company/subscriptions", "", 404, "company_not_found")

		leaving := check(t, user(w.ca), "POST", co+"/users", `{"name":"Går Snart","email":"gar@customer.test","role":"user"}`, 201, "")
		check(t, user(w.cu), "DELETE", co+"/users/"+leaving.str("id"), "", 403, "administrator_required")
		check(t, user(w.ca), "DELETE", co+"/users/"+leaving.str("id"), "", 200, "")
		check(t, user(w.ca), "DELETE", co+"/users/"+leaving.str("id"), "", 404, "user_not_found")
		check(t, user(w.ca), "DELETE", co+"/users/"+w.ca, "", 409, "main_contact_removal")

		check(t, user(w.cu), "GET", co+"/access", "", 200, "")
		check(t, user(w.c2a), "GET", co+"/access", "", 403, "not_company_user")
		check(t, user(w.ca), "GET", "/companies/bad$id/access", "", 422, "id_invalid")
	})

	t.Run("report_facts", func(t *testing.T) {
		facts := check(t, integration, "PUT", co+"/solutions/payroll/status", `{"customerIsPayrollUser":false}`, 200, "")
		if !strings.Contains(facts.Raw, `"lastSyncAt":null`) {
			t.Errorf("facts %s", facts.Raw)
		}
		check(t, integration, "PUT", co+"/solutions/travel-expenses/status", `{"unsubmittedReports":1,"usersWithUnsubmittedExpenses":["u1"],"lastSyncAt":"2027-02-01T10:00:00+01:00"}`, 200, "")
		check(t, user(w.ca), "PUT", co+"/solutions/payroll/status", `{}`, 403, "service_only")
		check(t, nobody, "PUT", co+"/solutions/payroll/status", `{}`, 401, "unauthenticated")
		check(t, integration, "PUT", co+"/solutions/dancing/status", `{}`, 422, "solution_unknown")
		check(t, integration, "PUT", co+"/solutions/payroll/status", `{"lastSyncAt":"yesterday"}`, 422, "field_invalid")
		check(t, integration, "PUT", "/companies/"+rid("co")+"/solutions/payroll/status", `{}`, 404, "company_not_found")
	})

	t.Run("renew", func(t *testing.T) {
		fo := h.active(t, w, "1002", "financial-overview", `,"agreementMonths":12`)
		renewed := check(t, user(w.oe), "POST", "/collaborations/"+fo+"/renew", `{"months":3}`, 200, "", "Idempotency-Key", "spec-renew")
		if renewed.str("agreementEndsAt") != "2028-07-01T00:00:00Z" {
			t.Errorf("renewed %s", renewed.Raw)
		}
		check(t, user(w.oe), "POST", "/collaborations/"+fo+"/renew", `{"months":6}`, 422, "agreement_period_invalid")
		check(t, user(w.oe), "POST", "/collaborations/"+active+"/renew", `{"months":3}`, 409, "agreement_period_not_applicable")
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/renew", `{"months":3}`, 409, "collaboration_not_active")
		check(t, user(w.ca2), "POST", "/collaborations/"+fo+"/renew", `{"months":3}`, 403, "not_office_employee")
	})

	t.Run("scheduled_end", func(t *testing.T) {
		id := h.active(t, w, "1002", "bookkeeping", "")
		monthEnd := collab.PeriodOf(h.clock()).AddMonths(1).Start().AddDate(0, 0, -1).Format("2006-01-02")
		at := `{"outcome":"continue","at":"` + monthEnd + `"}`
		scheduled := check(t, user(w.oe), "POST", "/collaborations/"+id+"/end", at, 202, "", "Idempotency-Key", "spec-schedule-end")
		if scheduled.str("status") != "active" || scheduled.str("scheduledEnd.date") != monthEnd {
			t.Errorf("scheduled %s", scheduled.Raw)
		}
		check(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue","at":"2027-13-01"}`, 422, "end_date_invalid")
		check(t, user(w.ca2), "POST", "/collaborations/"+id+"/end", at, 409, "end_already_scheduled")
		check(t, user(w.c2a), "POST", "/collaborations/"+id+"/cancel-end", "", 403, "not_company_user")
		check(t, user(w.ca2), "POST", "/collaborations/"+id+"/cancel-end", "", 200, "", "Idempotency-Key", "spec-cancel-end")
		check(t, user(w.ca2), "POST", "/collaborations/"+id+"/cancel-end", "", 409, "no_scheduled_end")
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/cancel-end", "", 409, "collaboration_not_active")
	})

	t.Run("end", func(t *testing.T) {
		check(t, user(w.ca), "GET", "/collaborations/"+active+"/end-check?outcome=continue", "", 200, "")
		check(t, user(w.oe), "GET", "/collaborations/"+pending+"/end-check?outcome=end_subscription", "", 200, "")
		check(t, user(w.ca), "GET", "/collaborations/"+active+"/end-check", "", 422, "outcome_invalid")
		check(t, user(w.cu), "GET", "/collaborations/"+active+"/end-check?outcome=continue", "", 403, "administrator_required")

		payroll := h.active(t, w, "1001", "payroll", "")
		blocked := check(t, user(w.oe), "POST", "/collaborations/"+payroll+"/end", `{"outcome":"end_subscription"}`, 409, "payroll_handover_incomplete")
		if len(jsonList(lookupJSON(blocked.JSON, "error", "blockers"))) != 1 {
			t.Errorf("blockers %s", blocked.Raw)
		}
		check(t, user(w.oe), "POST", "/collaborations/"+payroll+"/end", `{"outcome":"continue"}`, 409, "outcome_not_allowed")
		check(t, user(w.oe), "POST", "/collaborations/"+pending+"/end", `{"outcome":"continue"}`, 409, "collaboration_not_active")
		check(t, user(w.oe), "POST", "/collaborations/"+active+"/end", `{"outcome":"stop"}`, 422, "outcome_invalid")
		check(t, user(w.c2a), "POST", "/collaborations/"+active+"/end", `{"outcome":"continue"}`, 403, "not_company_user")
		ended := check(t, user(w.oe), "POST", "/collaborations/"+active+"/end", `{"outcome":"end_subscription"}`, 202, "", "Idempotency-Key", "spec-end")
		check(t, user(w.oe), "POST", "/collaborations/"+active+"/end", `{"outcome":"end_subscription"}`, 202, "", "Idempotency-Key", "spec-end")
		if ended.str("status") != "ending" || ended.str("outcome") != "end_subscription" {
			t.Errorf("ended %s", ended.Raw)
		}
		check(t, user(w.ca), "GET", "/collaborations/"+active+"/end-check?outcome=continue", "", 200, "")
		check(t, user(w.ca), "PUT", "/users/"+w.ca+"/user-terms", `{"version":"`+collab.UserTermsVersion+`"}`, 200, "")
		check(t, user(w.ca), "PUT", "/users/"+w.ca+"/user-terms", `{"version":"2020-01-01"}`, 409, "user_terms_changed")
		check(t, user(w.cu), "PUT", "/users/"+w.ca+"/user-terms", `{"version":"`+collab.UserTermsVersion+`"}`, 403, "not_this_user")
	})

	t.Run("teardown", func(t *testing.T) {
		id := h.active(t, w, "1002", "consolidated", "")
		check(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`, 202, "")
		h.solutions.hold = true
		h.drain(t)
		ack := "/collaborations/" + id + "/teardown/"
		check(t, integration, "POST", ack+"revoke_office_access", `{"result":"maybe"}`, 422, "result_invalid")
		check(t, integration, "POST", ack+"transfer_billing", `{"result":"done"}`, 409, "step_not_pending")
		check(t, integration, "POST", ack+"revoke_office_access", `{"result":"done"}`, 200, "")
		check(t, user(w.oe), "POST", ack+"revoke_office_access", `{"result":"done"}`, 403, "service_only")
		h.solutions.hold = false

		h.withTiming(port.DefaultTiming) // an end with a grace period, to undo
		sc := h.active(t, w, "1002", "scanner", "")
		check(t, user(w.oe), "POST", "/collaborations/"+sc+"/end", `{"outcome":"end_subscription"}`, 202, "")
		h.drain(t)
		check(t, user(w.ca2), "POST", "/collaborations/"+sc+"/undo-end", "", 200, "")
		check(t, user(w.ca2), "POST", "/collaborations/"+sc+"/undo-end", "", 409, "undo_not_possible")
		h.withTiming(noGrace)

		check(t, integration, "GET", "/solutions/consolidated/companies/"+w.co+"/access", "", 200, "")
		check(t, integration, "GET", "/solutions/typing/companies/"+w.co+"/access", "", 422, "solution_unknown")
	})

	for _, rt := range httpapi.Routes {
		if !seen[rt.Function]["2xx"] || !seen[rt.Function]["4xx"] {
			t.Errorf("%s: responses validated %v, want a success and an error", rt.Function, seen[rt.Function])
		}
	}
}

// TestRequestValidationCatchesMismatches checks that checkRequest, as wired here, refuses
// requests the contract does not allow, so TestSpecMatchesHandlerResponses would notice the
// service accepting one.
func TestRequestValidationCatchesMismatches(t *testing.T) {
	doc := openAPI(t)
	for _, tc := range []struct {
		name, method, target, body string
		headers                    []string
		valid                      bool
	}{
		{"valid_body", "PUT", "/offices/o1/employees/u1", `{"name":"X","email":"x@office.test","role":"employee"}`, nil, true},
		{"value_outside_the_enum", "PUT", "/offices/o1/employees/u1", `{"name":"X","email":"x@office.test","role":"boss"}`, nil, false},
		{"unknown_field", "PUT", "/offices/o1/employees/u1", `{"name":"X","email":"x@office.test","role":"employee","age":3}`, nil, false},
		{"missing_body", "PUT", "/offices/o1/employees/u1", ``, nil, false},
		{"query_outside_the_enum", "GET", "/offices/o1/collaborations?status=open", ``, nil, false},
		{"valid_query", "GET", "/offices/o1/collaborations?status=pending&limit=10", ``, nil, true},
		{"body_where_none_is_documented", "POST", "/collaborations/c1/resend", `{"x":1}`, nil, false},
		{"empty_object_where_no_body_is_documented", "POST", "/collaborations/c1/resend", `{}`, []string{"Idempotency-Key", "k1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRequest(doc, tc.method, tc.target, tc.headers, tc.body)
			if (err == nil) != tc.valid {
				t.Fatalf("valid %v, got error %v", tc.valid, err)
			}
		})
	}
}
