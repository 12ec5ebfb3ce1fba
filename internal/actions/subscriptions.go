package actions

import (
	"context"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// SubscriptionView is one of a company's subscriptions as the API returns it: where it stands,
// what the company's own users may do under it, who pays, and the accepted collaborations using it.
type SubscriptionView struct {
	Solution         collab.Solution           `json:"solution"`
	SolutionName     string                    `json:"solutionName"`
	Status           collab.SubscriptionStatus `json:"status"`
	Mode             string                    `json:"mode"`
	InvoiceRecipient string                    `json:"invoiceRecipient"`
	PayingOfficeID   string                    `json:"payingOfficeId,omitempty"`
	// RetainUntil is until when the solution keeps the company's data archived, read-only,
	// after an end that archived it; then it is deleted.
	RetainUntil    *time.Time            `json:"retainUntil,omitempty"`
	Collaborations []SubscriptionUseView `json:"collaborations"`
}

// SubscriptionUseView is an accepted collaboration using a subscription: its id, its office and
// since when.
type SubscriptionUseView struct {
	ID       string    `json:"id"`
	OfficeID string    `json:"officeId"`
	Since    time.Time `json:"since"`
}

// Subscriptions returns the company's subscriptions, by solution: status, mode, who pays and the
// accepted collaborations using each, earliest first. Only the company's administrators read them
// (collab.MayReadSubscriptions). It reads the company's partition (1 call) and returns
// EUNAUTHORIZED unauthenticated; EINVALID id_invalid; ENOTFOUND company_not_found; EFORBIDDEN
// not_company_user, administrator_required.
func (s *Service) Subscriptions(ctx context.Context, caller Caller, companyID string) ([]SubscriptionView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err == nil {
		err = collab.MayReadSubscriptions(by)
	}
	if err != nil {
		return nil, err
	}
	out := []SubscriptionView{}
	for _, solution := range sortedSolutions(v.Subscriptions) {
		sub := collab.RestoreSubscription(v.Subscriptions[solution])
		view := SubscriptionView{Solution: solution, SolutionName: collab.Solutions[solution].Name, Status: sub.Status,
			Mode: sub.ModeOf(), InvoiceRecipient: sub.WhoPays(), PayingOfficeID: sub.PayingOfficeID, RetainUntil: optTime(sub.RetainUntil),
			Collaborations: make([]SubscriptionUseView, len(sub.Uses))}
		for i, u := range sub.Uses {
			view.Collaborations[i] = SubscriptionUseView{ID: u.CollaborationID, OfficeID: u.OfficeID, Since: u.Since}
		}
		out = append(out, view)
	}
	return out, nil
}
