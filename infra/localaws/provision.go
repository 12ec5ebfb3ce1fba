package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/infra/samtemplate"
)

// tableActiveTimeout bounds the wait for a new table to become ACTIVE.
const tableActiveTimeout = 2 * time.Minute

// Resources names the tables, queues, secrets, buses, rules and user pools that Provision
// created, by their logical IDs in the template. Asking for a logical ID the template does not
// declare is a programming error and panics.
type Resources struct {
	// Prefix starts the name of every resource: <Prefix>-<LogicalID>.
	Prefix string

	cfg     aws.Config
	tables  map[string]string // logical ID → table name
	queues  map[string]queue  // logical ID → queue
	secrets map[string]string // logical ID → secret ARN
	buses   map[string]string // logical ID → event bus name
	rules   map[string]rule   // logical ID → rule
	pools   map[string]string // logical ID → user pool id
	clients map[string]string // logical ID → user pool client id
}

type queue struct{ url, arn string }

// TableName returns the name of the table declared as logicalID.
func (r *Resources) TableName(logicalID string) string {
	name, ok := r.tables[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no table %q", logicalID))
	}
	return name
}

// QueueURL returns the URL of the queue declared as logicalID.
func (r *Resources) QueueURL(logicalID string) string { return r.queue(logicalID).url }

// QueueARN returns the ARN of the queue declared as logicalID.
func (r *Resources) QueueARN(logicalID string) string { return r.queue(logicalID).arn }

func (r *Resources) queue(logicalID string) queue {
	q, ok := r.queues[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no queue %q", logicalID))
	}
	return q
}

// Provision creates the tables, queues, secrets, event buses and their rules of tpl, each named <prefix>-<LogicalID> (with .fifo
// for a FIFO queue), and waits until the tables are ACTIVE. A table gets its keys, indexes,
// billing mode and time to live; a queue gets its attributes, and its redrive policy points at
// the ARN of the dead-letter queue created for it. It is idempotent: a resource that already
// exists under its name is reused and brought to the template's settings where the API allows.
//
// Settings that only matter in AWS (point-in-time recovery, encryption) are not applied. A
// PROVISIONED table gets a nominal capacity, which emulators ignore.
func Provision(ctx context.Context, cfg aws.Config, tpl *samtemplate.Template, prefix string) (*Resources, error) {
	r := &Resources{Prefix: prefix, cfg: cfg, tables: map[string]string{}, queues: map[string]queue{}, secrets: map[string]string{}}
	db := dynamodb.NewFromConfig(cfg)
	for _, t := range tpl.Tables {
		name := prefix + "-" + t.LogicalID
		if err := createTable(ctx, db, name, t); err != nil {
			return nil, fmt.Errorf("localaws.Provision table %s: %w", t.LogicalID, err)
		}
		r.tables[t.LogicalID] = name
	}
	sq := sqs.NewFromConfig(cfg)
	for _, q := range tpl.Queues {
		if err := r.createQueue(ctx, sq, tpl, q, map[string]bool{}); err != nil {
			return nil, fmt.Errorf("localaws.Provision queue %s: %w", q.LogicalID, err)
		}
	}
	if err := r.createSecrets(ctx, tpl.Secrets); err != nil {
		return nil, err
	}
	if err := r.createBuses(ctx, tpl.Buses); err != nil {
		return nil, err
	}
	if err := r.createRules(ctx, tpl.Rules); err != nil {
		return nil, err
	}
	if err := r.createUserPools(ctx, tpl.UserPools); err != nil {
		return nil, err
	}
	return r, nil
}

func createTable(ctx context.Context, db *dynamodb.Client, name string, t samtemplate.Table) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingMode(t.BillingMode),
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	var throughput *ddbtypes.ProvisionedThroughput
	if in.BillingMode == ddbtypes.BillingModeProvisioned {
		throughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
		in.ProvisionedThroughput = throughput
	}
	for _, a := range t.Attributes {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.Name),
			AttributeType: ddbtypes.ScalarAttributeType(a.Type),
		})
	}
	for _, g := range t.GSIs {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:             aws.String(g.Name),
			KeySchema:             keySchema(g.PartitionKey, g.SortKey),
			Projection:            &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection)},
			ProvisionedThroughput: throughput,
		}
		if len(g.NonKeyAttributes) > 0 {
			gsi.Projection.NonKeyAttributes = g.NonKeyAttributes
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	_, err := db.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create: %w", err)
	}
	waiter := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("wait until active: %w", err)
	}
	if t.TTLAttribute == "" {
		return nil
	}
	// UpdateTimeToLive refuses to enable time to live twice, so look first.
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe time to live: %w", err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == t.TTLAttribute &&
		(d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable time to live: %w", err)
	}
	return nil
}

func keySchema(hash, rng string) []ddbtypes.KeySchemaElement {
	ks := []ddbtypes.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: ddbtypes.KeyTypeHash}}
	if rng != "" {
		ks = append(ks, ddbtypes.KeySchemaElement{AttributeName: aws.String(rng), KeyType: ddbtypes.KeyTypeRange})
	}
	return ks
}

// createQueue creates q after its dead-letter queue, whose ARN its redrive policy needs. visiting
// holds the queues on the current chain of dead-letter targets, to refuse a cycle.
func (r *Resources) createQueue(ctx context.Context, sq *sqs.Client, tpl *samtemplate.Template, q samtemplate.Queue, visiting map[string]bool) error {
	if _, done := r.queues[q.LogicalID]; done {
		return nil
	}
	if visiting[q.LogicalID] {
		return fmt.Errorf("dead-letter targets form a cycle through %s", q.LogicalID)
	}
	visiting[q.LogicalID] = true
	attrs := map[string]string{}
	if q.VisibilityTimeout > 0 {
		attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(q.VisibilityTimeout)
	}
	if q.MessageRetentionPeriod > 0 {
		attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(q.MessageRetentionPeriod)
	}
	if q.ContentBasedDeduplication {
		attrs[string(sqstypes.QueueAttributeNameContentBasedDeduplication)] = "true"
	}
	if q.DeadLetterTarget != "" {
		dlq, ok := tpl.Queue(q.DeadLetterTarget)
		if !ok {
			return fmt.Errorf("dead-letter target %s is not in the template", q.DeadLetterTarget)
		}
		if err := r.createQueue(ctx, sq, tpl, dlq, visiting); err != nil {
			return err
		}
		policy, err := json.Marshal(struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}{r.queues[q.DeadLetterTarget].arn, q.MaxReceiveCount})
		if err != nil {
			return err
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
	}

	name := r.Prefix + "-" + q.LogicalID
	createAttrs := attrs
	if q.FIFO {
		name += ".fifo"
		createAttrs = map[string]string{string(sqstypes.QueueAttributeNameFifoQueue): "true"}
		for k, v := range attrs {
			createAttrs[k] = v
		}
	}
	var url string
	out, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: createAttrs})
	var exists *sqstypes.QueueNameExists
	switch {
	case err == nil:
		url = aws.ToString(out.QueueUrl)
	case errors.As(err, &exists):
		// The queue exists with other attributes: reuse it and set them (FifoQueue cannot change).
		got, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("get URL of existing queue: %w", err)
		}
		url = aws.ToString(got.QueueUrl)
		if _, err := sq.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: attrs}); err != nil {
			return fmt.Errorf("set attributes of existing queue: %w", err)
		}
	default:
		return fmt.Errorf("create: %w", err)
	}
	got, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("get ARN: %w", err)
	}
	r.queues[q.LogicalID] = queue{url: url, arn: got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}
	return nil
}

// Delete removes what Provision created. Main calls it when the emulator outlives the tests
// (LocalStack); a moto that Main started goes away with everything in it.
func (r *Resources) Delete(ctx context.Context) error {
	var errs []error
	db := dynamodb.NewFromConfig(r.cfg)
	for id, name := range r.tables {
		if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			errs = append(errs, fmt.Errorf("localaws.Delete table %s: %w", id, err))
		}
	}
	sq := sqs.NewFromConfig(r.cfg)
	for id, q := range r.queues {
		if _, err := sq.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.url)}); err != nil {
			errs = append(errs, fmt.Errorf("localaws.Delete queue %s: %w", id, err))
		}
	}
	errs = append(errs, r.deleteSecrets(ctx), r.deleteRules(ctx), r.deleteBuses(ctx), r.deleteUserPools(ctx))
	return errors.Join(errs...)
}

// LogicalID returns the template's logical ID of a resource Provision named: its table or
// queue name without the prefix (and a FIFO queue's .fifo). Other names are returned as they
// are.
func LogicalID(physical string) string {
	physical = strings.TrimSuffix(physical, ".fifo")
	if prefix, id, ok := strings.Cut(physical, "-"); ok && len(prefix) == len(NewPrefix()) && prefix[0] == 't' {
		return id
	}
	return physical
}
