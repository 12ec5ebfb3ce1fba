package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/spiris/collab/internal/collab"
)

// published is one event as a subscriber's SQS queue receives it from the bus.
type published struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
	d          map[string]any
}

// subscribe routes the events about company on the harness's bus to a queue of their own, as a
// solution's integration would subscribe, and returns the queue's URL.
func subscribe(t *testing.T, h *harness, company string) string {
	t.Helper()
	return routeToQueue(t, h, "observer", `{"source":["spiris.collaboration"],"detail":{"companyId":["`+company+`"]}}`)
}

// routeToQueue creates a queue named after the rule and a rule on the harness's bus with the
// event pattern that targets it, as a subscriber does, and returns the queue's URL; the queue goes
// with t.
func routeToQueue(t *testing.T, h *harness, rule, pattern string) string {
	t.Helper()
	q, err := h.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(h.res.Prefix + "-" + rule)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	attrs, err := h.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	eb, bus := eventbridge.NewFromConfig(h.cfg), h.res.BusName("EventBus")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl)
}

// received drains the subscriber's queue.
func received(t *testing.T, h *harness, url string) []published {
	t.Helper()
	var out []published
	for range 10 {
		got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			break
		}
		for _, m := range got.Messages {
			var p published
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &p); err != nil {
				t.Fatalf("not an EventBridge event: %v", err)
			}
			json.Unmarshal(p.Detail, &p.d)
			out = append(out, p)
			h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return out
}

// validate checks every event's detail against its detail type's schema under events/bus/.
func validate(t *testing.T, ps []published) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, p := range ps {
		sch, err := c.Compile(filepath.Join("..", "..", "events", "bus", p.DetailType+".schema.json"))
		if err != nil {
			t.Fatalf("%s: no schema: %v", p.DetailType, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(p.Detail))
		if err == nil {
			err = sch.Validate(inst)
		}
		if err != nil {
			t.Errorf("%s %s does not validate: %v", p.DetailType, p.Detail, err)
		}
	}
}

// unique drops the re-sent events, by their ids, as a subscriber does.
func unique(ps []published) []published {
	seen := map[any]bool{}
	return slices.DeleteFunc(ps, func(p published) bool {
		dup := seen[p.d["eventId"]]
		seen[p.d["eventId"]] = true
		return dup
	})
}

func kinds(ps []published) []string {
	var out []string
	for _, p := range ps {
		switch p.DetailType {
		case "CollaborationStatusChanged":
			out = append(out, p.d["from"].(string)+">"+p.d["to"].(string))
		case "AccessChanged":
			out = append(out, "access+"+join(p.d["granted"])+"-"+join(p.d["revoked"]))
		case "SubscriptionChanged":
			out = append(out, "subscription:"+p.d["status"].(string)+"/"+p.d["invoiceRecipient"].(string))
		}
	}
	slices.Sort(out)
	return out
}

func join(v any) string {
	var s string
	for _, x := range v.([]any) {
		s += x.(string)
	}
	return s
}

// failingPutEvents makes the first n PutEvents calls fail, as an unreachable bus would.
func failingPutEvents(n int32) func(*aws.Config) {
	var calls atomic.Int32
	return func(cfg *aws.Config) {
		cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("failPutEvents",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetOperationName(ctx) == "PutEvents" && calls.Add(1) <= n {
						return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("injected: the bus is unreachable")
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}

// A whole lifecycle tells the bus every status change, the access given and taken and the
// subscription's end, each valid against its schema; a change that did not commit tells nothing;
// and events survive a bus that fails for a while (the job that carries them is retried).
func TestTheBusIsToldEveryChangeOnceItCommits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fails int32
	}{{"bus up", 0}, {"bus failing 3 calls", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, failingPutEvents(tc.fails))
			w := h.world(t)
			sub := subscribe(t, h, w.co)
			r := h.activate(t, w, "1001", "scanner", "")
			expect(t, r, 201, "")
			id := r.str("collaboration.id")
			var nonce string
			for _, j := range h.jobs(t, "EmailQueue", id) { // the invitation, with the activation's events
				err := as(fnDeliver, h.svc.Deliver)(invoke(fnDeliver), j)
				for try := int32(0); err != nil && try < tc.fails; try++ { // retried, as the queue would
					err = as(fnDeliver, h.svc.Deliver)(invoke(fnDeliver), j)
				}
				if err != nil {
					t.Fatal(err)
				}
				nonce = j.Nonce
			}
			token := collab.InvitationToken(h.key(t), id, nonce)
			expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", ""), 200, "")
			expect(t, h.activate(t, w, "1001", "scanner", ""), 409, "collaboration_exists") // rolled back: no event
			expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`), 202, "")
			h.drain(t)
			got := received(t, h, sub)
			validate(t, got)
			want := []string{">pending", "access+" + w.oe + "-", "access+-" + w.oe, "active>ending", "ending>ended", "pending>active",
				"subscription:pending/", "subscription:read_only/"} // the activation opens scanner; the end archives its data
			slices.Sort(want)
			if k := kinds(unique(got)); !slices.Equal(k, want) {
				t.Errorf("events %v\nwant %v", k, want)
			}
			for _, p := range got {
				if p.Source != "spiris.collaboration" || p.d["collaborationId"] != id {
					t.Errorf("event %s from %q about %v, want from spiris.collaboration about %s", p.DetailType, p.Source, p.d["collaborationId"], id)
				}
			}
		})
	}
}
