package collab

// Audience is who gets an e-mail about a collaboration: the company's administrators, the office's
// people on the collaboration, or both.
type Audience struct {
	Company, Office bool
}

// officeEmails are the e-mails the office's side gets; every e-mail but invitation_expired also
// goes to the company's administrators (an unanswered invitation is the office's news only).
var officeEmails = map[string]Audience{
	EmailEnded:           {Company: true, Office: true},
	"agreement_reminder": {Company: true, Office: true},
	"agreement_expired":  {Company: true, Office: true},
	"invitation_expired": {Office: true},
}

// AudienceOf returns who gets the e-mail with the template name kind.
func AudienceOf(kind string) Audience {
	if a, ok := officeEmails[kind]; ok {
		return a
	}
	return Audience{Company: true}
}

// OfficeRecipients returns the office's people an office-side e-mail about the collaboration
// goes to, of the office's employees: the employees on its task, or, when it has none (imported
// without a task, or its task moved to another customer), the office's administrators.
func (r CollaborationRecord) OfficeRecipients(employees []Employee) []Employee {
	var to []Employee
	for _, e := range employees {
		if r.OnTask(e.UserID) || (len(r.Assignees) == 0 && e.Role == OfficeAdministrator) {
			to = append(to, e)
		}
	}
	return to
}
