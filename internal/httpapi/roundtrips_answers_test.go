package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// measureAnswerEmails counts the e-mails that tell the office how the customer answered and the
// company's reminder before an invitation expires, each one message of the e-mail worker, and the
// cleanup's cost per invitation reminder.
func measureAnswerEmails(t *testing.T, count *callCounter) []roundTrip {
	var out []roundTrip
	one := func(name string, want target, h *harness, jobs []actions.Job) {
		count.take()
		h.deliver(t, fnDeliver, jobs[:1])
		calls := trips(count.take()[fnDeliver])
		out = append(out, roundTrip{name: name, function: fnDeliver, calls: calls, dynamoDB: calls.service("DynamoDB"), target: want})
	}
	h := newHarness(t, count.attach)
	w := h.world(t)
	accepted := h.active(t, w, "1001", "scanner", "")
	one("EmailWorker (access granted: 1 administrator, 1 office employee)", target{dynamoDB: 4, ses: 2, words: "≤ 4 DynamoDB + 2 SES (n = 2)"},
		h, h.queued(t, "EmailQueue", accepted, actions.EmailAccessGranted))
	r := h.activate(t, w, "1001", "tax-annual", "")
	expect(t, r, 201, "")
	declined := r.str("collaboration.id")
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+h.token(t, declined)+"/decline", ""), 200, "")
	one("EmailWorker (invitation declined, 1 office employee)", target{dynamoDB: 4, ses: 1, words: "≤ 4 DynamoDB + 1 SES (n = 1)"},
		h, h.queued(t, "EmailQueue", declined, collab.EmailInvitationDeclined))

	h = newHarness(t, count.attach)
	w = h.world(t)
	var pending []string
	for _, solution := range []string{"scanner", "tax-annual"} {
		r := h.activate(t, w, "1001", solution, "")
		expect(t, r, 201, "")
		pending = append(pending, r.str("collaboration.id"))
		h.deliver(t, fnDeliver, h.queued(t, "EmailQueue", pending[len(pending)-1], "")) // so no outbox item is due
	}
	run := func(reminded int) trips {
		count.take()
		rep, err := h.svc.Cleanup(invoke(fnCleanup))
		if err != nil || rep.InvitationsDue != reminded {
			t.Fatalf("cleanup reminded %d, want %d: %+v %v", rep.InvitationsDue, reminded, rep, err)
		}
		return trips(count.take()[fnCleanup])
	}
	fixed := run(0)
	h.advance(actions.DefaultInvitationTTL - collab.DefaultTiming.InvitationReminderLead + time.Minute)
	due := run(2)
	perItem := trips{}
	for k, v := range due {
		perItem[k] = (v - fixed[k]) / 2
	}
	out = append(out, roundTrip{name: "Cleanup (per invitation reminder)", function: fnCleanup, calls: perItem, perItem: true,
		dynamoDB: (due.service("DynamoDB") - fixed.service("DynamoDB") + 1) / 2,
		target:   target{dynamoDB: 2, sqs: 1, words: "≤ 2 DynamoDB per due item"},
		note:     fmt.Sprintf("2 due: %d DynamoDB (%s)", due.service("DynamoDB"), due.operations("DynamoDB"))})
	one("EmailWorker (invitation reminder, 1 administrator)", target{dynamoDB: 4, ses: 1, words: "≤ 4 DynamoDB + 1 SES (n = 1)"},
		h, h.queued(t, "EmailQueue", pending[0], collab.EmailInvitationReminder))
	return out
}
