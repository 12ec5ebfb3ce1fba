package actions_test

import (
	"context"
	"slices"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port/memory"
	"github.com/spiris/collab/internal/collab"
)

func contact() *actions.Contact {
	return &actions.Contact{Name: "Tina Tre", Email: "tina@tre.test", Language: "sv"}
}

func TestActivateRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller actions.Caller
		office string
		change func(*actions.ActivateInput)
		want   string
	}{
		{"refused_without_a_caller", nobody, office, nil, "unauthenticated"},
		{"refused_without_a_task", user(oe), office, func(in *actions.ActivateInput) { in.TaskID = "" }, "task_required"},
		{"refused_with_a_malformed_office_id", user(oe), "office#1", nil, "id_invalid"},
		{"refused_with_a_malformed_company_hint", user(oe), office, func(in *actions.ActivateInput) { in.CompanyID = "co#1" }, "id_invalid"},
		{"refused_for_an_unknown_solution", user(oe), office, func(in *actions.ActivateInput) { in.Solution = "spreadsheets" }, "solution_unknown"},
		{"refused_for_a_start_period_in_the_past", user(oe), office, func(in *actions.ActivateInput) { in.StartPeriod = "2027-02" }, "period_invalid"},
		{"refused_for_a_start_period_over_24_months_ahead", user(oe), office, func(in *actions.ActivateInput) { in.StartPeriod = "2029-04" }, "period_invalid"},
		{"refused_for_a_malformed_start_period", user(oe), office, func(in *actions.ActivateInput) { in.StartPeriod = "April" }, "period_invalid"},
		{"refused_to_an_employee_of_another_office", user(o2), office, nil, "not_office_employee"},
		{"refused_to_a_company_administrator", user(ca), office, nil, "not_office_employee"},
		{"refused_to_an_employee_not_on_the_task", user(ox), office, nil, "not_on_task"},
		{"refused_for_an_unknown_customer", user(oe), office, func(in *actions.ActivateInput) { in.CustomerNo = "9999" }, "customer_not_found"},
		{"refused_for_an_unknown_task", user(oe), office, func(in *actions.ActivateInput) { in.TaskID = "nosuch" }, "task_not_found"},
		{"refused_for_another_customers_task", user(oe), office, func(in *actions.ActivateInput) { in.TaskID = task("1002") }, "task_customer_mismatch"},
		{"refused_for_an_unknown_invoice_recipient", user(oe), office, func(in *actions.ActivateInput) { in.InvoiceRecipient = "bank" }, "invoice_recipient_invalid"},
		{"refused_without_the_agreement_period_its_solution_needs", user(oe), office, func(in *actions.ActivateInput) { in.Solution = "financial-overview" }, "agreement_period_required"},
		{"refused_with_an_agreement_period_of_6_months", user(oe), office, func(in *actions.ActivateInput) {
			in.Solution, in.AgreementMonths = "financial-overview", 6
		}, "agreement_period_invalid"},
		{"refused_with_an_agreement_period_for_a_solution_without_one", user(oe), office, func(in *actions.ActivateInput) { in.AgreementMonths = 12 }, "agreement_period_not_applicable"},
		{"refused_for_a_new_company_without_contact", user(oe), office, func(in *actions.ActivateInput) { in.CustomerNo, in.TaskID = "1003", task("1003") }, "contact_required"},
		{"refused_for_a_contact_without_name", user(oe), office, func(in *actions.ActivateInput) {
			in.CustomerNo, in.TaskID, in.Contact = "1003", task("1003"), &actions.Contact{Email: "x@tre.test", Language: "sv"}
		}, "field_required"},
		{"refused_for_a_contact_with_a_bad_email", user(oe), office, func(in *actions.ActivateInput) {
			in.CustomerNo, in.TaskID, in.Contact = "1003", task("1003"), &actions.Contact{Name: "X", Email: "not-an-address", Language: "sv"}
		}, "email_invalid"},
		{"refused_for_a_contact_in_an_unknown_language", user(oe), office, func(in *actions.ActivateInput) {
			in.CustomerNo, in.TaskID, in.Contact = "1003", task("1003"), &actions.Contact{Name: "X", Email: "x@tre.test", Language: "de"}
		}, "language_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			in := activation("1001", "scanner")
			if tc.change != nil {
				tc.change(&in)
			}
			_, err := w.svc.Activate(ctx, tc.caller, tc.office, in)
			wantCode(t, err, tc.want)
			if n := len(w.store.Outbox()); n != 0 {
				t.Errorf("a refused activation left %d messages in the outbox", n)
			}
			if sub, ok := w.company(t, co).Subscriptions["scanner"]; ok {
				t.Errorf("a refused activation opened the subscription: %+v", sub)
			}
		})
	}
}

func TestActivateChoosesTheScenarioFromTheData(t *testing.T) {
	cases := []struct {
		name     string
		caller   string
		in       actions.ActivateInput
		scenario collab.Scenario
		company  string // "" for a new company
		email    string
		sub      collab.SubscriptionStatus // the company's subscription after it
	}{
		{"existing_solution_when_the_company_has_it", oe, activation("1001", "bookkeeping"), collab.ExistingSolution, co, actions.EmailInvitation, collab.SubscriptionActive},
		{"existing_solution_by_an_office_administrator_not_on_the_task", oa, activation("1001", "bookkeeping"), collab.ExistingSolution, co, actions.EmailInvitation, collab.SubscriptionActive},
		{"existing_solution_with_the_company_named", oe, named(activation("1001", "bookkeeping"), co), collab.ExistingSolution, co, actions.EmailInvitation, collab.SubscriptionActive},
		{"new_solution_when_the_company_lacks_it", oe, activation("1001", "scanner"), collab.NewSolution, co, actions.EmailInvitation, collab.SubscriptionPending},
		{"new_solution_with_the_company_named", oe, named(activation("1001", "scanner"), co), collab.NewSolution, co, actions.EmailInvitation, collab.SubscriptionPending},
		{"new_solution_with_a_wrong_company_named", oe, named(activation("1001", "scanner"), otherCo), collab.NewSolution, co, actions.EmailInvitation, collab.SubscriptionPending},
		{"new_solution_for_a_customer_linked_by_organisation_number", oe, activation("1002", "scanner"), collab.NewSolution, co2, actions.EmailInvitation, collab.SubscriptionPending},
		{"new_company_when_the_customer_is_none", oe, withContact(activation("1003", "scanner")), collab.NewCompany, "", actions.EmailLoginInstructions, collab.SubscriptionPending},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			v, err := w.svc.Activate(ctx, user(tc.caller), office, tc.in)
			wantCode(t, err, "")
			if v.Scenario != tc.scenario || v.Collaboration.Status != collab.Pending {
				t.Fatalf("got %s %s, want %s pending", v.Scenario, v.Collaboration.Status, tc.scenario)
			}
			r := w.collaboration(t, v.CollaborationID())
			if tc.company != "" && r.CompanyID != tc.company {
				t.Errorf("collaboration with company %s, want %s", r.CompanyID, tc.company)
			}
			if r.Version != 1 || r.InvitationHash == "" || !slices.Equal(r.Assignees, []string{oe}) {
				t.Errorf("stored %+v, want version 1 with an invitation and the task's assignees", r)
			}
			if got := w.queue.emails(t, r.ID); !slices.Equal(got, []string{tc.email}) {
				t.Errorf("e-mails queued %v, want %s", got, tc.email)
			}
			if got := w.company(t, r.CompanyID).Subscriptions[collab.Solution(tc.in.Solution)].Status; got != tc.sub {
				t.Errorf("subscription %s, want %s", got, tc.sub)
			}
			cust, _ := w.store.OfficeItems(ctx, portRefs(tc.in.CustomerNo))
			if cust.Customer.CompanyID != r.CompanyID {
				t.Errorf("customer linked to %q, want %s", cust.Customer.CompanyID, r.CompanyID)
			}
			if _, err := w.store.Invitation(ctx, r.InvitationHash); err != nil {
				t.Errorf("invitation not stored: %v", err)
			}
		})
	}
}

func named(in actions.ActivateInput, company string) actions.ActivateInput {
	in.CompanyID = company
	return in
}

func withContact(in actions.ActivateInput) actions.ActivateInput {
	in.Contact = contact()
	return in
}

func TestActivateNewCompanyMakesTheContactItsAdministratorAndMainContact(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, withContact(activation("1003", "scanner")))
	r := w.collaboration(t, id)
	v := w.company(t, r.CompanyID)
	if len(v.Users) != 1 || v.Users[0].Email != "tina@tre.test" || v.Users[0].Role != collab.Administrator {
		t.Fatalf("users %+v, want the contact as administrator", v.Users)
	}
	if v.Company.MainContact != v.Users[0].ID || v.Company.OrgNo != orgNo3 || v.Company.Name != "Tre AB" || v.Company.Admins != 1 {
		t.Errorf("company %+v, want Tre AB with the contact as main contact", v.Company)
	}
	if got, _ := w.store.CompanyByOrgNo(ctx, orgNo3); got != r.CompanyID {
		t.Errorf("organisation number %s is company %q's, want %s", orgNo3, got, r.CompanyID)
	}
	if sub := v.Subscriptions["scanner"]; sub.CreatedBy != id || r.Opened == nil || r.Opened.RestoreTo != "" {
		t.Errorf("subscription %+v opened %+v, want created by %s", sub, r.Opened, id)
	}
}

func TestActivateReopensAnEndedSubscription(t *testing.T) {
	w := newWorld(t)
	tx := w.store.Tx()
	tx.PutSubscription(collab.Subscription{CompanyID: co, Solution: "scanner", Status: collab.SubscriptionReadOnly, InvoiceRecipient: collab.InvoiceCustomer})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := w.svc.Activate(ctx, user(oe), office, activation("1001", "scanner"))
	wantCode(t, err, "")
	sub := w.company(t, co).Subscriptions["scanner"]
	if v.Scenario != collab.NewSolution || sub.Status != collab.SubscriptionPending || sub.RestoreTo != collab.SubscriptionReadOnly || sub.Version != 2 {
		t.Fatalf("scenario %s, subscription %+v; want new_solution reopening the read-only subscription", v.Scenario, sub)
	}
}

func TestActivateRefusesASecondOpenCollaborationInTheSlot(t *testing.T) {
	cases := []struct {
		name   string
		first  actions.ActivateInput
		second actions.ActivateInput
		want   string
	}{
		{"refused_for_the_same_customer_and_solution", activation("1001", "scanner"), activation("1001", "scanner"), "collaboration_exists"},
		{"refused_for_an_existing_solution_twice", activation("1001", "bookkeeping"), activation("1001", "bookkeeping"), "collaboration_exists"},
		{"allowed_for_another_solution", activation("1001", "scanner"), activation("1001", "tax-annual"), ""},
		{"allowed_for_another_customer", activation("1001", "scanner"), activation("1002", "scanner"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.activate(t, tc.first)
			_, err := w.svc.Activate(ctx, user(oe), office, tc.second)
			wantCode(t, err, tc.want)
		})
	}
}

func TestActivateAfterAWithdrawalOpensTheSlotAgain(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	if _, err := w.svc.Withdraw(ctx, user(oe), id); err != nil {
		t.Fatal(err)
	}
	v, err := w.svc.Activate(ctx, user(oe), office, activation("1001", "scanner"))
	wantCode(t, err, "")
	if v.Scenario != collab.NewSolution {
		t.Errorf("scenario %s, want new_solution (the withdrawal rolled the subscription back)", v.Scenario)
	}
}

// laggingOrgNos is the store with an organisation-number lookup that never finds the company:
// a company created with the number at the same time as the activation.
type laggingOrgNos struct{ *memory.Store }

func (laggingOrgNos) CompanyByOrgNo(context.Context, string) (string, error) { return "", nil }

func TestActivateRefusesANewCompanyWhoseNumberWasTakenMeanwhile(t *testing.T) {
	w := newWorld(t)
	tx := w.store.Tx()
	seedCompany(t, tx, "co4", "Tre AB", orgNo3, "ca4", "")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w.svc.Store = laggingOrgNos{w.store}
	_, err := w.svc.Activate(ctx, user(oe), office, withContact(activation("1003", "scanner")))
	wantCode(t, err, "company_exists")
	if n := len(w.store.Outbox()); n != 0 {
		t.Errorf("%d messages queued by a refused activation", n)
	}
}

func TestActivateFindsACompanyByTheNewCustomersNumber(t *testing.T) {
	w := newWorld(t)
	tx := w.store.Tx()
	seedCompany(t, tx, "co4", "Tre AB", orgNo3, "ca4", "")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.Activate(ctx, user(oe), office, withContact(activation("1003", "scanner")))
	wantCode(t, err, "contact_not_administrator") // the contact would not be used: said, not ignored
	if n := len(w.company(t, "co4").Users); n != 1 {
		t.Errorf("co4 has %d users, want its own administrator only (the contact is not added)", n)
	}
	v, err := w.svc.Activate(ctx, user(oe), office, activation("1003", "scanner"))
	wantCode(t, err, "")
	if v.Scenario != collab.NewSolution || v.Collaboration.CompanyID != "co4" {
		t.Fatalf("scenario %s with %s, want new_solution with co4", v.Scenario, v.Collaboration.CompanyID)
	}
}
