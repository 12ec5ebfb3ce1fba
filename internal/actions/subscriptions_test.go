package actions_test

import (
	"testing"

	"github.com/spiris/collab/internal/actions"
)

func TestSubscriptions(t *testing.T) {
	cases := []struct {
		name    string
		caller  actions.Caller
		company string
		want    string
	}{
		{"read_by_the_administrator", user(ca), co, ""},
		{"refused_to_a_plain_user", user(cu), co, "administrator_required"},
		{"refused_to_an_employee_acting_in_the_company", user(oe), co, "not_company_user"},
		{"refused_to_another_companys_administrator", user(c2a), co, "not_company_user"},
		{"refused_without_a_caller", nobody, co, "unauthenticated"},
		{"refused_for_an_unknown_company", user(ca), "nosuch", "company_not_found"},
		{"refused_for_a_malformed_id", user(ca), "co#1", "id_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := withAccess(t, w) // scanner, paid by the office, used by oe's collaboration
			got, err := w.svc.Subscriptions(ctx, tc.caller, tc.company)
			wantCode(t, err, tc.want)
			if tc.want != "" {
				return
			}
			if len(got) != 2 || got[0].Solution != "bookkeeping" || got[1].Solution != "scanner" {
				t.Fatalf("subscriptions %+v, want bookkeeping and scanner, in that order", got)
			}
			if b := got[0]; b.Mode != "full" || b.InvoiceRecipient != "customer" || b.PayingOfficeID != "" || len(b.Collaborations) != 0 {
				t.Errorf("bookkeeping %+v, want full, paid by the customer, used by no collaboration", b)
			}
			s := got[1]
			if s.Status != "active" || s.Mode != "full" || s.InvoiceRecipient != "office" || s.PayingOfficeID != office ||
				len(s.Collaborations) != 1 || s.Collaborations[0].ID != id || s.Collaborations[0].OfficeID != office {
				t.Errorf("scanner %+v, want active, full, paid by %s, used by %s", s, office, id)
			}
		})
	}
}
