package actions

import (
	"net/mail"
	"strings"

	"github.com/spiris/collab/internal/collab"
)

// checkID refuses ids that could not be keys: empty, longer than 64 characters, or with
// characters other than letters, digits, '.', '_' and '-'. It returns EINVALID id_invalid.
func checkID(field, id string) error {
	ok := len(id) > 0 && len(id) <= 64
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			ok = false
			break
		}
	}
	if !ok {
		return collab.Invalid(field, "id_invalid", "use 1 to 64 letters, digits, '.', '_' or '-'", "%s is not a valid id", field)
	}
	return nil
}

// checkIDs checks field/id pairs with checkID.
func checkIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses an empty or over-long free-text field. It returns EINVALID field_required or
// field_too_long.
func checkText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return collab.Invalid(field, "field_required", "fill in "+field, "%s is required", field)
	case len(s) > max:
		return collab.Invalid(field, "field_too_long", "shorten "+field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// checkEmail refuses a missing or malformed address. It returns EINVALID email_invalid.
func checkEmail(field, s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return collab.Invalid(field, "email_invalid", "write a plain address such as anna@example.com", "%q is not an e-mail address", s)
	}
	return nil
}

// Contact is the person who becomes administrator of a company created by an activation.
type Contact struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
}

func (c Contact) check(prefix string) (collab.Language, error) {
	if err := checkText(prefix+"name", c.Name, 200); err != nil {
		return "", err
	}
	if err := checkEmail(prefix+"email", c.Email); err != nil {
		return "", err
	}
	return collab.ParseLanguage(prefix+"language", c.Language)
}
