package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// jsonSpace is the white space JSON allows around a value (RFC 8259).
const jsonSpace = " \t\r\n"

// MaxBody is the largest request body accepted: 64 KiB, far above any valid request.
const MaxBody = 64 << 10

// request is one API call being served.
type request struct {
	ctx    context.Context
	event  events.APIGatewayV2HTTPRequest
	caller actions.Caller
	body   []byte
}

func (r *request) param(name string) string { return r.event.PathParameters[name] }
func (r *request) query(name string) string { return r.event.QueryStringParameters[name] }

func (r *request) header(name string) string {
	name = strings.ToLower(name)
	for k, v := range r.event.Headers {
		if strings.ToLower(k) == name {
			return v
		}
	}
	return ""
}

var (
	errMalformed = collab.Errorf(EMALFORMED, "malformed_json", "send one JSON object as the body",
		"the body is not valid JSON")
	errTooLarge = collab.Errorf(ETOOLARGE, "body_too_large", fmt.Sprintf("send at most %d bytes", MaxBody),
		"the body is too large")
	errUnexpectedBody = collab.Errorf(EMALFORMED, "body_not_expected", "send the request without a body",
		"this route takes no body")
	errLimit = collab.Invalid("limit", "limit_invalid", "use a whole number from 1 to 100", "limit is not a number from 1 to 100")
)

// Transport-level error kinds, beside the domain's.
const (
	EMALFORMED = "malformed"
	ETOOLARGE  = "too_large"
)

// readBody returns the event's body, decoded from base64 when API Gateway encoded it.
func readBody(e events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if len(e.Body) > 2*MaxBody {
		return nil, errTooLarge
	}
	b := []byte(e.Body)
	if e.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(e.Body); err != nil {
			return nil, errMalformed
		}
	}
	if len(b) > MaxBody {
		return nil, errTooLarge
	}
	return b, nil
}

// decode parses the body strictly into v: one JSON object, no unknown fields, no trailing data.
// With v nil the body must be empty (or "{}"). Errors name the field at fault.
func (r *request) decode(v any) error {
	trimmed := bytes.Trim(r.body, jsonSpace) // JSON's own white space only, not Unicode's
	if v == nil {
		if len(trimmed) == 0 || string(trimmed) == "{}" {
			return nil
		}
		return errUnexpectedBody
	}
	return decodeJSON(trimmed, v)
}

// decodeJSON is the request decoder: strict, never panicking, with errors a caller can act on.
// Beyond what encoding/json refuses, checkKeys refuses what it would take quietly: a key given
// twice, and a key that matches a field only when case is ignored.
func decodeJSON(b []byte, v any) error {
	if len(b) == 0 || b[0] != '{' {
		return errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return collab.Invalid(typeErr.Field, "field_invalid", "send "+typeErr.Field+" as "+jsonType(fieldKind(v, typeErr.Field, typeErr.Type)),
				"%s has the wrong type", typeErr.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			name := field
			if name == "" {
				name = `the field "" (empty name)`
			}
			return unknownField(field, "remove "+name+"; see docs/openapi.yaml for the fields this route takes")
		}
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return errMalformed
		}
		// Other decoding failures, e.g. a time that is not RFC 3339.
		return collab.Invalid("", "field_invalid", "check the field formats in docs/openapi.yaml", "the body has an invalid value")
	}
	if dec.More() {
		return errMalformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return errMalformed
	}
	return checkKeys(b, reflect.TypeOf(v))
}

func unknownField(field, fix string) error {
	return collab.Invalid(field, "unknown_field", fix, "unknown field %q", field)
}

// checkKeys walks the keys of the JSON value b, which encoding/json has decoded into a value of
// type t, and refuses what that decoder takes without a word: a key given twice in one object
// (it keeps the last, so {"role":"user","role":"administrator"} would pass a check of the first)
// with EINVALID duplicate_field, and a key that is not exactly a field's name (it matches names
// ignoring case, so {"Role": ...} sets role) with EINVALID unknown_field. Errors name the key
// with its path (contact.email). It runs on every request with a body: one pass over the
// tokens, no copy of the body (BenchmarkDecodeJSON measures it beside the whole decoder).
func checkKeys(b []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are skipped, never converted
	return walkKeys(dec, t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walkKeys reads one value from dec, whose Go type is t (nil when unknown), and checks the keys
// of every object in it.
func walkKeys(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return errMalformed
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(unmarshalerType) {
		t = nil // it reads its own JSON; only duplicates are checked
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkKeys(dec, elem, path); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		if err := walkObject(dec, t, path); err != nil {
			return err
		}
	default:
		return nil // a scalar
	}
	if _, err := dec.Token(); err != nil { // the closing ] or }
		return errMalformed
	}
	return nil
}

// walkObject reads the members of an object whose opening brace dec has read. Into a struct,
// every key must be exactly a field's name and come once; into anything else (a map), once.
func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields []jsonField
	var seen []bool
	var keys map[string]bool
	if t != nil && t.Kind() == reflect.Struct {
		fields = fieldsOf(t)
		seen = make([]bool, len(fields))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errMalformed
		}
		key, _ := tok.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		var elem reflect.Type
		switch {
		case fields != nil:
			i := slices.IndexFunc(fields, func(f jsonField) bool { return f.name == key })
			if i < 0 {
				fix := "remove " + at + "; field names are case-sensitive, see docs/openapi.yaml"
				if j := slices.IndexFunc(fields, func(f jsonField) bool { return strings.EqualFold(f.name, key) }); j >= 0 {
					fix = "write " + fields[j].name + ", not " + key + ": field names are case-sensitive"
				}
				return unknownField(at, fix)
			}
			if seen[i] {
				return duplicateField(at)
			}
			seen[i], elem = true, fields[i].typ
		default:
			if keys == nil {
				keys = map[string]bool{}
			}
			if keys[key] {
				return duplicateField(at)
			}
			keys[key] = true
			if t != nil && t.Kind() == reflect.Map {
				elem = t.Elem()
			}
		}
		if err := walkKeys(dec, elem, at); err != nil {
			return err
		}
	}
	return nil
}

func duplicateField(field string) error {
	return collab.Invalid(field, "duplicate_field", "send "+field+" once", "%s is given more than once", field)
}

// fieldNames caches jsonFields by struct type, which halves checkKeys' cost: the input types are
// few and fixed.
var fieldNames sync.Map // reflect.Type → []jsonField

func fieldsOf(t reflect.Type) []jsonField {
	if f, ok := fieldNames.Load(t); ok {
		return f.([]jsonField)
	}
	f, _ := fieldNames.LoadOrStore(t, jsonFields(t, nil))
	return f.([]jsonField)
}

// jsonField is a struct field as encoding/json names it.
type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields appends to out the fields of struct type t under their JSON names: the name in the
// json tag, else the Go name; unexported and "-" fields left out, untagged embedded structs'
// fields promoted (without encoding/json's rules for clashing names, which no input has).
func jsonFields(t reflect.Type, out []jsonField) []jsonField {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = jsonFields(ft, out)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name, f.Type})
	}
	return out
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "slice of string":
		return "an array of strings"
	case "ptr", "struct":
		return "an object or the expected type"
	}
	return "the documented type"
}

// limit parses the optional ?limit= of list routes.
func (r *request) limit() (int, error) {
	s := r.query("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, errLimit
	}
	return n, nil
}

// callerOf reads who is calling from what API Gateway's authorizers put in the event: the JWT's
// user (UserIDOf), or the IAM identity of a solution integration.
func callerOf(e events.APIGatewayV2HTTPRequest) actions.Caller {
	var c actions.Caller
	if a := e.RequestContext.Authorizer; a != nil {
		if a.JWT != nil {
			c.UserID = UserIDOf(a.JWT.Claims)
		}
		if a.IAM != nil {
			c.Service = a.IAM.UserARN
			if c.Service == "" {
				c.Service = a.IAM.UserID
			}
		}
	}
	return c
}

// fieldKind returns the kind of the Go field a JSON path (a.b.c) decodes into, so an error about a
// wrong array element says the field is an array; fallback is the type the decoder reported.
func fieldKind(v any, path string, fallback reflect.Type) string {
	t := reflect.TypeOf(v)
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return fallback.Kind().String()
		}
		found := false
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
				t, found = f.Type, true
				break
			}
		}
		if !found {
			return fallback.Kind().String()
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice {
		return "slice of " + t.Elem().Kind().String()
	}
	return t.Kind().String()
}

// UserIDOf is the one place a token's claims become the caller's user id. The stack's user pool
// names its users by the service's user ids: its access tokens carry the id as username (its
// ID tokens as cognito:username), while their sub is Cognito's own. Any other provider's tokens
// name the user by sub, which must then be the id offices and companies know the user by.
func UserIDOf(claims map[string]string) string {
	if u := claims["cognito:username"]; u != "" {
		return u
	}
	if u := claims["username"]; u != "" && claims["token_use"] == "access" {
		return u
	}
	return claims["sub"]
}
