package collab_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

var (
	t0     = time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	office = collab.Actor{Kind: collab.OfficeEmployee, UserID: "emp-1", OrgID: "office-1"}
	admin  = collab.Actor{Kind: collab.CustomerUser, UserID: "adm-1", OrgID: "company-1"}
	okCo   = collab.Company{ID: "company-1", MainContact: "adm-1", Admins: 1}
)

// at returns a collaboration of the given solution in status s, as storage would restore it.
func at(s collab.Status, solution collab.Solution) *collab.Collaboration {
	return collab.RestoreCollaboration(collab.CollaborationRecord{
		ID: "c-1", OfficeID: "office-1", CustomerNo: "1001", CompanyID: "company-1",
		Solution: solution, TaskID: "task-1", Status: s,
		InvitationExpiry: t0.Add(time.Hour), AgreementEndsAt: t0.Add(-time.Hour), AgreementMonths: 3,
	})
}

// transitions names every transition method with a call that would succeed if the state allowed.
var transitions = map[string]func(c *collab.Collaboration, now time.Time) error{
	"accept":   func(c *collab.Collaboration, now time.Time) error { return c.Accept(admin, now) },
	"decline":  func(c *collab.Collaboration, now time.Time) error { return c.Decline(admin, now) },
	"withdraw": func(c *collab.Collaboration, now time.Time) error { return c.Withdraw(office, now) },
	"expire":   func(c *collab.Collaboration, now time.Time) error { return c.Expire(now.Add(2 * time.Hour)) },
	"end": func(c *collab.Collaboration, now time.Time) error {
		return c.End(office, collab.Continue, okCo, collab.SolutionFacts{}, now, time.Hour)
	},
	"expire_agreement": func(c *collab.Collaboration, now time.Time) error { return c.ExpireAgreement(now) },
	"finish_teardown": func(c *collab.Collaboration, now time.Time) error {
		if r := c.Record(); r.Status == collab.Ending {
			r.Outcome = collab.Continue // no grace period, which would record why there is no export
			*c = *collab.RestoreCollaboration(r)
		}
		for c.Status() == collab.Ending {
			if _, err := c.Teardown(nil, now, grace); err != nil {
				return err
			}
			w := c.Record().Awaiting
			if w == nil {
				return nil // the last stage ended it
			}
			a := collab.Acknowledgement{Done: true, Backup: &collab.Backup{URL: "https://b.example/1", Until: now.Add(time.Hour)}}
			if _, err := c.AcknowledgeStep(w.Step, a, now); err != nil {
				return err
			}
		}
		return c.FinishTeardown(now)
	},
}

// legal is the lifecycle of shared/DOMAIN.md: from → transition → to. Everything else is illegal.
var legal = map[collab.Status]map[string]collab.Status{
	collab.Pending: {"accept": collab.Active, "decline": collab.Declined, "withdraw": collab.Withdrawn, "expire": collab.Expired},
	collab.Active:  {"end": collab.Ending, "expire_agreement": collab.Ending},
	collab.Ending:  {"finish_teardown": collab.Ended},
}

// refusal is the code each transition refuses an illegal state with.
var refusal = map[string]string{
	"accept": "collaboration_not_pending", "decline": "collaboration_not_pending",
	"withdraw": "collaboration_not_pending", "expire": "collaboration_not_pending",
	"end": "collaboration_not_active", "expire_agreement": "collaboration_not_active",
	"finish_teardown": "collaboration_not_ending",
}

func TestEveryTransitionFromEveryStatus(t *testing.T) {
	for _, from := range collab.Statuses {
		for name, do := range transitions {
			to, ok := legal[from][name]
			verdict := "refused"
			if ok {
				verdict = "moves_to_" + string(to)
			}
			t.Run(fmt.Sprintf("%s_from_%s_%s", name, from, verdict), func(t *testing.T) {
				c := at(from, "financial-overview")
				err := do(c, t0)
				if !ok {
					if got, want := collab.ErrorCode(err), refusal[name]; got != want {
						t.Fatalf("code = %q, want %q (err %v)", got, want, err)
					}
					if got := c.Status(); got != from {
						t.Errorf("status changed to %s on a refused transition", got)
					}
					if n := len(c.NewTransitions()); n != 0 {
						t.Errorf("refused transition appended %d history entries", n)
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if got := c.Status(); got != to {
					t.Fatalf("status = %s, want %s", got, to)
				}
				h := c.NewTransitions()
				if len(h) != 1 || h[0].From != from || h[0].To != to || h[0].At.IsZero() || h[0].Reason == "" {
					t.Fatalf("history = %+v, want one entry %s→%s with time and reason", h, from, to)
				}
			})
		}
	}
}

func TestFinalStatusesAreExactlyThoseWithoutExits(t *testing.T) {
	for _, s := range collab.Statuses {
		if got, want := s.Final(), len(legal[s]) == 0; got != want {
			t.Errorf("%s.Final() = %v, want %v", s, got, want)
		}
	}
}

func TestEndRules(t *testing.T) {
	noContact := collab.Company{ID: "company-1"}
	synced := collab.SolutionFacts{CustomerIsPayrollUser: true, LastChangeAt: t0.Add(-2 * time.Hour), LastSyncAt: t0.Add(-time.Hour)}
	for _, tc := range []struct {
		name     string
		solution collab.Solution
		outcome  collab.Outcome
		company  collab.Company
		facts    collab.SolutionFacts
		want     []string
	}{
		{"bookkeeping_ends_with_either_outcome", "bookkeeping", collab.EndSubscription, okCo, collab.SolutionFacts{}, nil},
		{"end_refused_without_main_contact", "bookkeeping", collab.Continue, noContact, collab.SolutionFacts{}, []string{"main_contact_missing"}},
		{"payroll_refuses_continue", "payroll", collab.Continue, okCo, synced, []string{"outcome_not_allowed"}},
		{"payroll_ends_after_handover_preparation", "payroll", collab.EndSubscription, okCo, synced, nil},
		{"payroll_refused_when_customer_not_payroll_user", "payroll", collab.EndSubscription, okCo,
			collab.SolutionFacts{LastSyncAt: t0}, []string{"payroll_handover_incomplete"}},
		{"payroll_refused_when_changed_after_last_sync", "payroll", collab.EndSubscription, okCo,
			collab.SolutionFacts{CustomerIsPayrollUser: true, LastSyncAt: t0.Add(-time.Hour), LastChangeAt: t0}, []string{"payroll_handover_incomplete"}},
		{"payroll_refused_when_never_synced", "payroll", collab.EndSubscription, okCo,
			collab.SolutionFacts{CustomerIsPayrollUser: true}, []string{"payroll_handover_incomplete"}},
		{"travel_refused_with_unsubmitted_reports", "travel-expenses", collab.Continue, okCo,
			collab.SolutionFacts{UnsubmittedReports: 2}, []string{"expenses_not_submitted"}},
		{"travel_refused_with_unsubmitted_expenses", "travel-expenses", collab.EndSubscription, okCo,
			collab.SolutionFacts{UsersWithUnsubmittedExpenses: []string{"u1"}}, []string{"expenses_not_submitted"}},
		{"every_blocker_reported_at_once", "payroll", collab.Continue, noContact, collab.SolutionFacts{},
			[]string{"outcome_not_allowed", "main_contact_missing", "payroll_handover_incomplete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := at(collab.Active, tc.solution)
			facts := tc.facts
			facts.ReportedAt = t0 // fresh: TestFactsDecideAnEndOnlyWhenFresh checks the age
			err := c.End(office, tc.outcome, tc.company, facts, t0, time.Hour)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("End: %v", err)
				}
				if got := c.Record().Outcome; got != tc.outcome {
					t.Errorf("outcome = %s, want %s", got, tc.outcome)
				}
				return
			}
			e, ok := err.(*collab.Error)
			if !ok {
				t.Fatalf("err = %v, want *collab.Error", err)
			}
			var got []string
			for _, b := range e.Blockers {
				got = append(got, b.Code)
				if b.Fix == "" || b.Message == "" {
					t.Errorf("blocker %s without message or fix", b.Code)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || e.Code != tc.want[0] || e.Kind != collab.ECONFLICT {
				t.Fatalf("blockers = %v (code %s, kind %s), want %v", got, e.Code, e.Kind, tc.want)
			}
			if c.Status() != collab.Active {
				t.Errorf("status = %s after refusal", c.Status())
			}
		})
	}
}

func TestActivate(t *testing.T) {
	customer := collab.Customer{OfficeID: "office-1", No: "1001"}
	task := collab.Task{OfficeID: "office-1", ID: "task-1", CustomerNo: "1001"}
	start := collab.Period{Year: 2027, Month: time.February}
	for _, tc := range []struct {
		name     string
		solution collab.Solution
		months   int
		task     collab.Task
		invoice  collab.InvoiceRecipient
		want     string
	}{
		{"bookkeeping_without_agreement_period", "bookkeeping", 0, task, collab.InvoiceOffice, ""},
		{"financial_overview_with_3_months", "financial-overview", 3, task, collab.InvoiceCustomer, ""},
		{"financial_overview_needs_agreement_period", "financial-overview", 0, task, collab.InvoiceOffice, "agreement_period_required"},
		{"financial_overview_refuses_6_months", "financial-overview", 6, task, collab.InvoiceOffice, "agreement_period_invalid"},
		{"scanner_refuses_agreement_period", "scanner", 12, task, collab.InvoiceOffice, "agreement_period_not_applicable"},
		{"unknown_solution_refused", "crm", 0, task, collab.InvoiceOffice, "solution_unknown"},
		{"unknown_invoice_recipient_refused", "scanner", 0, task, "bank", "invoice_recipient_invalid"},
		{"task_of_another_customer_refused", "scanner", 0, collab.Task{ID: "t-2", CustomerNo: "2002"}, collab.InvoiceOffice, "task_customer_mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := collab.Activate(collab.ActivationInput{
				ID: "c-1", OfficeID: "office-1", Customer: customer, CompanyID: "company-1", Task: tc.task,
				Solution: tc.solution, InvoiceRecipient: tc.invoice, StartPeriod: start,
				AgreementMonths: tc.months, Scenario: collab.ExistingSolution,
			}, office, t0)
			if tc.want != "" {
				if got := collab.ErrorCode(err); got != tc.want {
					t.Fatalf("code = %q, want %q", got, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := c.Record()
			if r.Status != collab.Pending || len(c.NewTransitions()) != 1 || c.NewTransitions()[0].From != "" {
				t.Fatalf("record %+v, history %+v: want pending with one activation entry", r, c.NewTransitions())
			}
			wantEnd := time.Time{}
			if tc.months > 0 {
				wantEnd = time.Date(2027, time.February+time.Month(tc.months), 1, 0, 0, 0, 0, time.UTC)
			}
			if !r.AgreementEndsAt.Equal(wantEnd) {
				t.Errorf("agreement ends %v, want %v", r.AgreementEndsAt, wantEnd)
			}
		})
	}
}

func TestFollowTask(t *testing.T) {
	moved := collab.Task{ID: "task-1", CustomerNo: "2002", Assignees: []string{"emp-2"}}
	for _, tc := range []struct {
		name          string
		status        collab.Status
		task          collab.Task
		changed       bool
		taskID        string
		assignees     []string
		newTransition bool
	}{
		{"takes_the_assignees", collab.Active, collab.Task{ID: "task-1", CustomerNo: "1001", Assignees: []string{"emp-2"}}, true, "task-1", []string{"emp-2"}, false},
		{"same_assignees", collab.Active, collab.Task{ID: "task-1", CustomerNo: "1001"}, false, "task-1", nil, false},
		{"another_task", collab.Active, collab.Task{ID: "task-2", CustomerNo: "1001", Assignees: []string{"emp-2"}}, false, "task-1", nil, false},
		{"task_moved_to_another_customer", collab.Active, moved, true, "", nil, true},
		{"pending_task_moved", collab.Pending, moved, true, "", nil, true},
		{"final", collab.Ended, moved, false, "task-1", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := at(tc.status, "bookkeeping")
			changed := c.FollowTask(tc.task, office, t0)
			r := c.Record()
			if changed != tc.changed || r.TaskID != tc.taskID || !slices.Equal(r.Assignees, tc.assignees) {
				t.Fatalf("FollowTask(%+v) = %v, task %q, assignees %v; want %v, %q, %v", tc.task, changed, r.TaskID, r.Assignees, tc.changed, tc.taskID, tc.assignees)
			}
			if got := len(c.NewTransitions()) == 1; got != tc.newTransition {
				t.Fatalf("history %+v: want a new transition %v", c.NewTransitions(), tc.newTransition)
			}
			if tc.newTransition && c.NewTransitions()[0].From != tc.status {
				t.Fatalf("transition %+v: want the status kept", c.NewTransitions()[0])
			}
		})
	}
}

func TestLinkAndRenew(t *testing.T) {
	unlinked := at(collab.Active, "financial-overview")
	r := unlinked.Record()
	r.TaskID = ""
	unlinked = collab.RestoreCollaboration(r)
	if err := unlinked.Link(collab.Task{ID: "t-9", CustomerNo: "2002"}, office, t0); collab.ErrorCode(err) != "task_customer_mismatch" {
		t.Fatalf("link to another customer's task: %v", err)
	}
	if err := unlinked.Link(collab.Task{ID: "t-9", CustomerNo: "1001"}, office, t0); err != nil {
		t.Fatal(err)
	}
	if err := unlinked.Link(collab.Task{ID: "t-9", CustomerNo: "1001"}, office, t0); collab.ErrorCode(err) != "collaboration_already_linked" {
		t.Fatalf("second link: %v", err)
	}

	c := at(collab.Active, "financial-overview")
	before := c.Record().AgreementEndsAt
	if err := c.Renew(12, office, t0); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Record().AgreementEndsAt, before.AddDate(0, 12, 0); !got.Equal(want) {
		t.Errorf("renewed until %v, want %v", got, want)
	}
	if err := c.Renew(5, office, t0); collab.ErrorCode(err) != "agreement_period_invalid" {
		t.Errorf("renew 5 months: %v", err)
	}
	if err := at(collab.Active, "scanner").Renew(3, office, t0); collab.ErrorCode(err) != "agreement_period_not_applicable" {
		t.Errorf("renew scanner: %v", err)
	}
	if err := at(collab.Pending, "financial-overview").Renew(3, office, t0); collab.ErrorCode(err) != "collaboration_not_active" {
		t.Errorf("renew pending: %v", err)
	}
}

func TestExpireWaitsForExpiry(t *testing.T) {
	c := at(collab.Pending, "scanner")
	if err := c.Expire(t0); collab.ErrorCode(err) != "invitation_not_expired" {
		t.Fatalf("expire before expiry: %v", err)
	}
	r := at(collab.Active, "scanner").Record()
	r.AgreementEndsAt, r.AgreementMonths = time.Time{}, 0 // scanner has no agreement period
	c = collab.RestoreCollaboration(r)
	if err := c.ExpireAgreement(t0); collab.ErrorCode(err) != "agreement_not_expired" {
		t.Fatalf("scanner agreement expiry: %v", err)
	}
}

func TestTeardownFinishesOnlyWhenEveryCommandIsDone(t *testing.T) {
	c := at(collab.Ending, "payroll")
	if _, err := c.Teardown(nil, t0, grace); err != nil {
		t.Fatal(err)
	}
	if err := c.FinishTeardown(t0); collab.ErrorCode(err) != "teardown_incomplete" {
		t.Fatalf("finish before the commands are done: %v", err)
	}
}
