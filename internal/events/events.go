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
	TeardownCommand            = "TeardownCommand"
	FactsRequested             = "FactsRequested"
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

// Command tells one solution to carry out a step of a collaboration's teardown in its own data,
// and to acknowledge it at AcknowledgePath (POST, signed with the solution's IAM role). It comes
// again until acknowledged, under the same eventId; Attempt counts the operators' re-drives.
type Command struct {
	Header
	OfficeID        string `json:"officeId"`
	CompanyID       string `json:"companyId"`
	Solution        string `json:"solution"`
	Step            string `json:"step"`
	Outcome         string `json:"outcome"`
	Attempt         int    `json:"attempt"`
	AcknowledgePath string `json:"acknowledgePath"`
	// RetainUntil is, for archive_data, until when the data is kept before the solution deletes it.
	RetainUntil *time.Time `json:"retainUntil,omitempty"`
}

// FactsRequest asks one solution to report its facts about a company (PUT
// /companies/{companyId}/solutions/{solution}/status): an end was refused because they were
// missing or stale. It carries no collaboration.
type FactsRequest struct {
	EventID   string    `json:"eventId"`
	At        time.Time `json:"at"`
	CompanyID string    `json:"companyId"`
	Solution  string    `json:"solution"`
	Reason    string    `json:"reason"`
}

// New returns the event of detail type kind with detail d.
func New(kind string, d any) Event {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // the details are plain structs
	}
	return Event{DetailType: kind, Detail: b}
}
