package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/httpapi"
)

// The fuzz targets below feed arbitrary bodies to the request decoder of each route that takes
// one, through httpapi.Handle as API Gateway would call it. They need no emulator: every request
// is anonymous, and each route decodes its body before its action looks at the caller, so a
// request ends at the decoder's error, at a check the action makes before it reads anything, or
// at the action's 401. The Service has no Store and no Queue: a request that reached either would
// panic on the nil field and be answered 500, which fails the target. (localaws.Main starts no
// emulator for a run that only fuzzes.)
//
// Properties, for every body: no 5xx and no panic; every answer is the one error shape; the answer
// is the one a strict decoder calls for: 413 over MaxBody; 400 malformed_json or 422
// unknown_field/field_invalid/duplicate_field naming the field when the body is not one JSON
// object of the route's fields, each given once and spelled exactly; otherwise not a decoding
// error (401, or a 422 of the action's own checks).
//
// Seeds are in testdata/fuzz/<target>/ and run with every go test. Run one target with
//
//	go test -run '^$' -fuzz '^FuzzActivate$' -fuzztime 30s ./internal/httpapi

func FuzzActivate(f *testing.F) {
	fuzzBody[actions.ActivateInput](f, "Activate", map[string]string{"officeId": "office-1"})
}

func FuzzPutEmployee(f *testing.F) {
	fuzzBody[actions.EmployeeInput](f, "PutEmployee", map[string]string{"officeId": "office-1", "userId": "user-1"})
}

func FuzzPutCustomer(f *testing.F) {
	fuzzBody[actions.CustomerInput](f, "PutCustomer", map[string]string{"officeId": "office-1", "customerNo": "1001"})
}

func FuzzPutTask(f *testing.F) {
	fuzzBody[actions.TaskInput](f, "PutTask", map[string]string{"officeId": "office-1", "taskId": "task-1"})
}

func FuzzLink(f *testing.F) {
	fuzzBody[actions.LinkInput](f, "Link", map[string]string{"id": "c-1"})
}

func FuzzRenew(f *testing.F) {
	fuzzBody[actions.RenewInput](f, "Renew", map[string]string{"id": "c-1"})
}

func FuzzCreateUser(f *testing.F) {
	fuzzBody[actions.NewUserInput](f, "CreateUser", map[string]string{"companyId": "co-1"})
}

func FuzzChangeRole(f *testing.F) {
	fuzzBody[actions.RoleInput](f, "ChangeRole", map[string]string{"companyId": "co-1", "userId": "user-1"})
}

func FuzzSetMainContact(f *testing.F) {
	fuzzBody[actions.MainContactInput](f, "SetMainContact", map[string]string{"companyId": "co-1"})
}

func FuzzEnd(f *testing.F) {
	fuzzBody[actions.EndInput](f, "End", map[string]string{"id": "c-1"})
}

func FuzzReportFacts(f *testing.F) {
	fuzzBody[actions.FactsInput](f, "ReportFacts", map[string]string{"companyId": "co-1", "solution": "payroll"})
}

// FuzzAccept fuzzes the accept route's optional body: none (JSON white space only) or an object
// with only termsVersion passes; anything else is refused as fuzzBody's routes refuse it.
func FuzzAccept(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		r := fuzzCall(t, "Accept", map[string]string{"token": strings.Repeat("A", 43)}, body)
		var in actions.AcceptInput
		e, _ := r.JSON["error"].(map[string]any)
		field, _ := e["field"].(string)
		switch {
		case len(body) > httpapi.MaxBody:
			fuzzWant(t, body, r, r.Status == 413 && r.code() == "body_too_large", "413 body_too_large")
		case strings.Trim(body, jsonSpace) == "" || strictDecode(body, &in):
			fuzzWant(t, body, r, r.Status == 401, "401: the body passes and the caller is anonymous")
		case r.Status == 400:
			fuzzWant(t, body, r, r.code() == "malformed_json", "400 malformed_json")
		default:
			fuzzWant(t, body, r, r.Status == 422 && (r.code() == "unknown_field" || r.code() == "field_invalid" || r.code() == "duplicate_field") &&
				(field != "" || strings.Contains(fixOf(e), `""`)), "400 malformed_json, or 422 unknown_field, field_invalid or duplicate_field naming the field")
		}
	})
}

func fixOf(e map[string]any) string {
	fix, _ := e["fix"].(string)
	return fix
}

// FuzzDecline fuzzes the decoder of the routes that take no body (decline, resend, withdraw):
// only an empty body or {} passes.
func FuzzDecline(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		r := fuzzCall(t, "Decline", map[string]string{"token": strings.Repeat("A", 43)}, body)
		trimmed := strings.Trim(body, jsonSpace)
		accepted := len(body) <= httpapi.MaxBody && (trimmed == "" || trimmed == "{}")
		switch {
		case len(body) > httpapi.MaxBody:
			fuzzWant(t, body, r, r.Status == 413 && r.code() == "body_too_large", "413 body_too_large")
		case accepted:
			fuzzWant(t, body, r, r.Status == 401, "401: the body passes and the caller is anonymous")
		case r.Status == 401:
			fuzzWant(t, body, r, false, "400 body_not_expected (only JSON white space may surround {})")
		default:
			fuzzWant(t, body, r, r.Status == 400 && r.code() == "body_not_expected", "400 body_not_expected")
		}
	})
}

// jsonSpace is the white space JSON allows around a value (RFC 8259).
const jsonSpace = " \t\r\n"

// fuzzBody runs a fuzz target for the body decoder of the function's route, which decodes into T.
func fuzzBody[T any](f *testing.F, function string, params map[string]string) {
	f.Helper()
	if _, ok := httpapi.RouteOf(function); !ok {
		f.Fatalf("no route %s", function)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := fuzzCall(t, function, params, body)
		var ref T
		accepted := strictDecode(body, &ref)
		decoderCodes := map[string]bool{"malformed_json": true, "unknown_field": true, "field_invalid": true, "duplicate_field": true, "body_too_large": true}
		e, _ := r.JSON["error"].(map[string]any)
		field, _ := e["field"].(string)
		switch {
		case len(body) > httpapi.MaxBody:
			fuzzWant(t, body, r, r.Status == 413 && r.code() == "body_too_large", "413 body_too_large")
		case accepted:
			fuzzWant(t, body, r, r.Status == 401 || r.Status == 422 && !decoderCodes[r.code()],
				"a body a strict decoder takes: 401 (anonymous), or a 422 of the action's own checks")
		case r.Status == 400:
			fuzzWant(t, body, r, r.code() == "malformed_json", "400 malformed_json")
		case r.Status == 422 && field == "" && r.code() == "unknown_field":
			fix, _ := e["fix"].(string)
			fuzzWant(t, body, r, strings.Contains(fix, `""`), `422 unknown_field whose fix names the field "" (empty name)`)
		default:
			fuzzWant(t, body, r, r.Status == 422 && (r.code() == "unknown_field" || r.code() == "field_invalid" || r.code() == "duplicate_field") && field != "",
				"400 malformed_json, or 422 unknown_field, field_invalid or duplicate_field naming the field")
		}
	})
}

// strictDecode reports whether body is exactly one JSON object with only the fields of v, each
// once and spelled exactly, as the API promises to require: JSON white space around it and
// nothing else.
func strictDecode(body string, v any) bool {
	b := strings.Trim(body, jsonSpace)
	if !strings.HasPrefix(b, "{") {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF && keysAsDocumented(b, v)
}

// keysAsDocumented reports whether no object in body, a JSON value encoding/json has decoded into
// v, gives a key twice, and every key is spelled as one of the JSON names of v's fields at any
// depth: encoding/json alone keeps the last of two keys and takes {"Role": ...} for role.
func keysAsDocumented(body string, v any) bool {
	names := map[string]bool{}
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
			return
		}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			names[name] = true
			collect(t.Field(i).Type)
		}
	}
	collect(reflect.TypeOf(v))
	type level struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []level
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return err == io.EOF
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				if stack[n-1].keys[key] || !names[key] {
					return false
				}
				stack[n-1].keys[key], stack[n-1].wantKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// fuzzCall sends body anonymously to the function's route, through a handler whose Service has
// no storage, and checks what must hold for every answer: no 5xx, and the error shape.
func fuzzCall(t *testing.T, function string, params map[string]string, body string) response {
	t.Helper()
	rt, _ := httpapi.RouteOf(function)
	path := rt.Path
	for name, v := range params {
		path = strings.Replace(path, "{"+name+"}", v, 1)
	}
	var log bytes.Buffer
	svc := &actions.Service{Log: slog.New(slog.NewTextHandler(&log, nil)), Now: func() time.Time { return start },
		NewID: actions.NewID, InvitationTTL: actions.DefaultInvitationTTL}
	out, err := httpapi.Handle(svc, rt)(ctx, events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: rt.Method + " " + rt.Path, RawPath: path, PathParameters: params, Body: body,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: rt.Method, Path: path}},
	})
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	if out.StatusCode >= 500 {
		t.Fatalf("body %q answered %d: %s\nlog: %s", body, out.StatusCode, out.Body, log.String())
	}
	r := response{Status: out.StatusCode, Headers: out.Headers, Raw: out.Body}
	if err := json.Unmarshal([]byte(out.Body), &r.JSON); err != nil {
		t.Fatalf("body %q: the answer is not JSON: %v\n%s", body, err, out.Body)
	}
	checkErrorShape(t, r)
	return r
}

// fuzzWant fails the target unless ok, saying what the body should have got.
func fuzzWant(t *testing.T, body string, r response, ok bool, want string) {
	t.Helper()
	if !ok {
		t.Fatalf("body %q answered %d %s, want %s\n%s", body, r.Status, r.code(), want, r.Raw)
	}
}
