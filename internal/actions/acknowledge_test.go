package actions_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

var scannerIntegration = actions.Caller{Service: "arn:aws:sts::123456789012:assumed-role/tax-annual-integration/session-1"}

// endedSilently ends an active scanner collaboration with end_subscription in a world whose
// solutions do not answer, and runs the workers: the collaboration waits on its first command.
func endedSilently(t *testing.T) (*world, string) {
	t.Helper()
	w := newWorld(t)
	w.silent = true
	id := w.active(t, "1001", "tax-annual")
	noErr(t, errOf(w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "end_subscription"})))
	if errs := w.drain(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	return w, id
}

// TestATeardownWaitsForTheSolutionsAcknowledgement: the office's access is removed and the
// solution told; nothing more happens, and nobody is told the data is deleted, until the solution
// acknowledges each command, and only the solution's own integration may.
func TestATeardownWaitsForTheSolutionsAcknowledgement(t *testing.T) {
	w, id := endedSilently(t)
	r := w.collaboration(t, id)
	if r.Status != collab.Ending || r.Awaiting == nil || r.Awaiting.Step != collab.StepRevokeOfficeAccess {
		t.Fatalf("after the teardown job: %s waiting on %+v, want ending on revoke_office_access", r.Status, r.Awaiting)
	}
	if g := w.grantees(t, co, "tax-annual"); len(g) != 0 {
		t.Fatalf("the office still has access: %v", g)
	}
	if got := w.queue.emails(t, id); strings.Contains(strings.Join(got, ","), collab.EmailEnded) {
		t.Fatalf("e-mails %v before the solution answered", got)
	}
	done := actions.AcknowledgeInput{Result: "done"}
	w.svc.IntegrationAccount = "123456789012"
	for _, c := range []struct {
		name   string
		caller actions.Caller
		step   string
		code   string
	}{
		{"a_user", user(ca), "revoke_office_access", "service_only"},
		{"a_role_that_is_no_integration", actions.Caller{Service: "arn:aws:iam::123456789012:role/admin"}, "revoke_office_access", "integration_unknown"},
		{"another_solutions_integration", actions.Caller{Service: "arn:aws:iam::123456789012:role/payroll-integration"}, "revoke_office_access", "collaboration_not_found"},
		{"the_role_of_another_account", actions.Caller{Service: "arn:aws:sts::999999999999:assumed-role/tax-annual-integration/s"}, "revoke_office_access", "integration_unknown"},
		{"a_step_not_commanded_yet", scannerIntegration, "set_read_only", "step_not_pending"},
		{"an_unknown_step", scannerIntegration, "format_disk", "step_unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.AcknowledgeTeardown(ctx, c.caller, id, c.step, done)
			wantCode(t, err, c.code)
			if got := w.collaboration(t, id); got.Version != r.Version {
				t.Fatal("a refused acknowledgement wrote the collaboration")
			}
		})
	}
	v, err := w.svc.AcknowledgeTeardown(ctx, scannerIntegration, id, "revoke_office_access", done)
	if err != nil || v.Teardown == nil || v.Teardown.WaitingOn != collab.StepSetReadOnly {
		t.Fatalf("acknowledged: %+v, %v; want it waiting on set_read_only", v, err)
	}
	again, err := w.svc.AcknowledgeTeardown(ctx, scannerIntegration, id, "revoke_office_access", done)
	if err != nil || again.Teardown.WaitingOn != collab.StepSetReadOnly {
		t.Fatalf("acknowledged twice: %+v, %v; want the same answer", again, err)
	}
	noErr(t, errOf(w.svc.AcknowledgeTeardown(ctx, scannerIntegration, id, "set_read_only", done)))
	if errs := w.drain(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := w.collaboration(t, id); got.Status != collab.Ended {
		t.Fatalf("status %s after every command was done, want ended", got.Status)
	}
	if got := w.queue.emails(t, id); !strings.Contains(strings.Join(got, ","), collab.EmailEnded) {
		t.Fatalf("e-mails %v, want the ended e-mail once it ended", got)
	}
}

// TestAnUnansweredCommandIsSentAgainThenRaised: the cleanup sends an unanswered command again,
// under the same event id, waiting longer each time, and from the CommandSends-th send on counts
// it in TeardownCommandsUnanswered for the operators' alarm.
func TestAnUnansweredCommandIsSentAgainThenRaised(t *testing.T) {
	w, id := endedSilently(t)
	var emf bytes.Buffer
	w.svc.Metrics = metrics.New(&emf, "T")
	first := w.bus.takeCommands()
	if len(first) != 1 {
		t.Fatalf("%d commands published, want 1", len(first))
	}
	sends := 1
	for range 12 {
		w.advance(25 * time.Hour)
		rep, err := w.svc.Cleanup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.MessagesResent == 0 {
			continue
		}
		if errs := w.drain(t); len(errs) > 0 {
			t.Fatal(errs)
		}
		again := w.bus.takeCommands()
		if len(again) != 1 || again[0].EventID != first[0].EventID || again[0].Step != first[0].Step {
			t.Fatalf("re-sent %+v, want the same command %+v", again, first[0])
		}
		sends++
	}
	if sends < 6 {
		t.Fatalf("the command was sent %d times in 12 days", sends)
	}
	if !strings.Contains(emf.String(), metrics.CommandsUnanswered) {
		t.Fatalf("no %s after %d sends", metrics.CommandsUnanswered, sends)
	}
	if got := w.collaboration(t, id); got.Status != collab.Ending {
		t.Fatalf("status %s, want still ending", got.Status)
	}
	// The command's outbox message is kept however long the solution is silent (no TTL), and
	// only it: the other messages expire.
	due, err := w.store.DueWork(ctx, "outbox", w.clock().Add(48*time.Hour), 100)
	if err != nil || len(due.Messages) == 0 {
		t.Fatalf("outbox: %+v, %v", due, err)
	}
	commands := 0
	for _, m := range due.Messages {
		command := strings.HasPrefix(m.ID, "cmd-")
		if m.Keep != command {
			t.Errorf("outbox message %s: kept until consumed %v, want %v", m.ID, m.Keep, command)
		}
		if command {
			commands++
		}
	}
	if commands != 1 {
		t.Errorf("%d commands in the outbox, want the one unanswered", commands)
	}
}

// TestAFailedCommandStaysOnRecordUntilAnOperatorRedrivesIt: a failed answer keeps the
// collaboration ending with the solution's reason shown, nothing is re-sent, and the operators'
// re-drive sends it again as the next attempt.
func TestAFailedCommandStaysOnRecordUntilAnOperatorRedrivesIt(t *testing.T) {
	w, id := endedSilently(t)
	w.bus.takeCommands()
	_, err := w.svc.AcknowledgeTeardown(ctx, scannerIntegration, id, "revoke_office_access",
		actions.AcknowledgeInput{Result: "failed", Reason: "the company's archive is locked"})
	noErr(t, err)
	v, err := w.svc.Collaboration(ctx, user(ca), id)
	noErr(t, err)
	if v.TeardownError == nil || !strings.Contains(v.TeardownError.Message, "archive is locked") || v.Teardown.Failure == "" {
		t.Fatalf("the failure shown %+v %+v, want the solution's reason", v.TeardownError, v.Teardown)
	}
	w.advance(48 * time.Hour)
	if rep, err := w.svc.Cleanup(ctx); err != nil || rep.MessagesResent != 0 || rep.TeardownsRedrive != 0 {
		t.Fatalf("cleanup after a failure: %+v, %v; want nothing re-sent", rep, err)
	}
	if _, err := w.svc.Redrive(ctx, id); err != nil {
		t.Fatal(err)
	}
	if errs := w.drain(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	cs := w.bus.takeCommands()
	if len(cs) != 1 || cs[0].Attempt != 2 || cs[0].Step != "revoke_office_access" {
		t.Fatalf("after the re-drive %+v, want attempt 2 of revoke_office_access", cs)
	}
	if r := w.collaboration(t, id); r.Awaiting.Failure != "" {
		t.Fatalf("the failure %q stays after the re-drive", r.Awaiting.Failure)
	}
	w.silent = false
	w.bus.commands = cs
	if errs := w.drain(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := w.collaboration(t, id).Status; got != collab.Ended {
		t.Fatalf("status %s once the solution answered the re-drive, want ended", got)
	}
}
