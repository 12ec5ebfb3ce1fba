package devstack

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/spiris/collab/internal/httpapi"
)

// Clock is the local runner's clock: the wall clock plus an offset a client moves forward
// (POST /_local/clock), so invitation expiry, reminders and agreement ends can be tried from
// outside without waiting. It only moves forward: the data written under a later time must not
// find itself in the future.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the stack's time: the service's and the cleanup's.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).UTC()
}

// Advance moves the clock d forward; d must be positive.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func (c *Clock) view() clockView {
	c.mu.Lock()
	off := c.offset
	c.mu.Unlock()
	return clockView{Now: time.Now().Add(off).UTC(), Offset: off.String()}
}

type clockView struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"` // how far ahead of the wall clock, as a Go duration
}

// clockRequest is the body of POST /_local/clock: move forward by Advance (a Go duration such as
// "720h" or "15m") or to To (an RFC 3339 time after the clock's now).
type clockRequest struct {
	Advance string    `json:"advance"`
	To      time.Time `json:"to"`
}

// clockPage answers GET /_local/clock with the stack's time.
func (s *Stack) clockPage(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clock.view())
}

// moveClock answers POST /_local/clock: it moves the clock forward and, when asked
// (?cleanup=1), runs the cleanup at the new time.
func (s *Stack) moveClock(w http.ResponseWriter, r *http.Request) {
	var in clockRequest
	bad := func(msg string) {
		writeJSON(w, http.StatusUnprocessableEntity, struct {
			Error httpapi.ErrorDetail `json:"error"`
		}{httpapi.ErrorDetail{Code: "clock_move_invalid", Message: msg,
			Fix: `send {"advance": "720h"} (a positive Go duration) or {"to": "2027-05-01T00:00:00Z"} (a time after now)`}})
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		bad("the body is not JSON with advance or to")
		return
	}
	var d time.Duration
	switch {
	case in.Advance != "" && !in.To.IsZero():
		bad("give advance or to, not both")
		return
	case in.Advance != "":
		var err error
		if d, err = time.ParseDuration(in.Advance); err != nil || d <= 0 {
			bad("advance is not a positive duration")
			return
		}
	case !in.To.IsZero():
		if d = in.To.Sub(s.clock.Now()); d <= 0 {
			bad("to is not after the clock's now: the clock only moves forward")
			return
		}
	default:
		bad("give advance or to")
		return
	}
	s.clock.Advance(d)
	out := struct {
		clockView
		Cleanup any `json:"cleanup,omitempty"`
	}{clockView: s.clock.view()}
	if r.URL.Query().Get("cleanup") == "1" {
		out.Cleanup = s.RunCleanup(r.Context())
	}
	writeJSON(w, http.StatusOK, out)
}
