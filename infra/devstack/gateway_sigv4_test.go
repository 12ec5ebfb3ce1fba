package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/collab"
)

// TestTheIAMRoutesTakeOnlyRequestsSignedByAKeyTheStackKnows serves an IAM route through the
// gateway on a loopback port and signs requests with the SDK's Signature Version 4 signer, as a
// solution's integration does: a request signed by a simulated solution's key reaches the
// handler as that solution's role; an unsigned one, a tampered body, path or query, an unknown
// key, another region or service, and a signature older than 5 minutes get 403 with a code,
// and never reach the handler.
func TestTheIAMRoutesTakeOnlyRequestsSignedByAKeyTheStackKnows(t *testing.T) {
	const region = "eu-north-1"
	keys := newIntegrations()
	i := slices.IndexFunc(keys, func(k Integration) bool { return k.Solution == "payroll" })
	if i < 0 || len(keys) != len(collab.Solutions) {
		t.Fatalf("integrations %+v, want one per solution", keys)
	}
	payroll := keys[i]
	s := &Stack{log: slog.New(slog.NewTextHandler(io.Discard, nil)), signatures: sigV4{keys: keys, region: region, now: time.Now}}
	got := make(chan events.APIGatewayV2HTTPRequest, 1)
	route := samtemplate.Route{Method: "POST", Path: "/collaborations/{id}/teardown/{step}", Authorizer: "AWS_IAM"}
	mux := http.NewServeMux()
	mux.Handle(route.Method+" "+route.Path, s.api(route, func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got <- e
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: "{}"}, nil
	}))
	srv := httptest.NewServer(newGateway(mux, []string{route.Method + " " + route.Path}, nil, s.log))
	defer srv.Close()

	const path, body = "/collaborations/c-1/teardown/hand_over_backup", `{"result":"done"}`
	type request struct {
		key           Integration
		region        string
		service       string
		at            time.Time
		path, query   string
		body, sentAs  string // what is signed, and what is sent instead when not empty
		sentPath      string
		unsigned      bool
		wantCode, arn string
	}
	send := func(t *testing.T, r request) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+r.path+r.query, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		if !r.unsigned {
			sum := sha256.Sum256([]byte(r.body))
			if err := v4.NewSigner().SignHTTP(context.Background(), r.key.Credentials(), req, hex.EncodeToString(sum[:]),
				r.service, r.region, r.at); err != nil {
				t.Fatal(err)
			}
		}
		if r.sentAs != "" {
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(r.sentAs)), int64(len(r.sentAs))
		}
		if r.sentPath != "" {
			req.URL.Path = r.sentPath
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b noRouteBody
		json.NewDecoder(resp.Body).Decode(&b)
		if resp.StatusCode == http.StatusForbidden && (b.Message != "Forbidden" || b.Error.Message == "" || !strings.Contains(b.Error.Fix, "dev.json")) {
			t.Errorf("403 body %+v: want Forbidden with a code, a message and a fix naming dev.json", b)
		}
		return resp.StatusCode, b.Error.Code
	}
	signed := request{key: payroll, region: region, service: SigningService, at: time.Now(), path: path, body: body}
	with := func(change func(*request)) request { r := signed; change(&r); return r }
	unknown := payroll
	unknown.AccessKeyID = "AKIAUNKNOWN"
	otherSecret := payroll
	otherSecret.SecretAccessKey = "not-the-secret"

	tests := []struct {
		name string
		req  request
		code string
	}{
		{"a_request_signed_by_a_solutions_key_is_taken_as_its_role", signed, ""},
		{"a_request_with_a_query_signed_is_taken", with(func(r *request) { r.query = "?b=2&a=x%20y&a=1" }), ""},
		{"a_request_signed_4_minutes_ago_is_taken", with(func(r *request) { r.at = time.Now().Add(-4 * time.Minute) }), ""},
		{"an_unsigned_request_is_refused", with(func(r *request) { r.unsigned = true }), "missing_authentication"},
		{"a_tampered_body_is_refused", with(func(r *request) { r.sentAs = `{"result":"fail"}` }), "signature_mismatch"},
		{"a_tampered_path_is_refused", with(func(r *request) { r.sentPath = "/collaborations/c-2/teardown/hand_over_backup" }), "signature_mismatch"},
		{"an_unknown_key_is_refused", with(func(r *request) { r.key = unknown }), "unknown_access_key"},
		{"a_wrong_secret_is_refused", with(func(r *request) { r.key = otherSecret }), "signature_mismatch"},
		{"another_region_is_refused", with(func(r *request) { r.region = "us-east-1" }), "credential_scope_invalid"},
		{"another_service_is_refused", with(func(r *request) { r.service = "sqs" }), "credential_scope_invalid"},
		{"a_signature_6_minutes_old_is_refused", with(func(r *request) { r.at = time.Now().Add(-6 * time.Minute) }), "signature_expired"},
		{"a_signature_6_minutes_ahead_is_refused", with(func(r *request) { r.at = time.Now().Add(6 * time.Minute) }), "signature_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := send(t, tt.req)
			if tt.code != "" {
				if status != http.StatusForbidden || code != tt.code {
					t.Errorf("got %d %q, want 403 %q", status, code, tt.code)
				}
				select {
				case e := <-got:
					t.Errorf("the handler got a refused request: %+v", e.RequestContext)
				default:
				}
				return
			}
			if status != http.StatusOK {
				t.Fatalf("got %d %q, want 200", status, code)
			}
			e := <-got
			if a := e.RequestContext.Authorizer; a == nil || a.IAM == nil || a.IAM.UserARN != payroll.RoleARN {
				t.Errorf("authorizer %+v, want the IAM role %s", a, payroll.RoleARN)
			}
			if e.Body != body {
				t.Errorf("body %q, want %q", e.Body, body)
			}
		})
	}
}
