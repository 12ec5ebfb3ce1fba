package events

import "time"

// PersonChanged is the detail type of a person the service created or changed: the port of an
// external identity provider, which creates or corrects the person's account from it (with the
// user id as its subject) and sends its own first sign-in (docs/deploy.md).
const PersonChanged = "PersonChanged"

// The changes a PersonChanged event reports.
const (
	PersonCreated = "created" // a new company user: a new company's administrator, or one a company added
	PersonUpdated = "changed" // a user's e-mail, name or language corrected (a contact correction)
)

// Person says the service created a company user, or changed the e-mail, name or language they
// sign in with. It carries the person's e-mail and name, which the provider needs: subscribe only
// the provider to it.
type Person struct {
	EventID   string    `json:"eventId"`
	At        time.Time `json:"at"`
	UserID    string    `json:"userId"`
	CompanyID string    `json:"companyId"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Language  string    `json:"language"`
	Role      string    `json:"role"`
	Change    string    `json:"change"`
	// CollaborationID is the activation that created the person or corrected them, if one did.
	CollaborationID string `json:"collaborationId,omitempty"`
}
