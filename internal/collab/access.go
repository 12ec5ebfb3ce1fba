package collab

import "slices"

// AccessMode is what a user may do in a company's solution.
type AccessMode string

// The access modes.
const (
	FullAccess     AccessMode = "full"
	ReadOnlyAccess AccessMode = "read_only"
)

// Grant is one user's access to one solution of a company. Via says where it comes from: a
// collaboration id for an office employee, "company" for the company's own users.
type Grant struct {
	CompanyID string
	Solution  Solution
	UserID    string
	Mode      AccessMode
	Via       string
}

// GrantVia is the Via of grants a company's own users hold through its subscription.
const GrantVia = "company"

// CompanyMode returns the access mode a company's own users have under a subscription in status
// s, and false when they have none.
func CompanyMode(s SubscriptionStatus) (AccessMode, bool) {
	switch s {
	case SubscriptionActive:
		return FullAccess, true
	case SubscriptionReadOnly:
		return ReadOnlyAccess, true
	}
	return "", false
}

// Regrant returns what the assignees of collaboration r changing from before to after does to
// access while r is active: employees no longer on it lose the access it gave them (take), new
// ones get full access to the solution (give). A collaboration that is not active gives and
// takes nothing; accepting one, or linking an active one to a task, changes its assignees from
// none to the task's.
func (r CollaborationRecord) Regrant(before, after []string) (give, take []Grant) {
	if r.Status != Active {
		return nil, nil
	}
	for _, u := range before {
		if !slices.Contains(after, u) {
			take = append(take, Grant{CompanyID: r.CompanyID, Solution: r.Solution, UserID: u, Via: r.ID})
		}
	}
	for _, u := range after {
		if !slices.Contains(before, u) {
			give = append(give, Grant{CompanyID: r.CompanyID, Solution: r.Solution, UserID: u, Mode: FullAccess, Via: r.ID})
		}
	}
	return give, take
}
