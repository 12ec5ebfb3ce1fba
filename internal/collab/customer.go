package collab

import (
	"fmt"
	"strings"
)

// Resync returns the customer as Practice management now sends it (name and organisation
// number) over c, the customer as stored (zero when new). orgNoCompany is the company that has
// the organisation number sent, "" when none does; open lists the solutions of the customer's
// collaborations that are not over (pending, active or ending).
//
// The company link follows the organisation number. A customer not linked yet is linked by it;
// a sync without one, or with the one stored, keeps the link. A customer whose stored number
// changes is moved to the company with the new number (or unlinked when no company has it), so
// a mistyped number can be corrected; while a collaboration of the customer is not over the
// move is refused with ECONFLICT customer_relink_blocked, since that collaboration is with the
// company the customer is linked to now.
func (c Customer) Resync(name, orgNo, orgNoCompany string, open []Solution) (Customer, error) {
	next := Customer{OfficeID: c.OfficeID, No: c.No, Name: name, OrgNo: orgNo, CompanyID: c.CompanyID}
	switch {
	case c.CompanyID == "":
		next.CompanyID = orgNoCompany
	case orgNo == "" || c.OrgNo == "" || orgNo == c.OrgNo || orgNoCompany == c.CompanyID:
	case len(open) > 0:
		names := make([]string, len(open))
		for i, s := range open {
			names[i] = string(s)
		}
		return c, &Error{Kind: ECONFLICT, Code: "customer_relink_blocked", Field: "orgNo",
			Message: fmt.Sprintf("the organisation number changed from %s to %s, but the customer has collaborations that are not over (%s) with the company it is linked to",
				c.OrgNo, orgNo, strings.Join(names, ", ")),
			Fix: "withdraw or end those collaborations first, or send the organisation number " + c.OrgNo + " again"}
	default:
		next.CompanyID = orgNoCompany
	}
	return next, nil
}

// Relinked reports whether next moves the customer c was to another company, or off its
// company.
func (c Customer) Relinked(next Customer) bool {
	return c.CompanyID != "" && next.CompanyID != c.CompanyID
}
