package collab

// Audience is who gets an e-mail about a collaboration: the company's administrators, the office's
// people on the collaboration, or both. OfficeEmail, when set, is the e-mail (a template name) the
// office's people get instead of the company's, so one job tells both sides in their own words.
// User is an e-mail of a company to the one user its job names, about no collaboration.
type Audience struct {
	Company, Office bool
	OfficeEmail     string
	User            bool
	// MainContact is an e-mail to the company's main contact alone.
	MainContact bool
}

// The e-mails that tell the office how the customer answered, or did not.
const (
	EmailInvitationAccepted = "invitation_accepted" // the office's side of access_granted
	EmailInvitationDeclined = "invitation_declined"
	EmailInvitationReminder = "invitation_reminder" // to the company's administrators, before the invitation expires
)

// The e-mails of a company to one of its users, about no collaboration: EmailUserAdded tells a
// person the company added (POST /companies/{id}/users) that they can sign in, with their first
// sign-in link; EmailSignInLink gives a user who never signed in a new one, at the request of an
// administrator of the company (SendSignInLink).
const (
	EmailUserAdded  = "user_added"
	EmailSignInLink = "sign_in_link"
)

// officeEmails are the e-mails the office's side gets; every other e-mail goes to the company's
// administrators only. An unanswered or declined invitation is the office's news only; an accepted
// one tells the company that access is granted and the office that the customer accepted.
var officeEmails = map[string]Audience{
	EmailEnded:                 {Company: true, Office: true},
	"agreement_reminder":       {Company: true, Office: true},
	"agreement_expired":        {Company: true, Office: true},
	"invitation_expired":       {Office: true},
	EmailInvitationDeclined:    {Office: true},
	"access_granted":           {Company: true, Office: true, OfficeEmail: EmailInvitationAccepted},
	EmailScheduledEndBlocked:   {Company: true, Office: true},
	EmailEndScheduled:          {Company: true, Office: true},
	EmailScheduledEndCancelled: {Company: true, Office: true},
	EmailDataExport:            {MainContact: true},
}

// AudienceOf returns who gets the e-mail with the template name kind.
func AudienceOf(kind string) Audience {
	if kind == EmailUserAdded || kind == EmailSignInLink {
		return Audience{User: true}
	}
	if a, ok := officeEmails[kind]; ok {
		return a
	}
	return Audience{Company: true}
}

// OfficeRecipients returns the office's people an office-side e-mail about the collaboration
// goes to, of the office's employees: the employee who activated it and the employees on its task,
// or, when it has no task (imported without one, or its task moved to another customer), the
// office's administrators and the activating employee.
func (r CollaborationRecord) OfficeRecipients(employees []Employee) []Employee {
	var to []Employee
	for _, e := range employees {
		if r.OnTask(e.UserID) || e.UserID == r.ActivatedBy || (len(r.Assignees) == 0 && e.Role == OfficeAdministrator) {
			to = append(to, e)
		}
	}
	return to
}
