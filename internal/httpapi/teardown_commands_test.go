package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// reportReady reports the facts that let a collaboration of solution end, as its integration.
func reportReady(t *testing.T, h *harness, w world, solution string) {
	t.Helper()
	body := map[string]string{
		"payroll":         `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`,
		"travel-expenses": `{"unsubmittedReports":0}`,
	}[solution]
	if body != "" {
		expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/"+solution+"/status", body), 200, "")
	}
}

// TestAnEndCompletesOnlyAfterTheSolutionAcknowledgedEachCommand: for each effect an end can have,
// the solution is told its commands through the bus, one after the other, and the collaboration
// shows which it waits on; it ends, and its e-mails go out, only after the solution acknowledged
// the last. Payroll's handover e-mail names the backup file the acknowledgement named.
func TestAnEndCompletesOnlyAfterTheSolutionAcknowledgedEachCommand(t *testing.T) {
	for _, c := range []struct {
		solution, outcome string
		steps             []string
	}{
		{"bookkeeping", "continue", []string{"revoke_office_access", "transfer_billing"}},
		{"tax-annual", "end_subscription", []string{"revoke_office_access", "set_read_only"}},
		{"scanner", "end_subscription", []string{"revoke_office_access", "archive_data"}}, // accounting records; without a grace period here
		{"payroll", "end_subscription", []string{"revoke_office_access", "hand_over_backup"}},
	} {
		t.Run(c.solution+"_"+c.outcome, func(t *testing.T) {
			h := newHarness(t)
			w := h.world(t)
			reportReady(t, h, w, c.solution)
			id := h.active(t, w, "1001", c.solution, "")
			h.drain(t)
			expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"`+c.outcome+`"}`), 202, "")
			h.solutions.hold = true
			h.drain(t)
			for i, step := range c.steps {
				got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
				if got.str("status") != "ending" || got.str("teardown.waitingOn") != step || got.str("teardown.since") == "" {
					t.Fatalf("before %s is acknowledged: %s", step, got.Raw)
				}
				if n := countPrefix(h.mailsTo(t, w.ca+"@customer.test"), subjectEnded) + countPrefix(h.mailsTo(t, w.ca+"@customer.test"), subjectHandover); n != 0 {
					t.Fatalf("%d ended or handover e-mails before the solution answered", n)
				}
				h.solutions.hold = false
				if n := h.answerCommands(t); n != 1 {
					t.Fatalf("the solution got %d commands, want %s alone", n, step)
				}
				if seen := h.solutions.seen[len(h.solutions.seen)-1]; seen.Step != step || seen.Solution != c.solution || seen.Attempt != 1 {
					t.Fatalf("command %d: %+v, want %s", i, seen, step)
				}
				h.solutions.hold = true
				h.drain(t)
			}
			h.solutions.hold = false
			h.drain(t)
			final := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
			if final.str("status") != "ended" {
				t.Fatalf("after every command: %s", final.Raw)
			}
			admin := h.mailsTo(t, w.ca+"@customer.test")
			if countPrefix(admin, subjectEnded) != 1 {
				t.Fatalf("administrator's e-mails %q, want one ended", admin)
			}
			if c.solution != "payroll" {
				return
			}
			var handover string
			for _, m := range h.mails(t) {
				if strings.HasPrefix(m.Subject, subjectHandover) {
					handover = m.Body
				}
			}
			if !strings.Contains(handover, "https://payroll.example/backups/b-1") || !strings.Contains(final.str("teardown.backup.url"), "payroll.example") {
				t.Fatalf("the handover e-mail does not name the backup file: %s", handover)
			}
		})
	}
}

// TestAcknowledgementsAreCheckedAgainstTheStepWaitedOn: an acknowledgement of a step not yet
// commanded is 409 and changes nothing, one from another solution's integration finds no such
// collaboration, and the same acknowledgement twice answers the same.
func TestAcknowledgementsAreCheckedAgainstTheStepWaitedOn(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	ack := "/collaborations/" + id + "/teardown/"
	expect(t, h.call(t, integration, "POST", ack+"revoke_office_access", `{"result":"done"}`), 409, "step_not_pending")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`), 202, "")
	h.solutions.hold = true
	h.drain(t)
	before := h.call(t, user(w.oa), "GET", "/collaborations/"+id, "")
	expect(t, h.call(t, integration, "POST", ack+"delete_data", `{"result":"done"}`), 409, "step_not_pending")
	payroll := who{Service: "arn:aws:sts::123456789012:assumed-role/payroll-integration/s1"}
	expect(t, h.call(t, payroll, "POST", ack+"revoke_office_access", `{"result":"done"}`), 404, "collaboration_not_found")
	expect(t, h.call(t, integration, "POST", ack+"revoke_office_access", `{"result":"failed"}`), 422, "reason_missing")
	if after := h.call(t, user(w.oa), "GET", "/collaborations/"+id, ""); after.str("updatedAt") != before.str("updatedAt") {
		t.Fatalf("a refused acknowledgement changed the collaboration: %s", after.Raw)
	}
	scanner := who{Service: "arn:aws:sts::123456789012:assumed-role/scanner-integration/s1"}
	first := h.call(t, scanner, "POST", ack+"revoke_office_access", `{"result":"done"}`)
	expect(t, first, 200, "")
	again := h.call(t, scanner, "POST", ack+"revoke_office_access", `{"result":"done"}`)
	expect(t, again, 200, "")
	if first.str("teardown.waitingOn") != "archive_data" || again.Raw != first.Raw {
		t.Fatalf("acknowledged twice: %s then %s", first.Raw, again.Raw)
	}
}

// TestAnUnansweredCommandIsSentAgain: the cleanup sends a command nobody answered again through
// the bus, under the same event id, until the solution answers it.
func TestAnUnansweredCommandIsSentAgain(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 202, "")
	unanswered := func(events.Command) string { return "" }
	h.solutions.answer = unanswered
	h.drain(t)
	if len(h.solutions.seen) != 1 {
		t.Fatalf("commands %+v, want 1", h.solutions.seen)
	}
	h.advance(20 * time.Minute)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.MessagesResent == 0 {
		t.Fatalf("cleanup: %+v, %v; want the command re-sent", rep, err)
	}
	h.drain(t)
	if seen := h.solutions.seen; len(seen) != 2 || seen[1].EventID != seen[0].EventID || seen[1].Step != "revoke_office_access" {
		t.Fatalf("commands %+v, want the same one again", seen)
	}
	h.solutions.answer = nil
	h.advance(40 * time.Minute)
	if _, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	if got := h.call(t, user(w.oa), "GET", "/collaborations/"+id, ""); got.str("status") != "ended" {
		t.Fatalf("once answered: %s", got.Raw)
	}
}

// TestAFailedCommandIsOnRecordUntilAnOperatorRedrivesIt: the solution's reason is shown to the
// office and the company's administrators, nothing is re-sent, and the operators' re-drive (the
// cleanup function invoked with the collaboration's id) sends the command again as attempt 2.
func TestAFailedCommandIsOnRecordUntilAnOperatorRedrivesIt(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "scanner", "")
	h.drain(t)
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`), 202, "")
	h.solutions.answer = func(c events.Command) string {
		if c.Step == "archive_data" && c.Attempt == 1 {
			return `{"result":"failed","reason":"the company's archive is locked by a legal hold"}`
		}
		return answerDone(c.Step, h.clock())
	}
	h.drain(t)
	got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, "")
	if got.str("status") != "ending" || !strings.Contains(got.str("teardownError.message"), "legal hold") ||
		got.str("teardown.failure") == "" || got.str("teardown.waitingOn") != "archive_data" {
		t.Fatalf("after the failure: %s", got.Raw)
	}
	h.advance(48 * time.Hour)
	commanded := len(h.solutions.seen)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.TeardownsRedrive != 0 {
		t.Fatalf("cleanup after the failure: %+v, %v", rep, err)
	}
	h.drain(t)
	if len(h.solutions.seen) != commanded {
		t.Fatalf("the cleanup sent the failed command again: %+v", h.solutions.seen[commanded:])
	}
	if _, err := h.svc.Redrive(invoke(fnCleanup), id); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	last := h.solutions.seen[len(h.solutions.seen)-1]
	if last.Step != "archive_data" || last.Attempt != 2 {
		t.Fatalf("after the re-drive the solution got %+v, want attempt 2 of archive_data", last)
	}
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, ""); got.str("status") != "ended" || got.str("teardownError.code") != "" {
		t.Fatalf("after the re-drive: %s", got.Raw)
	}
	v, _ := h.store.Company(ctx, w.co)
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionReadOnly || s.RetainUntil.IsZero() {
		t.Fatalf("subscription %+v, want read-only, archived until its retention date", s)
	}
}

// TestASolutionReadsWhoMayUseItWithItsRole: the access list for one solution, signed with its
// integration role; another solution's role is refused.
func TestASolutionReadsWhoMayUseItWithItsRole(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "payroll", "")
	h.active(t, w, "1001", "scanner", "")
	payroll := who{Service: "arn:aws:sts::123456789012:assumed-role/payroll-integration/s1"}
	r := h.call(t, payroll, "GET", "/solutions/payroll/companies/"+w.co+"/access", "")
	expect(t, r, 200, "")
	items, _ := r.JSON["items"].([]any)
	offices := 0
	for _, it := range items {
		a := it.(map[string]any)
		if a["solution"] != "payroll" {
			t.Fatalf("the payroll list holds %v", a)
		}
		if a["via"] != "company" {
			offices++
		}
	}
	if offices == 0 {
		t.Fatalf("no office employee in %s", r.Raw)
	}
	expect(t, h.call(t, payroll, "GET", "/solutions/scanner/companies/"+w.co+"/access", ""), 403, "integration_not_for_solution")
	expect(t, h.call(t, who{Service: "arn:aws:iam::123456789012:role/admin"}, "GET", "/solutions/payroll/companies/"+w.co+"/access", ""), 403, "integration_unknown")
}
