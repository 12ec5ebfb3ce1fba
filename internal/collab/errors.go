// Package collab is the domain of the collaboration service: collaborations between an accounting
// office and a customer company for one solution, the solutions' rules, companies and their users,
// offices with employees, customers and tasks, subscriptions, invitations and access grants.
//
// It holds types and rules only and imports nothing of AWS or of the project's adapters. State
// changes happen through one method per transition; an illegal one returns an *Error whose Code
// is stable for clients and whose Fix tells the caller what to do about it.
package collab

import (
	"errors"
	"fmt"
)

// Kinds of error. A transport maps each kind to one status (see the HTTP adapter).
const (
	EINVALID      = "invalid"      // a field is missing or has a bad value
	ENOTFOUND     = "not_found"    // the thing does not exist (or the caller may not know it exists)
	ECONFLICT     = "conflict"     // the current state forbids the change, or a rule fails
	EFORBIDDEN    = "forbidden"    // the caller is known but may not do this
	EUNAUTHORIZED = "unauthorized" // the caller is not known
	EGONE         = "gone"         // the thing existed and is dead for good (used or expired invitation)
	EUNAVAILABLE  = "unavailable"  // over capacity for now: nothing changed, the same request later works
	EINTERNAL     = "internal"     // a failure that is ours, not the caller's
)

// Error is a domain error: a kind for the transport, a stable code for clients, a human message,
// a fix hint, and, for invalid input, the field at fault. Blockers lists every rule that stands in
// the way when more than one does (ending a collaboration).
type Error struct {
	Kind     string
	Code     string
	Message  string
	Fix      string
	Field    string
	Blockers []Blocker
}

// Blocker is one rule that stops an action right now, with what to do about it.
type Blocker struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
	// Administrators are the company's administrators to choose a main contact from, on a
	// main_contact_missing blocker shown to a caller who may set one (OfferAdministrators).
	Administrators []Candidate `json:"administrators,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error of the given kind and code with a formatted message and a fix hint.
func Errorf(kind, code, fix, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// Invalid returns an EINVALID *Error naming the field at fault.
func Invalid(field, code, fix, format string, args ...any) *Error {
	e := Errorf(EINVALID, code, fix, format, args...)
	e.Field = field
	return e
}

// ErrorKind returns the kind of a domain error anywhere in err's chain, or EINTERNAL.
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorCode returns the code of a domain error anywhere in err's chain, or "internal_error".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal_error"
}

// ErrBusy is returned when storage stays throttled past its retries. Nothing was written.
var ErrBusy = &Error{
	Kind:    EUNAVAILABLE,
	Code:    "service_busy",
	Message: "the service is over its capacity right now; nothing was changed",
	Fix:     "send the same request again in a moment (with the same Idempotency-Key, if it had one)",
}

// ErrConflict is returned by storage when a concurrent writer changed the item first; the caller
// may reload and retry.
var ErrConflict = &Error{
	Kind:    ECONFLICT,
	Code:    "concurrent_update",
	Message: "someone else changed this at the same time",
	Fix:     "reload and try again",
}
