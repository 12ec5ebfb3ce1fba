package memory

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// outboxRow is a queued message and when the cleanup is to look at it again.
type outboxRow struct {
	m   port.Message
	due time.Time
}

// delivery is where a job's e-mails stand: how each recipient's delivery ended, whether the job
// is settled for good, and the lease of the worker sending the rest.
type delivery struct {
	ended   map[string]port.DeliveryEnd
	settled bool
	lease   string
	until   time.Time
}

// Enqueue records a message to send after the commit; it falls due for re-sending after
// Timing.StuckAfter. A message with its id queued already fails the commit with
// collab.ErrConflict.
func (t *Tx) Enqueue(m port.Message) {
	due := m.CreatedAt.Add(t.s.timing.StuckAfter)
	t.add("OUTBOX#"+m.ID, conflictUnless(func(s *Store) bool { _, ok := s.outbox[m.ID]; return !ok }),
		func(s *Store) { s.outbox[m.ID] = outboxRow{m, due} })
}

// Consume removes a message in the same transaction as the last of its work (idempotent).
func (t *Tx) Consume(id string) {
	t.add("OUTBOX#"+id, nil, func(s *Store) { delete(s.outbox, id) })
}

// Consumed removes a message once its work is done (idempotent).
func (s *Store) Consumed(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.outbox, id)
	return nil
}

// Postpone records that the cleanup re-sent a message and when to look at it again. It changes
// nothing if the message was consumed meanwhile.
func (s *Store) Postpone(_ context.Context, m port.Message, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if row, ok := s.outbox[m.ID]; ok {
		row.due = until
		row.m.Sends++
		s.outbox[m.ID] = row
	}
	return nil
}

// DueWork returns up to limit items of a kind due at or before now, oldest due first. More is
// set when the page is full, as DynamoDB's LastEvaluatedKey is when a query stops at its limit.
func (s *Store) DueWork(_ context.Context, kind string, now time.Time, limit int) (port.Due, error) {
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type due struct {
		at string
		r  collab.CollaborationRecord
		m  port.Message
	}
	var all []due
	if kind == port.DueOutbox {
		for _, row := range s.outbox {
			if !row.due.After(now) {
				all = append(all, due{at: ts(row.due) + "#" + row.m.ID, m: row.m})
			}
		}
	}
	for _, r := range s.collabs {
		if k, at, ok := collab.Timing(s.timing).Due(r); ok && string(k) == kind && !at.After(now) {
			all = append(all, due{at: ts(at) + "#" + r.ID, r: cloneRecord(r)})
		}
	}
	slices.SortFunc(all, func(a, b due) int { return strings.Compare(a.at, b.at) })
	var d port.Due
	d.More = len(all) >= limit
	for _, x := range all[:min(limit, len(all))] {
		d.Read++
		if kind == port.DueOutbox {
			d.Messages = append(d.Messages, x.m)
		} else {
			d.Collaborations = append(d.Collaborations, x.r)
		}
	}
	return d, nil
}

// ExpiringOf reads the Expiring of due collaborations, by collaboration id, and reports how
// many items it read (each invitation and subscription found once); only a pending
// collaboration's invitation is read.
func (s *Store) ExpiringOf(_ context.Context, rs []collab.CollaborationRecord) (map[string]port.Expiring, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]port.Expiring, len(rs))
	found := map[string]bool{}
	for _, r := range rs {
		var e port.Expiring
		if sub, ok := s.subscription(r.CompanyID, r.Solution); ok {
			e.Subscription, found[subscriptionItem(r.CompanyID, r.Solution)] = &sub, true
		}
		if inv, ok := s.invitations[r.InvitationHash]; ok && r.InvitationHash != "" && r.Status == collab.Pending {
			e.Invitation, found["INVITE#"+r.InvitationHash] = &inv, true
		}
		out[r.ID] = e
	}
	return out, len(found), nil
}

// ClaimDeliveries leases the delivery of job jobID's e-mails to the caller until now+lease and
// returns how each delivery of the job ended so far. It returns port.ErrDelivered when the job
// was settled for good and port.ErrDeliveryLeased while another worker's lease runs.
func (s *Store) ClaimDeliveries(_ context.Context, jobID string, now time.Time, lease time.Duration) (*port.Deliveries, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deliveries[jobID]
	switch {
	case d == nil:
		d = &delivery{ended: map[string]port.DeliveryEnd{}}
		s.deliveries[jobID] = d
	case d.settled:
		return nil, port.ErrDelivered
	case !d.until.IsZero() && !d.until.Before(now):
		return nil, port.ErrDeliveryLeased
	}
	s.stamps++
	d.lease, d.until = "lease-"+strconv.Itoa(s.stamps), now.Add(lease)
	return &port.Deliveries{JobID: jobID, Ended: maps.Clone(d.ended), Lease: d.lease}, nil
}

// SettleDeliveries records how the deliveries made under d's lease ended and gives the lease up;
// done settles the job for good. A lease no longer d's fails the commit with collab.ErrConflict.
func (t *Tx) SettleDeliveries(d *port.Deliveries, done bool) {
	recorded := maps.Clone(d.Recorded)
	t.add("DELIVERY#"+d.JobID, conflictUnless(func(s *Store) bool {
		w := s.deliveries[d.JobID]
		return w != nil && w.lease != "" && w.lease == d.Lease
	}), func(s *Store) {
		w := s.deliveries[d.JobID]
		maps.Copy(w.ended, recorded)
		w.settled = w.settled || done
		w.lease, w.until = "", time.Time{}
	})
}

// SaveResponse stores the response in the same transaction as the work it reports; it goes
// first, so a key used meanwhile (within port.IdempotencyWindow) fails the commit with
// collab.ErrDuplicateRequest before any other condition.
func (t *Tx) SaveResponse(r port.Response) {
	k := pair{r.Scope, r.Key}
	t.ops = append([]op{{item: "IDEM#" + k.a + "#" + k.b, check: holds(func(s *Store) bool {
		was, ok := s.responses[k]
		return !ok || was.At.Add(port.IdempotencyWindow).Unix() < r.At.Unix()
	}, collab.ErrDuplicateRequest), apply: func(s *Store) { s.responses[k] = r }}}, t.ops...)
}

// SavedResponse returns the response stored for a key, and whether there is one within the
// window.
func (s *Store) SavedResponse(_ context.Context, scope, key string, now time.Time) (port.Response, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.responses[pair{scope, key}]
	if !ok || now.Unix() > r.At.Add(port.IdempotencyWindow).Unix() {
		return port.Response{}, false, nil
	}
	return r, true, nil
}
