package collab

import (
	"net/mail"
	"strings"
	"unicode"
)

// CheckID refuses ids that could not be keys: empty, longer than 64 characters, or with
// characters other than letters, digits, '.', '_' and '-'. It returns EINVALID id_invalid.
func CheckID(field, id string) error {
	ok := len(id) > 0 && len(id) <= 64
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			ok = false
			break
		}
	}
	if !ok {
		return Invalid(field, "id_invalid", "use 1 to 64 letters, digits, '.', '_' or '-'", "%s is not a valid id", field)
	}
	return nil
}

// ErrCursorInvalid refuses a list cursor the list did not return (EINVALID cursor_invalid).
var ErrCursorInvalid = Invalid("cursor", "cursor_invalid", "pass the cursor exactly as the previous page returned it, or leave it out",
	"the cursor is not one this list returned")

// CheckIDs checks field/id pairs with CheckID.
func CheckIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := CheckID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// CheckText refuses an empty or over-long free-text field, or one with a control character. Every
// free-text field of the API is a one-line name (of a person, customer or task), and names end up
// in e-mails: the subject is built from the office's and the company's names. It returns EINVALID
// field_required, field_invalid or field_too_long.
func CheckText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return Invalid(field, "field_required", "fill in "+field, "%s is required", field)
	case hasControl(s):
		return Invalid(field, "field_invalid", "remove line breaks, tabs and other control characters from "+field,
			"%s contains a control character", field)
	case len(s) > max:
		return TooLong(field, "shorten "+field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// CheckEmail refuses a missing or malformed address, or one with a control character (which
// net/mail lets through among the non-ASCII characters it allows: C1 controls, U+2028). It returns
// EINVALID email_invalid.
func CheckEmail(field, s string) error {
	if hasControl(s) {
		return Invalid(field, "email_invalid", "write a plain address such as anna@example.com, on one line",
			"%s contains a control character", field)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return Invalid(field, "email_invalid", "write a plain address such as anna@example.com", "%q is not an e-mail address", s)
	}
	return nil
}

// FieldInvalid returns EINVALID field_invalid naming the field.
func FieldInvalid(field, fix, format string, args ...any) *Error {
	return Invalid(field, "field_invalid", fix, format, args...)
}

// TooLong returns EINVALID field_too_long naming the field.
func TooLong(field, fix, format string, args ...any) *Error {
	return Invalid(field, "field_too_long", fix, format, args...)
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
