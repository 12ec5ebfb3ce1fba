package httpapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/queue"
)

// subjects are the Swedish subjects of the e-mails the tests look for.
func countPrefix(subjects []string, prefix string) int {
	n := 0
	for _, s := range subjects {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func TestTeardownPerSolutionAndOutcome(t *testing.T) {
	extra := map[string]string{"financial-overview": `,"agreementMonths":3`}
	payrollReady := `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`
	for id, rules := range collab.Solutions {
		for _, outcome := range rules.Outcomes {
			t.Run(string(id)+"_"+string(outcome), func(t *testing.T) {
				h := newHarness(t)
				w := h.world(t)
				cid := h.active(t, w, "1001", string(id), extra[string(id)])
				if id == "payroll" {
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", payrollReady), 200, "")
				}
				if id == "travel-expenses" {
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/travel-expenses/status", `{"unsubmittedReports":0}`), 200, "")
				}
				expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+cid+"/end", `{"outcome":"`+string(outcome)+`"}`), 202, "")
				h.drain(t)

				got := h.call(t, user(w.ca), "GET", "/collaborations/"+cid, "")
				if got.str("status") != "ended" || got.str("teardownError.code") != "" {
					t.Fatalf("after teardown %s", got.Raw)
				}
				access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
				if strings.Contains(access.Raw, w.oe) {
					t.Fatalf("office employee still has access: %s", access.Raw)
				}
				v, _ := h.store.Company(ctx, w.co)
				sub := v.Subscriptions[id]
				want := map[string]collab.SubscriptionStatus{
					"continue": collab.SubscriptionActive, "read_only": collab.SubscriptionReadOnly,
					"delete_data": collab.SubscriptionEnded, "handover_backup": collab.SubscriptionEnded, "archive": collab.SubscriptionReadOnly}
				key := string(outcome)
				if outcome == collab.EndSubscription {
					key = string(rules.EndEffect)
				}
				if sub.Status != want[key] || sub.PayingOfficeID != "" {
					t.Fatalf("subscription %+v, want status %s", sub, want[key])
				}
				if outcome == collab.Continue && sub.InvoiceRecipient != collab.InvoiceCustomer {
					t.Errorf("continue left invoice recipient %s", sub.InvoiceRecipient)
				}
				if key == "delete_data" && (sub.DataDeletedAt.IsZero() || len(v.Facts) != 0) {
					t.Errorf("data not deleted: %+v facts %v", sub, v.Facts)
				}
				if (key == "archive") == sub.RetainUntil.IsZero() {
					t.Errorf("retained until %v for %s", sub.RetainUntil, key)
				}
				hasReadOnly := strings.Contains(access.Raw, `"solution":"`+string(id)+`","mode":"read_only"`)
				if hasReadOnly != (key == "read_only" || key == "archive") {
					t.Errorf("read-only access = %v for %s: %s", hasReadOnly, key, access.Raw)
				}

				admin := h.mailsTo(t, w.ca+"@customer.test")
				if n := countPrefix(admin, "Samarbetet i "); n != 1 {
					t.Errorf("administrator got %d ended e-mails, want 1: %q", n, admin)
				}
				if n := countPrefix(h.mailsTo(t, "oe@office.test"), "Samarbetet i "); n != 1 {
					t.Errorf("office employee got %d ended e-mails, want 1", n)
				}
				if got, want := countPrefix(admin, "Säkerhetskopian"), map[bool]int{true: 1}[key == "handover_backup"]; got != want {
					t.Errorf("%d payroll handover e-mails, want %d", got, want)
				}
			})
		}
	}
}

func TestTeardownDeliveredTwiceConcurrentlyDoesItOnce(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t) // the access-granted e-mail
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+cid+"/end", `{"outcome":"end_subscription"}`), 202, "")
	jobs := h.jobs(t, "TeardownQueue", cid)
	if len(jobs) != 1 {
		t.Fatalf("%d teardown jobs", len(jobs))
	}
	var wg sync.WaitGroup
	thrice := func(j actions.Job) { // three deliveries at once, then a late redelivery
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := h.svc.Teardown(invoke(fnTeardown), j); err != nil {
					t.Errorf("teardown: %v", err)
				}
			}()
		}
		wg.Wait()
		if err := h.svc.Teardown(invoke(fnTeardown), j); err != nil {
			t.Fatal(err)
		}
	}
	thrice(jobs[0]) // the first stage: the office's access and its command
	if commands := h.jobs(t, "TeardownQueue", cid); len(commands) != 1 || commands[0].Command != collab.StepRevokeOfficeAccess {
		t.Fatalf("after the first stage delivered four times: %+v, want one command", commands)
	}
	for _, step := range []string{"revoke_office_access", "archive_data"} {
		expect(t, h.call(t, integration, "POST", "/collaborations/"+cid+"/teardown/"+step, `{"result":"done"}`), 200, "")
	}
	var last []actions.Job
	for _, j := range h.jobs(t, "TeardownQueue", cid) {
		if j.Command == "" {
			last = append(last, j)
		}
	}
	if len(last) != 1 {
		t.Fatalf("teardown jobs after the last acknowledgement %+v, want 1", last)
	}
	thrice(last[0]) // the last stage
	_, history, _ := h.store.CollaborationWithHistory(ctx, cid)
	ends := 0
	for _, tr := range history {
		if tr.To == collab.Ended {
			ends++
		}
	}
	if ends != 1 {
		t.Fatalf("%d transitions to ended, want 1", ends)
	}
	// The ended e-mail job exists once; deliver it twice at once, then once more.
	emails := h.jobs(t, "EmailQueue", cid)
	if len(emails) != 1 || emails[0].Email != actions.EmailEnded {
		t.Fatalf("e-mail jobs %+v, want one ended", emails)
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.svc.Deliver(invoke(fnDeliver), emails[0]) // the loser may be told to retry; checked below
		}()
	}
	wg.Wait()
	if err := h.svc.Deliver(invoke(fnDeliver), emails[0]); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), "Samarbetet i "); n != 1 {
		t.Fatalf("administrator got %d ended e-mails, want 1", n)
	}
	if n := countPrefix(h.mailsTo(t, "oe@office.test"), "Samarbetet i "); n != 1 {
		t.Fatalf("office got %d ended e-mails, want 1", n)
	}
}

func TestPoisonMessageEndsInTheDeadLetterQueue(t *testing.T) {
	h := newHarness(t)
	url := h.res.QueueURL("TeardownQueue")
	if _, err := h.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"not":"a job"`)}); err != nil {
		t.Fatal(err)
	}
	p := h.poller("TeardownQueue")
	for range 8 {
		if _, err := p.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.res.QueueURL("TeardownDLQ")), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != `{"not":"a job"` {
		t.Fatalf("dead-letter queue holds %d messages, want the poison one", len(got.Messages))
	}
}

// failingSends is an HTTP client for the SQS SDK client that fails every SendMessage at the
// transport, as a network fault between the write and the send would.
type failingSends struct{ inner aws.HTTPClient }

func (f failingSends) Do(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".SendMessage") {
		return nil, errors.New("injected: connection reset")
	}
	return f.inner.Do(r)
}

func TestWorkIsNotLostWhenTheSendFailsAfterTheWrite(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	working := h.svc.Queue
	h.svc.Queue = &queue.SQS{Client: sqs.NewFromConfig(h.cfg, func(o *sqs.Options) { o.HTTPClient = failingSends{awsHTTPClient()} }),
		URLs: map[string]string{actions.TeardownQueue: h.res.QueueURL("TeardownQueue"), actions.EmailQueue: h.res.QueueURL("EmailQueue")}}
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+cid+"/end", `{"outcome":"continue"}`), 202, "")
	if jobs := h.jobs(t, "TeardownQueue", cid); len(jobs) != 0 {
		t.Fatalf("a send that failed delivered %d jobs", len(jobs))
	}
	h.svc.Queue = working

	rep, err := h.svc.Cleanup(invoke(fnCleanup)) // not yet overdue
	if err != nil || rep.MessagesResent != 0 {
		t.Fatalf("cleanup before the grace period: %+v %v", rep, err)
	}
	h.advance(port.DefaultTiming.StuckAfter + time.Minute)
	rep, err = h.svc.Cleanup(invoke(fnCleanup))
	// The teardown job is re-sent from the outbox (and, stuck in ending that long, re-driven too;
	// both are the same idempotent work). The test took the invitation e-mail job off the queue
	// without running it, so that one is re-sent as well.
	if err != nil || rep.MessagesResent < 1 {
		t.Fatalf("cleanup after the grace period: %+v %v", rep, err)
	}
	h.drain(t)
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+cid, ""); got.str("status") != "ended" {
		t.Fatalf("after the re-send %s", got.Raw)
	}
	if n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), "Samarbetet i "); n != 1 {
		t.Fatalf("%d ended e-mails, want 1", n)
	}
	h.advance(24 * time.Hour)
	if rep, _ := h.svc.Cleanup(invoke(fnCleanup)); rep.MessagesResent != 0 || rep.TeardownsRedrive != 0 {
		t.Fatalf("consumed work re-sent: %+v", rep)
	}
}

func TestInvitationExpiresWithTheInjectedClock(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1002", "scanner", "")
	cid := r.str("collaboration.id")
	h.drain(t)
	h.advance(29 * 24 * time.Hour)
	if rep, _ := h.svc.Cleanup(invoke(fnCleanup)); rep.InvitationsDead != 0 {
		t.Fatalf("expired a live invitation: %+v", rep)
	}
	h.advance(2 * 24 * time.Hour)
	rep, err := h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.InvitationsDead != 1 {
		t.Fatalf("cleanup %+v %v", rep, err)
	}
	h.drain(t)
	if got := h.call(t, user(w.oe), "GET", "/collaborations/"+cid, ""); got.str("status") != "expired" {
		t.Fatalf("after expiry %s", got.Raw)
	}
	v, _ := h.store.Company(ctx, w.co2)
	if _, ok := v.Subscriptions["scanner"]; ok {
		t.Fatal("the subscription the activation opened was not rolled back")
	}
	if n := countPrefix(h.mailsTo(t, "oe@office.test"), "Inbjudan till"); n != 1 {
		t.Fatalf("office got %d invitation-expired e-mails, want 1: %q", n, h.mailsTo(t, "oe@office.test"))
	}
	if rep, _ := h.svc.Cleanup(invoke(fnCleanup)); rep.InvitationsDead != 0 || rep.Read != 0 {
		t.Fatalf("second run found work: %+v", rep)
	}
	expect(t, h.activate(t, w, "1002", "scanner", ""), 201, "")
}

func TestAgreementReminderThenExpiry(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	cid := h.active(t, w, "1001", "financial-overview", `,"agreementMonths":3`) // 2027-04 .. 2027-07-01
	renewed := h.active(t, w, "1002", "financial-overview", `,"agreementMonths":3`)
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+renewed+"/renew", `{"months":12}`), 200, "")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+renewed+"/renew", `{"months":5}`), 422, "agreement_period_invalid")
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+renewed+"/renew", `{"months":3}`), 403, "not_office_employee")

	h.advance(time.Date(2027, 6, 20, 0, 0, 0, 0, time.UTC).Sub(h.clock()))
	rep, err := h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.RemindersSent != 1 || rep.AgreementsEnded != 0 {
		t.Fatalf("cleanup 11 days before the end: %+v %v", rep, err)
	}
	h.drain(t)
	if rep, _ := h.svc.Cleanup(invoke(fnCleanup)); rep.RemindersSent != 0 {
		t.Fatal("reminder sent twice")
	}
	if n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), "Avtalsperioden för"); n != 1 {
		t.Fatalf("customer got %d reminders", n)
	}

	h.advance(time.Date(2027, 7, 1, 1, 0, 0, 0, time.UTC).Sub(h.clock()))
	rep, err = h.svc.Cleanup(invoke(fnCleanup))
	if err != nil || rep.AgreementsEnded != 1 {
		t.Fatalf("cleanup after the end: %+v %v", rep, err)
	}
	h.drain(t)
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+cid, "")
	if got.str("status") != "ended" || got.str("outcome") != "continue" {
		t.Fatalf("expired agreement %s", got.Raw)
	}
	v, _ := h.store.Company(ctx, w.co)
	if s := v.Subscriptions["financial-overview"]; s.Status != collab.SubscriptionActive || s.InvoiceRecipient != collab.InvoiceCustomer || !s.DataDeletedAt.IsZero() {
		t.Fatalf("subscription after agreement expiry %+v: want active, paid by the customer, nothing deleted", s)
	}
	if got := h.call(t, user(w.ca2), "GET", "/collaborations/"+renewed, ""); got.str("status") != "active" {
		t.Fatalf("renewed collaboration %s", got.Raw)
	}
}

func TestCleanupReadsOnlyDueItems(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	const quiet, due = 2000, 10
	// Quiet collaborations are stored records (no history rows): active without an agreement
	// period, or ended. Neither is ever due.
	quietOnes := func(n int) []*collab.Collaboration {
		var cs []*collab.Collaboration
		for i := range n {
			status := map[bool]collab.Status{true: collab.Active, false: collab.Ended}[i%2 == 0]
			cs = append(cs, collab.RestoreCollaboration(collab.CollaborationRecord{ID: rid("c"), OfficeID: w.office,
				CustomerNo: fmt.Sprint("q", i), CompanyID: w.co, Solution: "scanner", TaskID: "t", Status: status,
				Scenario: collab.ExistingSolution, InvoiceRecipient: collab.InvoiceOffice, CreatedAt: start, UpdatedAt: start}))
		}
		return cs
	}
	dueOnes := func(n int, at time.Time) []*collab.Collaboration {
		var cs []*collab.Collaboration
		for i := range n {
			no := fmt.Sprint("d", i)
			c, err := collab.Activate(collab.ActivationInput{ID: rid("c"), OfficeID: w.office,
				Customer: collab.Customer{No: no}, CompanyID: w.co, Task: collab.Task{ID: "t", CustomerNo: no},
				Solution: "scanner", InvoiceRecipient: collab.InvoiceOffice, Scenario: collab.ExistingSolution}, collab.System, at)
			if err != nil {
				t.Fatal(err)
			}
			_, inv := collab.NewInvitation(tokenKey, c.ID(), at, actions.DefaultInvitationTTL)
			c.Invite(inv)
			cs = append(cs, c)
		}
		return cs
	}
	seed := func(cs []*collab.Collaboration) {
		if err := h.store.Import(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	seed(quietOnes(quiet))
	seed(dueOnes(due, start.Add(-40*24*time.Hour)))
	t.Logf("seeded %d collaborations in %v", quiet+due, time.Since(began)) // moto copies the whole table in every transaction, so the cleanup below costs seconds here

	var wg sync.WaitGroup
	reps := make([]actions.CleanupReport, 2)
	for i := range reps { // two runs at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if reps[i], err = h.svc.Cleanup(invoke(fnCleanup)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := reps[0].InvitationsDead + reps[1].InvitationsDead; got != due {
		t.Fatalf("two runs expired %d invitations, want %d (%+v)", got, due, reps)
	}
	for _, rep := range reps {
		if float64(rep.Read) > due*1.05 {
			t.Fatalf("a run read %d items to find %d due among %d", rep.Read, due, quiet+due)
		}
	}
	if slices.ContainsFunc(reps, func(r actions.CleanupReport) bool { return r.More }) {
		t.Fatal("reported more work than one batch")
	}
}

// throttledSES fails the first n SendEmail calls at the transport with SES's throttling error.
type throttledSES struct {
	inner aws.HTTPClient
	mu    sync.Mutex
	n     int
}

func (f *throttledSES) Do(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := f.n > 0 && isSendEmail(r)
	if fail {
		f.n--
	}
	f.mu.Unlock()
	if fail {
		return sesThrottling(r), nil
	}
	return f.inner.Do(r)
}

// sesThrottling is SES's answer to a request over the sending rate.
func sesThrottling(r *http.Request) *http.Response {
	body := `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>x</RequestId></ErrorResponse>`
	return &http.Response{StatusCode: 400, Status: "400 Bad Request", Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}
}

// isSendEmail reports whether an SES query-protocol request is SendEmail, leaving its body for
// the real transport.
func isSendEmail(r *http.Request) bool {
	if r.Body == nil {
		return false
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return strings.Contains(string(raw), "Action=SendEmail")
}

func TestThrottledSESIsRetriedAndSendsOnce(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	throttle := &throttledSES{inner: awsHTTPClient(), n: 100} // more than the SDK's own retries
	h.svc.Mailer = &sesmail.Mailer{Client: ses.NewFromConfig(h.cfg, func(o *ses.Options) { o.HTTPClient = throttle }), From: h.sender}
	h.activate(t, w, "1001", "scanner", "")
	email := h.poller("EmailQueue")
	if _, err := email.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.mails(t)); n != 0 {
		t.Fatalf("%d e-mails sent while SES throttled", n)
	}
	throttle.mu.Lock()
	throttle.n = 0
	throttle.mu.Unlock()
	h.drain(t) // the failed message comes back and goes through
	if got := h.mailsTo(t, w.ca+"@customer.test"); len(got) != 1 {
		t.Fatalf("after throttling: %q, want one invitation", got)
	}
}
