package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/httpapi"
)

// RequestIDHeader is the response header in which API Gateway's HTTP API sends the request id, the
// one the handler's event carries as requestContext.requestId.
const RequestIDHeader = "Apigw-Requestid"

// gateway does locally what API Gateway's HTTP API does around every request: give it a request
// id, answer CORS preflights and add CORS headers as the template's CorsConfiguration says, answer
// a request no route matches with a JSON 404, and write one log line per request.
type gateway struct {
	mux      *http.ServeMux
	cors     *samtemplate.CORS // nil when the API has no CORS configuration
	log      *slog.Logger
	literals map[string]bool // path segments of the routes that are not parameters
}

// newGateway wraps mux, whose routes are patterns, and registers its answer for requests that
// match none of them.
func newGateway(mux *http.ServeMux, patterns []string, cors *samtemplate.CORS, log *slog.Logger) *gateway {
	g := &gateway{mux: mux, cors: cors, log: log, literals: map[string]bool{}}
	for _, p := range patterns {
		_, path, _ := strings.Cut(p, " ")
		for _, seg := range strings.Split(path, "/") {
			if !strings.HasPrefix(seg, "{") {
				g.literals[seg] = true
			}
		}
	}
	mux.HandleFunc("/", g.noRoute)
	return g
}

type requestIDKey struct{}

// requestIDOf returns the request id the gateway gave the request, or a new one.
func requestIDOf(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		return id
	}
	return newRequestID()
}

// newRequestID returns an id shaped like API Gateway's (16 characters of base64).
func newRequestID() string {
	b := make([]byte, 11)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	id := newRequestID()
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	rec := &recorder{ResponseWriter: w, cors: g.corsHeaders(r.Header.Get("Origin")), replace: g.cors != nil}
	rec.Header().Set(RequestIDHeader, id)

	attrs := []any{"method", r.Method}
	if g.preflight(r) {
		// API Gateway answers a preflight itself, for any path, before any authorizer runs.
		attrs = append(attrs, "preflight", true)
		attrs = append(attrs, g.target(r, r.Header.Get("Access-Control-Request-Method"))...)
		g.answerPreflight(rec, r)
	} else {
		attrs = append(attrs, g.target(r, r.Method)...)
		g.mux.ServeHTTP(rec, r)
	}
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	attrs = append(attrs, "status", rec.status,
		"duration_ms", float64(time.Since(began).Microseconds())/1000, "request_id", id)
	g.log.Info("request", attrs...)
}

// target names what a request is for in the log: the route template it matches (never the raw
// path, which can hold an invitation token or an e-mail address), or, when no route matches, the
// path with every segment that is not a literal of some route replaced by "*".
func (g *gateway) target(r *http.Request, method string) []any {
	probe := *r
	probe.Method = method
	if _, pattern := g.mux.Handler(&probe); pattern != "" && pattern != "/" {
		_, path, _ := strings.Cut(pattern, " ")
		if path = strings.TrimSuffix(path, "{$}"); path == "" {
			path = "/"
		}
		return []any{"route", path}
	}
	segs := strings.Split(r.URL.Path, "/")
	for i, s := range segs {
		if !g.literals[s] {
			segs[i] = "*"
		}
	}
	return []any{"path", strings.Join(segs, "/")}
}

// preflight reports whether r is a CORS preflight that API Gateway answers itself: an OPTIONS
// request with an Origin and an Access-Control-Request-Method, to an API with CORS configured.
func (g *gateway) preflight(r *http.Request) bool {
	return g.cors != nil && r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// answerPreflight answers 204; the CORS headers are there only for an allowed origin (recorder
// adds them). The browser checks the method and headers it asked for against the lists.
func (g *gateway) answerPreflight(w *recorder, r *http.Request) {
	if len(w.cors) > 0 {
		join := func(v []string) string { return strings.Join(v, ",") }
		if len(g.cors.AllowMethods) > 0 {
			w.cors.Set("Access-Control-Allow-Methods", join(g.cors.AllowMethods))
		}
		if len(g.cors.AllowHeaders) > 0 {
			w.cors.Set("Access-Control-Allow-Headers", join(g.cors.AllowHeaders))
		}
		if g.cors.MaxAge > 0 {
			w.cors.Set("Access-Control-Max-Age", strconv.Itoa(g.cors.MaxAge))
		}
		w.cors.Del("Access-Control-Expose-Headers")
	}
	w.WriteHeader(http.StatusNoContent)
}

// corsHeaders returns the CORS headers of a response to origin: none unless CORS is configured
// and the origin is allowed.
func (g *gateway) corsHeaders(origin string) http.Header {
	h := http.Header{}
	if g.cors == nil || origin == "" {
		return h
	}
	switch {
	case slices.Contains(g.cors.AllowOrigins, "*"):
		h.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(g.cors.AllowOrigins, origin):
		h.Set("Access-Control-Allow-Origin", origin)
	default:
		return h
	}
	if len(g.cors.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(g.cors.ExposeHeaders, ","))
	}
	if g.cors.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	return h
}

// noRouteBody is API Gateway's own answer, {"message":"Not Found"}, with the service's error shape
// beside it, so that a client reading either finds what it expects.
type noRouteBody struct {
	Message string              `json:"message"`
	Error   httpapi.ErrorDetail `json:"error"`
}

// noRoute answers a request that matches no route 404, as API Gateway does both for an unknown
// path and for a method the path does not take (an HTTP API routes on method and path together).
func (g *gateway) noRoute(w http.ResponseWriter, r *http.Request) {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, pattern := g.mux.Handler(&probe); pattern != "" && pattern != "/" {
			methods = append(methods, m)
		}
	}
	detail := httpapi.ErrorDetail{Code: "route_not_found", Message: "no route of the API matches this path",
		Fix: "check the path against the API's routes (docs/openapi.yaml, served locally at /openapi.yaml)"}
	if len(methods) > 0 {
		detail = httpapi.ErrorDetail{Code: "method_not_allowed", Message: "this path takes no " + r.Method + " requests",
			Fix: "use " + strings.Join(methods, " or ") + " on this path (see /openapi.yaml)"}
	}
	writeJSON(w, http.StatusNotFound, noRouteBody{Message: "Not Found", Error: detail})
}

// recorder keeps the status of a response, and replaces the CORS headers a handler set with the
// gateway's, as API Gateway ignores an integration's CORS headers when the API configures CORS.
type recorder struct {
	http.ResponseWriter
	cors    http.Header // the gateway's CORS headers for this response
	replace bool        // drop the handler's CORS headers (the API configures CORS)
	status  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return
	}
	r.status = code
	h := r.Header()
	for k := range h {
		if r.replace && strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	for k, v := range r.cors {
		h[k] = v
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
