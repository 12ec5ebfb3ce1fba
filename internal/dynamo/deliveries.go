package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The states of one e-mail delivery.
const (
	DeliverySending  = "sending"  // claimed by a worker, which holds a lease
	DeliverySent     = "sent"     // SES accepted it
	DeliveryRejected = "rejected" // SES refused it for good; not retried
)

// deliveryRetention is how long a delivery is remembered: longer than any message can be
// redelivered (queue retention plus the outbox's re-sends).
const deliveryRetention = 30 * 24 * time.Hour

func deliveryKey(k string) key { return key{"DELIVERY#" + k, "DELIVERY"} }

// ClaimDelivery claims the delivery with key k for one worker until now+lease. It returns the
// delivery's state: DeliverySending with claimed true when this caller holds it now; otherwise
// the state another worker left (sending, under a live lease, or sent or rejected for good).
func (s *Store) ClaimDelivery(ctx context.Context, k string, now time.Time, lease time.Duration) (claimed bool, state string, err error) {
	dk := deliveryKey(k)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: dk.pk}, attrSK: &types.AttributeValueMemberS{Value: dk.sk},
			"Type":       &types.AttributeValueMemberS{Value: "delivery"},
			"State":      &types.AttributeValueMemberS{Value: DeliverySending},
			"LeaseUntil": &types.AttributeValueMemberS{Value: ts(now.Add(lease))},
			TTLAttribute: &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(deliveryRetention).Unix())},
		},
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR (#state = :sending AND LeaseUntil < :now)"),
		ExpressionAttributeNames: map[string]string{"#state": "State"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: DeliverySending},
			":now":     &types.AttributeValueMemberS{Value: ts(now)},
		},
	})
	if err == nil {
		return true, DeliverySending, nil
	}
	if !isConditionFailure(err) {
		return false, "", fmt.Errorf("claim delivery: %w", err)
	}
	var it struct{ State string }
	if _, err := s.get(ctx, "get delivery", dk, &it); err != nil {
		return false, "", err
	}
	return false, it.State, nil
}

// SettleDelivery records how a claimed delivery ended (DeliverySent or DeliveryRejected), with
// the reason for a rejection.
func (s *Store) SettleDelivery(ctx context.Context, k, state, reason string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      deliveryKey(k).av(),
		UpdateExpression:         aws.String("SET #state = :state, Reason = :reason REMOVE LeaseUntil"),
		ExpressionAttributeNames: map[string]string{"#state": "State"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":state":  &types.AttributeValueMemberS{Value: state},
			":reason": &types.AttributeValueMemberS{Value: reason},
		},
	})
	if err != nil {
		return fmt.Errorf("settle delivery: %w", err)
	}
	return nil
}

// ReleaseDelivery gives up a claim after a failed send, so a retry may claim it at once.
func (s *Store) ReleaseDelivery(ctx context.Context, k string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       deliveryKey(k).av(),
		ConditionExpression:       aws.String("#state = :sending"),
		ExpressionAttributeNames:  map[string]string{"#state": "State"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": &types.AttributeValueMemberS{Value: DeliverySending}},
	})
	if err != nil && !isConditionFailure(err) {
		return fmt.Errorf("release delivery: %w", err)
	}
	return nil
}
