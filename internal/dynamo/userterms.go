package dynamo

import (
	"context"

	"github.com/spiris/collab/internal/collab"
)

// userTermsKey is a person's acceptance of the user terms, beside their memberships.
func userTermsKey(user string) key { return key{"USER#" + user, "USERTERMS"} }

type userTermsItem struct {
	PK, SK     string
	Type       string
	UserID     string
	Terms      string
	AcceptedAt string
	Version    int
}

// UserTerms returns what a person accepted of the user terms, and whether they have (GetItem).
func (s *Store) UserTerms(ctx context.Context, user string) (collab.UserTerms, bool, error) {
	var it userTermsItem
	ok, err := s.get(ctx, "get user terms", userTermsKey(user), &it)
	return collab.UserTerms{UserID: it.UserID, Terms: it.Terms, AcceptedAt: parseTS(it.AcceptedAt), Version: it.Version}, ok, err
}

// PutUserTerms writes a person's acceptance of the user terms under its version (ECONFLICT
// concurrent_update when it changed since it was read).
func (t *Tx) PutUserTerms(a collab.UserTerms) {
	k := userTermsKey(a.UserID)
	t.put(userTermsItem{PK: k.pk, SK: k.sk, Type: "user_terms", UserID: a.UserID, Terms: a.Terms, AcceptedAt: ts(a.AcceptedAt),
		Version: a.Version}, a.Version, collab.ErrConflict)
}
