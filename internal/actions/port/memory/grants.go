package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// UndoOpening undoes what collaboration r's activation did to the company's subscription
// (collab.Opening), on the condition that it is still as the activation wrote it (at the version
// after the one it read), or the commit fails with collab.ErrConflict: a subscription that did
// not exist before is deleted, a reopened one gets its status back.
func (t *Tx) UndoOpening(r collab.CollaborationRecord, now time.Time) {
	o := *r.Opened
	k := pair{r.CompanyID, string(r.Solution)}
	t.add(subscriptionItem(r.CompanyID, r.Solution), conflictUnless(func(s *Store) bool {
		sub, ok := s.subs[k]
		return ok && sub.Version == o.Version+1
	}), func(s *Store) {
		if o.RestoreTo == "" {
			delete(s.subs, k)
			return
		}
		sub := s.subs[k]
		sub.Status, sub.UpdatedAt, sub.RestoreTo, sub.CreatedBy = o.RestoreTo, now, "", ""
		sub.Version++
		s.subs[k] = sub
	})
}

// PutGrant gives an office employee access (idempotent).
func (t *Tx) PutGrant(g collab.Grant) {
	t.add("ACCESS#"+grantKey(g), nil, func(s *Store) { s.grants[grantKey(g)] = g })
}

// DeleteGrant removes an access grant (idempotent).
func (t *Tx) DeleteGrant(g collab.Grant) {
	t.add("ACCESS#"+grantKey(g), nil, func(s *Store) { delete(s.grants, grantKey(g)) })
}

// PutFacts records what a solution reported about a company, replacing the previous report.
func (t *Tx) PutFacts(company string, solution collab.Solution, f collab.SolutionFacts) {
	k := pair{company, string(solution)}
	f = cloneFacts(f)
	t.add("FACTS#"+k.a+"#"+k.b, nil, func(s *Store) {
		s.facts[k] = f
	})
}

// RequestMainContact records that the company's administrators are asked to choose a main
// contact on day: once per company and day; a request already recorded fails the commit with
// collab.ErrConflict.
func (t *Tx) RequestMainContact(companyID, day string, _ time.Time) {
	k := pair{companyID, day}
	t.add("MAINCONTACTREQ#"+companyID+"#"+day, conflictUnless(func(s *Store) bool { return !s.mainContact[k] }),
		func(s *Store) { s.mainContact[k] = true })
}

// AddCompanyEvent records e in the company's history; id makes its key unique (a key used
// already fails the commit with collab.ErrConflict).
func (t *Tx) AddCompanyEvent(companyID, id string, e collab.CompanyEvent) {
	sk := ts(e.At) + "#" + id
	e.Actor = collab.Actor{Kind: e.Actor.Kind, UserID: e.Actor.UserID} // the table keeps no organisation
	t.add("COMPANYHIST#"+companyID+"#"+sk, conflictUnless(func(s *Store) bool {
		return !slices.ContainsFunc(s.events[companyID], func(x sorted[collab.CompanyEvent]) bool { return x.sk == sk })
	}), func(s *Store) {
		s.events[companyID] = append(s.events[companyID], sorted[collab.CompanyEvent]{sk, e})
		slices.SortFunc(s.events[companyID], func(a, b sorted[collab.CompanyEvent]) int { return strings.Compare(a.sk, b.sk) })
	})
}

// CompanyHistory returns the company's newest events, at most limit (all for 0), newest first.
func (s *Store) CompanyHistory(_ context.Context, companyID string, limit int) ([]collab.CompanyEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.events[companyID]
	out := make([]collab.CompanyEvent, 0, len(all))
	for i := len(all) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, all[i].v)
	}
	return out, nil
}
