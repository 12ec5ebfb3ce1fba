package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/logs"
)

// Handler is a Lambda handler for API Gateway HTTP API events.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Handle returns the handler of one route. It never returns an error or panics: every failure is
// an HTTP response, and anything unexpected is logged and answered 500 without details.
func Handle(s *actions.Service, rt Route) Handler {
	return func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
		began := time.Now()
		ctx = logs.WithAPIRequest(logs.Invocation(ctx), e.RequestContext.RequestID)
		if id := e.PathParameters["id"]; id != "" {
			ctx = logs.WithCollaboration(ctx, id)
		} else if id, _, err := collab.ParseToken(e.PathParameters["token"]); err == nil {
			ctx = logs.WithCollaboration(ctx, id) // the token names its collaboration
		}
		defer func() {
			if p := recover(); p != nil {
				s.Log.ErrorContext(ctx, "panic", "route", rt.Function, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				resp = errorResponse(s, ctx, rt, fmt.Errorf("panic: %v", p))
			}
			secureHeaders(&resp)
			s.Log.InfoContext(ctx, "request", "route", rt.Method+" "+rt.Path, "status", resp.StatusCode,
				"duration_ms", time.Since(began).Milliseconds())
		}()
		b, err := readBody(e)
		if err != nil {
			return errorResponse(s, ctx, rt, err), nil
		}
		r := &request{ctx: ctx, event: e, caller: callerOf(e), body: b}
		if rt.Function == "ShowInvitation" && wantsHTML(r.header("accept")) {
			return invitationPage(s, r), nil
		}
		if key := r.header("idempotency-key"); rt.Idempotent && key != "" {
			return idempotent(s, rt, r, key), nil
		}
		v, err := rt.handle(s, r)
		if err != nil {
			return errorResponse(s, ctx, rt, err), nil
		}
		if c, ok := v.(interface{ CollaborationID() string }); ok {
			ctx = logs.WithCollaboration(ctx, c.CollaborationID()) // the one it created
		}
		return jsonResponse(rt.status(), v), nil
	}
}

// idempotent serves a request that carries an Idempotency-Key: a retry with the same key and body
// gets the first response again without the work being redone; the same key with another body is
// refused. The response is stored in the same transaction as the work (actions.WithIdempotency).
func idempotent(s *actions.Service, rt Route, r *request, key string) events.APIGatewayV2HTTPResponse {
	if len(key) > 128 || strings.ContainsAny(key, "#\x00") {
		return errorResponse(s, r.ctx, rt, collab.Invalid("Idempotency-Key", "idempotency_key_invalid",
			"use at most 128 characters, such as a UUID", "the Idempotency-Key header is invalid"))
	}
	if r.caller.UserID == "" {
		return errorResponse(s, r.ctx, rt, collab.ErrUnauthenticated)
	}
	sum := sha256.Sum256([]byte(r.event.RawPath + "\n" + string(r.body)))
	hash := hex.EncodeToString(sum[:])
	scope := rt.Function + ":" + r.caller.UserID
	replay := func() (events.APIGatewayV2HTTPResponse, bool, error) {
		saved, ok, err := s.Store.SavedResponse(r.ctx, scope, key, s.Now())
		if err != nil || !ok {
			return events.APIGatewayV2HTTPResponse{}, ok, err
		}
		if saved.RequestHash != hash {
			return errorResponse(s, r.ctx, rt, collab.Invalid("Idempotency-Key", "idempotency_key_reused",
				"use a new key for a different request", "this Idempotency-Key was used for a different request")), true, nil
		}
		resp := rawJSON(saved.Status, saved.Body)
		resp.Headers["Idempotent-Replayed"] = "true"
		return resp, true, nil
	}
	// The stored response is looked up only when the action fails, which is how a retry ends: the
	// first request's changes make the domain refuse it, or its stored response makes the commit
	// fail. A first request thus costs no extra round trip.
	r.ctx = actions.WithIdempotency(r.ctx, port.Response{Scope: scope, Key: key, RequestHash: hash, Status: rt.status()})
	v, err := rt.handle(s, r)
	if err != nil {
		if resp, ok, rerr := replay(); rerr == nil && ok {
			return resp
		}
		return errorResponse(s, r.ctx, rt, err)
	}
	return jsonResponse(rt.status(), v)
}

// StatusOf maps an error kind to its HTTP status.
func StatusOf(kind string) int {
	switch kind {
	case EMALFORMED:
		return http.StatusBadRequest
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case collab.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case collab.EFORBIDDEN:
		return http.StatusForbidden
	case collab.ENOTFOUND:
		return http.StatusNotFound
	case collab.ECONFLICT:
		return http.StatusConflict
	case collab.EGONE:
		return http.StatusGone
	case collab.EINVALID:
		return http.StatusUnprocessableEntity
	case collab.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the one shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong (code, stable), in words (message) and what to do (fix).
type ErrorDetail struct {
	Code     string           `json:"code"`
	Message  string           `json:"message"`
	Fix      string           `json:"fix"`
	Field    string           `json:"field,omitempty"`
	Blockers []collab.Blocker `json:"blockers,omitempty"`
	// Administrators repeats the first blocker's, for a main_contact_missing refusal shown to a
	// caller who may set the main contact: the company's administrators to choose from.
	Administrators []collab.Candidate `json:"administrators,omitempty"`
}

func errorResponse(s *actions.Service, ctx context.Context, rt Route, err error) events.APIGatewayV2HTTPResponse {
	var e *collab.Error
	status := http.StatusInternalServerError
	detail := ErrorDetail{Code: "internal_error", Message: "something went wrong on our side",
		Fix: "try again later; if it keeps failing, contact support"}
	if !errors.As(err, &e) && throttled(err) {
		e = collab.ErrBusy // DynamoDB kept throttling past the SDK's retries
	}
	if e != nil {
		status = StatusOf(e.Kind)
		detail = ErrorDetail{Code: e.Code, Message: e.Message, Fix: e.Fix, Field: e.Field, Blockers: e.Blockers}
		if len(e.Blockers) > 0 {
			detail.Administrators = e.Blockers[0].Administrators
		}
	}
	if status >= 500 {
		s.Log.ErrorContext(ctx, "request failed", "route", rt.Function, "error", err.Error())
	}
	resp := jsonResponse(status, ErrorBody{Error: detail})
	if status == http.StatusServiceUnavailable {
		resp.Headers["Retry-After"] = "1"
	}
	return resp
}

// throttled reports whether err is an AWS throttling error (the codes the SDK retries as such).
func throttled(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return rawJSON(http.StatusInternalServerError, `{"error":{"code":"internal_error","message":"response encoding failed","fix":"contact support"}}`)
	}
	return rawJSON(status, string(b))
}

func rawJSON(status int, body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       body,
	}
}

// secureHeaders adds what every response carries, however it was built (JSON, the HTML page, an
// error, a replay, a panic's 500): X-Content-Type-Options: nosniff, so no browser reads a body as
// another type than it says; and a Content-Security-Policy, the page's for HTML (pagePolicy) and
// for JSON one that lets nothing load and no page frame it.
func secureHeaders(resp *events.APIGatewayV2HTTPResponse) {
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers["X-Content-Type-Options"] = "nosniff"
	policy := "default-src 'none'; frame-ancestors 'none'"
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		policy = pagePolicy()
	}
	resp.Headers["Content-Security-Policy"] = policy
}

func wantsHTML(accept string) bool {
	return strings.Contains(accept, "text/html")
}
