package collab_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestInvitationUndelivered(t *testing.T) {
	marked := func(t *testing.T) *collab.Collaboration {
		t.Helper()
		c := at(collab.Pending, "scanner")
		if changed, err := c.InvitationUndelivered([]string{"adm-1"}, t0); !changed || err != nil {
			t.Fatalf("first mark: changed %v, %v", changed, err)
		}
		return c
	}
	t.Run("marked_with_the_users_refused_and_a_history_entry", func(t *testing.T) {
		c := marked(t)
		u := c.Record().Undelivered
		if !u.At.Equal(t0) || u.Reason != collab.RecipientRejected || !slices.Equal(u.Users, []string{"adm-1"}) {
			t.Fatalf("undelivered %+v", u)
		}
		h := c.NewTransitions()
		if len(h) != 1 || h[0].From != collab.Pending || h[0].To != collab.Pending || h[0].Actor != collab.System {
			t.Fatalf("history %+v", h)
		}
	})
	t.Run("users_already_marked_change_nothing", func(t *testing.T) {
		c := marked(t)
		if changed, err := c.InvitationUndelivered([]string{"adm-1"}, t0.Add(time.Minute)); changed || err != nil {
			t.Fatalf("marked again: changed %v, %v", changed, err)
		}
		if len(c.NewTransitions()) != 1 || !c.Record().Undelivered.At.Equal(t0) {
			t.Fatalf("a repeated mark changed the collaboration: %+v", c.Record().Undelivered)
		}
	})
	t.Run("another_user_is_added", func(t *testing.T) {
		c := marked(t)
		later := t0.Add(time.Minute)
		if changed, err := c.InvitationUndelivered([]string{"adm-1", "adm-2"}, later); !changed || err != nil {
			t.Fatalf("second user: changed %v, %v", changed, err)
		}
		if u := c.Record().Undelivered; !slices.Equal(u.Users, []string{"adm-1", "adm-2"}) || !u.At.Equal(later) {
			t.Fatalf("undelivered %+v", u)
		}
	})
	for name, clear := range map[string]func(c *collab.Collaboration) error{
		"resend_clears_it": func(c *collab.Collaboration) error {
			return c.Invite(collab.Invitation{TokenHash: "h2", ExpiresAt: t0.Add(time.Hour)})
		},
		"accept_clears_it":  func(c *collab.Collaboration) error { return c.Accept(admin, t0) },
		"decline_clears_it": func(c *collab.Collaboration) error { return c.Decline(admin, t0) },
	} {
		t.Run(name, func(t *testing.T) {
			c := marked(t)
			if err := clear(c); err != nil {
				t.Fatal(err)
			}
			if u := c.Record().Undelivered; u.Reason != "" || u.Users != nil {
				t.Fatalf("still marked: %+v", u)
			}
		})
	}
	t.Run("refused_unless_pending", func(t *testing.T) {
		for _, s := range collab.Statuses {
			if s == collab.Pending {
				continue
			}
			_, err := at(s, "scanner").InvitationUndelivered([]string{"adm-1"}, t0)
			if collab.ErrorCode(err) != "collaboration_not_pending" {
				t.Errorf("%s: %v, want collaboration_not_pending", s, err)
			}
		}
	})
}
