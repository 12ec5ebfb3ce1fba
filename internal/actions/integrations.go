package actions

import (
	"context"
	"slices"
	"strings"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// Integrations says which solutions each IAM role acts for, by role name: the solution teams'
// integrations sign their requests with these roles (INTEGRATION_ROLES).
type Integrations map[string][]collab.Solution

// DefaultIntegrations is one role per solution, named <solution id>-integration.
func DefaultIntegrations() Integrations {
	in := Integrations{}
	for id := range collab.Solutions {
		in[string(id)+"-integration"] = []collab.Solution{id}
	}
	return in
}

// roleOf is the account and role an IAM caller signs as: of
// arn:aws:sts::<account>:assumed-role/NAME/<session> or arn:aws:iam::<account>:role/<path>/NAME;
// empty for any other principal.
func roleOf(arn string) (account, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", ""
	}
	switch res := strings.Split(parts[5], "/"); {
	case parts[2] == "sts" && res[0] == "assumed-role" && len(res) == 3:
		return parts[4], res[1]
	case parts[2] == "iam" && res[0] == "role" && len(res) >= 2:
		return parts[4], res[len(res)-1]
	}
	return "", ""
}

// integrationFor checks that the caller is the integration of solution, signing with a role
// INTEGRATION_ROLES names for it, of the account INTEGRATION_ACCOUNT_ID names (any, when empty:
// an HTTP API's IAM authorizer lets a signed request of any account through whose own policy
// allows it). It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// service_only (a user's token), integration_unknown (a role that acts for no solution),
// integration_not_for_solution.
func (s *Service) integrationFor(caller Caller, solution collab.Solution) error {
	if caller.Service == "" {
		if caller.UserID == "" {
			return collab.ErrUnauthenticated
		}
		return collab.ErrServiceOnly
	}
	account, role := roleOf(caller.Service)
	acts, ok := s.Integrations[role]
	if !ok || (s.IntegrationAccount != "" && account != s.IntegrationAccount) {
		return collab.ErrIntegrationUnknown
	}
	if !slices.Contains(acts, solution) {
		return collab.IntegrationNotFor(solution)
	}
	return nil
}

// SolutionAccess is Access for one solution's integration, signing with its IAM role: who may
// use solution in the company, and how. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// service_only, integration_unknown, integration_not_for_solution; EINVALID solution_unknown,
// id_invalid; ENOTFOUND company_not_found.
func (s *Service) SolutionAccess(ctx context.Context, caller Caller, solution, companyID string) ([]AccessView, error) {
	if _, err := collab.Rules(collab.Solution(solution)); err != nil {
		return nil, err
	}
	if err := s.integrationFor(caller, collab.Solution(solution)); err != nil {
		return nil, err
	}
	all, err := s.Access(ctx, caller, companyID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a AccessView) bool { return a.Solution != collab.Solution(solution) }), nil
}

// requestFacts asks the collaboration's solution for its facts about the company
// (events.FactsRequested) when blockers say they are missing or stale. It is best effort, and
// outside any transaction: the end was refused and changed nothing, the solution answers through
// the facts route, and the caller's next try asks again if it did not. A failure is logged.
func (s *Service) requestFacts(ctx context.Context, r collab.CollaborationRecord, bs []collab.Blocker) {
	i := slices.IndexFunc(bs, func(b collab.Blocker) bool { return b.Code == collab.FactsMissing || b.Code == collab.FactsStale })
	if i < 0 {
		return
	}
	if s.Bus == nil {
		s.Log.ErrorContext(ctx, "facts not requested: this function has no event bus (EVENT_BUS_NAME)", "collaboration", r.ID)
		return
	}
	e := events.New(events.FactsRequested, events.FactsRequest{EventID: s.NewID(), At: s.Now(),
		CompanyID: r.CompanyID, Solution: string(r.Solution), Reason: bs[i].Code})
	if err := s.Bus.Publish(ctx, []events.Event{e}); err != nil {
		s.Log.WarnContext(ctx, "facts request not published; the next end asks again", "collaboration", r.ID, "error", err.Error())
	}
}
