package memory

import (
	"context"

	"github.com/spiris/collab/internal/collab"
)

// UserTerms returns what a person accepted of the user terms, and whether they have.
func (s *Store) UserTerms(_ context.Context, user string) (collab.UserTerms, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.userTerms[user]
	return a, ok, nil
}

// PutUserTerms writes a person's acceptance of the user terms under its version.
func (t *Tx) PutUserTerms(a collab.UserTerms) {
	t.add("USERTERMS#"+a.UserID, holds(func(s *Store) bool { return s.userTerms[a.UserID].Version == a.Version }, collab.ErrConflict), func(s *Store) {
		if s.userTerms == nil {
			s.userTerms = map[string]collab.UserTerms{}
		}
		w := a
		w.Version++
		s.userTerms[a.UserID] = w
	})
}
