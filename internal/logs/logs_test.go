package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestEveryLineCarriesTheIdsOfItsInvocationAndColdStartOnlyOnTheFirst(t *testing.T) {
	invoked.Store(false)
	var b bytes.Buffer
	log := New(&b)
	invoke := func(request string) context.Context {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: request,
			InvokedFunctionArn: "arn:aws:lambda:eu-north-1:123456789012:function:EndFunction"})
		ctx = context.WithValue(ctx, "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
		return WithCollaboration(WithAPIRequest(Invocation(ctx), "api-"+request), "c-1")
	}
	log.InfoContext(invoke("r-1"), "first")
	log.InfoContext(invoke("r-2"), "second")
	got := lines(t, &b)
	for i, want := range []map[string]any{
		{"msg": "first", "function": "EndFunction", "request_id": "r-1", "api_request_id": "api-r-1", "collaboration_id": "c-1",
			"trace_id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", "cold_start": true},
		{"msg": "second", "function": "EndFunction", "request_id": "r-2", "api_request_id": "api-r-2", "collaboration_id": "c-1"},
	} {
		for k, v := range want {
			if got[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v\n%v", i, k, got[i][k], v, got[i])
			}
		}
	}
	if _, ok := got[1]["cold_start"]; ok {
		t.Errorf("the second invocation is not a cold start: %v", got[1])
	}
}

func TestNoAddressOrTokenReachesALine(t *testing.T) {
	var b bytes.Buffer
	token := "c0ffee~" + strings.Repeat("A", 43)
	New(&b).Error("send failed to anna.svensson@example.se: "+token,
		"error", errors.New(`MessageRejected: Email address is not verified. The following identities failed the check in region EU-NORTH-1: "Anna" <anna.svensson@example.se>`).Error(),
		"link", "https://collab.test/invitations/"+token)
	out := b.String()
	for _, secret := range []string{"anna.svensson", "example.se", strings.Repeat("A", 43)} {
		if strings.Contains(out, secret) {
			t.Errorf("%q reached the log: %s", secret, out)
		}
	}
	if !strings.Contains(out, "<address>") || !strings.Contains(out, "c0ffee~<secret>") {
		t.Errorf("redactions not marked: %s", out)
	}
}

func TestRedactTakesOutEveryAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Email address is not verified. The following identities failed the check in region EU-NORTH-1: no-reply+x@collab.test, anna@kund.se",
			"Email address is not verified. The following identities failed the check in region EU-NORTH-1: <address>, <address>"},
		{"Email address not verified Spiris <no-reply@collab.test>", "Email address not verified Spiris <<address>>"},
		{`"anna@kund.se" (Anna)`, `"<address>" (Anna)`},
		{"to anna@ and @kund.se", "to <address> and @kund.se"},
		{"åsa@exempel.se", "<address>"},
		{"Missing final '@domain'", "Missing final '@domain'"},
		{"Maximum sending rate exceeded.", "Maximum sending rate exceeded."},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
