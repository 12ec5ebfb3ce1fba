package collab

import "time"

// ImportInput is an active collaboration as the older tool kept it: no task, no invitation, no
// agreement period on record.
type ImportInput struct {
	ID, OfficeID, CustomerNo, CompanyID string
	Solution                            Solution
	InvoiceRecipient                    InvoiceRecipient // "" is the customer
	Since                               time.Time        // when it became active there; zero when unknown
}

// Import returns the collaboration an older tool's active one becomes here: active, with no
// task (an office links it to one, Link, whose employees then get access), a history that starts
// with the import. It returns EINVALID id_invalid, solution_unknown, invoice_recipient_invalid.
func Import(in ImportInput, now time.Time) (*Collaboration, error) {
	if err := CheckIDs("id", in.ID, "officeId", in.OfficeID, "customerNo", in.CustomerNo, "companyId", in.CompanyID); err != nil {
		return nil, err
	}
	if _, err := Rules(in.Solution); err != nil {
		return nil, err
	}
	switch in.InvoiceRecipient {
	case "":
		in.InvoiceRecipient = InvoiceCustomer
	case InvoiceOffice, InvoiceCustomer:
	default:
		return nil, Invalid("invoiceRecipient", "invoice_recipient_invalid", `use "office" or "customer"`,
			"unknown invoice recipient %q", in.InvoiceRecipient)
	}
	created := in.Since
	if created.IsZero() || created.After(now) {
		created = now
	}
	c := &Collaboration{rec: CollaborationRecord{ID: in.ID, OfficeID: in.OfficeID, CustomerNo: in.CustomerNo,
		CompanyID: in.CompanyID, Solution: in.Solution, Scenario: ExistingSolution, InvoiceRecipient: in.InvoiceRecipient,
		CreatedAt: created}}
	reason := "imported from the older tool"
	if !in.Since.IsZero() {
		reason += ", active there since " + in.Since.UTC().Format("2006-01-02")
	}
	c.move(Active, System, now, reason)
	return c, nil
}
