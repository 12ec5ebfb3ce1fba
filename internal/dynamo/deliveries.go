package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// deliveryRetention is how long a job's deliveries are remembered: longer than any message can be
// redelivered (queue retention plus the outbox's re-sends).
const deliveryRetention = 30 * 24 * time.Hour

func deliveryKey(jobID string) key { return key{"DELIVERY#" + jobID, "DELIVERY"} }

type deliveryItem struct {
	Recipients map[string]port.DeliveryEnd
	Settled    bool
}

// ClaimDeliveries leases the delivery of job jobID's e-mails to this worker until now+lease, in
// one UpdateItem that also returns how each delivery of the job ended so far. It returns
// ErrDelivered when the job was settled for good and ErrDeliveryLeased while another worker's
// lease runs. The lease is the one condition on time the store writes: it is a lock, not a
// decision, so that two workers never send the same job's e-mails at once.
func (s *Store) ClaimDeliveries(ctx context.Context, jobID string, now time.Time, lease time.Duration) (*port.Deliveries, error) {
	token := make([]byte, 12)
	rand.Read(token)
	d := &port.Deliveries{JobID: jobID, Lease: hex.EncodeToString(token)}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key:       deliveryKey(jobID).av(),
		UpdateExpression: aws.String("SET #type = :type, LeaseUntil = :until, Lease = :lease, " +
			"Recipients = if_not_exists(Recipients, :none), ExpiresAt = if_not_exists(ExpiresAt, :ttl)"),
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR (attribute_not_exists(Settled) AND (attribute_not_exists(LeaseUntil) OR LeaseUntil < :now))"),
		ExpressionAttributeNames: map[string]string{"#type": "Type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type":  &types.AttributeValueMemberS{Value: "delivery"},
			":until": &types.AttributeValueMemberS{Value: ts(now.Add(lease))},
			":lease": &types.AttributeValueMemberS{Value: d.Lease},
			":none":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
			":ttl":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(deliveryRetention).Unix(), 10)},
			":now":   &types.AttributeValueMemberS{Value: ts(now)},
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		var it deliveryItem
		if err := attributevalue.UnmarshalMap(failed.Item, &it); err == nil && it.Settled {
			return nil, port.ErrDelivered
		}
		return nil, port.ErrDeliveryLeased
	}
	if err != nil {
		return nil, fmt.Errorf("claim deliveries of %s: %w", jobID, err)
	}
	var it deliveryItem
	if err := decode("claim deliveries", res.Attributes, &it); err != nil {
		return nil, err
	}
	d.Ended = it.Recipients
	if d.Ended == nil {
		d.Ended = map[string]port.DeliveryEnd{}
	}
	return d, nil
}

// SettleDeliveries records in the transaction how the deliveries made under d's lease ended and
// gives the lease up; done says the job is over, so none of its e-mails is sent again. The write
// requires the lease to be still d's (the claim unchanged): a worker whose lease ran out and was
// taken over fails the commit with collab.ErrConflict and leaves the job to the other. It writes
// the job's whole record of ended deliveries (d.Ended: what the claim read and what ended since),
// which only the lease holder can change, so the expression stays one short SET for any number
// of recipients (an expression of one per recipient passes DynamoDB's 4 KB at about 200).
func (t *Tx) SettleDeliveries(d *port.Deliveries, done bool) {
	values := map[string]types.AttributeValue{":lease": &types.AttributeValueMemberS{Value: d.Lease}}
	var set []string
	if len(d.Recorded) > 0 {
		ended, err := attributevalue.Marshal(d.Ended)
		if err != nil {
			t.err = errors.Join(t.err, fmt.Errorf("encode deliveries: %w", err))
			return
		}
		set, values[":ended"] = append(set, "Recipients = :ended"), ended
	}
	if done {
		set, values[":true"] = append(set, "Settled = :true"), &types.AttributeValueMemberBOOL{Value: true}
	}
	expr := "REMOVE LeaseUntil, Lease"
	if len(set) > 0 {
		expr = "SET " + strings.Join(set, ", ") + " " + expr
	}
	t.updateIf(deliveryKey(d.JobID), expr, "Lease = :lease", nil, values, collab.ErrConflict)
}

// OfficeStaff returns an office and its employees in one strongly consistent query of the office's
// partition (its employees' sort keys come just before the office's own), for whom an office-side
// e-mail goes to and how it names the office; a zero Office when there is none.
func (s *Store) OfficeStaff(ctx context.Context, office string) (collab.Office, []collab.Employee, error) {
	var o collab.Office
	var staff []collab.Employee
	err := s.queryEach(ctx, "query staff of office "+office, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :employees AND :office"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":        &types.AttributeValueMemberS{Value: officePartition(office)},
			":employees": &types.AttributeValueMemberS{Value: "EMPLOYEE#"},
			":office":    &types.AttributeValueMemberS{Value: officeKey(office).sk},
		},
		ConsistentRead: aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		if keyOf(item).sk == officeKey(office).sk {
			var it officeItem
			err := decode("query staff", item, &it)
			o = collab.Office{ID: it.ID, Name: it.Name}
			return err
		}
		var it employeeItem
		err := decode("query staff", item, &it)
		staff = append(staff, it.employee())
		return err
	})
	return o, staff, err
}
