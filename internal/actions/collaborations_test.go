package actions_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
)

// noMainContact takes the company's main contact away, as a company imported without one has.
func noMainContact(t *testing.T, w *world, companyID string) {
	t.Helper()
	c := w.company(t, companyID).Company
	c.MainContact = ""
	tx := w.store.Tx()
	tx.PutCompany(c)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// report records what a solution reported about company co.
func report(t *testing.T, w *world, solution string, in actions.FactsInput) {
	t.Helper()
	if _, err := w.svc.ReportFacts(ctx, integration, co, solution, in); err != nil {
		t.Fatal(err)
	}
}

// onOtherTask puts ox on a second task of customer 1001.
func onOtherTask(t *testing.T, w *world) {
	t.Helper()
	tx := w.store.Tx()
	tx.PutTask(collab.Task{OfficeID: office, ID: "task1001b", CustomerNo: "1001", Name: "Bokslut", Assignees: []string{ox}})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestEnd(t *testing.T) {
	cases := []struct {
		name     string
		solution string
		caller   actions.Caller
		outcome  string
		setup    func(t *testing.T, w *world, id string)
		id       string
		want     string
	}{
		{"by_the_companys_administrator", "bookkeeping", user(ca), "continue", nil, "", ""},
		{"by_the_employee_on_the_task", "bookkeeping", user(oe), "end_subscription", nil, "", ""},
		{"by_an_office_administrator", "bookkeeping", user(oa), "continue", nil, "", ""},
		{"by_an_employee_on_another_task_of_the_customer", "bookkeeping", user(ox), "continue", func(t *testing.T, w *world, _ string) { onOtherTask(t, w) }, "", ""},
		{"refused_without_a_caller", "bookkeeping", nobody, "continue", nil, "", "unauthenticated"},
		{"refused_to_a_plain_user_of_the_company", "bookkeeping", user(cu), "continue", nil, "", "administrator_required"},
		{"refused_to_another_companys_administrator", "bookkeeping", user(c2a), "continue", nil, "", "not_company_user"},
		{"refused_to_another_offices_administrator", "bookkeeping", user(o2), "continue", nil, "", "not_company_user"},
		{"refused_to_an_employee_on_no_task_of_the_customer", "bookkeeping", user(ox), "continue", nil, "", "not_on_task"},
		{"refused_for_an_unknown_outcome", "bookkeeping", user(ca), "maybe", nil, "", "outcome_invalid"},
		{"refused_for_an_unknown_collaboration", "bookkeeping", user(ca), "continue", nil, "nosuch", "collaboration_not_found"},
		{"refused_for_a_malformed_id", "bookkeeping", user(ca), "continue", nil, "a#b", "id_invalid"},
		{"refused_once_ending", "bookkeeping", user(ca), "continue", func(t *testing.T, w *world, id string) {
			noErr(t, errOf(w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "continue"})))
		}, "", "collaboration_not_active"},
		{"refused_for_an_outcome_payroll_does_not_allow", "payroll", user(ca), "continue", nil, "", "outcome_not_allowed"},
		{"refused_without_a_main_contact", "bookkeeping", user(ca), "continue", func(t *testing.T, w *world, _ string) { noMainContact(t, w, co) }, "", "main_contact_missing"},
		{"refused_for_payroll_before_it_reported", "payroll", user(ca), "end_subscription", nil, "", "facts_missing"},
		{"refused_for_payroll_when_the_customer_is_no_payroll_user", "payroll", user(ca), "end_subscription", func(t *testing.T, w *world, _ string) {
			report(t, w, "payroll", actions.FactsInput{CustomerIsPayrollUser: ptr(false), LastSyncAt: ptr("2027-02-03T00:00:00Z")})
		}, "", "payroll_handover_incomplete"},
		{"refused_for_payroll_on_facts_reported_too_long_ago", "payroll", user(ca), "end_subscription", func(t *testing.T, w *world, _ string) {
			report(t, w, "payroll", actions.FactsInput{CustomerIsPayrollUser: ptr(true), LastSyncAt: ptr("2027-02-03T00:00:00Z"), LastChangeAt: ptr("2027-02-02T00:00:00Z")})
			w.advance(2 * time.Hour)
		}, "", "facts_stale"},
		{"refused_for_payroll_synchronised_before_the_last_change", "payroll", user(ca), "end_subscription", func(t *testing.T, w *world, _ string) {
			report(t, w, "payroll", actions.FactsInput{CustomerIsPayrollUser: ptr(true), LastSyncAt: ptr("2027-02-01T00:00:00Z"), LastChangeAt: ptr("2027-02-02T00:00:00Z")})
		}, "", "payroll_handover_incomplete"},
		{"for_payroll_once_handed_over", "payroll", user(ca), "end_subscription", func(t *testing.T, w *world, _ string) {
			report(t, w, "payroll", actions.FactsInput{CustomerIsPayrollUser: ptr(true), LastSyncAt: ptr("2027-02-03T00:00:00Z"), LastChangeAt: ptr("2027-02-02T00:00:00Z")})
		}, "", ""},
		{"refused_for_travel_with_unsubmitted_expenses", "travel-expenses", user(oe), "continue", func(t *testing.T, w *world, _ string) {
			report(t, w, "travel-expenses", actions.FactsInput{UsersWithUnsubmittedExpenses: []string{"Anna"}})
		}, "", "expenses_not_submitted"},
		{"refused_for_travel_with_unsubmitted_reports", "travel-expenses", user(ca), "continue", func(t *testing.T, w *world, _ string) {
			report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(2)})
		}, "", "expenses_not_submitted"},
		{"refused_for_travel_with_nothing_reported", "travel-expenses", user(ca), "continue", nil, "", "facts_missing"},
		{"for_travel_once_everything_is_submitted", "travel-expenses", user(ca), "continue", func(t *testing.T, w *world, _ string) {
			report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(1)})
			report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(0)})
		}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.active(t, "1001", tc.solution)
			if tc.setup != nil {
				tc.setup(t, w, id)
			}
			target := id
			if tc.id != "" {
				target = tc.id
			}
			was := w.collaboration(t, id)
			v, err := w.svc.End(ctx, tc.caller, target, actions.EndInput{Outcome: tc.outcome})
			wantCode(t, err, tc.want)
			got := w.collaboration(t, id)
			if tc.want != "" {
				if got.Version != was.Version {
					t.Errorf("a refused end wrote the collaboration")
				}
				return
			}
			if v.Status != collab.Ending || got.Status != collab.Ending || got.Outcome != collab.Outcome(tc.outcome) {
				t.Errorf("status %s outcome %s, want ending with %s", got.Status, got.Outcome, tc.outcome)
			}
			if n := len(w.queue.jobs(t, actions.TeardownQueue, id)); n != 1 {
				t.Errorf("%d teardown jobs, want 1", n)
			}
		})
	}
}

func TestEndRefusalListsEveryBlocker(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "payroll")
	noMainContact(t, w, co)
	_, err := w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "continue"})
	var e *collab.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a refusal", err)
	}
	var codes []string
	for _, b := range e.Blockers {
		codes = append(codes, b.Code)
	}
	if want := []string{"outcome_not_allowed", "main_contact_missing", "facts_missing"}; !slices.Equal(codes, want) {
		t.Errorf("blockers %v, want %v", codes, want)
	}
	if b := e.Blockers[1]; len(b.Administrators) != 1 || b.Administrators[0].UserID != ca {
		t.Errorf("main_contact_missing offers %+v, want the company's administrator", b.Administrators)
	}
}

func TestEndWithoutMainContactAsksTheCompanyOnceADay(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	noMainContact(t, w, co)
	end := func(by string) *collab.Error {
		_, err := w.svc.End(ctx, user(by), id, actions.EndInput{Outcome: "continue"})
		var e *collab.Error
		if !errors.As(err, &e) || e.Code != "main_contact_missing" {
			t.Fatalf("got %v, want main_contact_missing", err)
		}
		return e
	}
	requests := func() int {
		n := 0
		for _, kind := range w.queue.emails(t, id) {
			if kind == actions.EmailMainContactRequest {
				n++
			}
		}
		return n
	}
	if e := end(oe); len(e.Blockers[0].Administrators) != 1 || requests() != 0 {
		t.Errorf("the employee working in the company is offered %+v and %d requests are queued; want the administrators offered, no request",
			e.Blockers[0].Administrators, requests())
	}
	if e := end(oa); len(e.Blockers[0].Administrators) != 0 || requests() != 1 || !strings.Contains(e.Message, "asked by e-mail") {
		t.Errorf("an office administrator without access is offered %+v, %d requests queued (%q); want none offered, 1 request",
			e.Blockers[0].Administrators, requests(), e.Message)
	}
	end(oa)
	if requests() != 1 {
		t.Errorf("%d requests the same day, want 1", requests())
	}
	w.advance(24 * time.Hour)
	end(oa)
	if requests() != 2 {
		t.Errorf("%d requests the next day, want 2", requests())
	}
}

func TestEndCheck(t *testing.T) {
	cases := []struct {
		name    string
		caller  actions.Caller
		outcome string
		setup   func(t *testing.T, w *world)
		canEnd  bool
		codes   []string
		want    string
	}{
		{"can_end_an_active_collaboration", user(ca), "continue", nil, true, nil, ""},
		{"lists_a_missing_main_contact", user(oe), "continue", func(t *testing.T, w *world) { noMainContact(t, w, co) }, false, []string{"main_contact_missing"}, ""},
		{"lists_unsubmitted_expenses_and_the_main_contact", user(ca), "continue", func(t *testing.T, w *world) {
			noMainContact(t, w, co)
			report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(1)})
		}, false, []string{"main_contact_missing", "expenses_not_submitted"}, ""},
		{"refused_for_an_unknown_outcome", user(ca), "later", nil, false, nil, "outcome_invalid"},
		{"refused_to_a_plain_user", user(cu), "continue", nil, false, nil, "administrator_required"},
		{"refused_to_an_employee_on_no_task", user(ox), "continue", nil, false, nil, "not_on_task"},
		{"refused_without_a_caller", nobody, "continue", nil, false, nil, "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.active(t, "1001", "travel-expenses")
			report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(0)})
			if tc.setup != nil {
				tc.setup(t, w)
			}
			v, err := w.svc.EndCheck(ctx, tc.caller, id, tc.outcome)
			wantCode(t, err, tc.want)
			var codes []string
			for _, b := range v.Blockers {
				codes = append(codes, b.Code)
			}
			if v.CanEnd != tc.canEnd || !slices.Equal(codes, tc.codes) {
				t.Errorf("canEnd %v blockers %v, want %v %v", v.CanEnd, codes, tc.canEnd, tc.codes)
			}
			if got := w.collaboration(t, id).Status; got != collab.Active {
				t.Errorf("status %s after a check, want active", got)
			}
		})
	}
}

// TestAnEndOnFactsNobodyReportedAsksTheSolution: an end refused because the solution's facts are
// missing or stale publishes FactsRequested for that solution and company (end-check too), and
// changes nothing; once the solution answered, the end goes ahead.
func TestAnEndOnFactsNobodyReportedAsksTheSolution(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "travel-expenses")
	requests := func() []events.FactsRequest {
		var out []events.FactsRequest
		for _, e := range w.bus.published {
			if e.DetailType == events.FactsRequested {
				var r events.FactsRequest
				if err := json.Unmarshal(e.Detail, &r); err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
		}
		return out
	}
	_, err := w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "end_subscription"})
	wantCode(t, err, "facts_missing")
	if rs := requests(); len(rs) != 1 || rs[0].CompanyID != co || rs[0].Solution != "travel-expenses" || rs[0].Reason != "facts_missing" || rs[0].EventID == "" {
		t.Fatalf("facts requests %+v, want one for the company's travel-expenses", rs)
	}
	report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(0)})
	w.advance(61 * time.Minute)
	if v, err := w.svc.EndCheck(ctx, user(ca), id, "end_subscription"); err != nil || v.CanEnd || v.Blockers[0].Code != "facts_stale" {
		t.Fatalf("end-check on facts an hour old: %+v, %v", v, err)
	}
	if rs := requests(); len(rs) != 2 || rs[1].Reason != "facts_stale" {
		t.Fatalf("facts requests %+v, want a second for the stale facts", rs)
	}
	if got := w.collaboration(t, id).Status; got != collab.Active {
		t.Fatalf("status %s after the refusals, want active", got)
	}
	report(t, w, "travel-expenses", actions.FactsInput{UnsubmittedReports: ptr(0)})
	if _, err := w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "end_subscription"}); err != nil {
		t.Fatalf("end on fresh facts: %v", err)
	}
}
