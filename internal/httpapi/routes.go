// Package httpapi turns API Gateway HTTP API (payload format 2.0) events into calls of the
// actions and their results into JSON responses. Routes is the one list of routes: each Lambda
// function serves one of them, template.yaml declares the same ones (a test checks), and the
// local runner serves them all.
package httpapi

import (
	"bytes"
	"net/http"

	"github.com/spiris/collab/internal/actions"
)

// Authorization schemes of a route.
const (
	AuthJWT  = "jwt"  // a user's bearer token, validated by the API's JWT authorizer
	AuthNone = "none" // public (the invitation page)
	AuthIAM  = "iam"  // a solution integration signing with its IAM role
)

// Route is one operation of the API, served by the Lambda function of the same name.
type Route struct {
	Function   string // the function's logical id in template.yaml
	Method     string
	Path       string // API Gateway route path, with {parameters}
	Auth       string
	Idempotent bool // honours an Idempotency-Key header
	// Success is the status of a successful answer: 200 unless the route says otherwise (201 for
	// what creates, 202 for what starts work that goes on after the answer).
	Success int
	handle  func(s *actions.Service, r *request) (any, error)
}

// status returns the route's success status.
func (rt Route) status() int {
	if rt.Success == 0 {
		return http.StatusOK
	}
	return rt.Success
}

// Routes lists every route of the API.
var Routes = []Route{
	{Function: "PutEmployee", Method: http.MethodPut, Path: "/offices/{officeId}/employees/{userId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.EmployeeInput
			return body(r, &in, func() (any, error) {
				return s.PutEmployee(r.ctx, r.caller, r.param("officeId"), r.param("userId"), in)
			})
		}},
	{Function: "PutCustomer", Method: http.MethodPut, Path: "/offices/{officeId}/customers/{customerNo}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.CustomerInput
			return body(r, &in, func() (any, error) {
				return s.PutCustomer(r.ctx, r.caller, r.param("officeId"), r.param("customerNo"), in)
			})
		}},
	{Function: "PutTask", Method: http.MethodPut, Path: "/offices/{officeId}/tasks/{taskId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.TaskInput
			return body(r, &in, func() (any, error) {
				return s.PutTask(r.ctx, r.caller, r.param("officeId"), r.param("taskId"), in)
			})
		}},
	{Function: "RemoveEmployee", Method: http.MethodDelete, Path: "/offices/{officeId}/employees/{userId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			return s.RemoveEmployee(r.ctx, r.caller, r.param("officeId"), r.param("userId"))
		}},
	{Function: "RemoveCustomer", Method: http.MethodDelete, Path: "/offices/{officeId}/customers/{customerNo}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			return s.RemoveCustomer(r.ctx, r.caller, r.param("officeId"), r.param("customerNo"))
		}},
	{Function: "RemoveTask", Method: http.MethodDelete, Path: "/offices/{officeId}/tasks/{taskId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			return s.RemoveTask(r.ctx, r.caller, r.param("officeId"), r.param("taskId"))
		}},
	{Function: "Activate", Method: http.MethodPost, Path: "/offices/{officeId}/collaborations", Auth: AuthJWT, Idempotent: true,
		Success: http.StatusCreated,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.ActivateInput
			return body(r, &in, func() (any, error) { return s.Activate(r.ctx, r.caller, r.param("officeId"), in) })
		}},
	{Function: "ListOfficeCollaborations", Method: http.MethodGet, Path: "/offices/{officeId}/collaborations", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			limit, err := r.limit()
			if err != nil {
				return nil, err
			}
			v, err := s.OfficeCollaborations(r.ctx, r.caller, r.param("officeId"), actions.ListFilter{
				Status: r.query("status"), Solution: r.query("solution"), CustomerNo: r.query("customerNo"),
				Cursor: r.query("cursor"), Limit: limit})
			return v, err
		}},
	{Function: "Resend", Method: http.MethodPost, Path: "/collaborations/{id}/resend", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.Resend(r.ctx, r.caller, r.param("id")) })
		}},
	{Function: "Withdraw", Method: http.MethodPost, Path: "/collaborations/{id}/withdraw", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.Withdraw(r.ctx, r.caller, r.param("id")) })
		}},
	{Function: "Link", Method: http.MethodPost, Path: "/collaborations/{id}/link", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.LinkInput
			return body(r, &in, func() (any, error) { return s.Link(r.ctx, r.caller, r.param("id"), in) })
		}},
	{Function: "Renew", Method: http.MethodPost, Path: "/collaborations/{id}/renew", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.RenewInput
			return body(r, &in, func() (any, error) { return s.Renew(r.ctx, r.caller, r.param("id"), in) })
		}},
	{Function: "ShowInvitation", Method: http.MethodGet, Path: "/invitations/{token}", Auth: AuthNone,
		handle: showInvitation},
	{Function: "Accept", Method: http.MethodPost, Path: "/invitations/{token}/accept", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.AcceptInput
			return optional(r, &in, func() (any, error) { return s.AcceptTerms(r.ctx, r.caller, r.param("token"), in) })
		}},
	{Function: "Decline", Method: http.MethodPost, Path: "/invitations/{token}/decline", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.Decline(r.ctx, r.caller, r.param("token")) })
		}},
	{Function: "ListCompanyCollaborations", Method: http.MethodGet, Path: "/companies/{companyId}/collaborations", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			limit, err := r.limit()
			if err != nil {
				return nil, err
			}
			v, err := s.CompanyCollaborations(r.ctx, r.caller, r.param("companyId"), r.query("cursor"), limit)
			return v, err
		}},
	{Function: "ListUsers", Method: http.MethodGet, Path: "/companies/{companyId}/users", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.Users(r.ctx, r.caller, r.param("companyId"))
			return map[string]any{"items": v}, err
		}},
	{Function: "CompanyHistory", Method: http.MethodGet, Path: "/companies/{companyId}/history", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.CompanyHistory(r.ctx, r.caller, r.param("companyId"))
			return map[string]any{"items": v}, err
		}},
	{Function: "CompanySubscriptions", Method: http.MethodGet, Path: "/companies/{companyId}/subscriptions", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.Subscriptions(r.ctx, r.caller, r.param("companyId"))
			return map[string]any{"items": v}, err
		}},
	{Function: "AcceptUserTerms", Method: http.MethodPut, Path: "/users/{userId}/user-terms", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.UserTermsInput
			return body(r, &in, func() (any, error) { return s.AcceptUserTerms(r.ctx, r.caller, r.param("userId"), in) })
		}},
	{Function: "CreateUser", Method: http.MethodPost, Path: "/companies/{companyId}/users", Auth: AuthJWT, Idempotent: true,
		Success: http.StatusCreated,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.NewUserInput
			return body(r, &in, func() (any, error) { return s.CreateUser(r.ctx, r.caller, r.param("companyId"), in) })
		}},
	{Function: "ChangeRole", Method: http.MethodPatch, Path: "/companies/{companyId}/users/{userId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.RoleInput
			return body(r, &in, func() (any, error) {
				return s.ChangeRole(r.ctx, r.caller, r.param("companyId"), r.param("userId"), in)
			})
		}},
	{Function: "RemoveUser", Method: http.MethodDelete, Path: "/companies/{companyId}/users/{userId}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			return s.RemoveUser(r.ctx, r.caller, r.param("companyId"), r.param("userId"))
		}},
	{Function: "SendSignInLink", Method: http.MethodPost, Path: "/companies/{companyId}/users/{userId}/sign-in-link", Auth: AuthJWT,
		Idempotent: true, Success: http.StatusAccepted,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.SendSignInLink(r.ctx, r.caller, r.param("companyId"), r.param("userId")) })
		}},
	{Function: "SetMainContact", Method: http.MethodPut, Path: "/companies/{companyId}/main-contact", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.MainContactInput
			return body(r, &in, func() (any, error) { return s.SetMainContact(r.ctx, r.caller, r.param("companyId"), in) })
		}},
	{Function: "Access", Method: http.MethodGet, Path: "/companies/{companyId}/access", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.Access(r.ctx, r.caller, r.param("companyId"))
			return map[string]any{"items": v}, err
		}},
	{Function: "ReportFacts", Method: http.MethodPut, Path: "/companies/{companyId}/solutions/{solution}/status", Auth: AuthIAM,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.FactsInput
			return body(r, &in, func() (any, error) {
				return s.ReportFacts(r.ctx, r.caller, r.param("companyId"), r.param("solution"), in)
			})
		}},
	{Function: "GetCollaboration", Method: http.MethodGet, Path: "/collaborations/{id}", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.Collaboration(r.ctx, r.caller, r.param("id"))
			return v, err
		}},
	{Function: "EndCheck", Method: http.MethodGet, Path: "/collaborations/{id}/end-check", Auth: AuthJWT,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.EndCheck(r.ctx, r.caller, r.param("id"), r.query("outcome"))
			return v, err
		}},
	{Function: "End", Method: http.MethodPost, Path: "/collaborations/{id}/end", Auth: AuthJWT, Idempotent: true,
		Success: http.StatusAccepted,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.EndInput
			return body(r, &in, func() (any, error) { return s.End(r.ctx, r.caller, r.param("id"), in) })
		}},
	{Function: "CancelEnd", Method: http.MethodPost, Path: "/collaborations/{id}/cancel-end", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.CancelEnd(r.ctx, r.caller, r.param("id")) })
		}},
	{Function: "AcknowledgeTeardown", Method: http.MethodPost, Path: "/collaborations/{id}/teardown/{step}", Auth: AuthIAM,
		handle: func(s *actions.Service, r *request) (any, error) {
			var in actions.AcknowledgeInput
			return body(r, &in, func() (any, error) {
				return s.AcknowledgeTeardown(r.ctx, r.caller, r.param("id"), r.param("step"), in)
			})
		}},
	{Function: "UndoEnd", Method: http.MethodPost, Path: "/collaborations/{id}/undo-end", Auth: AuthJWT, Idempotent: true,
		handle: func(s *actions.Service, r *request) (any, error) {
			return empty(r, func() (any, error) { return s.UndoEnd(r.ctx, r.caller, r.param("id")) })
		}},
	{Function: "SolutionAccess", Method: http.MethodGet, Path: "/solutions/{solution}/companies/{companyId}/access", Auth: AuthIAM,
		handle: func(s *actions.Service, r *request) (any, error) {
			v, err := s.SolutionAccess(r.ctx, r.caller, r.param("solution"), r.param("companyId"))
			return map[string]any{"items": v}, err
		}},
}

// body decodes the request body into in, then runs do.
func body(r *request, in any, do func() (any, error)) (any, error) {
	if err := r.decode(in); err != nil {
		return nil, err
	}
	return do()
}

// empty refuses a non-empty body (these actions take none), then runs do.
func empty(r *request, do func() (any, error)) (any, error) {
	if err := r.decode(nil); err != nil {
		return nil, err
	}
	return do()
}

// optional decodes a body into in when there is one (none, or only white space, leaves in as it
// is), then runs do.
func optional(r *request, in any, do func() (any, error)) (any, error) {
	if len(bytes.Trim(r.body, jsonSpace)) == 0 {
		return do()
	}
	return body(r, in, do)
}

// Route returns the route served by the named function, and whether there is one.
func RouteOf(function string) (Route, bool) {
	for _, rt := range Routes {
		if rt.Function == function {
			return rt, true
		}
	}
	return Route{}, false
}

// Lambda returns the handler of the named function's route, for its main. It panics at cold start
// when no route has that name, so a miswired function fails its deploy's first invocation loudly.
func Lambda(s *actions.Service, function string) Handler {
	rt, ok := RouteOf(function)
	if !ok {
		panic("httpapi: no route for function " + function)
	}
	return Handle(s, rt)
}
