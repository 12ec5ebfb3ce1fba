package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/collab"
)

// Import writes collaborations in bulk, with their history and, for open ones, their slot guard,
// in BatchWriteItem requests of 25 items. It is for moving collaborations over from the older
// tool and for loading seed data, not for requests: the writes are unconditional, so the caller
// makes sure ids and (office, customer, solution) slots are unique.
func (s *Store) Import(ctx context.Context, cs []*collab.Collaboration) error {
	var items []map[string]types.AttributeValue
	add := func(v any) error {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			return fmt.Errorf("import: encode: %w", err)
		}
		items = append(items, item)
		return nil
	}
	for _, c := range cs {
		r := c.Record()
		it := s.collaborationItem(r)
		it.Version = r.Version + 1
		if err := add(it); err != nil {
			return err
		}
		if !r.Status.Final() {
			k := openKey(r.OfficeID, r.CustomerNo, string(r.Solution))
			if err := add(struct{ PK, SK, Type, CollaborationID string }{k.pk, k.sk, "open", r.ID}); err != nil {
				return err
			}
		}
		for i, h := range c.NewTransitions() {
			if err := add(newHistoryItem(r, i, h)); err != nil {
				return err
			}
		}
	}
	for len(items) > 0 {
		n := min(25, len(items))
		if err := s.batchWrite(ctx, items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

func (s *Store) batchWrite(ctx context.Context, items []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, item := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	pending := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 5 {
			return fmt.Errorf("import: items left unprocessed after %d attempts", attempt)
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
			}
		}
		res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		pending = res.UnprocessedItems
	}
	return nil
}
