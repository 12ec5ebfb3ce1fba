package actions

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// Bus publishes events on the service's event bus, all or none of a call's (an error when any
// was refused, so the job that carries them is retried).
type Bus interface {
	Publish(ctx context.Context, es []events.Event) error
}

// recorder is a change's transaction, noting as it goes what the change tells the solutions:
// the collaborations it writes, the access grants it gives and takes, the subscriptions it
// writes. The events leave with the change's first job (or a job of their own), so they are in
// the outbox of the transaction that makes them true and are published only if it commits.
type recorder struct {
	port.Tx
	collabs []*collab.Collaboration
	grants  []grantChange
	subs    []collab.Subscription
	people  []personChange // PersonChanged (personEvents)
}

type grantChange struct {
	g       collab.Grant
	granted bool
}

func (r *recorder) PutCollaboration(c *collab.Collaboration) {
	r.Tx.PutCollaboration(c)
	r.collabs = append(r.collabs, c)
}

func (r *recorder) PutGrant(g collab.Grant) {
	r.Tx.PutGrant(g)
	r.grants = append(r.grants, grantChange{g, true})
}

func (r *recorder) DeleteGrant(g collab.Grant) {
	r.Tx.DeleteGrant(g)
	r.grants = append(r.grants, grantChange{g, false})
}

func (r *recorder) PutSubscription(s collab.Subscription) {
	r.Tx.PutSubscription(s)
	r.subs = append(r.subs, s)
}

// events returns the change's events, each with an id from newID: a status change per
// transition of a collaboration it writes, the access it gives and takes per collaboration, and
// each subscription it writes.
func (r *recorder) events(newID func() string, now time.Time) []events.Event {
	versions := map[string]int{}
	var out []events.Event
	for _, c := range r.collabs {
		rec := c.Committed().Record()
		versions[rec.ID] = rec.Version
		for _, t := range c.NewTransitions() {
			if t.From == t.To {
				continue
			}
			out = append(out, events.New(events.CollaborationStatusChanged, events.StatusChange{
				Header:   events.Header{EventID: newID(), At: t.At, CollaborationID: rec.ID, Version: rec.Version},
				OfficeID: rec.OfficeID, CustomerNo: rec.CustomerNo, CompanyID: rec.CompanyID, Solution: string(rec.Solution),
				From: string(t.From), To: string(t.To)}))
		}
	}
	out = append(out, r.accessEvents(newID, versions, now)...)
	out = append(out, r.personEvents(newID, now)...)
	for _, s := range r.subs {
		cause := s.CreatedBy // the collaboration the change writes with it, if any
		if n := len(r.collabs); n > 0 {
			cause = r.collabs[n-1].ID()
		}
		out = append(out, events.New(events.SubscriptionChanged, events.Subscription{
			Header:    events.Header{EventID: newID(), At: now, CollaborationID: cause, Version: versions[cause]},
			CompanyID: s.CompanyID, Solution: string(s.Solution), Status: string(s.Status),
			InvoiceRecipient: string(s.InvoiceRecipient), PayingOfficeID: s.PayingOfficeID}))
	}
	return out
}

// accessEvents returns one AccessChanged event per collaboration whose grants the change gives
// or takes.
func (r *recorder) accessEvents(newID func() string, versions map[string]int, now time.Time) []events.Event {
	by := map[string]*events.Access{}
	var order []string
	for _, gc := range r.grants {
		a := by[gc.g.Via]
		if a == nil {
			a = &events.Access{Header: events.Header{CollaborationID: gc.g.Via, Version: versions[gc.g.Via], At: now},
				CompanyID: gc.g.CompanyID, Solution: string(gc.g.Solution), Mode: string(gc.g.Mode), Granted: []string{}, Revoked: []string{}}
			by[gc.g.Via] = a
			order = append(order, gc.g.Via)
		}
		if gc.granted {
			a.Granted = append(a.Granted, gc.g.UserID)
		} else {
			a.Revoked = append(a.Revoked, gc.g.UserID)
		}
	}
	out := make([]events.Event, 0, len(order))
	for _, via := range order {
		a := by[via]
		a.EventID = newID()
		slices.Sort(a.Granted)
		slices.Sort(a.Revoked)
		out = append(out, events.New(events.AccessChanged, a))
	}
	return out
}

// relay publishes the events a job carries, before the job's own work: a job redelivered
// publishes them again, under the same ids. A job that carries only events is done then; a
// command's job stays in the outbox until the solution acknowledges the command.
func (s *Service) relay(ctx context.Context, j Job) (done bool, err error) {
	if len(j.Events) == 0 {
		return false, nil
	}
	if s.Bus == nil {
		return false, errors.New("the job carries events and this function has no event bus (EVENT_BUS_NAME)")
	}
	if err := s.Bus.Publish(ctx, j.Events); err != nil {
		return false, err
	}
	switch {
	case j.Command != "":
		return true, nil // consumed by the solution's acknowledgement (AcknowledgeTeardown)
	case j.CollaborationID != "" || j.Task != nil || j.Email != "":
		return false, nil
	}
	return true, s.Store.Consumed(ctx, j.ID)
}
