package collab_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// TestTeardownFailureIsACodeAndTheStep: what an ending collaboration shows of a failed teardown
// step is the stable code and a message naming the step, whatever was on record.
func TestTeardownFailureIsACodeAndTheStep(t *testing.T) {
	for _, c := range []struct {
		name   string
		done   int    // steps done before the failure
		stored string // TeardownError as storage holds it; "" to record the failure
		want   string // a word of the message; "" for no failure shown
	}{
		{name: "failure_of_the_first_step_names_it", done: 0, want: "access"},
		{name: "failure_of_the_second_step_names_it", done: 1, want: "subscription"},
		{name: "failure_after_every_step_names_the_end", done: 2, want: "ended"},
		{name: "error_text_stored_before_the_rule_is_not_shown",
			stored: "operation error DynamoDB: TransactWriteItems, arn:aws:iam::123456789012:role/x is not authorized", want: "access"},
		{name: "completing_a_step_clears_the_failure", done: -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			col := at(collab.Ending, "payroll")
			for range max(c.done, 0) {
				step, _ := col.NextStep()
				if err := col.CompleteStep(step, t0); err != nil {
					t.Fatal(err)
				}
			}
			if c.stored != "" {
				r := col.Record()
				r.TeardownError = c.stored
				col = collab.RestoreCollaboration(r)
			} else if err := col.RecordTeardownFailure(t0); err != nil {
				t.Fatal(err)
			}
			if c.done < 0 {
				step, _ := col.NextStep()
				if err := col.CompleteStep(step, t0); err != nil {
					t.Fatal(err)
				}
			}
			f, ok := col.Record().TeardownFailure()
			if c.want == "" {
				if ok {
					t.Fatalf("failure %+v shown after a step was done", f)
				}
				return
			}
			if !ok || f.Code != collab.TeardownStepFailed || !strings.Contains(f.Message, c.want) {
				t.Fatalf("failure %+v (shown %v), want code %s and a message about %q", f, ok, collab.TeardownStepFailed, c.want)
			}
			if strings.Contains(f.Message, "arn:") || strings.Contains(f.Message, "123456789012") {
				t.Fatalf("the message %q holds the error's text", f.Message)
			}
		})
	}
}

// TestTeardownStagesFollowTheSolutionsTable: every solution and outcome ends in the stages its
// end effect asks for, removing the office's access, changing the subscription as the effect
// says, and queuing the effect's e-mail and the ended e-mail, each once.
func TestTeardownStagesFollowTheSolutionsTable(t *testing.T) {
	for id, rules := range collab.Solutions {
		for _, outcome := range rules.Outcomes {
			t.Run(string(id)+"_"+string(outcome), func(t *testing.T) {
				r := at(collab.Ending, id).Record()
				r.Outcome, r.Assignees = outcome, []string{"e-1", "e-2"}
				c := collab.RestoreCollaboration(r)
				effect := collab.EndEffects[rules.EffectOf(outcome)]
				var stages []collab.TeardownStage
				for c.Status() == collab.Ending && len(stages) < 5 {
					st, err := c.Teardown(nil, t0)
					if err != nil {
						t.Fatal(err)
					}
					stages = append(stages, st)
				}
				want := map[bool]int{false: 1, true: 2}[effect.OnItsOwn]
				if len(stages) != want || c.Status() != collab.Ended || !stages[len(stages)-1].Ended {
					t.Fatalf("%d stages, status %s; want %d and ended", len(stages), c.Status(), want)
				}
				var revoked []collab.Grant
				var changed *collab.Subscription
				var emails []string
				deleted := false
				for _, st := range stages {
					revoked = append(revoked, st.Revoke...)
					emails = append(emails, st.Emails...)
					deleted = deleted || st.DeleteFacts
					if st.Subscription != nil {
						changed = st.Subscription
					}
				}
				if len(revoked) != 2 || revoked[0].Via != r.ID || revoked[1].UserID != "e-2" || revoked[0].Solution != id {
					t.Errorf("revoked %+v, want the two assignees' grants via the collaboration", revoked)
				}
				if changed == nil || changed.Status != effect.Subscription || changed.InvoiceRecipient != effect.InvoiceRecipient ||
					changed.CompanyID != r.CompanyID || changed.Solution != id {
					t.Errorf("subscription end %+v, want %s", changed, effect.Subscription)
				}
				if changed != nil && effect.HandsOverBackup == changed.BackupHandedOverAt.IsZero() {
					t.Errorf("backup handed over at %v, want it set %v", changed.BackupHandedOverAt, effect.HandsOverBackup)
				}
				if deleted != effect.DeletesData {
					t.Errorf("facts deleted %v, want %v", deleted, effect.DeletesData)
				}
				wantEmails := []string{collab.EmailEnded}
				if effect.Email != "" {
					wantEmails = []string{effect.Email, collab.EmailEnded}
				}
				if !slices.Equal(emails, wantEmails) {
					t.Errorf("e-mails %v, want %v", emails, wantEmails)
				}
				if _, err := c.Teardown(nil, t0); collab.ErrorCode(err) != "collaboration_not_ending" {
					t.Errorf("a teardown of the ended collaboration: %v", err)
				}
			})
		}
	}
}

func TestTeardownResumesWhereTheStepsStand(t *testing.T) {
	for _, c := range []struct {
		name     string
		solution collab.Solution
		outcome  collab.Outcome
		done     []collab.Step
		steps    []collab.Step // of the next stage
		ends     bool
	}{
		{"one_stage_does_every_step_and_ends", "scanner", collab.EndSubscription, nil,
			[]collab.Step{collab.StepRevokeOfficeAccess, collab.StepApplyOutcome}, true},
		{"a_step_done_before_is_not_done_again", "scanner", collab.Continue, []collab.Step{collab.StepRevokeOfficeAccess},
			[]collab.Step{collab.StepApplyOutcome}, true},
		{"every_step_done_only_ends", "bookkeeping", collab.Continue, []collab.Step{collab.StepRevokeOfficeAccess, collab.StepApplyOutcome},
			nil, true},
		{"a_handover_first_removes_the_access_alone", "payroll", collab.EndSubscription, nil,
			[]collab.Step{collab.StepRevokeOfficeAccess}, false},
		{"then_hands_over_and_ends", "payroll", collab.EndSubscription, []collab.Step{collab.StepRevokeOfficeAccess},
			[]collab.Step{collab.StepApplyOutcome}, true},
		{"a_handover_done_before_only_ends", "payroll", collab.EndSubscription, []collab.Step{collab.StepRevokeOfficeAccess, collab.StepApplyOutcome},
			nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := at(collab.Ending, c.solution).Record()
			r.Outcome, r.StepsDone, r.Assignees = c.outcome, c.done, []string{"e-1"}
			col := collab.RestoreCollaboration(r)
			st, err := col.Teardown(nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			applies := slices.Contains(c.steps, collab.StepApplyOutcome)
			if !slices.Equal(st.Steps, c.steps) || st.Ended != c.ends || (st.Subscription != nil) != applies || (len(st.Revoke) > 0) != slices.Contains(c.steps, collab.StepRevokeOfficeAccess) {
				t.Fatalf("stage %+v, want steps %v, ended %v", st, c.steps, c.ends)
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
