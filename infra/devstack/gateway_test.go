package devstack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
	"github.com/spiris/collab/infra/samtemplate"
)

// devOrigin stands for a web client's development server, allowed through Options.CorsOrigins.
const devOrigin = "http://localhost:5173"

// TestTheLocalRunnerAnswersLikeAPIGateway starts the local runner on a free loopback port and
// checks what a client of the HTTP API would notice: CORS as template.yaml's CorsConfiguration
// declares it, JSON for requests no route matches, the OpenAPI document, and one log line per
// request that names the route and carries the request id but no token or e-mail address.
func TestTheLocalRunnerAnswersLikeAPIGateway(t *testing.T) {
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := &logLines{}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "gw" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: logs, CorsOrigins: []string{devOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	tpl, tplPath, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	cors := tpl.HTTPAPIs[0].CORS
	token, err := stack.Token("emp-eva")
	if err != nil {
		t.Fatal(err)
	}
	send := func(t *testing.T, method, path string, headers ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, stack.URL+path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	corsHeaders := func(h http.Header) []string {
		var out []string
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				out = append(out, k)
			}
		}
		return out
	}

	t.Run("a_preflight_from_an_allowed_origin_gets_204_with_the_templates_cors", func(t *testing.T) {
		// The template's origins (its CorsOrigins parameter), the runner's own, and one added locally.
		for _, origin := range append(slices.Clone(cors.AllowOrigins), stack.URL, devOrigin) {
			resp, body := send(t, "OPTIONS", "/offices/office-1/collaborations", "Origin", origin,
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
			if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
				t.Errorf("%s: preflight answered %d %q, want 204 and no body", origin, resp.StatusCode, body)
			}
			for _, h := range [][2]string{
				{"Access-Control-Allow-Origin", origin},
				{"Access-Control-Allow-Methods", strings.Join(cors.AllowMethods, ",")},
				{"Access-Control-Allow-Headers", strings.Join(cors.AllowHeaders, ",")},
				{"Access-Control-Max-Age", strconv.Itoa(cors.MaxAge)},
			} {
				if got := resp.Header.Get(h[0]); got != h[1] {
					t.Errorf("%s: %s is %q, want %q", origin, h[0], got, h[1])
				}
			}
		}
	})

	t.Run("a_preflight_from_another_origin_gets_no_cors_headers", func(t *testing.T) {
		resp, _ := send(t, "OPTIONS", "/offices/office-1/collaborations", "Origin", "https://evil.example",
			"Access-Control-Request-Method", "POST")
		if resp.StatusCode != http.StatusNoContent || len(corsHeaders(resp.Header)) > 0 {
			t.Errorf("preflight from another origin answered %d with %v, want 204 without CORS headers", resp.StatusCode, corsHeaders(resp.Header))
		}
	})

	t.Run("a_response_to_an_allowed_origin_allows_it_and_exposes_the_headers", func(t *testing.T) {
		for _, origin := range []string{cors.AllowOrigins[0], devOrigin} {
			resp, body := send(t, "GET", "/offices/office-1/collaborations", "Origin", origin, "Authorization", "Bearer "+token)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("office overview answered %d %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("%s: Access-Control-Allow-Origin is %q", origin, got)
			}
			if got, want := resp.Header.Get("Access-Control-Expose-Headers"), strings.Join(cors.ExposeHeaders, ","); got != want {
				t.Errorf("%s: Access-Control-Expose-Headers is %q, want %q", origin, got, want)
			}
		}
		resp, _ := send(t, "GET", "/offices/office-1/collaborations", "Origin", "https://evil.example", "Authorization", "Bearer "+token)
		if got := corsHeaders(resp.Header); resp.StatusCode != http.StatusOK || len(got) > 0 {
			t.Errorf("response to another origin: %d with %v, want 200 without CORS headers", resp.StatusCode, got)
		}
	})

	t.Run("a_request_no_route_matches_gets_a_json_404_with_a_code_and_a_fix", func(t *testing.T) {
		for _, tc := range []struct{ method, path, code string }{
			{"GET", "/no/such/route", "route_not_found"},
			{"GET", "/offices/office-1/collaborationz", "route_not_found"},
			{"DELETE", "/offices/office-1/collaborations", "method_not_allowed"},
			{"OPTIONS", "/offices/office-1/collaborations", "method_not_allowed"}, // not a preflight: no Origin
			{"PUT", "/_local/mail", "method_not_allowed"},
		} {
			resp, body := send(t, tc.method, tc.path, "Authorization", "Bearer "+token)
			var got struct {
				Message string `json:"message"`
				Error   struct{ Code, Message, Fix string }
			}
			if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusNotFound ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %s %q (%v), want a JSON 404", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
				continue
			}
			if got.Message != "Not Found" || got.Error.Code != tc.code || got.Error.Message == "" || got.Error.Fix == "" {
				t.Errorf("%s %s: body %s, want API Gateway's message and code %s with a message and a fix", tc.method, tc.path, body, tc.code)
			}
		}
		_, body := send(t, "DELETE", "/offices/office-1/collaborations")
		if !strings.Contains(string(body), "GET or POST") {
			t.Errorf("a method the path lacks: %s, want the fix to name GET or POST", body)
		}
	})

	t.Run("the_openapi_document_is_served_as_yaml", func(t *testing.T) {
		want, err := os.ReadFile(filepath.Join(filepath.Dir(tplPath), devstack.OpenAPIFile))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := send(t, "GET", "/openapi.yaml", "Origin", devOrigin)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" || string(body) != string(want) {
			t.Errorf("GET /openapi.yaml: %d %s, %d bytes; want 200 application/yaml with the %d bytes of %s",
				resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(want), devstack.OpenAPIFile)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != devOrigin {
			t.Errorf("the OpenAPI document is not readable from an allowed origin")
		}
	})

	t.Run("each_request_logs_one_line_with_its_route_status_and_request_id_and_no_secrets", func(t *testing.T) {
		const invitation = "inv-Secret-Token-4711"
		for _, tc := range []struct {
			method, path, route, target string
			status                      int
			headers                     []string
		}{
			{"GET", "/invitations/" + invitation, "route", "/invitations/{token}", 0, nil},
			{"GET", "/offices/office-1/collaborations", "route", "/offices/{officeId}/collaborations", 200, []string{"Authorization", "Bearer " + token}},
			{"GET", "/offices/office-1/collaborations", "route", "/offices/{officeId}/collaborations", 401, nil},
			{"PUT", "/offices/office-1/employees/anna@example.com", "route", "/offices/{officeId}/employees/{userId}", 0, []string{"Authorization", "Bearer " + token}},
			{"GET", "/invitations/" + invitation + "/anna@example.com", "path", "/invitations/*/*", 404, nil},
			{"OPTIONS", "/invitations/" + invitation + "/accept", "route", "/invitations/{token}/accept", 204,
				[]string{"Origin", devOrigin, "Access-Control-Request-Method", "POST"}},
			{"GET", "/openapi.yaml", "route", "/openapi.yaml", 200, nil},
		} {
			resp, _ := send(t, tc.method, tc.path, tc.headers...)
			id := resp.Header.Get(devstack.RequestIDHeader)
			if id == "" {
				t.Errorf("%s %s: no %s header", tc.method, tc.path, devstack.RequestIDHeader)
				continue
			}
			lines := logs.waitFor(t, "request_id", id)
			if len(lines) != 1 {
				t.Errorf("%s %s: %d log lines with request id %s, want 1", tc.method, tc.path, len(lines), id)
				continue
			}
			l := lines[0]
			if l["msg"] != "request" || l["method"] != tc.method || l[tc.route] != tc.target ||
				l["status"] != strconv.Itoa(resp.StatusCode) || (tc.status != 0 && resp.StatusCode != tc.status) {
				t.Errorf("%s %s answered %d, logged %v; want %s=%s and the status", tc.method, tc.path, resp.StatusCode, l, tc.route, tc.target)
			}
			if _, err := strconv.ParseFloat(l["duration_ms"], 64); err != nil {
				t.Errorf("%s %s: duration_ms %q: %v", tc.method, tc.path, l["duration_ms"], err)
			}
		}
		for _, l := range logs.raw() {
			if !strings.Contains(l, "msg=request ") {
				continue
			}
			if strings.Contains(l, invitation) || strings.Contains(l, token) || strings.Contains(l, "Bearer") || strings.Contains(l, "@") {
				t.Errorf("a request log line holds a token or an e-mail address: %s", l)
			}
		}
	})
}

// logLines keeps the stack's log lines (slog's text format, logfmt).
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	l.mu.Lock()
	defer l.mu.Unlock()
	for sc.Scan() {
		l.lines = append(l.lines, sc.Text())
	}
	return len(p), nil
}

func (l *logLines) raw() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

var logfmtPair = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// waitFor returns the parsed lines whose key has value, waiting a little for the line to be
// written.
func (l *logLines) waitFor(t *testing.T, key, value string) []map[string]string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		var out []map[string]string
		for _, line := range l.raw() {
			fields := map[string]string{}
			for _, m := range logfmtPair.FindAllStringSubmatch(line, -1) {
				v := m[2]
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				}
				fields[m[1]] = v
			}
			if fields[key] == value {
				out = append(out, fields)
			}
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}
