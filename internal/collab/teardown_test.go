package collab_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// ackDone acknowledges step done (with a backup for a handover) and returns what it did.
func ackDone(t *testing.T, c *collab.Collaboration, step collab.Step) collab.AckResult {
	t.Helper()
	a := collab.Acknowledgement{Done: true}
	if step == collab.StepHandOverBackup || step == collab.StepExportData {
		a.Backup = &collab.Backup{URL: "https://payroll.example/backups/1", Until: t0.Add(30 * 24 * time.Hour)}
	}
	res, err := c.AcknowledgeStep(step, a, t0)
	if err != nil {
		t.Fatalf("acknowledge %s: %v", step, err)
	}
	return res
}

// grace is the grace period of the tests' ends.
const grace = 30 * 24 * time.Hour

// TestEveryTeardownWaitsForTheSolutionsCommands: every solution and outcome sends the solution
// the commands of its effect, one at a time, each only once the one before is acknowledged done:
// the office's access first (the grants removed with it), then what the effect does; an effect
// with a grace period makes the access read-only, exports the data when the solution can, and
// sends its own command only after the deadline. Only when the last is done does the teardown
// change the subscription, end the collaboration and queue the e-mails, each once.
func TestEveryTeardownWaitsForTheSolutionsCommands(t *testing.T) {
	for id, rules := range collab.Solutions {
		for _, outcome := range rules.Outcomes {
			t.Run(string(id)+"_"+string(outcome), func(t *testing.T) {
				r := at(collab.Ending, id).Record()
				r.Outcome, r.Assignees = outcome, []string{"e-1", "e-2"}
				c := collab.RestoreCollaboration(r)
				applied := rules.EffectOf(outcome)
				effect := collab.EndEffects[applied]
				want := rules.Commands(applied, true)
				st, err := c.Teardown(nil, t0, grace)
				if err != nil {
					t.Fatal(err)
				}
				wantStart := []string(nil)
				if effect.Grace {
					wantStart = []string{collab.EmailGraceStarted}
				}
				if st.Command == nil || st.Command.Step != want[0] || st.Ended || st.Subscription != nil || !slices.Equal(st.Emails, wantStart) {
					t.Fatalf("first stage %+v, want the command %s alone", st, want[0])
				}
				if len(st.Revoke) != 2 || st.Revoke[0].Via != r.ID || st.Revoke[1].UserID != "e-2" || st.Revoke[0].Solution != id {
					t.Errorf("revoked %+v, want the two assignees' grants via the collaboration", st.Revoke)
				}
				if again, _ := c.Teardown(nil, t0, grace); !again.Waiting || again.Command != nil {
					t.Fatalf("a teardown while the command is unanswered: %+v, want it waiting", again)
				}
				now := t0
				for i, step := range want {
					res := ackDone(t, c, step)
					switch {
					case i == len(want)-1:
						if res.Command != nil || !res.Finish {
							t.Fatalf("after %s: %+v, want the last stage next", step, res)
						}
					case effect.Grace && i == len(want)-2:
						if res.Command != nil || res.Finish {
							t.Fatalf("after %s: %+v, want the last command to wait for the deadline", step, res)
						}
						if early, _ := c.Teardown(nil, c.Record().GraceUntil.Add(-time.Minute), grace); !early.Waiting {
							t.Fatalf("a teardown before the deadline: %+v, want it waiting", early)
						}
						now = c.Record().GraceUntil
						st, err := c.Teardown(nil, now, grace)
						if err != nil || st.Command == nil || st.Command.Step != want[i+1] {
							t.Fatalf("at the deadline: %+v, %v; want %s", st, err, want[i+1])
						}
						if step := want[i+1]; step == collab.StepArchiveData && st.Command.RetainUntil.Year() != now.Year()+7 {
							t.Errorf("archived until %v, want the end of the seventh year after %d", st.Command.RetainUntil, now.Year())
						}
					default:
						if res.Command == nil || res.Command.Step != want[i+1] || res.Finish {
							t.Fatalf("after %s: %+v, want the command %s", step, res, want[i+1])
						}
					}
				}
				st, err = c.Teardown(nil, now, grace)
				if err != nil {
					t.Fatal(err)
				}
				if !st.Ended || c.Status() != collab.Ended || st.Command != nil {
					t.Fatalf("last stage %+v, status %s; want it ended", st, c.Status())
				}
				changed := st.Subscription
				if changed == nil || changed.Status != effect.Subscription || changed.InvoiceRecipient != effect.InvoiceRecipient ||
					changed.CompanyID != r.CompanyID || changed.Solution != id {
					t.Errorf("subscription end %+v, want %s", changed, effect.Subscription)
				}
				if changed != nil && effect.HandsOverBackup == changed.BackupHandedOverAt.IsZero() {
					t.Errorf("backup handed over at %v, want it set %v", changed.BackupHandedOverAt, effect.HandsOverBackup)
				}
				if changed != nil && (effect.RetainYears > 0) == changed.RetainUntil.IsZero() {
					t.Errorf("retained until %v, want it set %v", changed.RetainUntil, effect.RetainYears > 0)
				}
				if st.DeleteFacts != effect.DeletesData {
					t.Errorf("facts deleted %v, want %v", st.DeleteFacts, effect.DeletesData)
				}
				wantEmails := []string{collab.EmailEnded}
				if effect.Email != "" {
					wantEmails = []string{effect.Email, collab.EmailEnded}
				}
				if !slices.Equal(st.Emails, wantEmails) {
					t.Errorf("e-mails %v, want %v", st.Emails, wantEmails)
				}
				if _, err := c.Teardown(nil, now, grace); collab.ErrorCode(err) != "collaboration_not_ending" {
					t.Errorf("a teardown of the ended collaboration: %v", err)
				}
			})
		}
	}
}

// TestAnEndWithAGracePeriodCanBeUndoneUntilItsDeadline: an administrator's undo before the
// deadline keeps the solution for the company, which pays itself (the solution is told to
// transfer the billing); at the deadline, or once the data is going, it is refused.
func TestAnEndWithAGracePeriodCanBeUndoneUntilItsDeadline(t *testing.T) {
	admin := collab.Actor{Kind: collab.CustomerUser, UserID: "ca"}
	start := func(t *testing.T) *collab.Collaboration {
		r := at(collab.Ending, "scanner").Record()
		r.Outcome = collab.EndSubscription
		c := collab.RestoreCollaboration(r)
		if _, err := c.Teardown(nil, t0, grace); err != nil {
			t.Fatal(err)
		}
		ackDone(t, c, collab.StepRevokeOfficeAccess)
		return c
	}
	c := start(t)
	dropped, err := c.UndoEnd(admin, t0.Add(time.Hour))
	if err != nil || dropped == nil || dropped.Step != collab.StepSetReadOnly {
		t.Fatalf("undo: %+v, %v; want the read-only command dropped", dropped, err)
	}
	if r := c.Record(); r.Outcome != collab.Continue || !r.GraceUntil.IsZero() || r.Awaiting != nil {
		t.Fatalf("after the undo %+v", r)
	}
	st, err := c.Teardown(nil, t0.Add(time.Hour), grace)
	if err != nil || st.Command == nil || st.Command.Step != collab.StepTransferBilling {
		t.Fatalf("the teardown after the undo: %+v, %v; want transfer_billing", st, err)
	}
	if _, err := c.UndoEnd(admin, t0.Add(2*time.Hour)); collab.ErrorCode(err) != "undo_not_possible" {
		t.Fatalf("undo twice: %v", err)
	}
	late := start(t)
	if _, err := late.UndoEnd(admin, t0.Add(grace)); collab.ErrorCode(err) != "undo_too_late" {
		t.Fatalf("undo at the deadline: %v", err)
	}
	kept := at(collab.Ending, "bookkeeping")
	if _, err := kept.UndoEnd(admin, t0); collab.ErrorCode(err) != "undo_not_possible" {
		t.Fatalf("undo of an end that deletes nothing: %v", err)
	}
}

// TestAGracePeriodIsDueForItsRemindersThenItsDeadline: while the last command waits for the
// deadline, the collaboration is due for a reminder 7 days and 1 day before, then for the deadline.
func TestAGracePeriodIsDueForItsRemindersThenItsDeadline(t *testing.T) {
	r := at(collab.Ending, "financial-overview").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	if _, err := c.Teardown(nil, t0, grace); err != nil {
		t.Fatal(err)
	}
	ackDone(t, c, collab.StepRevokeOfficeAccess)
	ackDone(t, c, collab.StepSetReadOnly) // financial-overview cannot export: delete_data is next
	deadline := t0.Add(grace)
	for _, want := range []struct {
		kind collab.DueKind
		at   time.Time
	}{{collab.DueGraceReminder, deadline.Add(-7 * 24 * time.Hour)}, {collab.DueGraceReminder, deadline.Add(-24 * time.Hour)}, {collab.DueGraceEnd, deadline}} {
		kind, at, ok := collab.DefaultTiming.Due(c.Record())
		if !ok || kind != want.kind || !at.Equal(want.at) {
			t.Fatalf("due %s at %v (%v), want %s at %v", kind, at, ok, want.kind, want.at)
		}
		if kind == collab.DueGraceReminder {
			c.RemindGrace(at)
		} else {
			c.EndGrace(at)
		}
	}
	if kind, _, _ := collab.DefaultTiming.Due(c.Record()); kind != collab.DueTeardownStuck {
		t.Fatalf("after the deadline due %s, want the stuck teardown's re-drive", kind)
	}
	if got := c.NewTransitions(); len(got) == 0 || !strings.Contains(got[len(got)-1].Reason, "no export") {
		t.Fatalf("history %+v, want why there is no export", got)
	}

	// A cleanup that comes late sends the latest reminder due alone, and none at the deadline.
	late := collab.RestoreCollaboration(r)
	if _, err := late.Teardown(nil, t0, grace); err != nil {
		t.Fatal(err)
	}
	ackDone(t, late, collab.StepRevokeOfficeAccess)
	ackDone(t, late, collab.StepSetReadOnly)
	waiting := late.Record()
	if !late.RemindGrace(deadline.Add(-time.Hour)) || late.Record().GraceReminded != 2 {
		t.Fatalf("an hour before the deadline, first run: reminded %d, want both counted and one sent", late.Record().GraceReminded)
	}
	if late.RemindGrace(deadline.Add(-time.Minute)) {
		t.Error("a second reminder sent with none due")
	}
	if atDeadline := collab.RestoreCollaboration(waiting); atDeadline.RemindGrace(deadline) || atDeadline.Record().GraceReminded != 0 {
		t.Error("a reminder sent at the deadline")
	}
}

// TestASharedSubscriptionOnlyLosesTheOfficesAccess: when another collaboration still uses the
// subscription, the solution is only told to remove the office's access; its data and billing
// stay as the other collaboration needs them.
func TestASharedSubscriptionOnlyLosesTheOfficesAccess(t *testing.T) {
	r := at(collab.Ending, "scanner").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	sub := collab.Subscription{CompanyID: r.CompanyID, Solution: r.Solution, Status: collab.SubscriptionActive,
		Uses: []collab.SubscriptionUse{{CollaborationID: r.ID}, {CollaborationID: "c-other"}}}
	if st, err := c.Teardown(&sub, t0, grace); err != nil || st.Command == nil || st.Command.Step != collab.StepRevokeOfficeAccess {
		t.Fatalf("first stage %+v, %v", st, err)
	}
	if res := ackDone(t, c, collab.StepRevokeOfficeAccess); !res.Finish {
		t.Fatalf("after the access: %+v, want the last stage", res)
	}
	st, err := c.Teardown(&sub, t0, grace)
	if err != nil || !st.Ended || st.Effect != collab.EndShared || st.DeleteFacts {
		t.Fatalf("last stage %+v, %v; want only this use ended", st, err)
	}
}

// TestAnAcknowledgementCountsOnlyForTheStepWaitedOn: a step not commanded yet, or another one, is
// refused and changes nothing; the same answer again changes nothing; failed keeps the
// collaboration waiting with the reason shown, and done after it goes on.
func TestAnAcknowledgementCountsOnlyForTheStepWaitedOn(t *testing.T) {
	r := at(collab.Ending, "payroll").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	if _, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, collab.Acknowledgement{Done: true}, t0); collab.ErrorCode(err) != "step_not_pending" {
		t.Fatalf("an acknowledgement before the command: %v", err)
	}
	if _, err := c.Teardown(nil, t0, grace); err != nil {
		t.Fatal(err)
	}
	before := c.Record()
	if _, err := c.AcknowledgeStep(collab.StepHandOverBackup, collab.Acknowledgement{Done: true}, t0); collab.ErrorCode(err) != "step_not_pending" {
		t.Fatalf("the next step acknowledged first: %v", err)
	}
	failed := collab.Acknowledgement{Reason: "the payroll system is down for maintenance"}
	if res, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, failed, t0); err != nil || !res.Changed {
		t.Fatalf("failed: %+v, %v", res, err)
	}
	f, ok := c.Record().TeardownFailure()
	if !ok || f.Code != collab.TeardownStepFailed || !strings.Contains(f.Message, failed.Reason) || !strings.Contains(f.Message, "revoke_office_access") {
		t.Fatalf("failure shown %+v (%v), want the step and the solution's reason", f, ok)
	}
	if res, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, failed, t0); err != nil || res.Changed {
		t.Fatalf("the same failure again: %+v, %v; want no change", res, err)
	}
	if st, _ := c.Teardown(nil, t0, grace); !st.Waiting {
		t.Fatalf("a teardown of a failed step: %+v, want it waiting for the operators", st)
	}
	if res := ackDone(t, c, collab.StepRevokeOfficeAccess); res.Command == nil || res.Command.Step != collab.StepHandOverBackup {
		t.Fatalf("done after failed: %+v", res)
	}
	if _, ok := c.Record().TeardownFailure(); ok {
		t.Fatal("the failure is still shown after the step was done")
	}
	if res, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, collab.Acknowledgement{Done: true}, t0); err != nil || res.Changed {
		t.Fatalf("done twice: %+v, %v; want no change", res, err)
	}
	if _, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, failed, t0); collab.ErrorCode(err) != "step_not_pending" {
		t.Fatalf("failed after done: %v", err)
	}
	if c.Record().Version != before.Version {
		t.Fatal("an acknowledgement changed the version: storage does")
	}
}

// TestARedriveSendsTheCommandAgain: an operator's re-drive sends the command waited on again, as
// the next attempt, with the failure cleared; with none waited on, the teardown runs again.
func TestARedriveSendsTheCommandAgain(t *testing.T) {
	r := at(collab.Ending, "scanner").Record()
	r.Outcome = collab.EndSubscription
	c := collab.RestoreCollaboration(r)
	if cmd, err := c.Redrive(t0); err != nil || cmd != nil {
		t.Fatalf("a re-drive before any command: %+v, %v; want the teardown to run again", cmd, err)
	}
	if _, err := c.Teardown(nil, t0, grace); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AcknowledgeStep(collab.StepRevokeOfficeAccess, collab.Acknowledgement{Reason: "locked"}, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	cmd, err := c.Redrive(later)
	if err != nil || cmd == nil || cmd.Step != collab.StepRevokeOfficeAccess || cmd.Attempt != 2 {
		t.Fatalf("re-drive: %+v, %v; want attempt 2 of the same step", cmd, err)
	}
	if w := c.Record().Awaiting; w.Failure != "" || !w.Since.Equal(later) {
		t.Fatalf("awaiting after the re-drive %+v", w)
	}
	if _, err := at(collab.Active, "scanner").Redrive(t0); collab.ErrorCode(err) != "collaboration_not_ending" {
		t.Fatalf("a re-drive of an active collaboration: %v", err)
	}
}

func TestAnAcknowledgementIsParsedStrictly(t *testing.T) {
	until := t0.Add(24 * time.Hour).Format(time.RFC3339)
	for _, c := range []struct {
		name, step, result, reason, url, until, code string
	}{
		{"done", "delete_data", "done", "", "", "", ""},
		{"failed_with_a_reason", "delete_data", "failed", "disk full", "", "", ""},
		{"a_handover_with_its_backup", "hand_over_backup", "done", "", "https://payroll.example/b/1", until, ""},
		{"an_unknown_step", "drop_tables", "done", "", "", "", "step_unknown"},
		{"an_unknown_result", "delete_data", "ok", "", "", "", "result_invalid"},
		{"failed_without_a_reason", "delete_data", "failed", " ", "", "", "reason_missing"},
		{"a_handover_without_its_backup", "hand_over_backup", "done", "", "", "", "backup_missing"},
		{"a_backup_over_http", "hand_over_backup", "done", "", "http://payroll.example/b/1", until, "backup_url_invalid"},
		{"a_backup_already_gone", "hand_over_backup", "done", "", "https://payroll.example/b/1", t0.Format(time.RFC3339), "backup_expired"},
		{"a_backup_until_no_time", "hand_over_backup", "done", "", "https://payroll.example/b/1", "soon", "backup_until_invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, a, err := collab.ParseAcknowledgement(c.step, c.result, c.reason, c.url, c.until, t0)
			if (err == nil) != (c.code == "") || (err != nil && collab.ErrorCode(err) != c.code) {
				t.Fatalf("error %v, want code %q", err, c.code)
			}
			if c.code == "" && c.step == "hand_over_backup" && (a.Backup == nil || a.Backup.URL != c.url) {
				t.Fatalf("backup %+v", a.Backup)
			}
		})
	}
}

// TestFactsDecideAnEndOnlyWhenFresh: a solution whose end depends on its facts needs them
// reported, and recently; the others do not.
func TestFactsDecideAnEndOnlyWhenFresh(t *testing.T) {
	synced := collab.SolutionFacts{CustomerIsPayrollUser: true, LastSyncAt: t0.Add(-time.Minute), ReportedAt: t0.Add(-time.Minute)}
	stale := synced
	stale.ReportedAt = t0.Add(-2 * time.Hour)
	for _, c := range []struct {
		name     string
		solution collab.Solution
		facts    collab.SolutionFacts
		want     string
	}{
		{"fresh_facts_decide", "payroll", synced, ""},
		{"never_reported", "payroll", collab.SolutionFacts{}, collab.FactsMissing},
		{"reported_too_long_ago", "payroll", stale, collab.FactsStale},
		{"a_solution_without_preconditions_needs_none", "scanner", collab.SolutionFacts{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := collab.Solutions[c.solution].FactsBlocker(c.facts, t0, time.Hour)
			if got := map[bool]string{true: ""}[b == nil]; b != nil {
				got = b.Code
				if !strings.Contains(b.Fix, "try again") {
					t.Errorf("fix %q does not say to try again", b.Fix)
				}
				if got != c.want {
					t.Fatalf("blocker %s, want %q", got, c.want)
				}
			} else if c.want != "" {
				t.Fatalf("no blocker, want %s", c.want)
			}
		})
	}
}

// TestSubscriptionEndKeepsWhatItDoesNotSet: the end of a subscription sets the fields of its
// effect and keeps the rest, whatever the subscription was.
func TestSubscriptionEndKeepsWhatItDoesNotSet(t *testing.T) {
	earlier := t0.Add(-time.Hour)
	for _, c := range []struct {
		name   string
		effect collab.EndEffect
		want   collab.Subscription
	}{
		{"continue_makes_the_company_pay", collab.EndContinue, collab.Subscription{Status: collab.SubscriptionActive,
			InvoiceRecipient: collab.InvoiceCustomer, DataDeletedAt: earlier, CreatedBy: "c-0", UpdatedAt: t0, Version: 4}},
		{"read_only_leaves_nobody_paying", collab.EndReadOnly, collab.Subscription{Status: collab.SubscriptionReadOnly,
			DataDeletedAt: earlier, CreatedBy: "c-0", UpdatedAt: t0, Version: 4}},
		{"deleting_records_when", collab.EndDeleteData, collab.Subscription{Status: collab.SubscriptionEnded,
			DataDeletedAt: t0, CreatedBy: "c-0", UpdatedAt: t0, Version: 4}},
		{"a_handover_records_when", collab.EndHandOverBackup, collab.Subscription{Status: collab.SubscriptionEnded,
			DataDeletedAt: earlier, BackupHandedOverAt: t0, CreatedBy: "c-0", UpdatedAt: t0, Version: 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := collab.Subscription{Status: collab.SubscriptionPending, InvoiceRecipient: collab.InvoiceOffice, PayingOfficeID: "o",
				DataDeletedAt: earlier, CreatedBy: "c-0", Version: 4}
			collab.EndOf("co", "scanner", collab.EndEffects[c.effect], t0).Apply(&s)
			if !reflect.DeepEqual(s, c.want) {
				t.Fatalf("subscription %+v, want %+v", s, c.want)
			}
		})
	}
}
