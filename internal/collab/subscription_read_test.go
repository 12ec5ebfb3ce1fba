package collab_test

import (
	"testing"

	"github.com/spiris/collab/internal/collab"
)

func TestWhoMayReadACompanysSubscriptions(t *testing.T) {
	for _, c := range []struct {
		name string
		by   collab.Actor
		code string
	}{
		{"a_company_user_as_decided_for_an_administrator_reads", collab.Actor{Kind: collab.CustomerUser, UserID: "u", OrgID: "co"}, ""},
		{"an_office_employee_acting_in_the_company_may_not", collab.Actor{Kind: collab.OfficeEmployee, UserID: "e", OrgID: "co"}, "not_company_user"},
		{"a_solution_integration_may_not", collab.Actor{Kind: collab.SolutionSystem}, "not_company_user"},
		{"nobody_may_not", collab.Actor{}, "not_company_user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := code(collab.MayReadSubscriptions(c.by)); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestASubscriptionSaysWhoPaysAndWhatItsUsersMayDo(t *testing.T) {
	for _, c := range []struct {
		name       string
		s          collab.Subscription
		pays, mode string
	}{
		{"active_paid_by_the_office", collab.Subscription{Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceOffice}, "office", "full"},
		{"active_paid_by_the_customer", collab.Subscription{Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceCustomer}, "customer", "full"},
		{"pending_paid_by_nobody_yet", collab.Subscription{Status: collab.SubscriptionPending}, "none", "none"},
		{"read_only_after_an_end", collab.Subscription{Status: collab.SubscriptionReadOnly}, "none", "read_only"},
		{"ended_with_its_data_deleted", collab.Subscription{Status: collab.SubscriptionEnded}, "none", "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.WhoPays(); got != c.pays {
				t.Errorf("WhoPays %q, want %q", got, c.pays)
			}
			if got := c.s.ModeOf(); got != c.mode {
				t.Errorf("ModeOf %q, want %q", got, c.mode)
			}
		})
	}
}
