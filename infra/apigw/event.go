// Package apigw does locally what API Gateway's HTTP API does in AWS before a Lambda runs: find
// the route a request is for (Match) and build the payload-format-2.0 event the route's function
// receives (Event). The local runner, the tests and the benchmarks call the handlers through it;
// no Lambda links it.
package apigw

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/httpapi"
)

// Event builds the payload-format-2.0 event API Gateway delivers to the route matching method and
// target (a path, with an optional query) for a caller: a user, as the JWT authorizer's subject,
// or a solution integration, as its IAM role. headers are name, value pairs. The local runner,
// the tests and the benchmarks call the handlers through it.
func Event(as actions.Caller, method, target, body string, headers ...string) (httpapi.Route, events.APIGatewayV2HTTPRequest, error) {
	u, err := url.Parse(target)
	if err != nil {
		return httpapi.Route{}, events.APIGatewayV2HTTPRequest{}, err
	}
	rt, params, ok := Match(method, u.Path)
	if !ok {
		return rt, events.APIGatewayV2HTTPRequest{}, fmt.Errorf("no route for %s %s", method, u.Path)
	}
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + rt.Path, RawPath: u.Path, RawQueryString: u.RawQuery,
		Headers: map[string]string{"content-type": "application/json"}, PathParameters: params, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: apiRequestID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: u.Path}},
	}
	if q := u.Query(); len(q) > 0 {
		e.QueryStringParameters = map[string]string{}
		for k, v := range q {
			e.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		e.Headers[strings.ToLower(headers[i])] = headers[i+1]
	}
	switch {
	case as.UserID != "":
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": as.UserID}}}
	case as.Service != "":
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: as.Service}}
	}
	return rt, e, nil
}

// apiRequestID returns a request id of the shape API Gateway gives each request.
func apiRequestID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
