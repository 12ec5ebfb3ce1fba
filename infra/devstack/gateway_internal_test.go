package devstack

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/infra/samtemplate"
)

// TestTheHandlerGetsTheRequestIDOfTheResponseAndTheLogLine serves a public route through the
// gateway on a loopback port, with a handler that keeps the event it gets: the event's
// requestContext.requestId is the id in the response's Apigw-Requestid header and in the request's
// log line, so a client's report finds the handler's own log lines.
func TestTheHandlerGetsTheRequestIDOfTheResponseAndTheLogLine(t *testing.T) {
	var logs syncBuffer
	s := &Stack{log: slog.New(slog.NewTextHandler(&logs, nil))}
	got := make(chan events.APIGatewayV2HTTPRequest, 1)
	route := samtemplate.Route{Method: "GET", Path: "/invitations/{token}", Authorizer: "NONE"}
	mux := http.NewServeMux()
	mux.Handle(route.Method+" "+route.Path, s.api(route, func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got <- e
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: "{}"}, nil
	}))
	srv := httptest.NewServer(newGateway(mux, []string{route.Method + " " + route.Path}, nil, s.log))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/invitations/secret-token-123")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e := <-got
	id := resp.Header.Get(RequestIDHeader)
	if id == "" || e.RequestContext.RequestID != id {
		t.Fatalf("the handler got request id %q, the response says %q", e.RequestContext.RequestID, id)
	}
	if got, want := e.PathParameters["token"], "secret-token-123"; got != want {
		t.Errorf("token path parameter: got %q, want %q", got, want)
	}
	line := logs.String()
	if !strings.Contains(line, "request_id="+id) && !strings.Contains(line, `request_id="`+id+`"`) {
		t.Errorf("log %q does not carry request id %s", line, id)
	}
	if strings.Contains(line, "secret-token-123") || !strings.Contains(line, "route=/invitations/{token}") {
		t.Errorf("log %q should name the route template, not the token", line)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
