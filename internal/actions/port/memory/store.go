// Package memory implements the use cases' storage port (port.Store and port.Tx) in Go maps, for
// fast tests of internal/actions. It reproduces what internal/dynamo decides, not how it stores:
// versions move on by one with every write, a write at a stale version fails with the error the
// DynamoDB store returns for it, a transaction checks every condition before it applies any
// write, and memberships, due work, pages and deliveries answer as the table's do. It is a
// stand-in for our own interface, not a fake of the AWS SDK.
package memory

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// Store holds everything in maps guarded by one mutex.
type Store struct {
	mu     sync.Mutex
	timing port.Timing
	stamps int // the last employee stamp issued

	offices     map[string]collab.Office
	employees   map[pair]employeeRow // by office, user
	customers   map[pair]collab.Customer
	tasks       map[pair]collab.Task
	companies   map[string]collab.Company
	orgNos      map[string]string // company id by organisation number
	users       map[pair]collab.User
	userTerms   map[string]collab.UserTerms   // by user; made by the first PutUserTerms
	subs        map[pair]collab.Subscription  // by company, solution
	grants      map[string]collab.Grant       // by grantKey
	facts       map[pair]collab.SolutionFacts // by company, solution
	collabs     map[string]collab.CollaborationRecord
	history     map[string][]sorted[collab.Transition] // by collaboration
	open        map[string]string                      // collaboration id by openKey
	invitations map[string]collab.Invitation           // by token hash
	outbox      map[string]outboxRow
	deliveries  map[string]*delivery
	responses   map[pair]port.Response // by scope, key
	mainContact map[pair]bool          // requests by company, day
	events      map[string][]sorted[collab.CompanyEvent]
}

// pair is a two-part key: an office or company and what of it.
type pair struct{ a, b string }

// employeeRow is an employee with the stamp its memberships entry carries (new on every write).
type employeeRow struct {
	e     collab.Employee
	stamp string
}

// sorted is an entry of a partition with its sort key, as the table orders it.
type sorted[T any] struct {
	sk string
	v  T
}

// New returns an empty store that considers work due by timing.
func New(timing port.Timing) *Store {
	return &Store{timing: timing,
		offices: map[string]collab.Office{}, employees: map[pair]employeeRow{}, customers: map[pair]collab.Customer{},
		tasks: map[pair]collab.Task{}, companies: map[string]collab.Company{}, orgNos: map[string]string{},
		users: map[pair]collab.User{}, subs: map[pair]collab.Subscription{}, grants: map[string]collab.Grant{},
		facts: map[pair]collab.SolutionFacts{}, collabs: map[string]collab.CollaborationRecord{},
		history: map[string][]sorted[collab.Transition]{}, open: map[string]string{},
		invitations: map[string]collab.Invitation{}, outbox: map[string]outboxRow{}, deliveries: map[string]*delivery{},
		responses: map[pair]port.Response{}, mainContact: map[pair]bool{}, events: map[string][]sorted[collab.CompanyEvent]{},
	}
}

// Timing returns when the store considers time-driven work due.
func (s *Store) Timing() port.Timing { return s.timing }

// Begin starts an empty transaction: the port's way to Tx.
func (s *Store) Begin() port.Tx { return s.Tx() }

// Tx starts an empty transaction, for tests that seed the store with the seeding writes
// (PutOffice, PutCustomer, PutTask) besides the port's.
func (s *Store) Tx() *Tx { return &Tx{s: s} }

// Import writes collaborations as dynamo.Store.Import does, unconditionally: each at its version
// plus one, with its history and, when it is not over, its slot guard.
func (s *Store) Import(_ context.Context, cs []*collab.Collaboration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		r := cloneRecord(c.Record())
		r.Version++
		s.collabs[r.ID] = r
		if !r.Status.Final() {
			s.open[openKey(r.OfficeID, r.CustomerNo, r.Solution)] = r.ID
		}
		s.addHistory(c.Record(), c.NewTransitions())
	}
	return nil
}

// Invitation returns the invitation whose token hashes to hash. It returns ENOTFOUND
// invitation_not_found.
func (s *Store) Invitation(_ context.Context, hash string) (collab.Invitation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invitations[hash]
	if !ok {
		return collab.Invitation{}, collab.ErrInvitationNotFound
	}
	return inv, nil
}

// Outbox returns the queued messages not consumed yet, by id, for tests to see what is left.
func (s *Store) Outbox() []port.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []port.Message
	for _, id := range slices.Sorted(maps.Keys(s.outbox)) {
		out = append(out, s.outbox[id].m)
	}
	return out
}

// newStamp returns a new version for an employee, which is written without one.
func (s *Store) newStamp() string {
	s.stamps++
	return "stamp-" + strconv.Itoa(s.stamps)
}

// ts formats a time as the DynamoDB store sorts it: RFC 3339 in UTC with fixed-width nanoseconds.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func openKey(office, customer string, solution collab.Solution) string {
	return office + "#" + customer + "#" + string(solution)
}

func grantKey(g collab.Grant) string {
	return g.CompanyID + "#" + string(g.Solution) + "#" + g.UserID + "#" + g.Via
}

// strs copies a list as the table returns it: an empty list is no attribute.
func strs(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return slices.Clone(in)
}

func cloneRecord(r collab.CollaborationRecord) collab.CollaborationRecord {
	r.Assignees = strs(r.Assignees)
	r.StepsDone = slices.Clip(slices.Clone(r.StepsDone))
	if len(r.StepsDone) == 0 {
		r.StepsDone = nil
	}
	r.Undelivered.Users = strs(r.Undelivered.Users)
	if r.Opened != nil {
		o := *r.Opened
		r.Opened = &o
	}
	return r
}

func cloneTask(t collab.Task) collab.Task {
	t.Assignees = strs(t.Assignees)
	return t
}

var (
	_ port.Store = (*Store)(nil)
	_ port.Tx    = (*Tx)(nil)
)
