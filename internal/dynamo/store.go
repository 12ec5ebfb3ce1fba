// Package dynamo is the single-table DynamoDB store of the collaboration service. It is the only
// package that knows keys, index names and item shapes (docs/data-model.md lists every access
// pattern). Every read is a GetItem, BatchGetItem or Query; every write of an aggregate carries a
// version condition, and writes that belong together go in one TransactWriteItems through Tx. A
// failed condition becomes a domain error: collab.ErrConflict for a lost race, or the specific
// error the caller attached to the write.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
)

// Index names and key attributes. They must match template.yaml (a test checks they do).
const (
	attrPK = "PK"
	attrSK = "SK"

	indexOffice   = "GSI1" // GSI1PK=OFFICE#o, GSI1SK=<created>#<id>: an office's collaborations, newest first
	indexCustomer = "GSI2" // GSI2PK=OFFICE#o#CUSTOMER#n: a customer's tasks and collaborations
	indexStatus   = "GSI3" // GSI3PK=OFFICE#o#STATUS#s: an office's collaborations in one status
	indexCompany  = "GSI4" // GSI4PK=COMPANY#c: a company's collaborations
	indexDue      = "Due"  // DuePK=<kind>, DueAt=<time>: sparse, only items with work due

	// TTLAttribute holds the epoch second after which DynamoDB may delete an item.
	TTLAttribute = "ExpiresAt"
)

// Indexes lists every GSI the store queries with its key attributes, for the template drift test.
var Indexes = map[string][2]string{
	indexOffice:   {"GSI1PK", "GSI1SK"},
	indexCustomer: {"GSI2PK", "GSI2SK"},
	indexStatus:   {"GSI3PK", "GSI3SK"},
	indexCompany:  {"GSI4PK", "GSI4SK"},
	indexDue:      {"DuePK", "DueAt"},
}

// Store reads and writes the service's table.
type Store struct {
	db     *dynamodb.Client
	table  string
	timing port.Timing
}

// New returns a store on the named table.
func New(db *dynamodb.Client, table string, timing port.Timing) *Store {
	return &Store{db: db, table: table, timing: timing}
}

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

type key struct{ pk, sk string }

func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: k.pk},
		attrSK: &types.AttributeValueMemberS{Value: k.sk},
	}
}

// get reads one item into out with a strongly consistent read. It reports false when the item
// does not exist.
func (s *Store) get(ctx context.Context, op string, k key, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            k.av(),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fmt.Errorf("%s: decode: %w", op, err)
	}
	return true, nil
}

// getMany reads up to 100 items by key in one BatchGetItem (plus retries for unprocessed keys)
// and returns them by key; missing items are absent from the map.
func (s *Store) getMany(ctx context.Context, op string, keys []key) (map[key]map[string]types.AttributeValue, error) {
	found := make(map[key]map[string]types.AttributeValue, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	req := make([]map[string]types.AttributeValue, 0, len(keys))
	seen := map[key]bool{}
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			req = append(req, k.av())
		}
	}
	pending := map[string]types.KeysAndAttributes{s.table: {Keys: req, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if attempt > 5 {
				return nil, fmt.Errorf("%s: keys left unprocessed after %d attempts", op, attempt)
			}
			time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		for _, item := range res.Responses[s.table] {
			found[keyOf(item)] = item
		}
		pending = res.UnprocessedKeys
	}
	return found, nil
}

// getInto reads the items keyed in into with one BatchGetItem (getMany) and decodes each one found
// into its value; a missing item leaves its value as it was.
func (s *Store) getInto(ctx context.Context, op string, into map[key]any) error {
	keys := make([]key, 0, len(into))
	for k := range into {
		keys = append(keys, k)
	}
	found, err := s.getMany(ctx, op, keys)
	if err != nil {
		return err
	}
	for k, item := range found {
		if err := decode(op, item, into[k]); err != nil {
			return err
		}
	}
	return nil
}

func keyOf(item map[string]types.AttributeValue) key {
	var k key
	if v, ok := item[attrPK].(*types.AttributeValueMemberS); ok {
		k.pk = v.Value
	}
	if v, ok := item[attrSK].(*types.AttributeValueMemberS); ok {
		k.sk = v.Value
	}
	return k
}

func decode(op string, item map[string]types.AttributeValue, out any) error {
	if err := attributevalue.UnmarshalMap(item, out); err != nil {
		return fmt.Errorf("%s: decode: %w", op, err)
	}
	return nil
}

// isConditionFailure reports whether err is a failed condition of a single-item write.
func isConditionFailure(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// ts formats a time for storage: RFC 3339 in UTC with fixed-width nanoseconds, so strings sort as
// times do. The zero time is stored as no attribute.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// queryEach runs a query to its last page and calls each for every item, in order.
func (s *Store) queryEach(ctx context.Context, op string, in *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// Begin starts an empty transaction: the port's way to Tx.
func (s *Store) Begin() port.Tx { return s.Tx() }

var _ port.Store = (*Store)(nil)
var _ port.Tx = (*Tx)(nil)
