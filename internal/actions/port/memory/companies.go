package memory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// Company returns everything stored of the company: its users by id, subscriptions, grants (in
// the table's order) and facts. It returns ENOTFOUND company_not_found.
func (s *Store) Company(_ context.Context, id string) (port.CompanyView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := port.CompanyView{Subscriptions: map[collab.Solution]collab.Subscription{}, Facts: map[collab.Solution]collab.SolutionFacts{}}
	c, ok := s.companies[id]
	if !ok {
		return v, collab.ErrCompanyNotFound
	}
	v.Company = c
	for k, u := range s.users {
		if k.a == id {
			v.Users = append(v.Users, u)
		}
	}
	slices.SortFunc(v.Users, func(a, b collab.User) int { return strings.Compare(a.ID, b.ID) })
	for k := range s.subs {
		if k.a == id {
			v.Subscriptions[collab.Solution(k.b)], _ = s.subscription(k.a, collab.Solution(k.b))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.grants)) {
		if g := s.grants[k]; g.CompanyID == id {
			v.Grants = append(v.Grants, g)
		}
	}
	for k, f := range s.facts {
		if k.a == id {
			v.Facts[collab.Solution(k.b)] = cloneFacts(f)
		}
	}
	return v, nil
}

func cloneFacts(f collab.SolutionFacts) collab.SolutionFacts {
	f.UsersWithUnsubmittedExpenses = strs(f.UsersWithUnsubmittedExpenses)
	return f
}

// CompanyRecord returns just the company. It returns ENOTFOUND company_not_found.
func (s *Store) CompanyRecord(_ context.Context, id string) (collab.Company, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.companies[id]
	if !ok {
		return collab.Company{}, collab.ErrCompanyNotFound
	}
	return c, nil
}

// CompanyUser returns one user of a company, and whether there is one.
func (s *Store) CompanyUser(_ context.Context, company, user string) (collab.User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[pair{company, user}]
	return u, ok, nil
}

// CompanyByOrgNo returns the id of the company with the organisation number, or "".
func (s *Store) CompanyByOrgNo(_ context.Context, orgNo string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgNos[orgNo], nil
}

// PartiesOf reads the user in the company and the employee in the office; an empty company or
// office is not read.
func (s *Store) PartiesOf(_ context.Context, company, office, user string) (port.Parties, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p port.Parties
	if company != "" {
		p.User = s.users[pair{company, user}]
	}
	if office != "" {
		p.Employee = s.employees[pair{office, user}].e
	}
	return p, nil
}

// EndFactsOf reads collaboration r's EndFacts for the user. It returns ENOTFOUND
// company_not_found.
func (s *Store) EndFactsOf(_ context.Context, r collab.CollaborationRecord, user string) (port.EndFacts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.companies[r.CompanyID]
	if !ok {
		return port.EndFacts{}, collab.ErrCompanyNotFound
	}
	return port.EndFacts{Company: c, Facts: cloneFacts(s.facts[pair{r.CompanyID, string(r.Solution)}]), Parties: port.Parties{
		User: s.users[pair{r.CompanyID, user}], Employee: s.employees[pair{r.OfficeID, user}].e}}, nil
}

// PutCompany writes a new or changed company under its version (collab.ErrConflict). A new
// company with an organisation number claims it, or the commit fails with ECONFLICT
// company_exists.
func (t *Tx) PutCompany(c collab.Company) {
	t.add("COMPANY#"+c.ID, conflictUnless(func(s *Store) bool { return s.companies[c.ID].Version == c.Version }), func(s *Store) {
		w := c
		w.Version++
		s.companies[c.ID] = w
	})
	if c.Version == 0 && c.OrgNo != "" {
		t.add("ORGNO#"+c.OrgNo, holds(func(s *Store) bool { return s.orgNos[c.OrgNo] == "" }, collab.ErrCompanyExists),
			func(s *Store) { s.orgNos[c.OrgNo] = c.ID })
	}
}

// PutUser writes a new or changed company user under its version; a new one must not exist yet
// (ECONFLICT user_exists), a changed one must be at the version read (collab.ErrConflict).
func (t *Tx) PutUser(u collab.User) {
	t.member(u.ID)
	onFail := collab.ErrConflict
	if u.Version == 0 {
		onFail = collab.ErrUserExists
	}
	k := pair{u.CompanyID, u.ID}
	t.add("USER#"+k.a+"#"+k.b, holds(func(s *Store) bool { return s.users[k].Version == u.Version }, onFail), func(s *Store) {
		w := u
		w.Version++
		s.users[k] = w
	})
}

// RequireAdministrator makes the transaction depend on the user still being an administrator of
// the company, or the commit fails with ECONFLICT user_not_administrator.
func (t *Tx) RequireAdministrator(company, user string) {
	t.checkAdministrator(company, user, collab.ErrUserNotAdministrator)
}

func (t *Tx) checkAdministrator(company, user string, onFail error) {
	t.add("USER#"+company+"#"+user, holds(func(s *Store) bool {
		return s.users[pair{company, user}].Role == collab.Administrator
	}, onFail), nil)
}

// subscription returns a company's subscription to a solution as the table gives it back: its
// uses earliest first and, while any collaboration uses it, the earliest one's payer
// (collab.RestoreSubscription). The caller holds the lock.
func (s *Store) subscription(company string, solution collab.Solution) (collab.Subscription, bool) {
	sub, ok := s.subs[pair{company, string(solution)}]
	if !ok {
		return collab.Subscription{}, false
	}
	sub.Uses = slices.Clone(sub.Uses)
	if len(sub.Uses) == 0 {
		sub.Uses = nil
	}
	return collab.RestoreSubscription(sub), true
}

func subscriptionItem(company string, solution collab.Solution) string {
	return "SUB#" + company + "#" + string(solution)
}

// RequireCompany makes the transaction depend on the company being at the version read, or the
// commit fails with ECONFLICT.
func (t *Tx) RequireCompany(c collab.Company) {
	t.add("COMPANY#"+c.ID, conflictUnless(func(s *Store) bool {
		stored, ok := s.companies[c.ID]
		return ok && stored.Version == c.Version
	}), nil)
}

// RequireFacts makes the transaction depend on the solution's report being the one read (by when
// it was reported; none when f was never reported), or the commit fails with ECONFLICT.
func (t *Tx) RequireFacts(company string, solution collab.Solution, f collab.SolutionFacts) {
	k := pair{company, string(solution)}
	t.add("FACTS#"+k.a+"#"+k.b, conflictUnless(func(s *Store) bool {
		return s.facts[k].ReportedAt.Equal(f.ReportedAt)
	}), nil)
}

// EndingFor returns the collaboration with the user's memberships and, when company is the
// collaboration's company, its EndFacts without the parties. It returns ENOTFOUND
// collaboration_not_found, company_not_found.
func (s *Store) EndingFor(ctx context.Context, id, user, company string) (*collab.Collaboration, port.Memberships, *port.EndFacts, error) {
	c, m, err := s.CollaborationFor(ctx, id, user)
	if err != nil || company == "" || c.Record().CompanyID != company {
		return c, m, nil, err
	}
	f, err := s.EndFactsOf(ctx, c.Record(), user)
	if err != nil {
		return nil, m, nil, err
	}
	f.Parties = port.Parties{}
	return c, m, &f, nil
}

// ActivateSubscription makes the company's subscription to r's solution active as
// collab.Subscription.Activate does, r's use of it added, without conditioning it (creating it if
// it is missing), and moves its version on.
func (t *Tx) ActivateSubscription(r collab.CollaborationRecord, now time.Time) {
	k := pair{r.CompanyID, string(r.Solution)}
	t.add(subscriptionItem(r.CompanyID, r.Solution), nil, func(s *Store) {
		sub, _ := s.subscription(r.CompanyID, r.Solution)
		sub.CompanyID, sub.Solution = r.CompanyID, r.Solution
		sub.Activate(r, now)
		sub.Version++
		s.subs[k] = sub
	})
}

// ArchiveDeleted records when the solution deleted the company's archived data.
func (t *Tx) ArchiveDeleted(company string, solution collab.Solution, at time.Time) {
	k := pair{company, string(solution)}
	t.add(subscriptionItem(company, solution), conflictUnless(func(s *Store) bool { _, ok := s.subs[k]; return ok }),
		func(s *Store) {
			sub := s.subs[k]
			sub.DataDeletedAt, sub.UpdatedAt = at, at
			sub.Version++
			s.subs[k] = sub
		})
}

// PutSubscription writes a new or changed subscription under its version (collab.ErrConflict).
func (t *Tx) PutSubscription(sub collab.Subscription) {
	k := pair{sub.CompanyID, string(sub.Solution)}
	t.add(subscriptionItem(sub.CompanyID, sub.Solution), conflictUnless(func(s *Store) bool { return s.subs[k].Version == sub.Version }),
		func(s *Store) {
			w := sub
			w.Uses = slices.Clone(sub.Uses)
			w.Version++
			s.subs[k] = w
		})
}

// DeleteSubscription removes a subscription still at the version it was read at
// (collab.ErrConflict).
func (t *Tx) DeleteSubscription(sub collab.Subscription) {
	k := pair{sub.CompanyID, string(sub.Solution)}
	t.add(subscriptionItem(sub.CompanyID, sub.Solution), conflictUnless(func(s *Store) bool {
		was, ok := s.subs[k]
		return ok && was.Version == sub.Version
	}), func(s *Store) { delete(s.subs, k) })
}

// CompanyAnswered records, from the first answer on, that one of the company's administrators
// answered an invitation at now, moving the company's version on. The company must exist.
func (t *Tx) CompanyAnswered(company string, now time.Time) {
	t.add("COMPANY#"+company, holds(func(s *Store) bool {
		_, ok := s.companies[company]
		return ok
	}, collab.ErrConflict), func(s *Store) {
		c := s.companies[company]
		if c.AnsweredAt.IsZero() {
			c.AnsweredAt = now
		}
		c.Version++
		s.companies[company] = c
	})
}

// RequireSubscription makes the transaction depend on the company's subscription being at the
// version read, or the commit fails with ECONFLICT.
func (t *Tx) RequireSubscription(sub collab.Subscription) {
	k := pair{sub.CompanyID, string(sub.Solution)}
	t.add(subscriptionItem(sub.CompanyID, sub.Solution), conflictUnless(func(s *Store) bool { return s.subs[k].Version == sub.Version }), nil)
}
