package memory

import (
	"context"
	"fmt"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// maxTxItems is DynamoDB's limit of items in one TransactWriteItems, which the store keeps too.
const maxTxItems = 100

// Tx collects the writes of one change. Each write has the item it is about, the condition it
// commits on (nil: none) and what it changes (nil: a check only).
type Tx struct {
	s   *Store
	ops []op
	// members are the users whose memberships the transaction changes: the DynamoDB store
	// writes one more item per user for them, which counts towards its limit.
	members map[string]bool
}

type op struct {
	item  string
	check func(s *Store) error
	apply func(s *Store)
}

func (t *Tx) add(item string, check func(*Store) error, apply func(*Store)) {
	t.ops = append(t.ops, op{item, check, apply})
}

func (t *Tx) member(user string) {
	if t.members == nil {
		t.members = map[string]bool{}
	}
	t.members[user] = true
}

// Commit checks every condition against the store as it is, in the order the writes were added,
// and fails with the first one's error without writing anything; otherwise it applies every
// write. Like a TransactWriteItems it refuses more than 100 items, and two writes of one item.
func (t *Tx) Commit(_ context.Context) error {
	if n := len(t.ops) + len(t.members); n > maxTxItems {
		return fmt.Errorf("commit: %d writes, more than DynamoDB's %d: %w", n, maxTxItems, port.ErrTooLarge)
	}
	seen := map[string]bool{}
	for _, o := range t.ops {
		if seen[o.item] {
			return fmt.Errorf("commit: the transaction writes item %s twice", o.item)
		}
		seen[o.item] = true
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, o := range t.ops {
		if o.check == nil {
			continue
		}
		if err := o.check(t.s); err != nil {
			return err
		}
	}
	for _, o := range t.ops {
		if o.apply != nil {
			o.apply(t.s)
		}
	}
	return nil
}

// holds returns a check that fails with onFail unless ok holds.
func holds(ok func(s *Store) bool, onFail error) func(*Store) error {
	return func(s *Store) error {
		if !ok(s) {
			return onFail
		}
		return nil
	}
}

// conflictUnless is holds with collab.ErrConflict.
func conflictUnless(ok func(s *Store) bool) func(*Store) error { return holds(ok, collab.ErrConflict) }
