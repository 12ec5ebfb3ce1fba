package collab

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
