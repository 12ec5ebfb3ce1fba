package collab

// The domain's refusals that are not one transition's: who may act, what must exist, what must
// be unique. Every error code the service answers with is defined in this package; the adapters
// return these values (storage when a key is missing or a guard item exists already).
var (
	// ErrUnauthenticated: the request carries no valid token.
	ErrUnauthenticated = Errorf(EUNAUTHORIZED, "unauthenticated",
		"sign in and send the token as 'Authorization: Bearer <token>'", "the request carries no valid token")
	// ErrNotEmployee: the caller is not an employee of the office.
	ErrNotEmployee = Errorf(EFORBIDDEN, "not_office_employee",
		"ask an administrator of the office to add you as an employee", "you are not an employee of this office")
	// ErrNotOnTask: the employee neither administers the office nor works on a task of the customer.
	ErrNotOnTask = Errorf(EFORBIDDEN, "not_on_task",
		"ask an administrator of the office to assign you to a task of this customer",
		"you do not work on a task of this customer")
	// ErrNotOfficeAdmin: only an administrator of the office may do this.
	ErrNotOfficeAdmin = Errorf(EFORBIDDEN, "office_administrator_required",
		"ask an administrator of the office", "only an administrator of the office may do this")
	// ErrNotCompanyUser: the caller is not a user of the company.
	ErrNotCompanyUser = Errorf(EFORBIDDEN, "not_company_user",
		"sign in as a user of the company", "you are not a user of this company")
	// ErrNotAdministrator: only an administrator of the company may do this.
	ErrNotAdministrator = Errorf(EFORBIDDEN, "administrator_required",
		"ask an administrator of the company to do this, or to make you an administrator",
		"only an administrator of the company may do this")
	// ErrServiceOnly: only a solution integration may call this route.
	ErrServiceOnly = Errorf(EFORBIDDEN, "service_only",
		"this route is for solution integrations, signed with their IAM role", "only a solution integration may report facts")

	// ErrTaskRequired: an activation or a link names no task.
	ErrTaskRequired = Invalid("taskId", "task_required",
		"choose a task of the customer in Practice management; create one first if there is none",
		"a collaboration needs a task connected to the customer")
	// ErrContactRequired: a customer that is not a company here needs contact details.
	ErrContactRequired = Invalid("contact", "contact_required",
		"give the name and e-mail of the person who will administer the company",
		"the customer is not yet a company here, so contact details are mandatory")
	// ErrMainContactUnnamed: a set-main-contact request names no user.
	ErrMainContactUnnamed = Invalid("userId", "field_required", "name the user who becomes main contact", "userId is required")

	// ErrTaskNotFound: the office has no such task.
	ErrTaskNotFound = Errorf(ENOTFOUND, "task_not_found",
		"check the task id, or sync the task from Practice management", "the office has no such task")
	// ErrCustomerNotFound: the office has no such customer.
	ErrCustomerNotFound = Errorf(ENOTFOUND, "customer_not_found",
		"check the customer number, or sync the customer from Practice management", "the office has no such customer")
	// ErrUserNotFound: the company has no such user.
	ErrUserNotFound = Errorf(ENOTFOUND, "user_not_found",
		"create the user in the company first", "the company has no such user")
	// ErrCollaborationNotFound: there is no collaboration with the id.
	ErrCollaborationNotFound = Errorf(ENOTFOUND, "collaboration_not_found",
		"check the collaboration id", "there is no such collaboration")
	// ErrCompanyNotFound: there is no company with the id.
	ErrCompanyNotFound = Errorf(ENOTFOUND, "company_not_found", "check the company id", "there is no such company")
	// ErrInvitationNotFound: no invitation has the link's token (a malformed token included).
	ErrInvitationNotFound = errUnknownInvitation

	// ErrCollaborationExists: the (office, customer, solution) already has an open collaboration.
	ErrCollaborationExists = Errorf(ECONFLICT, "collaboration_exists",
		"open the existing collaboration, or end or withdraw it first",
		"this customer already has an open collaboration with the office for the solution")
	// ErrCompanyExists: a company with the organisation number exists already.
	ErrCompanyExists = Errorf(ECONFLICT, "company_exists",
		"reload; the company was created at the same time", "a company with this organisation number already exists")
	// ErrUserExists: the user is a user of the company already.
	ErrUserExists = Errorf(ECONFLICT, "user_exists", "change the existing user instead", "the user is already a user of this company")
	// ErrUserNotAdministrator: the main contact must be an administrator.
	ErrUserNotAdministrator = Errorf(ECONFLICT, "user_not_administrator", "make the user an administrator first",
		"the main contact must be an administrator")
	// ErrDuplicateRequest: a request with the same Idempotency-Key committed first.
	ErrDuplicateRequest = Errorf(ECONFLICT, "request_in_progress",
		"retry shortly to get the first request's response", "a request with this Idempotency-Key was just made")
)

// ErrIntegrationUnknown refuses a signed request whose IAM role is no solution's integration.
var ErrIntegrationUnknown = Errorf(EFORBIDDEN, "integration_unknown",
	"sign with your solution's integration role; the operators list it in INTEGRATION_ROLES (docs/deploy.md)",
	"the caller's IAM role is not a solution's integration")

// IntegrationNotFor refuses a solution's integration acting for another solution.
func IntegrationNotFor(solution Solution) error {
	return Errorf(EFORBIDDEN, "integration_not_for_solution",
		"sign with the integration role of "+string(solution)+"; a role acts only for the solutions INTEGRATION_ROLES names for it",
		"the caller's IAM role does not act for %s", solution)
}

// The refusals of a new first sign-in link for a company user (actions.SendSignInLink).
var (
	// ErrAlreadySignedIn: the user has signed in before and chose a password.
	ErrAlreadySignedIn = Errorf(ECONFLICT, "already_signed_in",
		"nothing to send: they sign in with their e-mail address and the password they chose; one who has forgotten it resets it with \"Forgot your password?\" on the sign-in page",
		"the user has signed in before and chose a password; a first sign-in link is for a user who never has")
	// ErrExternalIdentityProvider: people sign in through an identity provider outside the
	// service, which sends its own links.
	ErrExternalIdentityProvider = Errorf(ECONFLICT, "external_identity_provider",
		"ask whoever runs the company's identity provider: it sends its users' sign-in links",
		"people sign in through an external identity provider; the service cannot send its sign-in links")
	// ErrSignsInAsAnother: the user's e-mail address signs in as another person at the identity
	// provider, so no link could let this user in.
	ErrSignsInAsAnother = Errorf(ECONFLICT, "email_signs_in_as_another_user",
		"remove the user and add them again with the same e-mail address: they are then added as the person it signs in as",
		"the user's e-mail address signs in as another person")
)
