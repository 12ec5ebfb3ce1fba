package devstack

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/httpapi"
)

// cookie holds the local login's token for the browser pages (the API itself takes bearer tokens
// only, as API Gateway does).
const cookie = "local_token"

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// routes serves every route template.yaml declares, through the same handlers as the Lambdas,
// the local-only pages under /_local and /invitations/{token}/answer, and the OpenAPI document, all
// behind the gateway: request ids, CORS as the template's HTTP API declares it (with the local
// origins added), JSON for requests no route matches, and one log line per request.
func (s *Stack) routes(tpl *samtemplate.Template, origins []string, openapi []byte) (http.Handler, error) {
	mux := http.NewServeMux()
	var patterns []string
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		patterns = append(patterns, pattern)
	}
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			rt, ok := httpapi.RouteOf(strings.TrimSuffix(f.LogicalID, "Function"))
			if !ok {
				return nil, fmt.Errorf("devstack: template.yaml routes %s %s to %s, which the code does not serve", r.Method, r.Path, f.LogicalID)
			}
			handle(r.Method+" "+r.Path, s.api(r, httpapi.Handle(s.Service, rt)))
		}
	}
	handle("GET /{$}", http.HandlerFunc(s.home))
	handle("GET /_local/mail", http.HandlerFunc(s.mailbox))
	handle("GET /_local/mail/{n}", http.HandlerFunc(s.mailMessage))
	handle("GET /_local/mail/{n}/{part}", http.HandlerFunc(s.mailMessage))
	handle("GET /_local/login", http.HandlerFunc(s.loginPage))
	handle("POST /_local/login", http.HandlerFunc(s.login))
	handle("POST /_local/login/password", http.HandlerFunc(s.choosePassword))
	handle("GET /_local/clock", http.HandlerFunc(s.clockPage))
	handle("POST /_local/clock", http.HandlerFunc(s.moveClock))
	handle("GET /_local/solutions", http.HandlerFunc(s.solutionModes))
	handle("POST /_local/solutions/{solution}", http.HandlerFunc(s.setSolutionMode))
	handle("POST /_local/cleanup", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.RunCleanup(r.Context()))
	}))
	handle("GET /openapi.yaml", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openapi)
	}))
	handle("GET /invitations/{token}/answer", http.HandlerFunc(s.answerPage))
	handle("POST /invitations/{token}/answer", http.HandlerFunc(s.answer))

	cors, err := localCORS(tpl, origins)
	if err != nil {
		return nil, err
	}
	return newGateway(mux, patterns, cors, s.log), nil
}

// localCORS is the CORS configuration of the template's HTTP API with the local origins added to
// its allowed origins; nil when the API configures no CORS.
func localCORS(tpl *samtemplate.Template, origins []string) (*samtemplate.CORS, error) {
	switch n := len(tpl.HTTPAPIs); {
	case n > 1:
		return nil, fmt.Errorf("devstack: template.yaml declares %d HTTP APIs; the local runner serves one", n)
	case n == 0 || tpl.HTTPAPIs[0].CORS == nil:
		return nil, nil
	}
	c := *tpl.HTTPAPIs[0].CORS
	c.AllowOrigins = slices.Clone(c.AllowOrigins)
	for _, o := range origins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" && !slices.Contains(c.AllowOrigins, o) {
			c.AllowOrigins = append(c.AllowOrigins, o)
		}
	}
	return &c, nil
}

// api turns an HTTP request into the API Gateway v2 event the route's Lambda gets, after the
// checks API Gateway's authorizers make.
func (s *Stack) api(r samtemplate.Route, h httpapi.Handler) http.Handler {
	names := pathParam.FindAllStringSubmatch(r.Path, -1)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		e, err := event(req, r.Method+" "+r.Path)
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
			return
		}
		for _, n := range names {
			e.PathParameters[n[1]] = req.PathValue(n[1])
		}
		switch r.Authorizer {
		case "NONE":
		case "AWS_IAM":
			// As the IAM authorizer: a Signature Version 4 by a key the stack gave a simulated
			// solution (sigv4.go), reaching the handler as that integration's role.
			body := []byte(e.Body)
			if e.IsBase64Encoded {
				body, _ = base64.StdEncoding.DecodeString(e.Body)
			}
			arn, refusal := s.signatures.verify(req, body)
			if refusal != nil {
				writeJSON(w, http.StatusForbidden, noRouteBody{Message: "Forbidden", Error: *refusal})
				return
			}
			e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: arn}}
		default:
			token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
			claims, err := s.Identity.Verify(token)
			if !ok || err != nil {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
				return
			}
			e.RequestContext.Authorizer = jwtAuthorizer(claims)
		}
		resp, _ := h(req.Context(), e)
		writeResponse(w, resp)
	})
}

// jwtAuthorizer is what the JWT authorizer hands a function: the token's claims.
func jwtAuthorizer(c Claims) *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
		Claims: c.All}}
}

// event builds the payload-format-2.0 event of a request: lower-case header names, repeated
// headers and query values joined by commas, a binary body in base64, and the request id the
// gateway gave the request (the one its response and log line carry).
func event(req *http.Request, routeKey string) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("body too large")
	}
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: req.URL.Path, RawQueryString: req.URL.RawQuery,
		Headers: map[string]string{}, PathParameters: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, Stage: "$default", RequestID: requestIDOf(req.Context()),
			DomainName: req.Host, TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: req.Method, Path: req.URL.Path,
				Protocol: req.Proto, SourceIP: strings.Split(req.RemoteAddr, ":")[0], UserAgent: req.UserAgent()},
		},
	}
	for k, v := range req.Header {
		e.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if q := req.URL.Query(); len(q) > 0 {
		e.QueryStringParameters = map[string]string{}
		for k, v := range q {
			e.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if utf8.Valid(body) {
		e.Body = string(body)
	} else {
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return e, nil
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} – local</title><style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ccc;vertical-align:top}
button{font-size:1rem;padding:.5rem 1rem;border:2px solid #0b4f8a;border-radius:.3rem;background:#0b4f8a;color:#fff;cursor:pointer}
a{color:#0b4f8a}.note{background:#fdf6ec;border-left:4px solid #8a4b0b;padding:.5rem 1rem}
</style></head><body><main>{{end}}
{{define "foot"}}<p><a href="/">Local runner</a> · <a href="/_local/mail">Mailbox</a> · <a href="/_local/login">Sign in</a></p></main></body></html>{{end}}

{{define "home"}}{{template "head" "Collaboration service"}}<h1>Collaboration service (local)</h1>
<p>API at <code>{{.URL}}</code>; routes as in template.yaml. Get a token with <code>make token SUB=&lt;user id&gt;</code>.</p>
<ul><li><a href="/_local/mail">Mailbox</a>: e-mails sent through the emulator's SES</li><li><a href="/_local/login">Sign in</a> to the emulator's user pool (for the invitation pages)</li></ul>
{{template "foot"}}{{end}}


`))

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pages.ExecuteTemplate(w, name, data)
}

func (s *Stack) home(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "home", s)
}

// next keeps a redirect on this site.
func next(v string) string {
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
		return "/"
	}
	return v
}

// signedIn returns the claims of the browser's local login, if it has a valid one.
func (s *Stack) signedIn(r *http.Request) (Claims, bool) {
	c, err := r.Cookie(cookie)
	if err != nil {
		return Claims{}, false
	}
	claims, err := s.Identity.Verify(c.Value)
	return claims, err == nil
}
