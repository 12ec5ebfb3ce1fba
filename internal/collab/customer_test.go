package collab_test

import (
	"testing"

	"github.com/spiris/collab/internal/collab"
)

func TestACustomersCompanyLinkFollowsItsOrganisationNumber(t *testing.T) {
	linked := collab.Customer{OfficeID: "o", No: "1", Name: "Old", OrgNo: "556-A", CompanyID: "company-a"}
	for _, c := range []struct {
		name         string
		stored       collab.Customer
		orgNo, orgCo string
		open         []collab.Solution
		want         string // the company linked after, or the error code
	}{
		{"a_new_customer_is_linked_by_its_number", collab.Customer{OfficeID: "o", No: "1"}, "556-B", "company-b", nil, "company-b"},
		{"a_new_customer_without_a_company_stays_unlinked", collab.Customer{OfficeID: "o", No: "1"}, "556-B", "", nil, ""},
		{"the_same_number_keeps_the_link", linked, "556-A", "company-a", nil, "company-a"},
		{"no_number_keeps_the_link", linked, "", "", []collab.Solution{"scanner"}, "company-a"},
		{"a_corrected_number_moves_the_link", linked, "556-B", "company-b", nil, "company-b"},
		{"a_corrected_number_no_company_has_unlinks", linked, "556-B", "", nil, ""},
		{"a_corrected_number_waits_for_open_collaborations", linked, "556-B", "company-b", []collab.Solution{"scanner"}, "customer_relink_blocked"},
		{"an_unlinking_correction_waits_too", linked, "556-B", "", []collab.Solution{"payroll"}, "customer_relink_blocked"},
		{"a_link_made_without_a_number_stays", collab.Customer{OfficeID: "o", No: "1", CompanyID: "company-a"}, "556-B", "company-b", nil, "company-a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			next, err := c.stored.Resync("New", c.orgNo, c.orgCo, c.open)
			got := next.CompanyID
			if err != nil {
				got = collab.ErrorCode(err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if err == nil && (next.Name != "New" || next.OrgNo != c.orgNo) {
				t.Errorf("the sync's name and number are not taken: %+v", next)
			}
		})
	}
}
