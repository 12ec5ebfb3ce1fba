package collab

import "time"

// Role is a customer user's role in a company.
type Role string

// The roles of a company user.
const (
	Administrator Role = "administrator"
	RegularUser   Role = "user"
)

// ParseRole returns the role named s. It returns EINVALID role_invalid otherwise.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Administrator, RegularUser:
		return r, nil
	}
	return "", Invalid("role", "role_invalid", `use "administrator" or "user"`, "unknown role %q", s)
}

// Language is the language e-mails and pages are written in for someone.
type Language string

// The supported languages; Swedish is the default.
const (
	Swedish Language = "sv"
	English Language = "en"
)

// ParseLanguage returns the language named s, Swedish when s is empty. It returns EINVALID
// language_invalid otherwise.
func ParseLanguage(field, s string) (Language, error) {
	switch l := Language(s); l {
	case "":
		return Swedish, nil
	case Swedish, English:
		return l, nil
	}
	return "", Invalid(field, "language_invalid", `use "sv" or "en"`, "unsupported language %q", s)
}

// Company is a customer company. It has at most one main contact, who is an administrator.
// Admins counts its administrators, so the last one cannot be demoted even by concurrent requests
// (storage writes the company under its version).
type Company struct {
	ID          string
	Name        string
	OrgNo       string
	MainContact string // user id; empty when the company has none
	Admins      int
	CreatedAt   time.Time
	// CreatedBy is the office whose activation created the company (scenario new_company); empty
	// for a company created otherwise.
	CreatedBy string
	// AnsweredAt is when one of the company's administrators first answered an invitation: zero
	// while none ever has, so nobody has yet signed in for the company.
	AnsweredAt time.Time
	Version    int
}

// User is a person's membership of a company.
type User struct {
	CompanyID string
	ID        string
	Name      string
	Email     string
	Language  Language
	Role      Role
	CreatedAt time.Time
	Version   int
}

// AddUser counts a new user of the company.
func (c *Company) AddUser(u User) {
	if u.Role == Administrator {
		c.Admins++
	}
}

// SetMainContact makes u the company's main contact. It returns ENOTFOUND user_not_found when u
// is not a user of the company and ECONFLICT user_not_administrator when u is not an administrator.
func (c *Company) SetMainContact(u User) error {
	if u.CompanyID != c.ID {
		return ErrUserNotFound
	}
	if u.Role != Administrator {
		return ErrUserNotAdministrator
	}
	c.MainContact = u.ID
	return nil
}

// ChangeRole gives u the role. It returns ECONFLICT last_administrator when u is the company's
// last administrator, and main_contact_demotion when u is the main contact.
func (c *Company) ChangeRole(u *User, role Role) error {
	if u.Role == role {
		return nil
	}
	if role == RegularUser {
		if c.MainContact == u.ID {
			return Errorf(ECONFLICT, "main_contact_demotion", "set another administrator as main contact first",
				"the main contact must stay an administrator")
		}
		if c.Admins <= 1 {
			return Errorf(ECONFLICT, "last_administrator", "make another user an administrator first",
				"a company needs at least one administrator")
		}
		c.Admins--
	} else {
		c.Admins++
	}
	u.Role = role
	return nil
}

// MainContactRequestDay is the day a request to choose a main contact counts for: a company's
// administrators are asked at most once a day (UTC), however often ending is refused for it.
func MainContactRequestDay(now time.Time) string { return now.UTC().Format("2006-01-02") }

// CompanyEvent is one change of who is who in a company, for the company's own history: a user
// created, a user's role changed, the main contact changed. From and To are roles, or user ids
// for the main contact.
type CompanyEvent struct {
	At       time.Time
	Actor    Actor
	Kind     string // UserCreated, RoleChanged, MainContactChanged, SignInLinkSent, …
	UserID   string // the user it is about
	From, To string
}

// The kinds of company events.
const (
	UserCreated        = "user_created"
	RoleChanged        = "role_changed"
	MainContactChanged = "main_contact_changed"
	// SignInLinkSent records who asked for a user's new first sign-in link (the e-mail goes
	// unless the user signs in before it does).
	SignInLinkSent = "sign_in_link_sent"
)

// MayReadCompanyHistory reports nil when the actor, as CompanyActor decided for an administrator,
// may read the company's history: its own administrators may; an office employee acting in the
// company may not (the history is the company's record of what was done in it, by offices too).
// It returns EFORBIDDEN not_company_user.
func MayReadCompanyHistory(by Actor) error {
	if by.Kind != CustomerUser {
		return ErrNotCompanyUser
	}
	return nil
}

// AdministratorNotice is the collaboration through which an office employee acted when they
// made someone an administrator of the company (a user created as one, or promoted), whose
// e-mail tells the company's administrators; "" when the actor is the company's own user or the
// change makes nobody an administrator. Grants name the collaboration they come from.
func AdministratorNotice(by Actor, role Role, grants []Grant) string {
	if by.Kind != OfficeEmployee || role != Administrator {
		return ""
	}
	for _, g := range grants {
		if g.UserID == by.UserID && g.Mode == FullAccess {
			return g.Via
		}
	}
	return ""
}
