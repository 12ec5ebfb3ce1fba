package collab

// ActorKind says on whose behalf an action is taken.
type ActorKind string

// The kinds of actor.
const (
	OfficeEmployee ActorKind = "office_employee"
	CustomerUser   ActorKind = "customer_user"
	SolutionSystem ActorKind = "solution"
	Schedule       ActorKind = "system"
)

// Actor is who made a change: a user acting for an office or a company, a solution integration,
// or the service itself.
type Actor struct {
	Kind   ActorKind
	UserID string // empty for the system
	// OrgID is the office or company the user acted for.
	OrgID string
}

// System is the service itself: the cleanup and the teardown.
var System = Actor{Kind: Schedule}
