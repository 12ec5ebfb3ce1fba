package httpapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/internal/events"
)

// solutions play the solutions' integrations for a harness, as a real one subscribes: a rule on
// the harness's bus routes every TeardownCommand to a queue of theirs, and drain answers each
// command it receives through the acknowledgement route, signed as an integration.
type solutions struct {
	url string
	// answer returns the body a command is answered with; nil answers done (a handover with its
	// backup). A body of "" leaves the command unanswered, as a solution that never answers.
	answer func(c events.Command) string
	// seen are the commands received, in order.
	seen []events.Command
	// hold leaves the commands on the queue, unreceived, as a solution that is down; unread says
	// commands may be waiting there (held, or more than one receive takes).
	hold, unread bool
}

// answerDone is the body of a done acknowledgement of step: a handover's names its backup,
// downloadable for 30 days after now.
func answerDone(step string, now time.Time) string {
	until := now.Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	switch step {
	case "hand_over_backup":
		return `{"result":"done","backup":{"url":"https://payroll.example/backups/b-1","availableUntil":"` + until + `"}}`
	case "export_data":
		return `{"result":"done","export":{"url":"https://solution.example/exports/e-1","availableUntil":"` + until + `"}}`
	}
	return `{"result":"done"}`
}

// subscribeSolutions creates the solutions' rule and queue on first use.
func (h *harness) subscribeSolutions(t *testing.T) string {
	t.Helper()
	if h.solutions.url != "" {
		return h.solutions.url
	}
	h.solutions.url = routeToQueue(t, h, "solutions", `{"source":["spiris.collaboration"],"detail-type":["TeardownCommand"]}`)
	return h.solutions.url
}

// answerCommands receives the commands the bus delivered to the solutions' queue and answers
// each (solutions.answer); it returns how many it received.
func (h *harness) answerCommands(t *testing.T) int {
	t.Helper()
	url := h.subscribeSolutions(t)
	if h.solutions.hold {
		h.solutions.unread = true
		return 0
	}
	got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	h.solutions.unread = len(got.Messages) > 0
	for _, m := range got.Messages {
		var e struct {
			DetailType string         `json:"detail-type"`
			Detail     events.Command `json:"detail"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil || e.DetailType != events.TeardownCommand {
			t.Fatalf("the solutions' queue got %s (%v)", aws.ToString(m.Body), err)
		}
		c := e.Detail
		h.solutions.seen = append(h.solutions.seen, c)
		body := answerDone(c.Step, h.clock())
		if h.solutions.answer != nil {
			body = h.solutions.answer(c)
		}
		if body != "" {
			expect(t, h.call(t, integration, "POST", c.AcknowledgePath, body), 200, "")
		}
		if _, err := h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return len(got.Messages)
}

// tearDown runs the teardown worker and the solutions' answers until neither has work, leaving
// the e-mail queue alone.
func (h *harness) tearDown(t *testing.T) {
	t.Helper()
	teardown := h.poller("TeardownQueue")
	for range 20 {
		n, err := teardown.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n+h.answerCommands(t) == 0 {
			return
		}
	}
}
