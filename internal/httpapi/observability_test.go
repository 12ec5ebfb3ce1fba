package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/logs"
	"github.com/spiris/collab/internal/metrics"
	"github.com/spiris/collab/internal/worker"
)

// lineBuffer collects log lines written concurrently.
type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lineBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("a line that is not JSON: %q", s)
		}
		out = append(out, m)
	}
	return out
}

// find returns the lines with every field of want.
func find(lines []map[string]any, want map[string]any) []map[string]any {
	var out []map[string]any
next:
	for _, l := range lines {
		for k, v := range want {
			if l[k] != v {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// One collaboration from activation to its teardown and e-mails, followed by its ids in the log
// lines, and counted in the business metrics as CloudWatch would read them (EMF).
func TestALifecycleCanBeFollowedInTheLogsAndIsCountedInTheMetrics(t *testing.T) {
	h := newHarness(t)
	var logLines, metricLines lineBuffer
	h.svc.Log = logs.New(&logLines)
	h.svc.Metrics = metrics.New(&metricLines, "CollaborationTest")
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")

	const trace = "Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=1"
	rt, e, err := apigw.Event(user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := httpapi.Handle(h.svc, rt)(context.WithValue(invoke("EndFunction"), "x-amzn-trace-id", trace), e)
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("end answered %d %s (%v)", out.StatusCode, out.Body, err)
	}
	if got := find(logLines.lines(t), map[string]any{"msg": "request", "function": "EndFunction", "api_request_id": e.RequestContext.RequestID,
		"collaboration_id": id, "trace_id": trace, "status": float64(202)}); len(got) != 1 || got[0]["request_id"] == "" {
		t.Fatalf("the end request's line: %v\nall: %v", got, logLines.lines(t))
	}

	// The teardown message carries the request's trace to the worker, as AWSTraceHeader.
	got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.res.QueueURL("TeardownQueue")), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("teardown messages %v (%v)", got, err)
	}
	m := got.Messages[0]
	if m.Attributes["AWSTraceHeader"] != trace {
		t.Errorf("the teardown message's AWSTraceHeader is %q, want the end request's", m.Attributes["AWSTraceHeader"])
	}
	teardown := worker.Handler(h.svc.Log, as(fnTeardown, h.svc.Teardown))
	resp, _ := teardown(invoke(fnTeardown), events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId),
		Body: aws.ToString(m.Body), Attributes: m.Attributes}}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("teardown failed: %v", resp)
	}
	h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.res.QueueURL("TeardownQueue")), ReceiptHandle: m.ReceiptHandle})
	h.drain(t) // the e-mails the activation, the accept and the teardown queued
	lines := logLines.lines(t)
	for _, fn := range []string{"ActivateFunction", "AcceptFunction"} { // the id it created, the one its token names
		if got := find(lines, map[string]any{"msg": "request", "function": fn, "collaboration_id": id}); len(got) != 1 {
			t.Errorf("%s's request line names the collaboration: %v", fn, find(lines, map[string]any{"function": fn}))
		}
	}
	if got := find(lines, map[string]any{"msg": "message done", "function": fnTeardown, "collaboration_id": id, "trace_id": trace}); len(got) != 1 {
		t.Errorf("the teardown's line carries the end request's trace: %v", find(lines, map[string]any{"function": fnTeardown}))
	}
	// The e-mail worker's lines: the harness polls as the event source mapping does, so they
	// name no function, but they carry the trace the teardown passed on with the ended e-mail.
	if got := find(lines, map[string]any{"msg": "message done", "collaboration_id": id, "trace_id": trace}); len(got) < 2 {
		t.Errorf("no e-mail the teardown queued carries the end request's trace: %v", find(lines, map[string]any{"msg": "message done"}))
	}
	logLines.mu.Lock()
	raw := logLines.b.String()
	logLines.mu.Unlock()
	if strings.Contains(raw, "@customer.test") || strings.Contains(raw, "@office.test") {
		t.Errorf("an e-mail address reached the log:\n%s", raw)
	}

	// Every metric line is EMF CloudWatch can read: its metric and dimensions are fields of the line.
	counts := map[string]float64{}
	for _, l := range metricLines.lines(t) {
		aws, _ := l["_aws"].(map[string]any)
		cw, _ := aws["CloudWatchMetrics"].([]any)
		if len(cw) != 1 || aws["Timestamp"] == nil {
			t.Fatalf("not EMF: %v", l)
		}
		d := cw[0].(map[string]any)
		if d["Namespace"] != "CollaborationTest" {
			t.Errorf("namespace %v", d["Namespace"])
		}
		name := d["Metrics"].([]any)[0].(map[string]any)["Name"].(string)
		key := name
		for _, dim := range d["Dimensions"].([]any)[0].([]any) {
			v, ok := l[dim.(string)].(string)
			if !ok {
				t.Fatalf("dimension %v is not a field of %v", dim, l)
			}
			key += " " + dim.(string) + "=" + v
		}
		n, ok := l[name].(float64)
		if !ok {
			t.Fatalf("metric %s has no value in %v", name, l)
		}
		counts[key] += n
	}
	for key, want := range map[string]float64{
		"Activations Scenario=new_solution": 1,
		"Accepts":                           1,
		"Ends Solution=scanner Outcome=end_subscription": 1,
	} {
		if counts[key] != want {
			t.Errorf("%s counted %v, want %v (all: %v)", key, counts[key], want, counts)
		}
	}
	if counts["EmailsSent"] < 3 {
		t.Errorf("EmailsSent %v, want one per e-mail sent (invitation, access granted, ended): %v", counts["EmailsSent"], counts)
	}
}
