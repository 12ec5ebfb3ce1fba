package solutions_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/infra/solutions"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

// received is one request the API got from a simulated solution.
type received struct {
	Method, Path, Authorization string
	Body                        map[string]any
}

// api is an HTTP API on loopback that records what it gets and answers with the statuses and
// error codes it is given, in turn (then 200).
type api struct {
	mu      sync.Mutex
	got     []received
	answers []answer
}

type answer struct {
	status int
	code   string
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec := received{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization")}
	json.Unmarshal(b, &rec.Body)
	a.mu.Lock()
	a.got = append(a.got, rec)
	ans := answer{status: http.StatusOK}
	if len(a.answers) > 0 {
		ans, a.answers = a.answers[0], a.answers[1:]
	}
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ans.status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": ans.code}})
}

func (a *api) requests() []received {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]received(nil), a.got...)
}

// world is a simulated Payroll integration on the template's PayrollCommands queue, fed by the
// template's rule on the bus, answering an API of the test's.
type world struct {
	api  *api
	sims *solutions.Solutions
	in   solutions.Integration
	eb   *eventbridge.Client
	sq   *sqs.Client
	now  time.Time
	log  *syncBuffer
}

// syncBuffer is a log the simulated solutions write to from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newWorld(t *testing.T, mode solutions.Mode, answers ...answer) *world {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	q, err := solutions.QueueOf(tpl, "payroll")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{api: &api{answers: answers}, eb: eventbridge.NewFromConfig(cfg), sq: sqs.NewFromConfig(cfg),
		now: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC), log: &syncBuffer{}}
	srv := httptest.NewServer(w.api)
	t.Cleanup(srv.Close)
	w.in = solutions.Integration{Solution: "payroll", QueueURL: res.QueueURL(q),
		Credentials: aws.Credentials{AccessKeyID: "AKIATESTPAYROLL", SecretAccessKey: "secret"}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Logf("the simulated solutions' log:\n%s", w.log)
		}
	})
	w.sims = solutions.New(solutions.Options{API: srv.URL, Region: cfg.Region, SQS: w.sq, RetryAfter: -1,
		Log:   slog.New(slog.NewTextHandler(w.log, nil)),
		Modes: map[collab.Solution]solutions.Mode{"payroll": mode}, Now: func() time.Time { return w.now }}, []solutions.Integration{w.in})
	if err := w.sims.Start(ctx, &wg); err != nil {
		t.Fatal(err)
	}
	return w
}

// publish puts an event on the bus as the service does.
func (w *world) publish(t *testing.T, detailType string, detail map[string]any) {
	t.Helper()
	b, _ := json.Marshal(detail)
	out, err := w.eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(res.BusName("EventBus")), Source: aws.String("spiris.collaboration"),
		DetailType: aws.String(detailType), Detail: aws.String(string(b))}}})
	if err != nil || out.FailedEntryCount > 0 {
		t.Fatalf("PutEvents: %v %+v", err, out)
	}
}

// waitFor waits up to 10 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// requestsOnceSettled waits until the API got n requests and the queue is empty, and returns
// the requests.
func (w *world) requestsOnceSettled(t *testing.T, n int) []received {
	t.Helper()
	waitFor(t, "the API's requests", func() bool { return len(w.api.requests()) >= n })
	waitFor(t, "the queue to empty", func() bool { return w.queued(t) == 0 })
	return w.api.requests()
}

// queued is how many messages the queue holds, visible or in flight.
func (w *world) queued(t *testing.T) int {
	t.Helper()
	out, err := w.sq.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.in.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	b, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return a + b
}

func command(id, step string) map[string]any {
	return map[string]any{"eventId": "e-" + id + "-" + step, "at": "2027-03-01T12:00:00Z", "collaborationId": id, "version": 4,
		"companyId": "company-1", "officeId": "office-1", "solution": "payroll", "step": step, "outcome": "end_subscription",
		"attempt": 1, "acknowledgePath": "/collaborations/" + id + "/teardown/" + step}
}

// TestPayrollAcknowledgesItsHandoverWithABackupAndReportsItsFacts: a TeardownCommand and a
// FactsRequested published on the bus reach the simulated Payroll through the template's rule
// and queue; it acknowledges the handover done, signed for execute-api with its key, with the
// link to a backup its HTTPS server serves for 30 days from the stack's now, and reports facts
// that let the end go ahead. Both messages are deleted once the API took the answers.
func TestPayrollAcknowledgesItsHandoverWithABackupAndReportsItsFacts(t *testing.T) {
	w := newWorld(t, solutions.Answer)
	w.publish(t, "TeardownCommand", command("c-1", "hand_over_backup"))
	w.publish(t, "FactsRequested", map[string]any{"eventId": "f-1", "at": "2027-03-01T12:00:00Z", "companyId": "company-1",
		"solution": "payroll", "reason": "facts_stale"})
	reqs := w.requestsOnceSettled(t, 2)
	if len(reqs) != 2 {
		t.Fatalf("the API got %d requests, want 2: %+v", len(reqs), reqs)
	}
	byPath := map[string]received{}
	for _, r := range reqs {
		if !strings.HasPrefix(r.Authorization, "AWS4-HMAC-SHA256 Credential=AKIATESTPAYROLL/20") ||
			!strings.Contains(r.Authorization, "/eu-north-1/execute-api/aws4_request") {
			t.Errorf("%s %s: Authorization %q, want a Signature Version 4 by Payroll's key for execute-api", r.Method, r.Path, r.Authorization)
		}
		byPath[r.Method+" "+r.Path] = r
	}
	ack, ok := byPath["POST /collaborations/c-1/teardown/hand_over_backup"]
	if !ok || ack.Body["result"] != "done" {
		t.Fatalf("acknowledgement %+v, want POST done to the command's acknowledgePath", ack)
	}
	backup, _ := ack.Body["backup"].(map[string]any)
	url, _ := backup["url"].(string)
	if until := w.now.AddDate(0, 0, solutions.BackupDays).Format(time.RFC3339); backup["availableUntil"] != until ||
		!strings.HasPrefix(url, w.sims.BackupURL()) || !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Errorf("backup %+v, want an https link of the backup server available until %s", backup, until)
	}
	insecure := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := insecure.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(file), "company-1") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("backup download: %d %q %s, want the file as an attachment", resp.StatusCode, resp.Header.Get("Content-Disposition"), file)
	}
	if resp, err := insecure.Get(w.sims.BackupURL() + "c-unknown"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a backup never made: %v %v, want 404", resp, err)
	}

	facts, ok := byPath["PUT /companies/company-1/solutions/payroll/status"]
	sync, _ := time.Parse(time.RFC3339, facts.Body["lastSyncAt"].(string))
	change, _ := time.Parse(time.RFC3339, facts.Body["lastChangeAt"].(string))
	if !ok || facts.Body["customerIsPayrollUser"] != true || !sync.After(change) || !sync.Equal(w.now) {
		t.Errorf("facts %+v, want a Payroll user synchronised now, after the last change", facts.Body)
	}
}

// TestACommandStaysUntilTheAPITakesItsAnswer: an answer the API refuses (503, a 409 other than
// step_not_pending) leaves the message for another try; 409 step_not_pending means there is
// nothing left to do, and the message goes.
func TestACommandStaysUntilTheAPITakesItsAnswer(t *testing.T) {
	w := newWorld(t, solutions.Answer, answer{http.StatusServiceUnavailable, "service_busy"},
		answer{http.StatusConflict, "concurrent_update"}, answer{http.StatusConflict, "step_not_pending"})
	w.publish(t, "TeardownCommand", command("c-2", "revoke_office_access"))
	if got := len(w.requestsOnceSettled(t, 3)); got != 3 {
		t.Errorf("the API got %d acknowledgements, want 3 (refused twice, then nothing to do)", got)
	}
}

// TestASolutionSwitchedToFailOrSilenceDoesSo: in mode Fail the command is acknowledged failed,
// with a reason; in mode Silent nothing is answered and the message is dropped.
func TestASolutionSwitchedToFailOrSilenceDoesSo(t *testing.T) {
	w := newWorld(t, solutions.Fail)
	w.publish(t, "TeardownCommand", command("c-3", "revoke_office_access"))
	reqs := w.requestsOnceSettled(t, 1)
	if len(reqs) != 1 || reqs[0].Body["result"] != "failed" || reqs[0].Body["reason"] == "" {
		t.Fatalf("the API got %+v, want one acknowledgement failed with a reason", reqs)
	}
	w.sims.SetMode("payroll", solutions.Silent)
	w.publish(t, "TeardownCommand", command("c-4", "revoke_office_access"))
	waitFor(t, "the silent solution to take the command", func() bool { return strings.Contains(w.log.String(), "answered=false") })
	waitFor(t, "the queue to empty", func() bool { return w.queued(t) == 0 })
	if got := len(w.api.requests()); got != 1 {
		t.Errorf("a silent solution answered: %+v", w.api.requests())
	}
}

// TestEverySolutionHasOneQueueForItsCommands: the template routes every solution of the
// solutions table to exactly one queue of its own.
func TestEverySolutionHasOneQueueForItsCommands(t *testing.T) {
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]collab.Solution{}
	for id := range collab.Solutions {
		q, err := solutions.QueueOf(tpl, id)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[q]; dup {
			t.Errorf("%s and %s share the queue %s", id, other, q)
		}
		seen[q] = id
	}
}
