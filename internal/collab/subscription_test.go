package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// TestASharedSubscriptionIsPaidByTheEarliestUseAndEndsWithTheLast: the collaborations of two
// offices share a company's subscription; the earliest accepted one decides who pays, and an end
// applies its effect only when no other collaboration uses the subscription.
func TestASharedSubscriptionIsPaidByTheEarliestUseAndEndsWithTheLast(t *testing.T) {
	a := collab.CollaborationRecord{ID: "a", OfficeID: "office-a", CompanyID: "co", Solution: "scanner", InvoiceRecipient: collab.InvoiceOffice}
	b := collab.CollaborationRecord{ID: "b", OfficeID: "office-b", CompanyID: "co", Solution: "scanner", InvoiceRecipient: collab.InvoiceCustomer}
	payer := func(s collab.Subscription) string { return string(s.InvoiceRecipient) + "/" + s.PayingOfficeID }

	var s collab.Subscription
	s.Activate(a, t0)
	s.Activate(b, t0.Add(time.Hour))
	if got := payer(s); got != "office/office-a" || len(s.Uses) != 2 {
		t.Fatalf("after a then b accepted: paid by %s with %d uses, want office/office-a and 2", got, len(s.Uses))
	}
	s.Activate(a, t0.Add(2*time.Hour)) // an accept applied again keeps the use it has
	if got := payer(s); got != "office/office-a" || len(s.Uses) != 2 {
		t.Fatalf("a accepted again: paid by %s with %d uses, want office/office-a and 2", got, len(s.Uses))
	}

	for _, c := range []struct {
		name       string
		ending     collab.CollaborationRecord
		effect     collab.EndEffect
		wantEffect collab.EndEffect
		wantStatus collab.SubscriptionStatus
		wantPayer  string
	}{
		{"the_payer_ends_and_the_other_pays_as_it_chose", a, collab.EndDeleteData, collab.EndShared, collab.SubscriptionActive, "customer/"},
		{"the_other_ends_and_the_payer_keeps_paying", b, collab.EndContinue, collab.EndShared, collab.SubscriptionActive, "office/office-a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var shared collab.Subscription
			shared.Activate(a, t0)
			shared.Activate(b, t0.Add(time.Hour))
			after, applied := collab.EndUse(&shared, c.ending, c.effect, t0.Add(3*time.Hour))
			if applied != c.wantEffect || after.Status != c.wantStatus || payer(after) != c.wantPayer || len(after.Uses) != 1 {
				t.Fatalf("%s, %s, paid by %s, %d uses; want %s, %s, %s, 1", applied, after.Status, payer(after), len(after.Uses), c.wantEffect, c.wantStatus, c.wantPayer)
			}
			last := a
			if c.ending.ID == a.ID {
				last = b
			}
			final, applied := collab.EndUse(&after, last, collab.EndDeleteData, t0.Add(4*time.Hour))
			if applied != collab.EndDeleteData || final.Status != collab.SubscriptionEnded || final.DataDeletedAt.IsZero() || len(final.Uses) != 0 {
				t.Fatalf("the last end: %s, %+v; want the effect applied", applied, final)
			}
		})
	}

	imported, applied := collab.EndUse(nil, a, collab.EndReadOnly, t0)
	if applied != collab.EndReadOnly || imported.Status != collab.SubscriptionReadOnly || imported.CompanyID != "co" || imported.Version != 0 {
		t.Fatalf("an end without a subscription (imported): %s, %+v", applied, imported)
	}
}
