package httpapi_test

// The reliability suite: what the service promises when requests race, messages come twice or
// out of order, and AWS fails underneath it. docs/reliability.md lists each guarantee with the
// test below that proves it. Every test has its own harness (table, queues, SES sender). They do
// not run in parallel: reading the sent e-mails dumps the emulator's whole state
// (/moto-api/data.json), which moto answers 500 when another test changes that state meanwhile.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/queue"
	"github.com/spiris/collab/internal/worker"
)

// Subject prefixes (Swedish: the seeded administrators and office employees read Swedish).
const (
	subjectEnded         = "Samarbetet i "   // ended
	subjectAccessGranted = "Samarbetet med " // access granted ("… har startat")
	subjectInvitation    = "Byrå Ett vill samarbeta"
	subjectHandover      = "Säkerhetskopian"
)

func TestFiftyConcurrentEndsTearDownOnce(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t) // the access-granted e-mail

	const n = 50
	callers := []who{user(w.oe), user(w.oa), user(w.ca)}
	outcomes := []string{"continue", "end_subscription"}
	got := concurrently(n, func(i int) response {
		return h.call(t, callers[i%len(callers)], "POST", "/collaborations/"+cid+"/end", `{"outcome":"`+outcomes[i%2]+`"}`)
	})

	var accepted []response
	codes := map[string]int{}
	for _, r := range got {
		switch {
		case r.Status == 202:
			accepted = append(accepted, r)
		case r.Status == 409 && (r.code() == "collaboration_not_active" || r.code() == "concurrent_update"):
			codes[r.code()]++
		default:
			t.Errorf("an end answered %d %s: %s", r.Status, r.code(), r.Raw)
		}
	}
	t.Logf("%d accepted, refusals by code: %v", len(accepted), codes)
	if len(accepted) != 1 {
		t.Fatalf("%d ends accepted, want exactly 1", len(accepted))
	}
	outcome := accepted[0].str("outcome")

	teardowns := h.jobs(t, "TeardownQueue", cid)
	if len(teardowns) != 1 {
		t.Fatalf("%d teardown jobs queued, want 1", len(teardowns))
	}
	deliverAll(t, worker.Handler(h.svc.Log, as(fnTeardown, h.svc.Teardown)), teardowns, 10)
	h.drain(t)

	final := h.call(t, user(w.oa), "GET", "/collaborations/"+cid, "")
	if final.str("status") != "ended" || final.str("outcome") != outcome {
		t.Fatalf("after the teardown %s, want ended with the accepted outcome %s", final.Raw, outcome)
	}
	if got := transitionsTo(t, h, cid); got[collab.Ending] != 1 || got[collab.Ended] != 1 {
		t.Fatalf("history has %v, want one transition to ending and one to ended", got)
	}
	ended := mailsBySubject(h.mails(t), subjectEnded)
	if want := map[string]int{w.ca + "@customer.test": 1, "oe@office.test": 1}; !maps.Equal(ended, want) {
		t.Fatalf("ended e-mails by recipient %v, want %v", ended, want)
	}
}

func TestTwentyConcurrentAcceptsActivateOnce(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1002", "scanner", "")
	expect(t, r, 201, "")
	cid := r.str("collaboration.id")
	token := h.token(t, cid)

	const n = 20
	got := concurrently(n, func(int) response {
		return h.call(t, user(w.ca2), "POST", "/invitations/"+token+"/accept", "")
	})

	ok := 0
	codes := map[string]int{}
	for _, r := range got {
		switch {
		case r.Status == 200:
			ok++
		case r.Status == 410 && r.code() == "invitation_used",
			r.Status == 409 && (r.code() == "concurrent_update" || r.code() == "collaboration_not_pending"):
			codes[r.code()]++
		default:
			t.Errorf("an accept answered %d %s: %s", r.Status, r.code(), r.Raw)
		}
	}
	t.Logf("%d accepted, refusals by code: %v", ok, codes)
	if ok != 1 {
		t.Fatalf("%d accepts succeeded, want exactly 1", ok)
	}
	if got := transitionsTo(t, h, cid); got[collab.Active] != 1 {
		t.Fatalf("history has %v, want one transition to active", got)
	}
	v, _ := h.store.Company(ctx, w.co2)
	grants := 0
	for _, g := range v.Grants {
		if g.Via == cid {
			grants++
		}
	}
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionActive || grants != 1 {
		t.Fatalf("subscription %+v and %d grants, want active and the one employee on the task", s, grants)
	}
	emails := h.jobs(t, "EmailQueue", cid)
	if len(emails) != 1 || emails[0].Email != actions.EmailAccessGranted {
		t.Fatalf("e-mail jobs %+v, want one access-granted", emails)
	}
	deliverAll(t, worker.Handler(h.svc.Log, as(fnDeliver, h.svc.Deliver)), emails, 10)
	if got := mailsBySubject(h.mails(t), subjectAccessGranted); !maps.Equal(got, map[string]int{w.ca2 + "@customer.test": 1}) {
		t.Fatalf("access-granted e-mails by recipient %v, want one to the administrator", got)
	}
}

// TestRedeliveredOutOfOrderJobsReachTheSameState ends three collaborations of one company (one
// per kind of teardown: continue, data deleted, backup handed over) in two identical worlds. The
// twin's jobs run once, in order, as the queues deliver them. The other's are taken off the
// queues and fed to the worker handlers newest first, every job twice (the duplicates in the same
// batch, so they run at once), and then all of them once more, late: e-mails about the start of a
// collaboration arrive after the ones about its end. Both worlds must end up the same.
func TestRedeliveredOutOfOrderJobsReachTheSameState(t *testing.T) {
	twin, chaos := newHarness(t), newHarness(t)
	solutions := []collab.Solution{"bookkeeping", "scanner", "payroll"}
	outcomes := map[collab.Solution]string{"bookkeeping": "continue", "scanner": "end_subscription", "payroll": "end_subscription"}
	payrollReady := `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`

	// afterAccept handles the access-granted job each accept queues. It runs before the next
	// activation: h.jobs receives (and so counts towards the redrive policy's maxReceiveCount)
	// every message it leaves on the queue, so jobs left there would end in the dead-letter queue.
	setUp := func(h *harness, afterAccept func(id string)) (world, map[collab.Solution]string) {
		w := h.world(t)
		ids := map[collab.Solution]string{}
		for _, s := range solutions {
			ids[s] = h.active(t, w, "1001", string(s), "")
			afterAccept(ids[s])
		}
		expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", payrollReady), 200, "")
		return w, ids
	}
	end := func(h *harness, w world, ids map[collab.Solution]string) {
		for _, s := range solutions {
			expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+ids[s]+"/end", `{"outcome":"`+outcomes[s]+`"}`), 202, "")
		}
	}

	tw, twinIDs := setUp(twin, func(string) { twin.drain(t) })
	end(twin, tw, twinIDs)
	twin.drain(t)

	var started []actions.Job // access granted, one per collaboration
	cw, ids := setUp(chaos, func(id string) { started = append(started, chaos.jobs(t, "EmailQueue", id)...) })
	end(chaos, cw, ids)
	teardowns := chaos.jobsOf(t, "TeardownQueue", ids)
	if len(started) != 3 || len(teardowns) != 3 {
		t.Fatalf("captured %d access-granted and %d teardown jobs, want 3 and 3", len(started), len(teardowns))
	}
	teardown := worker.Handler(chaos.svc.Log, as(fnTeardown, chaos.svc.Teardown))
	deliver := worker.Handler(chaos.svc.Log, as(fnDeliver, chaos.svc.Deliver))

	// Newest first, each twice in the same batch.
	deliverAll(t, teardown, twiceEach(reversed(teardowns)), 10)
	// The solutions' part: every command's message twice, newest first, and every command
	// answered twice; then the last stages, twice each, newest first.
	all := slices.Clone(teardowns)
	for range 5 {
		more := chaos.jobsOf(t, "TeardownQueue", ids)
		if len(more) == 0 {
			break
		}
		deliverAll(t, teardown, twiceEach(reversed(more)), 10)
		for _, j := range more {
			if j.Command != "" {
				for range 2 {
					expect(t, chaos.call(t, integration, "POST", "/collaborations/"+j.CollaborationID+"/teardown/"+string(j.Command),
						answerDone(string(j.Command), chaos.clock())), 200, "")
				}
			}
		}
		all = append(all, more...)
	}
	teardowns = all
	finished := chaos.jobsOf(t, "EmailQueue", ids) // ended, and the payroll backup handed over
	if len(finished) != 4 {
		t.Fatalf("the teardowns queued %d e-mail jobs, want 4 (3 ended, 1 backup handed over)", len(finished))
	}
	emails := reversed(append(slices.Clone(started), finished...)) // the end before the start
	deliverAll(t, deliver, twiceEach(emails), 10)
	// Late redeliveries, one at a time, in reverse order again.
	deliverAll(t, teardown, reversed(teardowns), 1)
	if late := chaos.jobsOf(t, "EmailQueue", ids); len(late) != 0 {
		t.Fatalf("late teardowns queued %d more e-mail jobs: %+v", len(late), late)
	}
	deliverAll(t, deliver, emails, 1)

	want, got := twin.snapshot(t, tw, twinIDs), chaos.snapshot(t, cw, ids)
	if want != got {
		t.Fatalf("state after duplicated, reordered delivery differs from the twin's:\n--- in order, once\n%s\n--- reordered, twice\n%s", want, got)
	}
	t.Logf("both worlds:\n%s", got)
}

func TestDynamoDBThrottlingIsRetriedBySDK(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	tap := h.tapDynamo()
	tap.setFault(throttleFirst(map[string]int{"GetItem": 1, "Query": 1, "TransactWriteItems": 2}, "ProvisionedThroughputExceededException"))

	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+cid+"/end", `{"outcome":"continue"}`), 202, "")
	if got := tap.count("TransactWriteItems"); got != 3 {
		t.Errorf("%d TransactWriteItems attempts, want 3 (two throttled, then through)", got)
	}
	tap.setFault(nil)
	h.drain(t)
	if got := transitionsTo(t, h, cid); got[collab.Ending] != 1 || got[collab.Ended] != 1 {
		t.Fatalf("history has %v, want one transition to ending and one to ended", got)
	}
}

// TestThrottlingBeyondTheSDKRetriesWritesNothing: when DynamoDB keeps throttling past the SDK's
// retries, or keeps cancelling the transaction for throttling (which the SDK does not retry; the
// store sends it again a few times), the request answers 503 service_busy with Retry-After and
// nothing of it is written: no state change, no history, no job, no stored Idempotency-Key
// response. So the client's retry with the same key does the work, once. A transaction cancelled
// for throttling once is committed by the store's retry.
func TestThrottlingBeyondTheSDKRetriesWritesNothing(t *testing.T) {
	throttleAlways := func(op, _ string) (*http.Response, error) {
		if op == "TransactWriteItems" {
			return dynamoError("ThrottlingException", ""), nil
		}
		return nil, nil
	}
	cancelledForThrottling := func(op, _ string) (*http.Response, error) {
		if op == "TransactWriteItems" {
			return dynamoError("TransactionCanceledException",
				`,"CancellationReasons":[{"Code":"None"},{"Code":"ThrottlingError","Message":"Throughput exceeds the current capacity of your table or index."}]`), nil
		}
		return nil, nil
	}

	t.Run("end_throttled_past_the_sdk_retries", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		cid := h.active(t, w, "1001", "scanner", "")
		h.drain(t)
		before, _ := h.store.Collaboration(ctx, cid)
		tap := h.tapDynamo()
		tap.setFault(throttleAlways)
		path, body, key := "/collaborations/"+cid+"/end", `{"outcome":"continue"}`, "end-"+cid

		r := callVia(t, h.svc, user(w.oe), "POST", path, body, "Idempotency-Key", key)
		expect(t, r, 503, "service_busy")
		if r.Headers["Retry-After"] == "" {
			t.Errorf("503 without Retry-After: %v", r.Headers)
		}
		if n := tap.count("TransactWriteItems"); n < 2 {
			t.Errorf("%d TransactWriteItems attempts: the SDK did not retry the throttled write", n)
		}
		after, _ := h.store.Collaboration(ctx, cid)
		if after.Status() != collab.Active || after.Record().Version != before.Record().Version {
			t.Fatalf("a failed end changed the collaboration: %+v", after.Record())
		}
		if got := transitionsTo(t, h, cid); got[collab.Ending] != 0 {
			t.Fatalf("a failed end left history %v", got)
		}
		if jobs := h.jobs(t, "TeardownQueue", cid); len(jobs) != 0 {
			t.Fatalf("a failed end queued %d teardowns", len(jobs))
		}
		if n := h.outboxFor(t, cid, actions.TeardownQueue); n != 0 {
			t.Fatalf("a failed end left %d teardown jobs in the outbox", n)
		}

		tap.setFault(nil)
		retry := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", key)
		expect(t, retry, 202, "")
		if retry.Headers["Idempotent-Replayed"] != "" {
			t.Fatal("the retry was answered from a stored response: the failed request stored one")
		}
		again := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", key)
		if again.Status != 202 || again.Headers["Idempotent-Replayed"] != "true" {
			t.Fatalf("second retry %d %v, want the stored 202", again.Status, again.Headers)
		}
		if jobs := h.jobs(t, "TeardownQueue", cid); len(jobs) != 1 {
			t.Fatalf("%d teardown jobs after the retries, want 1", len(jobs))
		}
	})

	t.Run("activation_of_a_new_company_cancelled_for_throttling", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		customer, err := h.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, CustomerNo: "1003"})
		if err != nil {
			t.Fatal(err)
		}
		tap := h.tapDynamo()
		tap.setFault(cancelledForThrottling)
		body := `{"customerNo":"1003","solution":"scanner","taskId":"` + w.task["1003"] +
			`","invoiceRecipient":"office","startPeriod":"2027-04","contact":{"name":"Tea Tre","email":"tea@tre.test"}}`
		path, key := "/offices/"+w.office+"/collaborations", "activate-1003"

		r := callVia(t, h.svc, user(w.oe), "POST", path, body, "Idempotency-Key", key)
		expect(t, r, 503, "service_busy")
		if n := tap.count("TransactWriteItems"); n != 4 {
			t.Errorf("%d TransactWriteItems attempts, want 4 (the store sends a transaction cancelled for throttling again 3 times)", n)
		}
		// Nothing of the company, its administrator, the customer link, the collaboration, its
		// slot, the invitation or the e-mail job exists.
		if id, _ := h.store.CompanyByOrgNo(ctx, customer.Customer.OrgNo); id != "" {
			t.Fatalf("a failed activation created company %s", id)
		}
		if f, _ := h.store.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, CustomerNo: "1003"}); f.Customer.CompanyID != "" {
			t.Fatalf("a failed activation linked the customer to %s", f.Customer.CompanyID)
		}
		list := h.call(t, user(w.oe), "GET", path+"?customerNo=1003", "")
		if items, _ := list.JSON["items"].([]any); len(items) != 0 {
			t.Fatalf("a failed activation left collaborations: %s", list.Raw)
		}
		if n := h.outboxFor(t, "", actions.EmailQueue); n != 0 {
			t.Fatalf("a failed activation left %d e-mail jobs in the outbox", n)
		}

		tap.setFault(nil)
		retry := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", key)
		expect(t, retry, 201, "") // the slot and the organisation number are free
		if retry.str("scenario") != "new_company" || retry.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("retry %v %s", retry.Headers, retry.Raw)
		}
	})

	t.Run("transaction_cancelled_for_throttling_once_is_sent_again", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		tap := h.tapDynamo()
		first := true
		tap.setFault(func(op, body string) (*http.Response, error) {
			if op == "TransactWriteItems" && first {
				first = false
				return cancelledForThrottling(op, body)
			}
			return nil, nil
		})
		r := h.activate(t, w, "1001", "scanner", `,"companyId":"`+w.co+`"`) // one commit when not throttled
		expect(t, r, 201, "")
		if n := tap.count("TransactWriteItems"); n != 2 {
			t.Errorf("%d TransactWriteItems attempts, want 2 (cancelled for throttling, then committed)", n)
		}
		list := h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations?customerNo=1001&solution=scanner", "")
		if items, _ := list.JSON["items"].([]any); len(items) != 1 {
			t.Fatalf("collaborations after the retried commit: %s", list.Raw)
		}
	})
}

func TestAcceptSurvivesAnSQSSendFailure(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1002", "scanner", "")
	cid := r.str("collaboration.id")
	token := h.token(t, cid) // the invitation job is taken off the queue; its outbox item stays
	working := h.svc.Queue
	h.svc.Queue = &queue.SQS{Client: sqs.NewFromConfig(h.cfg, func(o *sqs.Options) { o.HTTPClient = failingSends{awsHTTPClient()} }),
		URLs: map[string]string{actions.TeardownQueue: h.res.QueueURL("TeardownQueue"), actions.EmailQueue: h.res.QueueURL("EmailQueue")}}
	expect(t, h.call(t, user(w.ca2), "POST", "/invitations/"+token+"/accept", ""), 200, "")
	h.svc.Queue = working
	if jobs := h.jobs(t, "EmailQueue", cid); len(jobs) != 0 {
		t.Fatalf("a failed send delivered %d jobs", len(jobs))
	}
	h.drain(t)
	if n := len(h.mails(t)); n != 0 {
		t.Fatalf("%d e-mails before the cleanup re-sent the job", n)
	}

	h.advance(port.DefaultTiming.StuckAfter + time.Minute)
	rep, err := h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.MessagesResent != 2 { // the access-granted job, and the invitation job the test took
		t.Fatalf("cleanup %+v %v, want the access-granted and the invitation job re-sent", rep, err)
	}
	h.drain(t)
	admin := h.mailsTo(t, w.ca2+"@customer.test")
	if countPrefix(admin, subjectAccessGranted) != 1 || countPrefix(admin, subjectInvitation) != 0 {
		t.Fatalf("administrator got %q, want one access-granted e-mail and no invitation for the answered link", admin)
	}
	h.advance(24 * time.Hour)
	if rep, _ := h.svc.Cleanup(invoke(fnCleanup)); rep.MessagesResent != 0 {
		t.Fatalf("consumed jobs re-sent: %+v", rep)
	}
}

// sesFaults throttles every SendEmail after the first pass ones while armed, as SES's sending
// rate would part-way through a job with several recipients.
type sesFaults struct {
	inner aws.HTTPClient
	mu    sync.Mutex
	pass  int
	armed bool
}

func (f *sesFaults) Do(r *http.Request) (*http.Response, error) {
	if !isSendEmail(r) {
		return f.inner.Do(r)
	}
	f.mu.Lock()
	fail := f.armed && f.pass <= 0
	if f.pass > 0 {
		f.pass--
	}
	f.mu.Unlock()
	if fail {
		return sesThrottling(r), nil
	}
	return f.inner.Do(r)
}

func TestSESThrottlingPartWayThroughAnEndedEmailSendsEachRecipientOnce(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+cid+"/end", `{"outcome":"continue"}`), 202, "")
	h.tearDown(t)
	faults := &sesFaults{inner: awsHTTPClient(), pass: 1, armed: true} // the administrator's goes out, the employee's is throttled
	h.svc.Mailer = &sesmail.Mailer{Client: ses.NewFromConfig(h.cfg, func(o *ses.Options) { o.HTTPClient = faults }), From: h.sender}
	if _, err := h.poller("EmailQueue").Once(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mailsBySubject(h.mails(t), subjectEnded); !maps.Equal(got, map[string]int{w.ca + "@customer.test": 1}) {
		t.Fatalf("while throttled, ended e-mails went to %v, want only the first recipient", got)
	}
	faults.mu.Lock()
	faults.armed = false
	faults.mu.Unlock()
	h.drain(t) // the failed job comes back
	if got, want := mailsBySubject(h.mails(t), subjectEnded), map[string]int{w.ca + "@customer.test": 1, "oe@office.test": 1}; !maps.Equal(got, want) {
		t.Fatalf("ended e-mails by recipient %v, want %v", got, want)
	}
}

// TestTeardownCrashBeforeItsLastStageResumesWithoutRepeatingTheCommands makes the worker fail
// at the teardown's last stage, after Payroll acknowledged both its commands (every attempt at the
// stage's transaction fails at the transport, as if the worker lost its network and died), then
// redelivers the job: the last stage alone runs again, and no command goes to Payroll twice.
func TestTeardownCrashBeforeItsLastStageResumesWithoutRepeatingTheCommands(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	payrollReady := `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`
	expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", payrollReady), 200, "")
	cid := h.active(t, w, "1001", "payroll", "")
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+cid+"/end", `{"outcome":"end_subscription"}`), 202, "")

	tap := h.tapDynamo()
	var mu sync.Mutex
	var commits []string // the TransactWriteItems bodies that reached DynamoDB
	crash := true
	const ends = `"Status":{"S":"ended"}`
	crashed := false
	tap.setFault(func(op, body string) (*http.Response, error) {
		if op != "TransactWriteItems" {
			return nil, nil
		}
		mu.Lock()
		defer mu.Unlock()
		if crash && strings.Contains(body, ends) {
			crashed = true
			return nil, errors.New("injected: connection reset by peer")
		}
		commits = append(commits, body)
		return nil, nil
	})
	teardown := h.poller("TeardownQueue")
	for range 10 { // the access removed and told, both commands answered, the last stage crashes
		if _, err := teardown.Once(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		done := crashed
		mu.Unlock()
		if done {
			break
		}
		h.answerCommands(t)
	}

	mid := h.call(t, user(w.oa), "GET", "/collaborations/"+cid, "")
	if mid.str("status") != "ending" || mid.str("teardownError.code") == "" {
		t.Fatalf("after the crash %s, want ending with the error on record", mid.Raw)
	}
	v, _ := h.store.Company(ctx, w.co)
	if len(grantsVia(v, cid)) != 0 {
		t.Fatalf("the first command did not revoke the office's access: %+v", v.Grants)
	}
	if s := v.Subscriptions["payroll"]; s.Status != collab.SubscriptionActive || !s.BackupHandedOverAt.IsZero() {
		t.Fatalf("the failed last stage changed the subscription: %+v", s)
	}
	commanded := len(h.solutions.seen)
	if commanded != 2 {
		t.Fatalf("Payroll got %d commands, want 2: %+v", commanded, h.solutions.seen)
	}

	mu.Lock()
	crash, commits = false, nil
	mu.Unlock()
	if n, err := teardown.Once(ctx); err != nil || n == 0 { // the queue redelivers the job
		t.Fatalf("redelivery: %d messages, %v", n, err)
	}
	mu.Lock()
	redelivery := slices.Clone(commits)
	mu.Unlock()
	if len(redelivery) != 1 || !strings.Contains(redelivery[0], ends) {
		t.Errorf("the redelivery committed %d transactions, want 1 (apply the outcome and end)", len(redelivery))
	}
	h.drain(t)
	if len(h.solutions.seen) != commanded {
		t.Errorf("the redelivery commanded Payroll again: %+v", h.solutions.seen[commanded:])
	}

	final := h.call(t, user(w.oa), "GET", "/collaborations/"+cid, "")
	if final.str("status") != "ended" || final.str("teardownError.code") != "" {
		t.Fatalf("after the redelivery %s", final.Raw)
	}
	if got := transitionsTo(t, h, cid); got[collab.Ending] != 1 || got[collab.Ended] != 1 {
		t.Fatalf("history has %v, want one transition to ending and one to ended", got)
	}
	v, _ = h.store.Company(ctx, w.co)
	if s := v.Subscriptions["payroll"]; s.Status != collab.SubscriptionEnded || s.BackupHandedOverAt.IsZero() {
		t.Fatalf("subscription after the teardown %+v, want ended with the backup handed over", s)
	}
	admin, office := h.mailsTo(t, w.ca+"@customer.test"), h.mailsTo(t, "oe@office.test")
	if countPrefix(admin, subjectEnded) != 1 || countPrefix(admin, subjectHandover) != 1 || countPrefix(office, subjectEnded) != 1 {
		t.Fatalf("e-mails: administrator %q, office %q; want one ended each and one backup handed over", admin, office)
	}
}

// TestStuckTeardownIsRedrivenWithBackoff: a teardown whose messages are gone (dead-lettered, or
// lost) stays ending with its error on record; the cleanup re-queues it after 15 minutes, then
// waits twice as long after each re-drive, until one goes through.
func TestStuckTeardownIsRedrivenWithBackoff(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+cid+"/end", `{"outcome":"end_subscription"}`), 202, "")
	tap := h.tapDynamo()
	tap.setFault(func(op, body string) (*http.Response, error) {
		if op == "TransactWriteItems" && strings.Contains(body, string(collab.StepRevokeOfficeAccess)) {
			return nil, errors.New("injected: connection reset by peer")
		}
		return nil, nil
	})
	jobs := h.jobs(t, "TeardownQueue", cid)
	if len(jobs) != 1 {
		t.Fatalf("%d teardown jobs", len(jobs))
	}
	if err := h.svc.Teardown(invoke(fnTeardown), jobs[0]); err == nil {
		t.Fatal("the teardown succeeded through the injected fault")
	}
	// The job is never seen again (as if dead-lettered); only the cleanup brings it back.
	redrives := func(after time.Duration) int {
		t.Helper()
		h.advance(after)
		rep, err := h.svc.Cleanup(invoke(fnCleanup))
		if err != nil {
			t.Fatal(err)
		}
		h.jobs(t, "TeardownQueue", cid) // lost again
		h.jobs(t, "EmailQueue", cid)    // the invitation job h.active took, re-sent from the outbox
		return rep.TeardownsRedrive
	}
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{14 * time.Minute, 0}, {2 * time.Minute, 1}, // 15 minutes after the failure
		{29 * time.Minute, 0}, {2 * time.Minute, 1}, // then 30
		{59 * time.Minute, 0}, {2 * time.Minute, 1}, // then 60
	} {
		if got := redrives(step.after); got != step.want {
			t.Fatalf("at %s: %d re-drives, want %d", h.clock().Sub(start), got, step.want)
		}
	}
	if got := h.call(t, user(w.oa), "GET", "/collaborations/"+cid, ""); got.str("status") != "ending" || got.str("teardownError.code") == "" {
		t.Fatalf("stuck collaboration %s, want ending with the error on record", got.Raw)
	}
	tap.setFault(nil)
	h.advance(2*time.Hour + time.Minute)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.TeardownsRedrive != 1 {
		t.Fatalf("cleanup %+v %v", rep, err)
	}
	h.drain(t)
	if got := h.call(t, user(w.oa), "GET", "/collaborations/"+cid, ""); got.str("status") != "ended" || got.str("teardownError.code") != "" {
		t.Fatalf("after the re-drive %s", got.Raw)
	}
	if got, want := mailsBySubject(h.mails(t), subjectEnded), map[string]int{w.ca + "@customer.test": 1, "oe@office.test": 1}; !maps.Equal(got, want) {
		t.Fatalf("ended e-mails by recipient %v, want %v", got, want)
	}
}

// TestEmailSentButNotRecordedGoesOutAgainAfterTheLease shows the documented gap of e-mail
// delivery: SES accepts an e-mail and the worker cannot record it (here DynamoDB throttles the
// settle past the SDK's retries; a worker dying there is the same). Within the two-minute lease a
// redelivery sends nothing and asks to be retried; after it, the e-mail goes out a second time.
func TestEmailSentButNotRecordedGoesOutAgainAfterTheLease(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1001", "scanner", "")
	cid := r.str("collaboration.id")
	jobs := h.jobs(t, "EmailQueue", cid)
	if len(jobs) != 1 {
		t.Fatalf("%d e-mail jobs", len(jobs))
	}
	tap := h.tapDynamo()
	tap.setFault(func(op, body string) (*http.Response, error) {
		if op == "TransactWriteItems" && strings.Contains(body, "DELIVERY#") { // the settle
			return dynamoError("ThrottlingException", ""), nil
		}
		return nil, nil
	})
	if err := h.svc.Deliver(invoke(fnDeliver), jobs[0]); err == nil {
		t.Fatal("delivery succeeded though its settle failed")
	}
	tap.setFault(nil)
	if err := h.svc.Deliver(invoke(fnDeliver), jobs[0]); err == nil {
		t.Fatal("a redelivery within the lease did not ask to be retried")
	}
	if n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), subjectInvitation); n != 1 {
		t.Fatalf("%d invitations within the lease, want 1", n)
	}
	h.advance(2*time.Minute + time.Second)
	if err := h.svc.Deliver(invoke(fnDeliver), jobs[0]); err != nil {
		t.Fatal(err)
	}
	n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), subjectInvitation)
	t.Logf("after the lease: %d invitation e-mails (the known gap: docs/decisions.md, E-mail delivery)", n)
	if n != 2 {
		t.Fatalf("%d invitations after the lease; the documented behaviour is 2 (if this is 1, the gap is closed: update docs/reliability.md)", n)
	}
	if err := h.svc.Deliver(invoke(fnDeliver), jobs[0]); err != nil || countPrefix(h.mailsTo(t, w.ca+"@customer.test"), subjectInvitation) != 2 {
		t.Fatalf("a delivery after the settle sent again: %v", err)
	}
}

// TestConcurrentRetryWithTheSameIdempotencyKeyGetsTheFirstResponse: a client that retries while
// its first request is still running (a timeout, a double click) must get the first request's
// response, or 409 request_in_progress (docs/decisions.md, Requests). The retry here reads the
// Idempotency-Key record before the first request commits and the collaboration after.
func TestConcurrentRetryWithTheSameIdempotencyKeyGetsTheFirstResponse(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	path, body, key := "/collaborations/"+cid+"/end", `{"outcome":"continue"}`, "end-once"

	// The retry runs on a second Service (another Lambda instance) whose first read after the
	// Idempotency-Key lookup waits until the first request has answered.
	retrySvc := *h.svc
	hold := &holdOnce{inner: awsHTTPClient(), held: make(chan struct{}), release: make(chan struct{}),
		match: func(op, body string) bool { return op != "" && !strings.Contains(body, "IDEM#") }}
	retrySvc.Store = dynamo.New(dynamodb.NewFromConfig(h.cfg, func(o *dynamodb.Options) { o.HTTPClient = hold }), h.res.TableName("Table"), noGrace)
	retried := make(chan response, 1)
	go func() { retried <- callVia(t, &retrySvc, user(w.oe), "POST", path, body, "Idempotency-Key", key) }()
	<-hold.held

	first := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", key)
	expect(t, first, 202, "")
	close(hold.release)
	retry := <-retried
	t.Logf("first %d; concurrent retry %d %s %v", first.Status, retry.Status, retry.code(), retry.Headers["Idempotent-Replayed"])
	if jobs := h.jobs(t, "TeardownQueue", cid); len(jobs) != 1 {
		t.Fatalf("%d teardown jobs, want 1: the work was done twice", len(jobs))
	}
	replayed := retry.Status == 202 && retry.Headers["Idempotent-Replayed"] == "true"
	inProgress := retry.Status == 409 && retry.code() == "request_in_progress"
	if !replayed && !inProgress {
		t.Fatalf("a concurrent retry with the same Idempotency-Key got %d %s instead of the stored 202 or 409 request_in_progress: "+
			"httpapi.idempotent replays only on ErrDuplicateRequest, so a retry that read no stored response before the first "+
			"request committed answers with the action's own refusal (the collaboration is no longer active)", retry.Status, retry.code())
	}
}

// TestTaskChangeRacingATeardownLeavesNoAccess: PutTask gives new assignees access through the
// customer's active collaborations on the task. If a teardown ends such a collaboration between
// PutTask's read and its commit, the new grant must not outlive the collaboration.
func TestTaskChangeRacingATeardownLeavesNoAccess(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)

	hold, done := h.putTaskHeldBeforeCommit(t, w, "/offices/"+w.office+"/tasks/"+w.task["1001"],
		`{"customerNo":"1001","name":"Löpande","assignees":["`+w.oe+`","`+w.ox+`"]}`)
	<-hold.held // PutTask has read the collaboration as active and is about to commit

	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+cid+"/end", `{"outcome":"continue"}`), 202, "")
	h.drain(t)
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+cid, ""); got.str("status") != "ended" {
		t.Fatalf("teardown did not finish: %s", got.Raw)
	}
	close(hold.release)
	put := <-done
	t.Logf("PutTask after the teardown: %d %s", put.Status, put.code())

	v, _ := h.store.Company(ctx, w.co)
	if leaked := grantsVia(v, cid); len(leaked) != 0 {
		t.Fatalf("access outlives its collaboration: PutTask read collaboration %s as active, the teardown ended it, and "+
			"PutTask's commit (%d) still wrote %+v; actions.syncGrants writes grants with no condition on the collaboration "+
			"(status or version), so a task change racing a teardown leaves an office employee full access to an ended collaboration",
			cid, put.Status, leaked)
	}
}

// TestTaskChangeRacingAnActivationOrALinkKeepsThemInStep: PutTask moves the task's employees
// into the open collaborations it reads. A collaboration that takes the task's employees between
// that read and PutTask's commit (an activation, a link) must not keep the old ones: one of the
// two commits is refused, and the retried change reaches the new collaboration.
func TestTaskChangeRacingAnActivationOrALinkKeepsThemInStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		join func(t *testing.T, h *harness, w world) (id string)
	}{
		{"activation", func(t *testing.T, h *harness, w world) string {
			r := h.activate(t, w, "1001", "scanner", "")
			expect(t, r, 201, "")
			return r.str("collaboration.id")
		}},
		{"link", func(t *testing.T, h *harness, w world) string {
			id := importedCollaboration(t, h, w, "1001", "tax-annual")
			expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+w.task["1001"]+`"}`), 200, "")
			return id
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			w := h.world(t)
			path := "/offices/" + w.office + "/tasks/" + w.task["1001"]
			body := `{"customerNo":"1001","name":"Löpande","assignees":["` + w.ox + `"]}`

			hold, done := h.putTaskHeldBeforeCommit(t, w, path, body)
			<-hold.held // PutTask has read the customer's open collaborations and is about to commit

			id := tc.join(t, h, w)
			close(hold.release)
			put := <-done
			t.Logf("PutTask after the %s: %d %s", tc.name, put.Status, put.code())
			if put.Status != 200 {
				expect(t, put, 409, "concurrent_update")
				expect(t, h.call(t, user(w.oa), "PUT", path, body), 200, "")
			}
			if got := h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""); got.Status != 403 {
				t.Fatalf("the task's former employee still acts on the collaboration (%d %s): PutTask read the customer's "+
					"collaborations before the %s committed and moved its employees only into those, so the new collaboration "+
					"kept the task's old employees; the %s must commit on the task as read and make PutTask's commit fail "+
					"(dynamo.Tx.JoinTask)", got.Status, got.code(), tc.name, tc.name)
			}
			expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id, ""), 200, "")
		})
	}
}

// --- helpers

// putTaskHeldBeforeCommit sends a PutTask as the office administrator through a Lambda instance
// of its own whose first commit waits until hold.release is closed; done gets the response.
func (h *harness) putTaskHeldBeforeCommit(t *testing.T, w world, path, body string) (*holdOnce, <-chan response) {
	taskSvc := *h.svc
	hold := &holdOnce{inner: awsHTTPClient(), held: make(chan struct{}), release: make(chan struct{}),
		match: func(op, _ string) bool { return op == "TransactWriteItems" }}
	taskSvc.Store = dynamo.New(dynamodb.NewFromConfig(h.cfg, func(o *dynamodb.Options) { o.HTTPClient = hold }), h.res.TableName("Table"), noGrace)
	done := make(chan response, 1)
	go func() { done <- callVia(t, &taskSvc, user(w.oa), "PUT", path, body) }()
	return hold, done
}

// callVia sends one request through the route's handler on svc, as h.call does on h.svc, but
// leaves a 5xx answer to the test (some tests expect one) and reports errors without stopping
// (it runs in goroutines).
func callVia(t *testing.T, svc *actions.Service, as who, method, target, body string, headers ...string) response {
	t.Helper()
	r, err := send(t, svc, as, method, target, body, headers...)
	if err != nil {
		t.Error(err)
	}
	return r
}

// deliverAll feeds jobs to a worker batch handler as SQS would: in batches of at most size, in
// the order given (records of one batch run at once). Records a batch reports failed are fed
// again, as the queue redelivers them, until none fail.
func deliverAll(t *testing.T, handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), jobs []actions.Job, size int) {
	t.Helper()
	pending := jobs
	for round := 0; len(pending) > 0; round++ {
		if round == 5 {
			t.Fatalf("%d messages still failing after %d deliveries", len(pending), round)
		}
		var failed []actions.Job
		for i := 0; i < len(pending); i += size {
			chunk := pending[i:min(i+size, len(pending))]
			var e events.SQSEvent
			for k, j := range chunk {
				body, _ := json.Marshal(j)
				e.Records = append(e.Records, events.SQSMessage{MessageId: strconv.Itoa(k), Body: string(body), EventSource: "aws:sqs",
					Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(round + 1)}})
			}
			resp, err := handler(ctx, e)
			if err != nil {
				t.Fatalf("batch handler returned %v", err)
			}
			for _, f := range resp.BatchItemFailures {
				k, _ := strconv.Atoi(f.ItemIdentifier)
				failed = append(failed, chunk[k])
			}
		}
		pending = failed
	}
}

// jobsOf receives every job waiting on a queue for the collaborations in ids, in one pass,
// deleting them from the queue. (h.jobs, called once per collaboration, would receive the others'
// messages again on every call, and the redrive policy dead-letters a message on its sixth
// receive.)
func (h *harness) jobsOf(t *testing.T, queueID string, ids map[collab.Solution]string) []actions.Job {
	t.Helper()
	mine := map[string]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	return h.receiveJobs(t, queueID, 10, func(j actions.Job) bool {
		if !mine[j.CollaborationID] {
			t.Fatalf("unexpected job on %s: %+v", queueID, j)
		}
		return true
	})
}

func reversed(jobs []actions.Job) []actions.Job {
	out := slices.Clone(jobs)
	slices.Reverse(out)
	return out
}

// twiceEach returns every job twice in a row, so a batch holds a message and its duplicate.
func twiceEach(jobs []actions.Job) []actions.Job {
	var out []actions.Job
	for _, j := range jobs {
		out = append(out, j, j)
	}
	return out
}

// transitionsTo counts a collaboration's history entries by the status they moved to.
func transitionsTo(t *testing.T, h *harness, id string) map[collab.Status]int {
	t.Helper()
	_, history, err := h.store.CollaborationWithHistory(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := map[collab.Status]int{}
	for _, tr := range history {
		if tr.From != tr.To {
			n[tr.To]++
		}
	}
	return n
}

func grantsVia(v port.CompanyView, id string) []collab.Grant {
	var out []collab.Grant
	for _, g := range v.Grants {
		if g.Via == id {
			out = append(out, g)
		}
	}
	return out
}

// mailsBySubject counts, per recipient, the e-mails whose subject starts with prefix.
func mailsBySubject(mails []localaws.SentEmail, prefix string) map[string]int {
	n := map[string]int{}
	for _, m := range mails {
		if strings.HasPrefix(m.Subject, prefix) {
			for _, to := range m.To {
				n[to]++
			}
		}
	}
	return n
}

// concurrently makes n calls released at the same moment and returns their responses in order.
func concurrently(n int, call func(i int) response) []response {
	got := make([]response, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			got[i] = call(i)
		}()
	}
	close(gate)
	wg.Wait()
	return got
}

// outboxFor counts the unconsumed outbox messages of a queue (for one collaboration, or all
// when id is empty), due or not.
func (h *harness) outboxFor(t *testing.T, id, queueName string) int {
	t.Helper()
	due, err := h.store.DueWork(ctx, port.DueOutbox, h.clock().Add(365*24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range due.Messages {
		var j actions.Job
		json.Unmarshal([]byte(m.Body), &j)
		if m.Queue == queueName && (id == "" || j.CollaborationID == id) {
			n++
		}
	}
	return n
}

// snapshot renders what a world's collaborations left behind, with the world's random ids
// replaced by names, so two worlds that went through the same story compare equal: each
// collaboration and its history, the company's subscriptions, grants and facts, the e-mails sent
// and the outbox.
func (h *harness) snapshot(t *testing.T, w world, ids map[collab.Solution]string) string {
	t.Helper()
	var b strings.Builder
	names := []string{w.office, "<office>", w.co, "<co>", w.oa, "<oa>", w.oe, "<oe>", w.ox, "<ox>", w.ca, "<ca>", w.cu, "<cu>"}
	var solutions []collab.Solution
	for s, id := range ids {
		solutions = append(solutions, s)
		names = append(names, id, "<"+string(s)+">")
	}
	slices.Sort(solutions)
	named := strings.NewReplacer(names...)
	for _, s := range solutions {
		r, history, err := h.store.CollaborationWithHistory(ctx, ids[s])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "collaboration %s: %s outcome=%s steps=%v error=%q version=%d\n", s, r.Status, r.Outcome, r.StepsDone, r.TeardownError, r.Version)
		for _, tr := range history {
			fmt.Fprintf(&b, "  %s %s→%s by %s %s: %s\n", tr.At.Format(time.RFC3339), tr.From, tr.To, tr.Actor.Kind, tr.Actor.UserID, tr.Reason)
		}
	}
	v, err := h.store.Company(ctx, w.co)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sortedKeys(v.Subscriptions) {
		fmt.Fprintf(&b, "subscription %+v\n", v.Subscriptions[s])
	}
	grants := slices.Clone(v.Grants)
	sort.Slice(grants, func(i, j int) bool { return fmt.Sprint(grants[i]) < fmt.Sprint(grants[j]) })
	for _, g := range grants {
		fmt.Fprintf(&b, "grant %+v\n", g)
	}
	for _, s := range sortedKeys(v.Facts) {
		fmt.Fprintf(&b, "facts %s %+v\n", s, v.Facts[s])
	}
	var mails []string
	for _, m := range h.mails(t) {
		mails = append(mails, named.Replace(fmt.Sprintf("e-mail to %v: %s", m.To, m.Subject)))
	}
	slices.Sort(mails)
	for _, m := range mails {
		b.WriteString(m + "\n")
	}
	due, err := h.store.DueWork(ctx, port.DueOutbox, h.clock().Add(365*24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var outbox []string
	for _, m := range due.Messages {
		var j actions.Job
		json.Unmarshal([]byte(m.Body), &j)
		outbox = append(outbox, fmt.Sprintf("outbox %s %s %s", m.Queue, j.Email, named.Replace(j.CollaborationID)))
	}
	slices.Sort(outbox)
	for _, m := range outbox {
		b.WriteString(m + "\n")
	}
	return named.Replace(b.String())
}

func sortedKeys[V any](m map[collab.Solution]V) []collab.Solution {
	var out []collab.Solution
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// dynamoTap sits between the Service's DynamoDB client and the emulator. It counts the calls of
// each operation (every attempt, the SDK's retries included) and lets a test answer a call
// itself: fault gets each call's operation and body, and a response or error it returns replaces
// DynamoDB's.
type dynamoTap struct {
	inner aws.HTTPClient
	mu    sync.Mutex
	calls map[string]int
	fault func(op, body string) (*http.Response, error)
}

// tapDynamo puts a tap under h.svc's store; h.store, which seeds and checks, stays direct.
func (h *harness) tapDynamo() *dynamoTap {
	tap := &dynamoTap{inner: awsHTTPClient(), calls: map[string]int{}}
	h.svc.Store = dynamo.New(dynamodb.NewFromConfig(h.cfg, func(o *dynamodb.Options) { o.HTTPClient = tap }), h.res.TableName("Table"), noGrace)
	return tap
}

func (d *dynamoTap) Do(r *http.Request) (*http.Response, error) {
	op, body := dynamoCall(r)
	d.mu.Lock()
	d.calls[op]++
	fault := d.fault
	d.mu.Unlock()
	if fault != nil {
		resp, err := fault(op, body)
		if resp != nil {
			resp.Request = r
		}
		if resp != nil || err != nil {
			return resp, err
		}
	}
	return d.inner.Do(r)
}

func (d *dynamoTap) setFault(f func(op, body string) (*http.Response, error)) {
	d.mu.Lock()
	d.fault = f
	d.mu.Unlock()
}

// snapshot returns the calls counted so far, by operation.
func (d *dynamoTap) snapshot() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.calls)
}

func (d *dynamoTap) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[op]
}

// dynamoCall returns a DynamoDB request's operation and body, leaving the body for the transport.
func dynamoCall(r *http.Request) (op, body string) {
	op = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if r.Body != nil {
		raw, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		body = string(raw)
	}
	return op, body
}

// throttleFirst answers the first n[op] calls of each operation with a DynamoDB throttling error
// of the given type.
func throttleFirst(n map[string]int, errorType string) func(op, body string) (*http.Response, error) {
	var mu sync.Mutex
	return func(op, _ string) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if n[op] <= 0 {
			return nil, nil
		}
		n[op]--
		return dynamoError(errorType, ""), nil
	}
}

// dynamoError is DynamoDB's JSON error response of a type; extra adds fields to the body.
func dynamoError(errorType, extra string) *http.Response {
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#` + errorType + `","message":"injected: the request rate is too high"` + extra + `}`
	return &http.Response{StatusCode: 400, Status: "400 Bad Request", ContentLength: int64(len(body)),
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(strings.NewReader(body))}
}

// holdOnce holds the first DynamoDB call that match accepts until release is closed, and closes
// held when it has it: a test interleaves two requests exactly where it wants.
type holdOnce struct {
	inner   aws.HTTPClient
	match   func(op, body string) bool
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func (p *holdOnce) Do(r *http.Request) (*http.Response, error) {
	op, body := dynamoCall(r)
	if p.match(op, body) {
		first := false
		p.once.Do(func() { first = true })
		if first {
			close(p.held)
			<-p.release
		}
	}
	return p.inner.Do(r)
}
