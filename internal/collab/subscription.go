package collab

import (
	"cmp"
	"slices"
	"time"
)

// SubscriptionStatus is where a company's subscription to a solution stands.
type SubscriptionStatus string

// The states of a subscription.
const (
	SubscriptionPending  SubscriptionStatus = "pending"   // activated by a collaboration not yet accepted
	SubscriptionActive   SubscriptionStatus = "active"    // in use
	SubscriptionReadOnly SubscriptionStatus = "read_only" // ended; existing data stays readable
	SubscriptionEnded    SubscriptionStatus = "ended"     // ended; data deleted or handed over
)

// Subscription is a company's subscription to one solution and who pays for it. Several offices
// may collaborate with the company in the same solution: each accepted collaboration is a use of
// the subscription (Uses), and while any uses it, the earliest accepted one decides who pays
// (RestoreSubscription). Ending one collaboration ends only its use; the end's effect on the
// subscription applies when the last use ends (EndUse).
type Subscription struct {
	CompanyID        string
	Solution         Solution
	Status           SubscriptionStatus
	InvoiceRecipient InvoiceRecipient
	PayingOfficeID   string // the office paying, while InvoiceRecipient is InvoiceOffice
	// Uses are the accepted collaborations using the subscription, earliest first.
	Uses []SubscriptionUse
	// CreatedBy is the collaboration whose activation created the subscription; if that
	// collaboration never becomes active, the subscription is rolled back.
	CreatedBy string
	// RestoreTo is the status a reopened subscription returns to if CreatedBy never becomes
	// active; empty for one that did not exist before.
	RestoreTo          SubscriptionStatus
	DataDeletedAt      time.Time
	BackupHandedOverAt time.Time
	// RetainUntil is until when the solution keeps the company's data archived, read-only, after
	// an end that archives it (EndArchive); zero otherwise.
	RetainUntil time.Time
	UpdatedAt   time.Time
	Version     int
}

// SubscriptionUse is an accepted collaboration using a subscription: its office, the invoice
// recipient it was activated with, and when it was accepted.
type SubscriptionUse struct {
	CollaborationID  string
	OfficeID         string
	InvoiceRecipient InvoiceRecipient
	Since            time.Time
}

// RestoreSubscription rebuilds a subscription from storage: its uses earliest first and, while
// any collaboration uses it, the payer the earliest one chose. A collaboration accepted later, by
// another office, never changes who pays for the one before it.
func RestoreSubscription(s Subscription) Subscription {
	slices.SortFunc(s.Uses, func(a, b SubscriptionUse) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.CollaborationID, b.CollaborationID))
	})
	if len(s.Uses) > 0 {
		first := s.Uses[0]
		s.InvoiceRecipient, s.PayingOfficeID = first.InvoiceRecipient, ""
		if first.InvoiceRecipient == InvoiceOffice {
			s.PayingOfficeID = first.OfficeID
		}
	}
	return s
}

// UseOf is collaboration c's use of its company's subscription, from when it is accepted at now.
func UseOf(c CollaborationRecord, now time.Time) SubscriptionUse {
	return SubscriptionUse{CollaborationID: c.ID, OfficeID: c.OfficeID, InvoiceRecipient: c.InvoiceRecipient, Since: now}
}

// EndUse is what ending collaboration c with effect e does to the subscription s (as read; nil
// when there is none, for a collaboration imported without one): c's use ends, and when no other
// collaboration uses the subscription, the effect applies. It returns the subscription after,
// and the effect applied: EndShared when another collaboration still uses it, so it stays as that
// one needs it.
func EndUse(s *Subscription, c CollaborationRecord, e EndEffect, now time.Time) (Subscription, EndEffect) {
	after := Subscription{CompanyID: c.CompanyID, Solution: c.Solution}
	if s != nil {
		after = *s
	}
	after.Uses = slices.DeleteFunc(slices.Clone(after.Uses), func(u SubscriptionUse) bool { return u.CollaborationID == c.ID })
	if len(after.Uses) > 0 {
		after.UpdatedAt = now
		return RestoreSubscription(after), EndShared
	}
	EndOf(c.CompanyID, c.Solution, EndEffects[e], now).Apply(&after)
	return after, e
}

// Live reports whether the company can use the solution with full rights (or will, once pending
// is accepted).
func (s Subscription) Live() bool {
	return s.Status == SubscriptionActive || s.Status == SubscriptionPending
}

// Activate makes the subscription active when collaboration c is accepted, as one of its uses:
// the invoice recipient c was activated with applies from then on, unless a collaboration
// accepted earlier still uses the subscription (RestoreSubscription). Data an earlier end
// archived is in use again: no retention date applies to it any more.
func (s *Subscription) Activate(c CollaborationRecord, now time.Time) {
	s.Status = SubscriptionActive
	s.RestoreTo = ""
	s.RetainUntil = time.Time{} // an archive in use again is kept as long as the subscription
	s.InvoiceRecipient = c.InvoiceRecipient
	s.PayingOfficeID = ""
	if c.InvoiceRecipient == InvoiceOffice {
		s.PayingOfficeID = c.OfficeID
	}
	if !slices.ContainsFunc(s.Uses, func(u SubscriptionUse) bool { return u.CollaborationID == c.ID }) {
		s.Uses = append(slices.Clone(s.Uses), UseOf(c, now))
	}
	s.UpdatedAt = now
	*s = RestoreSubscription(*s)
}

// Open returns the subscription an activation of collaboration id needs: a new pending one when
// the company never had the solution, or the ended one reopened as pending.
func Open(existing *Subscription, companyID string, solution Solution, id string, now time.Time) Subscription {
	if existing == nil {
		return Subscription{CompanyID: companyID, Solution: solution, Status: SubscriptionPending, CreatedBy: id, UpdatedAt: now}
	}
	s := *existing
	s.RestoreTo, s.Status, s.CreatedBy, s.UpdatedAt = s.Status, SubscriptionPending, id, now
	return s
}

// RollBack undoes Open when its collaboration is declined, withdrawn or expires. It reports
// whether the subscription should be deleted (it did not exist before).
func (s *Subscription) RollBack(now time.Time) (remove bool) {
	if s.RestoreTo == "" {
		return true
	}
	s.Status, s.RestoreTo, s.CreatedBy, s.UpdatedAt = s.RestoreTo, "", "", now
	return false
}

// RolledBackBy reports whether the subscription was created by collaboration id and never
// became active, so it goes when that collaboration is declined, withdrawn or expires.
func (s Subscription) RolledBackBy(id string) bool {
	return s.Status == SubscriptionPending && s.CreatedBy == id
}

// RollBackFor returns the subscription as it is once collaboration id has left pending without
// being accepted: when id's activation opened it, rolled back (remove says it did not exist
// before, so it goes), and ok false when id opened none.
func (s Subscription) RollBackFor(id string, now time.Time) (after Subscription, remove, ok bool) {
	if !s.RolledBackBy(id) {
		return s, false, false
	}
	remove = s.RollBack(now)
	return s, remove, true
}

// SubscriptionEnd is what ending a collaboration does to the company's subscription to its
// solution: the fields the end effect sets, which do not depend on what the subscription was, so
// storage writes exactly these without reading it (creating it for a collaboration imported
// without one). DataDeletedAt and BackupHandedOverAt are set only when the effect deletes the
// data or hands a backup over.
type SubscriptionEnd struct {
	CompanyID          string
	Solution           Solution
	Status             SubscriptionStatus
	InvoiceRecipient   InvoiceRecipient // empty when nobody pays any more
	DataDeletedAt      time.Time
	BackupHandedOverAt time.Time
	At                 time.Time
}

// EndOf is the SubscriptionEnd of the effect e on company's subscription to solution at now.
func EndOf(company string, solution Solution, e EndEffectRules, now time.Time) SubscriptionEnd {
	end := SubscriptionEnd{CompanyID: company, Solution: solution, Status: e.Subscription, InvoiceRecipient: e.InvoiceRecipient, At: now}
	if e.DeletesData {
		end.DataDeletedAt = now
	}
	if e.HandsOverBackup {
		end.BackupHandedOverAt = now
	}
	return end
}

// Apply changes s as the end says.
func (e SubscriptionEnd) Apply(s *Subscription) {
	s.Status, s.InvoiceRecipient, s.PayingOfficeID, s.UpdatedAt = e.Status, e.InvoiceRecipient, "", e.At
	if !e.DataDeletedAt.IsZero() {
		s.DataDeletedAt = e.DataDeletedAt
	}
	if !e.BackupHandedOverAt.IsZero() {
		s.BackupHandedOverAt = e.BackupHandedOverAt
	}
}

// Opening is what an activation did to a company's subscription when it opened one: the status
// it had before (empty when there was none) and the version it was read at, so that undoing it
// is a change of exactly what the activation wrote.
type Opening struct {
	RestoreTo SubscriptionStatus
	Version   int
}

// OpensSubscription reports whether the collaboration's activation opened the company's
// subscription, which must then be undone if it never becomes active.
func (r CollaborationRecord) OpensSubscription() bool {
	return r.Scenario == NewSolution || r.Scenario == NewCompany
}
