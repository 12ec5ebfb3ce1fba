package localaws_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/awsenv"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

func config(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func template(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestProvision_creates_the_table_with_its_indexes_and_ttl(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(config(t))
	want, _ := template(t).Table("Table")
	name := res.TableName("Table")

	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	tb := out.Table
	if got, want := tb.TableStatus, ddbtypes.TableStatusActive; got != want {
		t.Errorf("status: got %s, want %s", got, want)
	}
	if got, want := keys(tb.KeySchema), want.PartitionKey+"/"+want.SortKey; got != want {
		t.Errorf("key schema: got %s, want %s", got, want)
	}
	if tb.BillingModeSummary == nil || tb.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
		t.Errorf("billing mode: got %+v, want %s", tb.BillingModeSummary, ddbtypes.BillingModePayPerRequest)
	}
	gotGSIs := map[string]string{}
	for _, g := range tb.GlobalSecondaryIndexes {
		gotGSIs[aws.ToString(g.IndexName)] = keys(g.KeySchema) + " " + string(g.Projection.ProjectionType)
	}
	for _, g := range want.GSIs {
		if got, want := gotGSIs[g.Name], g.PartitionKey+"/"+g.SortKey+" "+g.Projection; got != want {
			t.Errorf("index %s: got %q, want %q", g.Name, got, want)
		}
	}
	if got, want := len(gotGSIs), len(want.GSIs); got != want {
		t.Errorf("indexes: got %d, want %d", got, want)
	}

	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d := ttl.TimeToLiveDescription
	if d == nil || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != want.TTLAttribute {
		t.Errorf("time to live: got %+v, want ENABLED on %s", d, want.TTLAttribute)
	}
}

func keys(ks []ddbtypes.KeySchemaElement) string {
	var hash, rng string
	for _, k := range ks {
		if k.KeyType == ddbtypes.KeyTypeHash {
			hash = aws.ToString(k.AttributeName)
		} else {
			rng = aws.ToString(k.AttributeName)
		}
	}
	return hash + "/" + rng
}

func TestProvision_creates_queues_with_redrive_to_their_dead_letter_queue(t *testing.T) {
	sq := sqs.NewFromConfig(config(t))
	for _, q := range template(t).Queues {
		t.Run(q.LogicalID, func(t *testing.T) {
			attrs := queueAttributes(t, sq, res.QueueURL(q.LogicalID))
			if got, want := attrs["QueueArn"], res.QueueARN(q.LogicalID); got != want {
				t.Errorf("ARN: got %s, want %s", got, want)
			}
			if q.VisibilityTimeout > 0 {
				if got, want := attrs["VisibilityTimeout"], strconv.Itoa(q.VisibilityTimeout); got != want {
					t.Errorf("visibility timeout: got %s, want %s", got, want)
				}
			}
			if q.MessageRetentionPeriod > 0 {
				if got, want := attrs["MessageRetentionPeriod"], strconv.Itoa(q.MessageRetentionPeriod); got != want {
					t.Errorf("retention period: got %s, want %s", got, want)
				}
			}
			if q.DeadLetterTarget == "" {
				if got := attrs["RedrivePolicy"]; got != "" {
					t.Errorf("redrive policy: got %s, want none", got)
				}
				return
			}
			var policy struct {
				DeadLetterTargetArn string
				MaxReceiveCount     json.Number // a number in moto, a string in some emulators
			}
			if err := json.Unmarshal([]byte(attrs["RedrivePolicy"]), &policy); err != nil {
				t.Fatalf("redrive policy %q: %v", attrs["RedrivePolicy"], err)
			}
			if got, want := policy.DeadLetterTargetArn, res.QueueARN(q.DeadLetterTarget); got != want {
				t.Errorf("dead-letter target: got %s, want %s", got, want)
			}
			if got, want := policy.MaxReceiveCount.String(), strconv.Itoa(q.MaxReceiveCount); got != want {
				t.Errorf("max receive count: got %s, want %s", got, want)
			}
		})
	}
}

func queueAttributes(t *testing.T, sq *sqs.Client, url string) map[string]string {
	t.Helper()
	out, err := sq.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes
}

func TestRedrive_moves_a_message_to_the_dead_letter_queue_after_maxReceiveCount_receives(t *testing.T) {
	ctx := context.Background()
	sq := sqs.NewFromConfig(config(t))
	q, _ := template(t).Queue("TeardownQueue")
	url, dlqURL := res.QueueURL(q.LogicalID), res.QueueURL(q.DeadLetterTarget)

	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	// Each receipt is a failed attempt: setting the message's visibility timeout to 0 makes it
	// visible again at once instead of after the queue's 180 seconds. (ReceiveMessage with
	// VisibilityTimeout 0 cannot do this from Go: the SDK leaves a zero int32 out of the request,
	// so the queue's timeout applies. ChangeMessageVisibility always sends it.)
	receipts := 0
	for range q.MaxReceiveCount + 3 {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		receipts++
		_, err = sq.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(url),
			ReceiptHandle:     out.Messages[0].ReceiptHandle,
			VisibilityTimeout: 0,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := receipts, q.MaxReceiveCount; got != want {
		t.Errorf("receipts from the work queue: got %d, want %d", got, want)
	}
	out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Messages); got != 1 || aws.ToString(out.Messages[0].Body) != "poison" {
		t.Fatalf("dead-letter queue: got %d messages %+v, want the poison message", got, out.Messages)
	}
}

func TestProvision_reuses_what_exists(t *testing.T) {
	ctx := context.Background()
	cfg := config(t)
	tpl := template(t)

	t.Run("same_prefix_gives_the_same_resources", func(t *testing.T) {
		again, err := localaws.Provision(ctx, cfg, tpl, res.Prefix)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := again.TableName("Table"), res.TableName("Table"); got != want {
			t.Errorf("table: got %s, want %s", got, want)
		}
		for _, q := range tpl.Queues {
			if got, want := again.QueueURL(q.LogicalID), res.QueueURL(q.LogicalID); got != want {
				t.Errorf("queue %s: got %s, want %s", q.LogicalID, got, want)
			}
		}
	})

	t.Run("queue_with_other_attributes_gets_the_template_ones", func(t *testing.T) {
		sq := sqs.NewFromConfig(cfg)
		prefix := localaws.NewPrefix()
		_, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName:  aws.String(prefix + "-EmailDLQ"),
			Attributes: map[string]string{"MessageRetentionPeriod": "60"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := localaws.Provision(ctx, cfg, tpl, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { got.Delete(context.Background()) })
		dlq, _ := tpl.Queue("EmailDLQ")
		attrs := queueAttributes(t, sq, got.QueueURL("EmailDLQ"))
		if got, want := attrs["MessageRetentionPeriod"], strconv.Itoa(dlq.MessageRetentionPeriod); got != want {
			t.Errorf("retention period: got %s, want %s", got, want)
		}
	})
}

func TestProvision_names_fifo_queues_with_the_fifo_suffix(t *testing.T) {
	ctx := context.Background()
	cfg := config(t)
	tpl := &samtemplate.Template{Queues: []samtemplate.Queue{
		{LogicalID: "Work", FIFO: true, ContentBasedDeduplication: true, DeadLetterTarget: "Dead", MaxReceiveCount: 2},
		{LogicalID: "Dead", FIFO: true},
	}}
	got, err := localaws.Provision(ctx, cfg, tpl, localaws.NewPrefix())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { got.Delete(context.Background()) })
	attrs := queueAttributes(t, sqs.NewFromConfig(cfg), got.QueueURL("Work"))
	if got, want := attrs["FifoQueue"], "true"; got != want {
		t.Errorf("FifoQueue: got %s, want %s", got, want)
	}
	if arn := got.QueueARN("Work"); !strings.HasSuffix(arn, ".fifo") {
		t.Errorf("ARN %s does not end in .fifo", arn)
	}
}

func TestProvision_refuses_a_cycle_of_dead_letter_targets(t *testing.T) {
	tpl := &samtemplate.Template{Queues: []samtemplate.Queue{
		{LogicalID: "A", DeadLetterTarget: "B", MaxReceiveCount: 1},
		{LogicalID: "B", DeadLetterTarget: "A", MaxReceiveCount: 1},
	}}
	if _, err := localaws.Provision(context.Background(), config(t), tpl, localaws.NewPrefix()); err == nil {
		t.Error("want an error, got none")
	}
}

func TestStart_uses_the_emulator_in_AWS_ENDPOINT_URL(t *testing.T) {
	e, err := localaws.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !e.External() {
		t.Error("External: got false, want true")
	}
	if got, want := e.Endpoint, os.Getenv("AWS_ENDPOINT_URL"); got != want {
		t.Errorf("endpoint: got %s, want %s", got, want)
	}
	if err := e.Stop(); err != nil {
		t.Error(err)
	}
}

func TestProvision_creates_the_rules_that_route_bus_events_to_their_queues(t *testing.T) {
	ctx := context.Background()
	cfg := config(t)
	eb, sq := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	tpl := template(t)
	if len(tpl.Rules) == 0 {
		t.Fatal("the template declares no rules")
	}
	for _, r := range tpl.Rules {
		got, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(res.RuleName(r.LogicalID)),
			EventBusName: aws.String(res.BusName(r.Bus))})
		if err != nil {
			t.Fatalf("%s: %v", r.LogicalID, err)
		}
		if len(got.Targets) != len(r.Targets) {
			t.Fatalf("%s: %d targets, want %d", r.LogicalID, len(got.Targets), len(r.Targets))
		}
		for i, tg := range r.Targets {
			g := got.Targets[i]
			if aws.ToString(g.Arn) != res.QueueARN(tg.Queue) || g.DeadLetterConfig == nil ||
				aws.ToString(g.DeadLetterConfig.Arn) != res.QueueARN(tg.DeadLetterQueue) {
				t.Errorf("%s: target %+v, want %s dead-lettering to %s", r.LogicalID, g, tg.Queue, tg.DeadLetterQueue)
			}
		}
	}

	// A teardown command for Payroll reaches Payroll's queue, and no other solution's.
	detail := `{"solution":"payroll","step":"hand_over_backup"}`
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(res.BusName("EventBus")), Source: aws.String("spiris.collaboration"),
		DetailType: aws.String("TeardownCommand"), Detail: aws.String(detail)}}})
	if err != nil || out.FailedEntryCount > 0 {
		t.Fatalf("PutEvents: %v %+v", err, out)
	}
	for _, q := range []string{"PayrollCommands", "BookkeepingCommands"} {
		got, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.QueueURL(q)), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if q == "PayrollCommands" {
			want = 1
		}
		if len(got.Messages) != want {
			t.Fatalf("%s: %d messages, want %d", q, len(got.Messages), want)
		}
		for _, m := range got.Messages {
			var e struct {
				DetailType string `json:"detail-type"`
				Detail     struct {
					Solution, Step string
				} `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil || e.DetailType != "TeardownCommand" ||
				e.Detail.Solution != "payroll" || e.Detail.Step != "hand_over_backup" {
				t.Errorf("%s: got %s, want the EventBridge envelope of %s", q, aws.ToString(m.Body), detail)
			}
			sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(res.QueueURL(q)), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

func TestWithoutRulesLeavesOutTheRulesAndOnlyTheQueuesTheyFeed(t *testing.T) {
	tpl, _, err := samtemplate.LoadFrom("../..")
	if err != nil {
		t.Fatal(err)
	}
	localaws.WithoutRules(tpl)
	names := map[string]bool{}
	for _, q := range tpl.Queues {
		names[q.LogicalID] = true
	}
	if len(tpl.Rules) != 0 || names["PayrollCommands"] || names["SolutionCommandsDLQ"] {
		t.Fatalf("rules %d, queues %v: want no rules and none of the solutions' queues", len(tpl.Rules), names)
	}
	for _, keep := range []string{"TeardownQueue", "TeardownDLQ", "EmailQueue", "EmailDLQ"} {
		if !names[keep] {
			t.Errorf("%s left out, want it kept", keep)
		}
	}
}
