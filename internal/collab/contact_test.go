package collab_test

import (
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// TestAContactIsUsedCorrectedOrRefusedNeverIgnored: ContactFor's table.
func TestAContactIsUsedCorrectedOrRefusedNeverIgnored(t *testing.T) {
	admin := collab.User{CompanyID: "co", ID: "u-1", Name: "Tea", Email: "tea@tre.tset", Role: collab.Administrator}
	plain := collab.User{CompanyID: "co", ID: "u-2", Email: "bo@tre.test", Role: collab.RegularUser}
	created := collab.Company{ID: "co", MainContact: "u-1", CreatedBy: "office-a"}
	answered := created
	answered.AnsweredAt = t0
	seeded := created
	seeded.CreatedBy = ""
	for _, c := range []struct {
		name, office string
		company      collab.Company
		users        []collab.User
		email        string
		corrected    bool
		code         string
	}{
		{"an_administrators_own_address_is_used", "office-b", answered, []collab.User{admin}, "TEA@tre.tset", false, ""},
		{"the_creating_office_corrects_an_unanswered_contact", "office-a", created, []collab.User{admin}, "tea@tre.test", true, ""},
		{"another_office_may_not", "office-b", created, []collab.User{admin}, "tea@tre.test", false, "contact_not_administrator"},
		{"not_once_the_company_answered", "office-a", answered, []collab.User{admin}, "tea@tre.test", false, "contact_not_administrator"},
		{"not_a_company_created_otherwise", "office-a", seeded, []collab.User{admin}, "tea@tre.test", false, "contact_not_administrator"},
		{"not_a_company_with_more_users", "office-a", created, []collab.User{admin, plain}, "tea@tre.test", false, "contact_not_administrator"},
		{"not_a_plain_users_address", "office-a", answered, []collab.User{admin, plain}, "bo@tre.test", false, "contact_not_administrator"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := collab.ContactFor(c.office, c.company, c.users, "Tea Tre", c.email, collab.English)
			if collab.ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
				t.Fatalf("error %v, want %q", err, c.code)
			}
			if (u != nil) != c.corrected {
				t.Fatalf("corrected %+v, want %v", u, c.corrected)
			}
			if u != nil && (u.ID != admin.ID || u.Email != c.email || u.Name != "Tea Tre" || u.Language != collab.English || u.Role != collab.Administrator) {
				t.Errorf("corrected to %+v", u)
			}
		})
	}
}
