package actions

import (
	"net/mail"
	"strings"
	"unicode"

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

// checkText refuses an empty or over-long free-text field, or one with a control character. Every
// free-text field of the API is a one-line name (of a person, customer or task), and names end up
// in e-mails: the subject is built from the office's and the company's names. It returns EINVALID
// field_required, field_invalid or field_too_long.
func checkText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return collab.Invalid(field, "field_required", "fill in "+field, "%s is required", field)
	case hasControl(s):
		return collab.Invalid(field, "field_invalid", "remove line breaks, tabs and other control characters from "+field,
			"%s contains a control character", field)
	case len(s) > max:
		return collab.Invalid(field, "field_too_long", "shorten "+field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// checkEmail refuses a missing or malformed address, or one with a control character (which
// net/mail lets through among the non-ASCII characters it allows: C1 controls, U+2028). It returns
// EINVALID email_invalid.
func checkEmail(field, s string) error {
	if hasControl(s) {
		return collab.Invalid(field, "email_invalid", "write a plain address such as anna@example.com, on one line",
			"%s contains a control character", field)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return collab.Invalid(field, "email_invalid", "write a plain address such as anna@example.com", "%q is not an e-mail address", s)
	}
	return nil
}

// hasControl reports whether s has a character no name or address may hold: a C0 or C1 control
// (NUL, tab, LF, CR, ESC, NEL, ...), DEL, or the line and paragraph separators U+2028 and U+2029.
//
// This refusal at input is what keeps e-mail headers whole: names reach the Subject of e-mails
// (internal/mail), and a CR or LF there could start a header of its own. mail.Render flattens
// the subject again, for names stored before this check.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' })
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
