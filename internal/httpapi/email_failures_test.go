package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail/sesmail"
)

// newUnverifiedHarness is newHarness whose service sends from an SES identity that is not
// verified (never verified in the region, or deleted since); verifySender fixes it, as the
// on-call engineer would.
func newUnverifiedHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.sender = "unverified+" + h.res.Prefix + "@collab.test"
	h.svc.Mailer = &sesmail.Mailer{Client: ses.NewFromConfig(h.cfg), From: h.sender}
	return h
}

func (h *harness) verifySender(t *testing.T) {
	t.Helper()
	if err := localaws.VerifySender(ctx, h.cfg, h.sender); err != nil {
		t.Fatal(err)
	}
}

// redrive moves every message of a dead-letter queue back to the queue it came from, as
// `aws sqs start-message-move-task --source-arn <DLQ arn>` does (moto has no move tasks). It
// returns how many it moved.
func (h *harness) redrive(t *testing.T, dlqID, queueID string) int {
	t.Helper()
	moved := 0
	for range 10 {
		got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.res.QueueURL(dlqID)), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			return moved
		}
		for _, m := range got.Messages {
			if _, err := h.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(h.res.QueueURL(queueID)), MessageBody: m.Body}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.res.QueueURL(dlqID)), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			moved++
		}
	}
	return moved
}

// captureLog makes the service (and the workers built after it) log into a buffer as well as
// the test's log, and returns the buffer's contents on demand.
func (h *harness) captureLog(t *testing.T) func() string {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	h.svc.Log = slog.New(slog.NewTextHandler(io.MultiWriter(w, testWriter{t}), nil))
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// delta is what a tap counted between two snapshots.
func delta(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for op, n := range after {
		if n-before[op] != 0 {
			d[op] = n - before[op]
		}
	}
	return d
}

// undelivered returns a collaboration view's invitationUndelivered, or nil.
func undelivered(r response) map[string]any {
	u, _ := r.JSON["invitationUndelivered"].(map[string]any)
	return u
}

// listed returns the item of the office overview with the collaboration's id.
func listed(t *testing.T, r response, id string) map[string]any {
	t.Helper()
	items, _ := r.JSON["items"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); m["id"] == id {
			return m
		}
	}
	t.Fatalf("collaboration %s is not in the office overview: %s", id, r.Raw)
	return nil
}

func TestUnverifiedSenderIsRetriedUntilFixedAndDeliversOnce(t *testing.T) {
	h := newUnverifiedHarness(t)
	logged := h.captureLog(t)
	w := h.world(t)
	tap := h.tapDynamo()
	id := h.activate(t, w, "1001", "scanner", "").str("collaboration.id")
	email := h.poller("EmailQueue")

	before := tap.snapshot()
	if n, err := email.Once(ctx); err != nil || n != 1 {
		t.Fatalf("first receive: %d messages, %v", n, err)
	}
	// Claim the job's deliveries, read the collaboration and the company, release the claim when
	// SES refuses the sender: 4 calls.
	if got, want := delta(before, tap.snapshot()), map[string]int{"UpdateItem": 1, "GetItem": 1, "Query": 1, "TransactWriteItems": 1}; !maps.Equal(got, want) {
		t.Errorf("a failed delivery made DynamoDB calls %v, want %v", got, want)
	}
	if n := len(h.mails(t)); n != 0 {
		t.Fatalf("%d e-mails sent from an unverified sender", n)
	}
	if n := h.queueDepth(t, "EmailQueue"); n != 1 {
		t.Fatalf("e-mail queue holds %d messages after the failure, want the job back for a retry", n)
	}
	view := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	if u := undelivered(view); u != nil {
		t.Fatalf("a failure of the sender marked the invitation undelivered: %v", u)
	}

	// It keeps failing until the queue dead-letters it; the outbox still holds it.
	for range 8 {
		if _, err := email.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.queueDepth(t, "EmailDLQ"); n != 1 {
		t.Fatalf("e-mail dead-letter queue holds %d messages, want the job", n)
	}
	if n := h.outboxFor(t, id, actions.EmailQueue); n != 1 {
		t.Fatalf("%d outbox items for the job, want 1", n)
	}
	if n := len(h.mails(t)); n != 0 {
		t.Fatalf("%d e-mails sent from an unverified sender", n)
	}

	// The on-call engineer verifies the identity and re-drives the dead-letter queue.
	h.verifySender(t)
	if n := h.redrive(t, "EmailDLQ", "EmailQueue"); n != 1 {
		t.Fatalf("re-drove %d messages, want 1", n)
	}
	h.drain(t)
	if got := h.mailsTo(t, w.ca+"@customer.test"); countPrefix(got, subjectInvitation) != 1 || len(got) != 1 {
		t.Fatalf("after the fix the administrator got %q, want one invitation", got)
	}
	if n := h.outboxFor(t, id, actions.EmailQueue); n != 0 {
		t.Fatalf("%d outbox items after the delivery, want none", n)
	}
	h.advance(port.DefaultTiming.StuckAfter * 4)
	if rep, err := h.svc.Cleanup(ctx); err != nil || rep.MessagesResent != 0 {
		t.Fatalf("cleanup after the delivery: %+v %v", rep, err)
	}
	h.drain(t)
	if n := len(h.mails(t)); n != 1 {
		t.Fatalf("%d e-mails in all, want 1", n)
	}
	if view := h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""); undelivered(view) != nil {
		t.Fatalf("delivered invitation marked undelivered: %s", view.Raw)
	}
	if strings.Contains(logged(), h.sender) || strings.Contains(logged(), w.ca+"@customer.test") {
		t.Errorf("an e-mail address reached the log:\n%s", logged())
	}
}

func TestUnverifiedSenderIsSentOnALaterReceiveOnceFixed(t *testing.T) {
	h := newUnverifiedHarness(t)
	w := h.world(t)
	h.activate(t, w, "1001", "scanner", "")
	email := h.poller("EmailQueue")
	if _, err := email.Once(ctx); err != nil {
		t.Fatal(err)
	}
	h.verifySender(t)
	h.drain(t) // the same message, received again before it is dead-lettered
	if got := h.mailsTo(t, w.ca+"@customer.test"); len(got) != 1 {
		t.Fatalf("after the fix the administrator got %q, want one invitation", got)
	}
}

func TestRejectedRecipientIsRecordedAndShownToTheOffice(t *testing.T) {
	h := newHarness(t)
	logged := h.captureLog(t)
	w := h.world(t)
	bad := w.ca + "@" // moto's SES refuses it: InvalidParameterValue "Missing domain"
	u, _, err := h.store.CompanyUser(ctx, w.co, w.ca)
	if err != nil {
		t.Fatal(err)
	}
	u.Email = bad
	tx := h.store.Tx()
	tx.PutUser(u)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tap := h.tapDynamo()
	id := h.activate(t, w, "1001", "scanner", "").str("collaboration.id")

	before := tap.snapshot()
	if _, err := h.poller("EmailQueue").Once(ctx); err != nil {
		t.Fatal(err)
	}
	// As many calls as a delivery that succeeds: the mark goes in the transaction that settles the
	// deliveries and ends the job.
	if got, want := delta(before, tap.snapshot()), map[string]int{"UpdateItem": 1, "GetItem": 1, "Query": 1, "TransactWriteItems": 1}; !maps.Equal(got, want) {
		t.Errorf("a rejected delivery made DynamoDB calls %v, want %v", got, want)
	}
	if n := h.queueDepth(t, "EmailQueue"); n != 0 {
		t.Fatalf("e-mail queue holds %d messages after a rejection, want the job done", n)
	}
	if n := h.outboxFor(t, id, actions.EmailQueue); n != 0 {
		t.Fatalf("%d outbox items after a rejection, want the job consumed", n)
	}

	check := func(where string, v map[string]any) {
		t.Helper()
		u, _ := v["invitationUndelivered"].(map[string]any)
		users, _ := u["userIds"].([]any)
		if u["reason"] != "recipient_rejected" || !slices.Equal(users, []any{w.ca}) || u["at"] != start.Add(time.Second).Format(time.RFC3339) {
			t.Fatalf("%s shows invitationUndelivered %v, want recipient_rejected for %s", where, u, w.ca)
		}
	}
	view := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	check("the collaboration", view.JSON)
	if !strings.Contains(view.Raw, "invitation e-mail could not be delivered to 1 recipient") {
		t.Errorf("no history entry for the undelivered invitation: %s", view.Raw)
	}
	overview := h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations", "")
	check("the office overview", listed(t, overview, id))
	pending := h.call(t, user(w.oa), "GET", "/offices/"+w.office+"/collaborations?status=pending", "")
	check("the office overview of pending collaborations", listed(t, pending, id))

	// Delivered again (a duplicate, or the cleanup's re-send): nothing is sent, nothing changes.
	h.advance(48 * time.Hour)
	if rep, _ := h.svc.Cleanup(ctx); rep.MessagesResent != 0 {
		t.Fatalf("the rejected job was re-sent: %+v", rep)
	}
	if again := h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""); again.Raw != view.Raw {
		t.Fatalf("the collaboration changed:\n%s\nwas\n%s", again.Raw, view.Raw)
	}

	// The office has the address corrected and resends: the mark goes, the invitation arrives.
	u, _, _ = h.store.CompanyUser(ctx, w.co, w.ca)
	u.Email = w.ca + "@customer.test"
	tx = h.store.Tx()
	tx.PutUser(u)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	resent := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/resend", "")
	expect(t, resent, 200, "")
	if undelivered(resent) != nil {
		t.Fatalf("resend kept the mark: %s", resent.Raw)
	}
	h.drain(t)
	if got := h.mailsTo(t, w.ca+"@customer.test"); len(got) != 1 || countPrefix(got, subjectInvitation) != 1 {
		t.Fatalf("after the resend the administrator got %q, want one invitation", got)
	}
	if item := listed(t, h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations", ""), id); item["invitationUndelivered"] != nil {
		t.Fatalf("the office overview still shows the mark after the resend: %v", item)
	}
	if strings.Contains(logged(), bad) {
		t.Errorf("the rejected address reached the log:\n%s", logged())
	}
}

func TestRejectedRecipientOfManyIsNamedAndTheOthersGetTheInvitation(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	// A second administrator of the company, whose address SES refuses.
	u, _, err := h.store.CompanyUser(ctx, w.co, w.cu)
	if err != nil {
		t.Fatal(err)
	}
	u.Role, u.Email = collab.Administrator, w.cu+"@"
	tx := h.store.Tx()
	tx.PutUser(u)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	id := h.activate(t, w, "1001", "scanner", "").str("collaboration.id")
	jobs := h.jobs(t, "EmailQueue", id)
	if len(jobs) != 1 {
		t.Fatalf("%d e-mail jobs", len(jobs))
	}
	for range 2 { // the second delivery is a duplicate: same mark, nothing sent
		if err := h.svc.Deliver(ctx, jobs[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.mailsTo(t, w.ca+"@customer.test"); len(got) != 1 {
		t.Fatalf("the other administrator got %q, want one invitation", got)
	}
	view := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	var v struct {
		InvitationUndelivered struct {
			Reason  string   `json:"reason"`
			UserIDs []string `json:"userIds"`
		} `json:"invitationUndelivered"`
		History []json.RawMessage `json:"history"`
	}
	json.Unmarshal([]byte(view.Raw), &v)
	if v.InvitationUndelivered.Reason != "recipient_rejected" || !slices.Equal(v.InvitationUndelivered.UserIDs, []string{w.cu}) {
		t.Fatalf("invitationUndelivered %+v, want %s only", v.InvitationUndelivered, w.cu)
	}
	if n := strings.Count(view.Raw, "could not be delivered"); n != 1 {
		t.Fatalf("%d history entries for the undelivered invitation, want 1", n)
	}
	// The company's administrator accepts through the link that reached them: the mark goes.
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+collab.InvitationToken(h.key(t), id, jobs[0].Nonce)+"/accept", ""), 200, "")
	if view := h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""); undelivered(view) != nil {
		t.Fatalf("accepted collaboration still marked: %s", view.Raw)
	}
}
