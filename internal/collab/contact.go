package collab

import "strings"

// ContactCorrected is the kind of company event of an activation that corrected the contact
// details of a company's only administrator, who had never signed in (ContactFor).
const ContactCorrected = "contact_corrected"

// ErrContactNotAdministrator refuses an activation whose contact is not an administrator of the
// customer's existing company: the invitation goes to the company's own administrators, and a
// contact given for it would otherwise be ignored without a word.
var ErrContactNotAdministrator = Errorf(ECONFLICT, "contact_not_administrator",
	"leave out contact, and the invitation goes to the company's administrators; or ask one of them to add this person as an administrator (POST /companies/{companyId}/users) and activate again",
	"the customer's company already has administrators of its own, and the contact given is not one of them")

// ContactFor decides what an activation by office with a contact (name, e-mail, language) does
// for the customer's existing company, with users as read: nothing when the contact is one of its
// administrators (the invitation reaches them). When the company was created by an activation of
// the same office, its only user is that activation's contact (an administrator and the main
// contact), and nobody ever answered an invitation for it (Company.AnsweredAt: so nobody has
// signed in as that person, whose address may have been mistyped), it returns that user
// corrected to the contact, to be written in their place. Otherwise it returns ECONFLICT
// contact_not_administrator: another office's, or a company's own, administrators are never
// replaced by an activation.
func ContactFor(office string, company Company, users []User, name, email string, lang Language) (*User, error) {
	for _, u := range users {
		if u.Role == Administrator && strings.EqualFold(u.Email, email) {
			return nil, nil
		}
	}
	if len(users) != 1 {
		return nil, ErrContactNotAdministrator
	}
	u := users[0]
	if company.CreatedBy == "" || company.CreatedBy != office || u.Role != Administrator || company.MainContact != u.ID || !company.AnsweredAt.IsZero() {
		return nil, ErrContactNotAdministrator
	}
	u.Name, u.Email, u.Language = name, email, lang
	return &u, nil
}
