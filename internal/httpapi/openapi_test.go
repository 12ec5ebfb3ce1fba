package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// The OpenAPI description (docs/openapi.yaml) is the API's contract. The tests here check that it
// lists exactly the routes httpapi.Routes serves, and validateResponse checks handler responses
// against it, so the description and the code cannot drift apart unnoticed.

const openAPIPath = "docs/openapi.yaml"

var (
	openAPIOnce sync.Once
	openAPIDoc  *apiSpec
	openAPIErr  error
)

// openAPI returns the parsed docs/openapi.yaml, found by walking up from the package directory.
func openAPI(t *testing.T) *apiSpec {
	t.Helper()
	openAPIOnce.Do(func() {
		var path string
		if path, openAPIErr = findInParents(openAPIPath); openAPIErr != nil {
			return
		}
		var b []byte
		if b, openAPIErr = os.ReadFile(path); openAPIErr != nil {
			return
		}
		openAPIDoc, openAPIErr = parseSpec(b)
		if openAPIErr != nil {
			openAPIErr = fmt.Errorf("%s: %w", path, openAPIErr)
		}
	})
	if openAPIErr != nil {
		t.Fatal(openAPIErr)
	}
	return openAPIDoc
}

// findInParents returns the path of rel in the working directory or the nearest parent that has it.
func findInParents(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in any parent directory", rel)
		}
		dir = parent
	}
}

// apiSpec is a parsed OpenAPI document with what validation needs.
type apiSpec struct {
	doc      map[string]any
	mu       sync.Mutex
	patterns map[string]*regexp.Regexp
}

func parseSpec(b []byte) (*apiSpec, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return &apiSpec{doc: doc, patterns: map[string]*regexp.Regexp{}}, nil
}

var openAPIMethods = []string{"get", "put", "post", "patch", "delete", "head", "options", "trace"}

// operations returns the document's operations by "METHOD /path".
func (s *apiSpec) operations() map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := s.doc["paths"].(map[string]any)
	for path, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range openAPIMethods {
			if op, ok := item[m].(map[string]any); ok {
				out[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return out
}

// pointer returns the node a local reference ("#/components/schemas/Error") points at.
func (s *apiSpec) pointer(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q: only local references are supported", ref)
	}
	var node any = s.doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if node, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return node, nil
}

// deref follows $ref until it reaches an object without one (responses, parameters, headers).
func (s *apiSpec) deref(node any) (map[string]any, error) {
	for range 32 {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected an object, got %T", node)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if node, err = s.pointer(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("$ref chain too long")
}

// findOperation returns the operation for a method and a route path: the path's text as in the
// document ("/collaborations/{id}") or a concrete request path ("/collaborations/abc").
func (s *apiSpec) findOperation(method, routePath string) (string, map[string]any, error) {
	routePath, _, _ = strings.Cut(routePath, "?")
	ops := s.operations()
	key := strings.ToUpper(method) + " " + routePath
	if op, ok := ops[key]; ok {
		return routePath, op, nil
	}
	parts := strings.Split(strings.Trim(routePath, "/"), "/")
	var keys []string
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys) // literal segments sort before "{", so a literal path wins over a template
	for _, k := range keys {
		m, p, _ := strings.Cut(k, " ")
		if m == strings.ToUpper(method) && pathTemplateMatches(p, parts) {
			return p, ops[k], nil
		}
	}
	return "", nil, fmt.Errorf("the spec has no operation %s %s", strings.ToUpper(method), routePath)
}

func pathTemplateMatches(template string, parts []string) bool {
	segs := strings.Split(strings.Trim(template, "/"), "/")
	if len(segs) != len(parts) {
		return false
	}
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if parts[i] == "" {
				return false
			}
			continue
		}
		if seg != parts[i] {
			return false
		}
	}
	return true
}

// validateResponse checks one handler response against docs/openapi.yaml: the route's operation
// must document the status (or have a default response) and the content type, a JSON body must
// match the response's schema, and an error code must be one the response lists in x-error-codes.
// A body of another content type (the HTML invitation page) is checked for its content type only.
// routePath is the route's path as declared ("/collaborations/{id}") or a concrete request path.
func validateResponse(t *testing.T, method, routePath string, status int, contentType, body string) {
	t.Helper()
	if err := openAPI(t).checkResponse(method, routePath, status, contentType, body); err != nil {
		t.Errorf("response does not match %s: %v\nbody: %s", openAPIPath, err, body)
	}
}

// checkRequest checks a request body against the operation's requestBody schema.
func (s *apiSpec) checkRequest(method, routePath, body string) error {
	path, op, err := s.findOperation(method, routePath)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s %s request", strings.ToUpper(method), path)
	rb, ok := op["requestBody"]
	if !ok {
		if b := strings.TrimSpace(body); b != "" && b != "{}" {
			return fmt.Errorf("%s: the operation documents no body", where)
		}
		return nil
	}
	req, err := s.deref(rb)
	if err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return fmt.Errorf("%s: the body is not JSON: %v", where, err)
	}
	if err := s.validate(lookupJSON(req, "content", "application/json", "schema"), value, "$"); err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	return nil
}

// checkResponse is validateResponse returning the first mismatch.
func (s *apiSpec) checkResponse(method, routePath string, status int, contentType, body string) error {
	path, op, err := s.findOperation(method, routePath)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s %s %d", strings.ToUpper(method), path, status)
	responses, _ := op["responses"].(map[string]any)
	node, ok := responses[strconv.Itoa(status)]
	if !ok {
		node, ok = responses[fmt.Sprintf("%dXX", status/100)]
	}
	if !ok {
		node, ok = responses["default"]
	}
	if !ok {
		return fmt.Errorf("%s: status %d is not documented for the operation", where, status)
	}
	resp, err := s.deref(node)
	if err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if body != "" {
			return fmt.Errorf("%s: the response documents no body, but one was sent", where)
		}
		return nil
	}
	mediaType := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	media, ok := content[mediaType].(map[string]any)
	if !ok {
		var documented []string
		for mt := range content {
			documented = append(documented, mt)
		}
		sort.Strings(documented)
		return fmt.Errorf("%s: content type %q is not documented (documented: %s)", where, contentType, strings.Join(documented, ", "))
	}
	if mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json") {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return fmt.Errorf("%s: the body is not JSON: %v", where, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: the body has data after the JSON value", where)
	}
	if schema, ok := media["schema"]; ok {
		if err := s.validate(schema, value, "$"); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	}
	if codes, ok := resp["x-error-codes"].([]any); ok {
		code, _ := lookupJSON(value, "error", "code").(string)
		if !slices.Contains(codes, any(code)) {
			return fmt.Errorf("%s: error code %q is not in the response's x-error-codes %v", where, code, codes)
		}
	}
	return nil
}

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

// schemaKeywords are the JSON Schema keywords the validator understands. A schema using another
// one is an error, so the validator never silently accepts what it cannot check.
var schemaKeywords = map[string]bool{
	"$ref": true, "type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true, "pattern": true, "format": true, "minimum": true,
	"maximum": true, "minLength": true, "maxLength": true, "minItems": true, "maxItems": true,
	"oneOf": true, "anyOf": true, "allOf": true,
	// annotations
	"description": true, "title": true, "default": true, "example": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true,
}

// validate checks a JSON value (decoded with UseNumber) against a schema and returns the first
// mismatch, naming its JSON path ($.items[0].status).
func (s *apiSpec) validate(schema, value any, path string) error {
	if b, ok := schema.(bool); ok {
		if !b {
			return fmt.Errorf("%s: no value is allowed here", path)
		}
		return nil
	}
	sch, ok := schema.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: the schema is a %T, not an object", path, schema)
	}
	for k := range sch {
		if !schemaKeywords[k] && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("%s: the schema uses %q, which the validator does not support", path, k)
		}
	}
	if ref, ok := sch["$ref"].(string); ok {
		target, err := s.pointer(ref)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if err := s.validate(target, value, path); err != nil {
			return err
		}
	}
	if t, ok := sch["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(want string) bool { return hasJSONType(value, want) }) {
			return fmt.Errorf("%s: %s is not of type %s", path, describeJSON(value), strings.Join(types, " or "))
		}
	}
	if enum, ok := sch["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return sameJSONValue(e, value) }) {
			return fmt.Errorf("%s: %s is not one of %v", path, describeJSON(value), enum)
		}
	}
	if c, ok := sch["const"]; ok && !sameJSONValue(c, value) {
		return fmt.Errorf("%s: %s is not %v", path, describeJSON(value), c)
	}
	switch v := value.(type) {
	case string:
		if err := s.validateString(sch, v, path); err != nil {
			return err
		}
	case json.Number:
		f, _ := v.Float64()
		if min, ok := schemaNumber(sch["minimum"]); ok && f < min {
			return fmt.Errorf("%s: %s is less than the minimum %v", path, v, min)
		}
		if max, ok := schemaNumber(sch["maximum"]); ok && f > max {
			return fmt.Errorf("%s: %s is more than the maximum %v", path, v, max)
		}
	case []any:
		if n, ok := schemaNumber(sch["minItems"]); ok && float64(len(v)) < n {
			return fmt.Errorf("%s: %d items, fewer than %v", path, len(v), n)
		}
		if n, ok := schemaNumber(sch["maxItems"]); ok && float64(len(v)) > n {
			return fmt.Errorf("%s: %d items, more than %v", path, len(v), n)
		}
		if items, ok := sch["items"]; ok {
			for i, x := range v {
				if err := s.validate(items, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		if err := s.validateObject(sch, v, path); err != nil {
			return err
		}
	}
	if all, ok := sch["allOf"].([]any); ok {
		for _, sub := range all {
			if err := s.validate(sub, value, path); err != nil {
				return err
			}
		}
	}
	if anyOf, ok := sch["anyOf"].([]any); ok {
		var first error
		for _, sub := range anyOf {
			err := s.validate(sub, value, path)
			if err == nil {
				first = nil
				break
			}
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return fmt.Errorf("%s: matches none of anyOf (first: %v)", path, first)
		}
	}
	if oneOf, ok := sch["oneOf"].([]any); ok {
		matched := 0
		var errs []string
		for _, sub := range oneOf {
			if err := s.validate(sub, value, path); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			matched++
		}
		if matched != 1 {
			return fmt.Errorf("%s: matches %d of oneOf's %d schemas, want exactly 1 (%s)", path, matched, len(oneOf), strings.Join(errs, "; "))
		}
	}
	return nil
}

func (s *apiSpec) validateString(sch map[string]any, v, path string) error {
	if n, ok := schemaNumber(sch["minLength"]); ok && float64(utf8.RuneCountInString(v)) < n {
		return fmt.Errorf("%s: %q is shorter than %v characters", path, v, n)
	}
	if n, ok := schemaNumber(sch["maxLength"]); ok && float64(utf8.RuneCountInString(v)) > n {
		return fmt.Errorf("%s: %q is longer than %v characters", path, v, n)
	}
	if p, ok := sch["pattern"].(string); ok {
		re, err := s.pattern(p)
		if err != nil {
			return fmt.Errorf("%s: pattern %q: %v", path, p, err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("%s: %q does not match the pattern %s", path, v, p)
		}
	}
	switch f, _ := sch["format"].(string); f {
	case "":
	case "date-time":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return fmt.Errorf("%s: %q is not an RFC 3339 date-time", path, v)
		}
	case "email":
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return fmt.Errorf("%s: %q is not an e-mail address", path, v)
		}
	default:
		return fmt.Errorf("%s: format %q is not supported by the validator", path, f)
	}
	return nil
}

func (s *apiSpec) validateObject(sch map[string]any, v map[string]any, path string) error {
	props, _ := sch["properties"].(map[string]any)
	if req, ok := sch["required"].([]any); ok {
		for _, r := range req {
			if _, ok := v[fmt.Sprint(r)]; !ok {
				return fmt.Errorf("%s.%v: required property is missing", path, r)
			}
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ps, ok := props[k]; ok {
			if err := s.validate(ps, v[k], path+"."+k); err != nil {
				return err
			}
			continue
		}
		if extra, ok := sch["additionalProperties"]; ok {
			if b, isBool := extra.(bool); isBool && !b {
				return fmt.Errorf("%s.%s: property is not in the schema (additionalProperties is false)", path, k)
			}
			if err := s.validate(extra, v[k], path+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *apiSpec) pattern(p string) (*regexp.Regexp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if re, ok := s.patterns[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	s.patterns[p] = re
	return re, nil
}

// hasJSONType reports whether a JSON value is of a JSON Schema type.
func hasJSONType(v any, typ string) bool {
	switch typ {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if _, err := n.Int64(); err == nil {
			return true
		}
		f, err := n.Float64()
		return err == nil && f == float64(int64(f))
	}
	return false
}

// sameJSONValue compares a value from the spec (YAML) with one from a body (JSON with UseNumber).
func sameJSONValue(specValue, value any) bool {
	a, aNum := schemaNumber(specValue)
	b, bNum := schemaNumber(value)
	if aNum || bNum {
		return aNum && bNum && a == b
	}
	ja, err1 := json.Marshal(specValue)
	jb, err2 := json.Marshal(value)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// schemaNumber returns a numeric keyword or value as float64.
func schemaNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// --- the spec against httpapi.Routes

func TestOpenAPIDescribesEveryRouteOnce(t *testing.T) {
	s := openAPI(t)
	if v, _ := s.doc["openapi"].(string); v != "3.1.0" {
		t.Errorf("openapi is %q, want 3.1.0", v)
	}
	ops := s.operations()
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
		id, _ := op["operationId"].(string)
		if id != rt.Function {
			t.Errorf("%s: operationId %q, want the function's name %q", key, id, rt.Function)
		}
		if other, dup := operationIDs[id]; dup {
			t.Errorf("operationId %q is used by %s and %s", id, other, key)
		}
		operationIDs[id] = key

		sec, explicit := op["security"]
		if !explicit {
			sec = s.doc["security"]
		}
		want := map[string][]string{httpapi.AuthJWT: {"bearerJWT"}, httpapi.AuthIAM: {"iamSigV4"}, httpapi.AuthNone: {}}[rt.Auth]
		if got := securitySchemesOf(sec); !slices.Equal(got, want) || (rt.Auth == httpapi.AuthNone && !explicit) {
			t.Errorf("%s: security %v (explicit %v), want %v for auth %q", key, got, explicit, want, rt.Auth)
		}

		params := map[string]map[string]any{} // "in name" → parameter
		for _, p := range yamlList(op["parameters"]) {
			pm, err := s.deref(p)
			if err != nil {
				t.Errorf("%s: parameter: %v", key, err)
				continue
			}
			params[fmt.Sprint(pm["in"], " ", strings.ToLower(fmt.Sprint(pm["name"])))] = pm
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
				if p["required"] != true {
					t.Errorf("%s: path parameter %s is not required", key, name)
				}
			}
		}
		sort.Strings(inPath)
		sort.Strings(declared)
		if !slices.Equal(inPath, declared) {
			t.Errorf("%s: path parameters %v declared, the path has %v", key, declared, inPath)
		}
		responses, _ := op["responses"].(map[string]any)
		success := false
		for status := range responses {
			success = success || strings.HasPrefix(status, "2")
		}
		if !success {
			t.Errorf("%s: no success response", key)
		}
	}
}

// securitySchemesOf returns the scheme names of a security requirement list, one entry per requirement.
func securitySchemesOf(sec any) []string {
	out := []string{}
	for _, req := range yamlList(sec) {
		m, _ := req.(map[string]any)
		var names []string
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		out = append(out, strings.Join(names, "+"))
	}
	return out
}

func yamlList(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestOpenAPIIsWellFormed checks what the route test does not: every $ref resolves, every
// schema uses only what validateResponse supports, required properties exist, patterns compile,
// security schemes are declared and error responses use the one Error schema.
func TestOpenAPIIsWellFormed(t *testing.T) {
	s := openAPI(t)
	var walk func(node any, at string)
	walk = func(node any, at string) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				if _, err := s.pointer(ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, v := range n {
				walk(v, at+"/"+k)
			}
		case []any:
			for i, v := range n {
				walk(v, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(s.doc, "#")

	schemas, _ := lookupJSON(s.doc, "components", "schemas").(map[string]any)
	for _, name := range []string{"Error", "Blocker"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("components/schemas has no %s", name)
		}
	}
	var checkSchema func(node any, at string)
	checkSchema = func(node any, at string) {
		sch, ok := node.(map[string]any)
		if !ok {
			return
		}
		for k := range sch {
			if !schemaKeywords[k] && !strings.HasPrefix(k, "x-") {
				t.Errorf("%s: keyword %q is not supported by the validator", at, k)
			}
		}
		props, _ := sch["properties"].(map[string]any)
		for _, r := range yamlList(sch["required"]) {
			if _, ok := props[fmt.Sprint(r)]; !ok {
				t.Errorf("%s: required %q is not a property", at, r)
			}
		}
		if p, ok := sch["pattern"].(string); ok {
			if _, err := regexp.Compile(p); err != nil {
				t.Errorf("%s: pattern %q: %v", at, p, err)
			}
		}
		if f, ok := sch["format"].(string); ok && f != "date-time" && f != "email" {
			t.Errorf("%s: format %q is not supported by the validator", at, f)
		}
		for name, p := range props {
			checkSchema(p, at+"/properties/"+name)
		}
		checkSchema(sch["items"], at+"/items")
		if ap, ok := sch["additionalProperties"].(map[string]any); ok {
			checkSchema(ap, at+"/additionalProperties")
		}
		for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
			for i, sub := range yamlList(sch[kw]) {
				checkSchema(sub, fmt.Sprintf("%s/%s/%d", at, kw, i))
			}
		}
	}
	for name, sch := range schemas {
		checkSchema(sch, "#/components/schemas/"+name)
	}

	schemes, _ := lookupJSON(s.doc, "components", "securitySchemes").(map[string]any)
	for key, op := range s.operations() {
		sec, ok := op["security"]
		if !ok {
			sec = s.doc["security"]
		}
		for _, names := range securitySchemesOf(sec) {
			for _, name := range strings.Split(names, "+") {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security scheme %q is not declared", key, name)
				}
			}
		}
		responses, _ := op["responses"].(map[string]any)
		for status, node := range responses {
			resp, err := s.deref(node)
			if err != nil {
				t.Errorf("%s %s: %v", key, status, err)
				continue
			}
			if !strings.HasPrefix(status, "4") && !strings.HasPrefix(status, "5") {
				continue
			}
			ref, _ := lookupJSON(resp, "content", "application/json", "schema", "$ref").(string)
			if ref != "#/components/schemas/Error" {
				t.Errorf("%s %s: the JSON schema is %q, want the Error schema", key, status, ref)
			}
			codes := yamlList(resp["x-error-codes"])
			if len(codes) == 0 {
				t.Errorf("%s %s: no x-error-codes", key, status)
			}
			desc, _ := resp["description"].(string)
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
		got := yamlList(lookupJSON(schemas, name, "enum"))
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

// --- the validator itself

const validatorTestSpec = `
openapi: 3.1.0
paths:
  /things/{id}:
    get:
      responses:
        '200':
          description: ok
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
  /odd:
    get:
      responses:
        '200':
          description: uses a keyword the validator does not know
          content:
            application/json:
              schema: {type: object, patternProperties: {'^x': {type: string}}}
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [id, at, kind]
      properties:
        id: {type: string, pattern: '^[a-z]+$'}
        at: {type: string, format: date-time}
        kind: {type: string, enum: [small, large]}
        size: {type: integer, minimum: 1, maximum: 3}
        months: {type: integer, enum: [3, 12]}
        note: {type: [string, 'null']}
        tags: {type: array, maxItems: 2, items: {type: string}}
        child: {$ref: '#/components/schemas/Child'}
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

func TestValidatorCatchesMismatches(t *testing.T) {
	s, err := parseSpec([]byte(validatorTestSpec))
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
		wantError string // "" when the response is valid; else a substring of the error
	}{
		{"valid_body_passes", "/things/{id}", 200, "application/json", valid, ""},
		{"optional_fields_pass", "/things/{id}", 200, "application/json; charset=utf-8",
			with(`"size":3,"months":12,"note":null,"tags":["a"],"child":{"name":"n"},"either":{"a":true}`), ""},
		{"concrete_request_path_finds_the_operation", "/things/xyz", 200, "application/json", valid, ""},
		{"literal_path_wins_over_a_template", "/things/special", 204, "", "", ""},
		{"missing_required_field", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01T09:00:00Z"}`, "$.kind: required"},
		{"extra_property", "/things/{id}", 200, "application/json", with(`"colour":"red"`), "$.colour: property is not in the schema"},
		{"wrong_type", "/things/{id}", 200, "application/json", with(`"size":"2"`), `$.size: "2" is not of type integer`},
		{"fraction_is_not_an_integer", "/things/{id}", 200, "application/json", with(`"size":1.5`), "$.size: number 1.5 is not of type integer"},
		{"null_where_not_nullable", "/things/{id}", 200, "application/json", `{"id":null,"at":"2027-03-01T09:00:00Z","kind":"small"}`, "$.id: null is not of type string"},
		{"wrong_type_among_several", "/things/{id}", 200, "application/json", with(`"note":5`), "$.note: number 5 is not of type string or null"},
		{"bad_enum", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01T09:00:00Z","kind":"medium"}`, `$.kind: "medium" is not one of`},
		{"bad_numeric_enum", "/things/{id}", 200, "application/json", with(`"months":6`), "$.months: number 6 is not one of"},
		{"bad_date_time", "/things/{id}", 200, "application/json", `{"id":"abc","at":"2027-03-01 09:00","kind":"small"}`, "$.at: \"2027-03-01 09:00\" is not an RFC 3339 date-time"},
		{"pattern_mismatch", "/things/{id}", 200, "application/json", `{"id":"ABC","at":"2027-03-01T09:00:00Z","kind":"small"}`, "$.id: \"ABC\" does not match"},
		{"above_maximum", "/things/{id}", 200, "application/json", with(`"size":4`), "$.size: 4 is more than the maximum"},
		{"below_minimum", "/things/{id}", 200, "application/json", with(`"size":0`), "$.size: 0 is less than the minimum"},
		{"too_many_items", "/things/{id}", 200, "application/json", with(`"tags":["a","b","c"]`), "$.tags: 3 items"},
		{"wrong_item_type", "/things/{id}", 200, "application/json", with(`"tags":["a",1]`), "$.tags[1]: number 1 is not of type string"},
		{"mismatch_behind_a_ref", "/things/{id}", 200, "application/json", with(`"child":{"name":""}`), "$.child.name: \"\" is shorter"},
		{"extra_property_behind_a_ref", "/things/{id}", 200, "application/json", with(`"child":{"name":"n","age":3}`), "$.child.age: property is not in the schema"},
		{"one_of_none_matches", "/things/{id}", 200, "application/json", with(`"either":5`), "$.either: matches 0 of oneOf"},
		{"one_of_wrong_branch_content", "/things/{id}", 200, "application/json", with(`"either":{"a":"yes"}`), "$.either: matches 0 of oneOf"},
		{"body_not_json", "/things/{id}", 200, "application/json", `<html>`, "the body is not JSON"},
		{"array_instead_of_object", "/things/{id}", 200, "application/json", `[]`, "$: an array is not of type object"},
		{"html_checked_for_content_type_only", "/things/{id}", 200, "text/html; charset=utf-8", "<p>hi</p>", ""},
		{"undocumented_content_type", "/things/{id}", 200, "text/plain", "hi", `content type "text/plain" is not documented`},
		{"undocumented_status", "/things/{id}", 500, "application/json", `{"error":{"code":"internal_error"}}`, "status 500 is not documented"},
		{"documented_error_code", "/things/{id}", 404, "application/json", `{"error":{"code":"thing_not_found"}}`, ""},
		{"undocumented_error_code", "/things/{id}", 404, "application/json", `{"error":{"code":"other"}}`, `error code "other" is not in the response's x-error-codes`},
		{"unknown_route", "/nothing", 200, "application/json", `{}`, "the spec has no operation GET /nothing"},
		{"body_where_none_is_documented", "/things/special", 204, "application/json", `{}`, "documents no body"},
		{"unsupported_keyword_is_an_error_not_a_pass", "/odd", 200, "application/json", `{"xa":1}`, `"patternProperties", which the validator does not support`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.checkResponse("GET", tc.path, tc.status, tc.ct, tc.body)
			switch {
			case tc.wantError == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tc.wantError != "" && err == nil:
				t.Fatalf("got no error, want one containing %q", tc.wantError)
			case tc.wantError != "" && !strings.Contains(err.Error(), tc.wantError):
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
		rt, _, _ := apigw.Match(method, strings.Split(target, "?")[0])
		validateResponse(t, method, rt.Path, r.Status, r.Headers["Content-Type"], r.Raw)
		if r.Status < 300 {
			// The service accepted the body, so the spec must describe it as valid.
			if err := openAPI(t).checkRequest(method, rt.Path, body); err != nil {
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

		task := check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":"Bokslut","assignees":["b","a","b"]}`, 200, "")
		if got := fmt.Sprint(task.JSON["assignees"]); got != "[a b]" {
			t.Errorf("assignees %s, want sorted without duplicates", got)
		}
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":"Inga"}`, 200, "")
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"9999","name":"Bokslut"}`, 404, "customer_not_found")
		check(t, user(w.oa), "PUT", office+"/tasks/"+rid("task"), `{"customerNo":"1004","name":""}`, 422, "field_required")
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
		if len(yamlList(got.JSON["history"])) != 2 {
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

		check(t, user(w.ca), "PATCH", co+"/users/"+newUser, `{"role":"administrator"}`, 200, "")
		check(t, user(w.ca), "PATCH", co+"/users/"+w.ca, `{"role":"user"}`, 409, "main_contact_demotion")
		check(t, user(w.ca), "PATCH", co+"/users/"+rid("u"), `{"role":"user"}`, 404, "user_not_found")
		check(t, user(w.ca), "PATCH", co+"/users/"+newUser, `{"role":1}`, 422, "field_invalid")

		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+newUser+`"}`, 200, "")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+w.cu+`"}`, 409, "user_not_administrator")
		check(t, user(w.cu), "PUT", co+"/main-contact", `{"userId":"`+w.ca+`"}`, 403, "administrator_required")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{}`, 422, "field_required")
		check(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+w.ca+`"}`, 200, "")

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

	t.Run("end", func(t *testing.T) {
		check(t, user(w.ca), "GET", "/collaborations/"+active+"/end-check?outcome=continue", "", 200, "")
		check(t, user(w.oe), "GET", "/collaborations/"+pending+"/end-check?outcome=end_subscription", "", 200, "")
		check(t, user(w.ca), "GET", "/collaborations/"+active+"/end-check", "", 422, "outcome_invalid")
		check(t, user(w.cu), "GET", "/collaborations/"+active+"/end-check?outcome=continue", "", 403, "administrator_required")

		payroll := h.active(t, w, "1001", "payroll", "")
		blocked := check(t, user(w.oe), "POST", "/collaborations/"+payroll+"/end", `{"outcome":"end_subscription"}`, 409, "payroll_handover_incomplete")
		if len(yamlList(lookupJSON(blocked.JSON, "error", "blockers"))) != 1 {
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
	})

	for _, rt := range httpapi.Routes {
		if !seen[rt.Function]["2xx"] || !seen[rt.Function]["4xx"] {
			t.Errorf("%s: responses validated %v, want a success and an error", rt.Function, seen[rt.Function])
		}
	}
}
