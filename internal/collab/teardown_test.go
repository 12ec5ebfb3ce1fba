package collab_test

import (
	"strings"
	"testing"

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
