package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// maxTxItems is DynamoDB's limit of items in one TransactWriteItems.
const maxTxItems = 100

// Tx collects writes that succeed or fail together in one TransactWriteItems. Each write carries
// its condition and the error to return when that condition fails.
type Tx struct {
	s      *Store
	items  []types.TransactWriteItem
	onFail []error
	err    error
	// members collects changes to users' memberships items, written as one update per user
	// when the transaction commits.
	members map[string]*membershipChange
	// memberConds collects conditions on users' memberships items, by user: added to the item's
	// update when the transaction changes it too (one item, one operation), else checked alone.
	memberConds map[string][]memberCond
}

// Tx starts an empty transaction.
func (s *Store) Tx() *Tx { return &Tx{s: s} }

// Len returns the number of writes collected so far.
func (t *Tx) Len() int { return len(t.items) }

func (t *Tx) add(item types.TransactWriteItem, onFail error) {
	t.items = append(t.items, item)
	t.onFail = append(t.onFail, onFail)
}

// put writes v as a whole item. version is the version v was read at: 0 means the item must not
// exist yet, otherwise its stored version must still be version. The item is written at
// version+1.
func (t *Tx) put(v any, version int, onFail error) { t.putIf(v, version, "", nil, onFail) }

// putIf is put when cond, if not empty, holds as well for an item that exists.
func (t *Tx) putIf(v any, version int, cond string, values map[string]types.AttributeValue, onFail error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("encode %T: %w", v, err))
		return
	}
	item["Version"] = &types.AttributeValueMemberN{Value: fmt.Sprint(version + 1)}
	p := &types.Put{TableName: &t.s.table, Item: item}
	if version == 0 {
		p.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		p.ConditionExpression = aws.String("Version = :v")
		if cond != "" {
			p.ConditionExpression = aws.String("Version = :v AND " + cond)
		}
		p.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(version)}}
		maps.Copy(p.ExpressionAttributeValues, values)
	}
	t.add(types.TransactWriteItem{Put: p}, onFail)
}

// putOnce writes v unless an item with its key exists (history entries, outbox messages, guard
// items). It needs no version.
func (t *Tx) putOnce(v any, onFail error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("encode %T: %w", v, err))
		return
	}
	t.add(types.TransactWriteItem{Put: &types.Put{
		TableName: &t.s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}, onFail)
}

// putAlways writes v whatever is stored (idempotent upserts of facts owned elsewhere).
func (t *Tx) putAlways(v any) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("encode %T: %w", v, err))
		return
	}
	t.add(types.TransactWriteItem{Put: &types.Put{TableName: &t.s.table, Item: item}}, nil)
}

// delete removes the item at k; cond, when not empty, must hold.
func (t *Tx) delete(k key, cond string, values map[string]types.AttributeValue, onFail error) {
	d := &types.Delete{TableName: &t.s.table, Key: k.av()}
	if cond != "" {
		d.ConditionExpression = aws.String(cond)
		d.ExpressionAttributeValues = values
	}
	t.add(types.TransactWriteItem{Delete: d}, onFail)
}

// update changes the item at k by the update expression (creating it when it does not exist).
func (t *Tx) update(k key, expr string, names map[string]string, values map[string]types.AttributeValue) {
	t.updateIf(k, expr, "", names, values, nil)
}

// updateIf is update when cond, if not empty, holds for the item at k.
func (t *Tx) updateIf(k key, expr, cond string, names map[string]string, values map[string]types.AttributeValue, onFail error) {
	u := &types.Update{
		TableName: &t.s.table, Key: k.av(),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	if cond != "" {
		u.ConditionExpression = aws.String(cond)
	}
	t.add(types.TransactWriteItem{Update: u}, onFail)
}

// check makes the transaction depend on cond holding for the item at k, without writing it. It
// returns the check, for a caller that wants the item back when it fails.
func (t *Tx) check(k key, cond string, names map[string]string, values map[string]types.AttributeValue, onFail error) *types.ConditionCheck {
	c := &types.ConditionCheck{
		TableName: &t.s.table, Key: k.av(),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	t.add(types.TransactWriteItem{ConditionCheck: c}, onFail)
	return c
}

// checkRole makes the transaction depend on the item at k (a user or an employee) having the role.
func (t *Tx) checkRole(k key, role string, onFail error) {
	t.check(k, "#role = :role", map[string]string{"#role": "Role"},
		map[string]types.AttributeValue{":role": &types.AttributeValueMemberS{Value: role}}, onFail)
}

// Commit writes everything or nothing. When a condition fails it returns the error attached to
// that write (collab.ErrConflict when none was), and collab.ErrConflict when DynamoDB cancelled
// the transaction for a conflicting concurrent transaction. A transaction cancelled for
// throttling, which the SDK does not retry, is sent again up to commitAttempts times in all
// (nothing of it was written); then Commit returns collab.ErrBusy.
func (t *Tx) Commit(ctx context.Context) error {
	if t.err != nil {
		return fmt.Errorf("commit: %w", t.err)
	}
	t.flushMemberships()
	if len(t.items) == 0 {
		return nil
	}
	if len(t.items) > maxTxItems {
		return fmt.Errorf("commit: %d writes, more than DynamoDB's %d: %w", len(t.items), maxTxItems, port.ErrTooLarge)
	}
	for attempt := 1; ; attempt++ {
		err := t.send(ctx)
		if !errors.Is(err, errThrottled) {
			return err
		}
		if attempt == commitAttempts {
			return fmt.Errorf("commit: %w (%w)", collab.ErrBusy, err)
		}
		// Full jitter over a doubling ceiling, as the SDK backs off its own retries.
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(commitBackoff << attempt)))):
		case <-ctx.Done():
			return fmt.Errorf("commit: %w", ctx.Err())
		}
	}
}

// commitAttempts and commitBackoff bound Commit's retries of a transaction cancelled for
// throttling: 4 attempts, waiting up to 50, 100 and 200 ms between them.
const (
	commitAttempts = 4
	commitBackoff  = 25 * time.Millisecond
)

// errThrottled marks a transaction DynamoDB cancelled for throttling.
var errThrottled = errors.New("transaction cancelled for throttling")

// send sends the transaction once and interprets its cancellation.
func (t *Tx) send(ctx context.Context) error {
	_, err := t.s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return fmt.Errorf("commit: %w", err)
	}
	throttled := false
	for i, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			if i < len(t.onFail) && t.onFail[i] != nil {
				return t.onFail[i]
			}
			return collab.ErrConflict
		case "TransactionConflict":
			return collab.ErrConflict
		case "ThrottlingError", "ProvisionedThroughputExceeded":
			throttled = true
		}
	}
	if throttled {
		return fmt.Errorf("%w: %w", errThrottled, err)
	}
	return fmt.Errorf("commit: %w", err)
}
