package actions

import "github.com/spiris/collab/internal/collab"

// Contact is the person who becomes administrator of a company created by an activation.
type Contact struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
}

// check checks the contact's fields (named with prefix) and returns their language. It returns
// EINVALID field_required, field_invalid, field_too_long, email_invalid, language_invalid.
func (c Contact) check(prefix string) (collab.Language, error) {
	if err := collab.CheckText(prefix+"name", c.Name, 200); err != nil {
		return "", err
	}
	if err := collab.CheckEmail(prefix+"email", c.Email); err != nil {
		return "", err
	}
	return collab.ParseLanguage(prefix+"language", c.Language)
}
