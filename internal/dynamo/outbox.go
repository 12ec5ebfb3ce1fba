package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

type outboxItem struct {
	PK, SK    string
	Type      string
	DuePK     string
	DueAt     string
	ID        string
	Queue     string
	Body      string
	CreatedAt string
	Sends     int
	Trace     string `dynamodbav:",omitempty"`
	ExpiresAt int64  `dynamodbav:",omitempty"` // none for a message kept until consumed
}

// outboxRetention bounds how long an unconsumed message is kept before TTL removes it; far
// longer than any queue's retention, so an operator sees what never ran. A message to Keep has
// no TTL: a teardown command stays until its solution acknowledges it.
const outboxRetention = 30 * 24 * time.Hour

func (s *Store) outboxItem(m port.Message, dueAt time.Time) outboxItem {
	k := outboxKey(m.ID)
	it := outboxItem{PK: k.pk, SK: k.sk, Type: "outbox", DuePK: port.DueOutbox, DueAt: ts(dueAt),
		ID: m.ID, Queue: m.Queue, Body: m.Body, CreatedAt: ts(m.CreatedAt), Sends: m.Sends, Trace: m.Trace}
	if !m.Keep {
		it.ExpiresAt = m.CreatedAt.Add(outboxRetention).Unix()
	}
	return it
}

// Enqueue records a message to send after the commit; it falls due for re-sending after
// Timing.StuckAfter.
func (t *Tx) Enqueue(m port.Message) {
	t.putOnce(t.s.outboxItem(m, m.CreatedAt.Add(t.s.timing.StuckAfter)), collab.ErrConflict)
}

// Consumed removes a message once its work is done (idempotent).
func (s *Store) Consumed(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: outboxKey(id).av()})
	if err != nil {
		return fmt.Errorf("delete outbox message %s: %w", id, err)
	}
	return nil
}

// Consume removes a message in the same transaction as the last of its work, so the work and
// the message's end are written together (idempotent, like Consumed).
func (t *Tx) Consume(id string) { t.delete(outboxKey(id), "", nil, nil) }

// Postpone records that the cleanup re-sent a message and when to look at it again. It changes
// nothing if the message was consumed meanwhile.
func (s *Store) Postpone(ctx context.Context, m port.Message, until time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(m.ID).av(),
		UpdateExpression:    aws.String("SET DueAt = :due, Sends = Sends + :one"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":due": &types.AttributeValueMemberS{Value: ts(until)},
			":one": &types.AttributeValueMemberN{Value: "1"},
		},
	})
	if err != nil && !isConditionFailure(err) {
		return fmt.Errorf("postpone outbox message %s: %w", m.ID, err)
	}
	return nil
}

// DueWork returns up to limit items of a kind (DueInvitationExpiry, DueAgreementReminder,
// DueAgreementEnd, DueTeardownStuck, DueOutbox) due at or before now, oldest due first. It
// queries the sparse Due index, so it reads only due items whatever the table's size.
func (s *Store) DueWork(ctx context.Context, kind string, now time.Time, limit int) (port.Due, error) {
	var d port.Due
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexDue),
		KeyConditionExpression: aws.String("DuePK = :kind AND DueAt <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": &types.AttributeValueMemberS{Value: kind},
			":now":  &types.AttributeValueMemberS{Value: ts(now)},
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return d, fmt.Errorf("query due %s: %w", kind, err)
	}
	d.Read = int(res.ScannedCount)
	d.More = res.LastEvaluatedKey != nil
	for _, item := range res.Items {
		if kind == port.DueOutbox {
			var it outboxItem
			if err := decode("query due outbox", item, &it); err != nil {
				return d, err
			}
			d.Messages = append(d.Messages, port.Message{ID: it.ID, Queue: it.Queue, Body: it.Body,
				CreatedAt: parseTS(it.CreatedAt), Sends: it.Sends, Trace: it.Trace})
			continue
		}
		var it collaborationItem
		if err := decode("query due "+kind, item, &it); err != nil {
			return d, err
		}
		d.Collaborations = append(d.Collaborations, it.record())
	}
	return d, nil
}

// ExpiringOf reads the Expiring of due collaborations, by collaboration id, in BatchGetItem
// requests of up to 100 keys (one request for 50 collaborations), and reports how many items it
// read. The keys come from the collaborations: the subscription by company and solution, and a
// pending one's invitation by its hash.
func (s *Store) ExpiringOf(ctx context.Context, rs []collab.CollaborationRecord) (map[string]port.Expiring, int, error) {
	out := make(map[string]port.Expiring, len(rs))
	read := 0
	for len(rs) > 0 {
		batch := rs[:min(len(rs), maxBatchGet/2)]
		rs = rs[len(batch):]
		var keys []key
		for _, r := range batch {
			keys = append(keys, subscriptionKey(r.CompanyID, string(r.Solution)))
			if r.InvitationHash != "" && r.Status == collab.Pending {
				keys = append(keys, invitationKey(r.InvitationHash))
			}
		}
		found, err := s.getMany(ctx, "get expiring invitations and subscriptions", keys)
		if err != nil {
			return nil, read, err
		}
		read += len(found)
		for _, r := range batch {
			var e port.Expiring
			if item, ok := found[subscriptionKey(r.CompanyID, string(r.Solution))]; ok {
				var it subscriptionItem
				if err := decode("get expiring subscription", item, &it); err != nil {
					return nil, read, err
				}
				sub := it.subscription()
				e.Subscription = &sub
			}
			if item, ok := found[invitationKey(r.InvitationHash)]; ok && r.InvitationHash != "" && r.Status == collab.Pending {
				var it invitationItem
				if err := decode("get expiring invitation", item, &it); err != nil {
					return nil, read, err
				}
				inv := it.invitation()
				e.Invitation = &inv
			}
			out[r.ID] = e
		}
	}
	return out, read, nil
}

// maxBatchGet is DynamoDB's limit of keys in one BatchGetItem.
const maxBatchGet = 100
