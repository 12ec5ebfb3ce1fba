package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

type idempotencyItem struct {
	PK, SK      string
	Type        string
	RequestHash string
	Status      int
	Body        string
	At          string
	ExpiresAt   int64
}

// SaveResponse stores the response in the same transaction as the work it reports, so either both
// happen or neither; the commit fails with collab.ErrDuplicateRequest if the key was used meanwhile. It
// goes first in the transaction, so that failure wins over the conflicts the duplicate's other
// writes would also meet. A key whose window has passed may be used again even before TTL has
// deleted its record.
func (t *Tx) SaveResponse(r port.Response) {
	k := idempotencyKey(r.Scope, r.Key)
	item, err := attributevalue.MarshalMap(idempotencyItem{PK: k.pk, SK: k.sk, Type: "idempotency", RequestHash: r.RequestHash,
		Status: r.Status, Body: r.Body, At: ts(r.At), ExpiresAt: r.At.Add(port.IdempotencyWindow).Unix()})
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	t.items = append([]types.TransactWriteItem{{Put: &types.Put{
		TableName: &t.s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK) OR ExpiresAt < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(r.At.Unix(), 10)},
		},
	}}}, t.items...)
	t.onFail = append([]error{collab.ErrDuplicateRequest}, t.onFail...)
}

// SavedResponse returns the response stored for a key, and whether there is one within the
// window (TTL deletion lags, so the window is checked here too).
func (s *Store) SavedResponse(ctx context.Context, scope, key string, now time.Time) (port.Response, bool, error) {
	var it idempotencyItem
	ok, err := s.get(ctx, "get idempotency record", idempotencyKey(scope, key), &it)
	if err != nil || !ok || now.Unix() > it.ExpiresAt {
		return port.Response{}, false, err
	}
	return port.Response{Scope: scope, Key: key, RequestHash: it.RequestHash, Status: it.Status, Body: it.Body, At: parseTS(it.At)}, true, nil
}

// ErrDuplicateRequest is what Commit returns when a concurrent request with the same
// Idempotency-Key committed first: collab.ErrDuplicateRequest.
var ErrDuplicateRequest = collab.ErrDuplicateRequest
