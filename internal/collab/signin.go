package collab

// The refusals of a new first sign-in link for a company user (actions.SendSignInLink). They sit
// in a file of their own so the session that added them touched nothing else of the package.
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
