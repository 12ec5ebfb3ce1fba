// Package events is what the service tells the solutions and Practice management on its event
// bus: one Event per change they must act on, each with an id that stays the same on every
// re-send (so a consumer drops duplicates) and the version of the collaboration the change
// committed (so a consumer orders them). docs/events.md documents every detail type, with a
// JSON Schema and a sample under events/bus/.
package events

import (
	"encoding/json"
	"time"
)

// Source is the source of every event the service publishes.
const Source = "spiris.collaboration"

// The detail types.
const (
	CollaborationStatusChanged = "CollaborationStatusChanged"
	AccessChanged              = "AccessChanged"
	SubscriptionChanged        = "SubscriptionChanged"
)

// Event is one event as queued and published: its detail type and its detail, a JSON object.
type Event struct {
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
}

// Header is what every event's detail starts with.
type Header struct {
	EventID string    `json:"eventId"`
	At      time.Time `json:"at"`
	// CollaborationID and Version are the collaboration whose change caused the event and its
	// version after the change: a consumer keeps, per collaboration, the highest version it saw.
	CollaborationID string `json:"collaborationId"`
	Version         int    `json:"version"`
}

// StatusChange says a collaboration moved from one status to another.
type StatusChange struct {
	Header
	OfficeID   string `json:"officeId"`
	CustomerNo string `json:"customerNo"`
	CompanyID  string `json:"companyId"`
	Solution   string `json:"solution"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// Access says which office employees got or lost access to a company's solution through a
// collaboration; the solution enforces it.
type Access struct {
	Header
	CompanyID string   `json:"companyId"`
	Solution  string   `json:"solution"`
	Mode      string   `json:"mode"`
	Granted   []string `json:"granted"`
	Revoked   []string `json:"revoked"`
}

// Subscription says how a company's subscription to a solution stands after a change: its
// status, the access mode it leaves the company, and who pays.
type Subscription struct {
	Header
	CompanyID        string `json:"companyId"`
	Solution         string `json:"solution"`
	Status           string `json:"status"`
	InvoiceRecipient string `json:"invoiceRecipient"`
	PayingOfficeID   string `json:"payingOfficeId,omitempty"`
}

// New returns the event of detail type kind with detail d.
func New(kind string, d any) Event {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // the details are plain structs
	}
	return Event{DetailType: kind, Detail: b}
}
