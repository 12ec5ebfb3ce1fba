package memory

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// addHistory records the transitions made on collaboration r (as it was before the write) under
// the sort keys the DynamoDB store gives them.
func (s *Store) addHistory(r collab.CollaborationRecord, made []collab.Transition) {
	for i, h := range made {
		s.history[r.ID] = append(s.history[r.ID], sorted[collab.Transition]{historyKey(r, i, h), h})
	}
	slices.SortFunc(s.history[r.ID], func(a, b sorted[collab.Transition]) int { return strings.Compare(a.sk, b.sk) })
}

func historyKey(r collab.CollaborationRecord, i int, h collab.Transition) string {
	return ts(h.At) + "#" + strconv.Itoa(r.Version) + "." + strconv.Itoa(i)
}

func (s *Store) hasHistory(id, sk string) bool {
	return slices.ContainsFunc(s.history[id], func(e sorted[collab.Transition]) bool { return e.sk == sk })
}

// PutCollaboration writes a new or changed collaboration with the history entries made since it
// was loaded. A new one must not exist yet and claims the (office, customer, solution) slot, or
// the commit fails with ECONFLICT collaboration_exists; a changed one must still be at the
// version it was read at, or the commit fails with collab.ErrConflict. Reaching a final status
// frees the slot.
func (t *Tx) PutCollaboration(c *collab.Collaboration) {
	r := cloneRecord(c.Record())
	transitions := slices.Clone(c.NewTransitions())
	t.add("COLLAB#"+r.ID, conflictUnless(func(s *Store) bool { return s.collabs[r.ID].Version == r.Version }), func(s *Store) {
		w := cloneRecord(r)
		w.Version++
		s.collabs[r.ID] = w
		s.addHistory(r, transitions)
	})
	slot := openKey(r.OfficeID, r.CustomerNo, r.Solution)
	if r.Version == 0 {
		t.add("OPEN#"+slot, holds(func(s *Store) bool { return s.open[slot] == "" }, collab.ErrCollaborationExists),
			func(s *Store) { s.open[slot] = r.ID })
	}
	for i, h := range transitions {
		sk := historyKey(r, i, h)
		t.add("HIST#"+r.ID+"#"+sk, conflictUnless(func(s *Store) bool { return !s.hasHistory(r.ID, sk) }), nil)
		if h.To.Final() && !h.From.Final() {
			t.add("OPEN#"+slot, nil, func(s *Store) { delete(s.open, slot) })
		}
	}
}

// RequireCollaboration makes the transaction depend on a collaboration being still at the version
// it was read at, or the commit fails with collab.ErrConflict.
func (t *Tx) RequireCollaboration(r collab.CollaborationRecord) {
	t.add("COLLAB#"+r.ID, conflictUnless(func(s *Store) bool {
		c, ok := s.collabs[r.ID]
		return ok && c.Version == r.Version
	}), nil)
}

// RequireNotOpen makes the transaction depend on the customer having no open collaboration with
// the office in the solution, or the commit fails with collab.ErrConflict.
func (t *Tx) RequireNotOpen(office, customerNo string, solution collab.Solution) {
	slot := openKey(office, customerNo, solution)
	t.add("OPEN#"+slot, conflictUnless(func(s *Store) bool { return s.open[slot] == "" }), nil)
}

// Collaboration returns the collaboration with the id. It returns ENOTFOUND
// collaboration_not_found.
func (s *Store) Collaboration(_ context.Context, id string) (*collab.Collaboration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.collaboration(id)
}

func (s *Store) collaboration(id string) (*collab.Collaboration, error) {
	r, ok := s.collabs[id]
	if !ok {
		return nil, collab.ErrCollaborationNotFound
	}
	return collab.RestoreCollaboration(cloneRecord(r)), nil
}

// Ending returns the collaboration with the id and its company's subscription to its solution
// (nil when there is none). The company and solution named are only where to look first: the
// subscription returned is always the collaboration's. It returns ENOTFOUND
// collaboration_not_found.
func (s *Store) Ending(_ context.Context, id, _ string, _ collab.Solution) (*collab.Collaboration, *collab.Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collaboration(id)
	if err != nil {
		return nil, nil, err
	}
	r := c.Record()
	sub, ok := s.subscription(r.CompanyID, r.Solution)
	if !ok {
		return c, nil, nil
	}
	return c, &sub, nil
}

// CollaborationWithHistory returns a collaboration and its whole history, oldest first. It
// returns ENOTFOUND collaboration_not_found.
func (s *Store) CollaborationWithHistory(_ context.Context, id string) (collab.CollaborationRecord, []collab.Transition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.collabs[id]
	if !ok {
		return collab.CollaborationRecord{}, nil, collab.ErrCollaborationNotFound
	}
	var out []collab.Transition
	for _, h := range s.history[id] {
		out = append(out, h.v)
	}
	return cloneRecord(r), out, nil
}

// CollaborationFor returns the collaboration with the id and the user's memberships. It returns
// ENOTFOUND collaboration_not_found.
func (s *Store) CollaborationFor(_ context.Context, id, user string) (*collab.Collaboration, port.Memberships, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.membershipsOf(user)
	c, err := s.collaboration(id)
	return c, m, err
}

// CollaborationTaskFor is CollaborationFor with the user's employee item and a task of the
// office officeID (zero when absent).
func (s *Store) CollaborationTaskFor(_ context.Context, id, user, officeID, taskID string) (*collab.Collaboration, port.Memberships, collab.Employee, collab.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.membershipsOf(user)
	c, err := s.collaboration(id)
	if err != nil {
		return nil, m, collab.Employee{}, collab.Task{}, err
	}
	return c, m, s.employees[pair{officeID, user}].e, cloneTask(s.tasks[pair{officeID, taskID}]), nil
}

// PutInvitation writes a new or changed invitation under its version (collab.ErrConflict).
func (t *Tx) PutInvitation(i collab.Invitation) {
	t.add("INVITE#"+i.TokenHash, conflictUnless(func(s *Store) bool { return s.invitations[i.TokenHash].Version == i.Version }),
		func(s *Store) {
			w := i
			w.Version++
			s.invitations[i.TokenHash] = w
		})
}

// RevokeInvitation kills an invitation without reading it; it must exist (collab.ErrConflict).
func (t *Tx) RevokeInvitation(hash string, now time.Time) {
	t.add("INVITE#"+hash, conflictUnless(func(s *Store) bool { _, ok := s.invitations[hash]; return ok }), func(s *Store) {
		inv := s.invitations[hash]
		inv.RevokedAt = now
		inv.Version++
		s.invitations[hash] = inv
	})
}

// Answering reads an invitation (by its token's hash) and the collaboration the token names. It
// returns ENOTFOUND invitation_not_found unless both exist and the invitation is that
// collaboration's.
func (s *Store) Answering(_ context.Context, collaborationID, hash string) (collab.Invitation, *collab.Collaboration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answering(collaborationID, hash)
}

func (s *Store) answering(collaborationID, hash string) (collab.Invitation, *collab.Collaboration, error) {
	inv := s.invitations[hash]
	r, ok := s.collabs[collaborationID]
	if !ok || inv.CollaborationID != collaborationID {
		return collab.Invitation{}, nil, collab.ErrInvitationNotFound
	}
	return inv, collab.RestoreCollaboration(cloneRecord(r)), nil
}

// AnsweringFor is Answering with the user's memberships.
func (s *Store) AnsweringFor(_ context.Context, collaborationID, hash, user string) (collab.Invitation, *collab.Collaboration, port.Memberships, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.membershipsOf(user)
	inv, c, err := s.answering(collaborationID, hash)
	return inv, c, m, err
}

// DeleteFacts removes what a solution reported about a company (its data is gone).
func (t *Tx) DeleteFacts(company string, solution collab.Solution) {
	k := pair{company, string(solution)}
	t.add("FACTS#"+k.a+"#"+k.b, nil, func(s *Store) { delete(s.facts, k) })
}
