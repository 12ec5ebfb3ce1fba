package actions

import (
	"context"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/metrics"
)

// ActivateInput is what an office employee chooses when activating a collaboration.
type ActivateInput struct {
	CustomerNo       string   `json:"customerNo"`
	CompanyID        string   `json:"companyId"`
	Solution         string   `json:"solution"`
	TaskID           string   `json:"taskId"`
	InvoiceRecipient string   `json:"invoiceRecipient"`
	StartPeriod      string   `json:"startPeriod"`
	AgreementMonths  int      `json:"agreementMonths"`
	Contact          *Contact `json:"contact"`
}

// ActivationView is the answer to an activation.
type ActivationView struct {
	Collaboration       CollaborationView `json:"collaboration"`
	Scenario            collab.Scenario   `json:"scenario"`
	InvitationExpiresAt time.Time         `json:"invitationExpiresAt"`
}

// CollaborationID is the id of the collaboration the activation created.
func (v ActivationView) CollaborationID() string { return v.Collaboration.ID }

// Activate starts a collaboration between the office and one of its customers, choosing the
// scenario from current data: the company has the solution (existing_solution), lacks it
// (new_solution: the subscription is opened too), or does not exist (new_company: the company is
// created with the contact as administrator and main contact). Everything is written in one
// transaction with the invitation and the e-mail job.
//
// CompanyID is optional: the customer's company as the office's customer view shows it. It lets
// the company's subscription be read with the office's items; when it is not the customer's
// company (any more), it is not used and the activation finds the company itself.
//
// It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN not_office_employee, not_on_task;
// ENOTFOUND customer_not_found, task_not_found; EINVALID id_invalid, task_required,
// solution_unknown, period_invalid, invoice_recipient_invalid, agreement_period_*,
// contact_required, field_required, email_invalid, language_invalid; ECONFLICT
// task_customer_mismatch, collaboration_exists, company_exists.
func (s *Service) Activate(ctx context.Context, caller Caller, officeID string, in ActivateInput) (v ActivationView, err error) {
	defer func() {
		s.countIf(ctx, &err, metrics.Activations, metrics.Dim{Name: "Scenario", Value: string(v.Scenario)})
	}()
	if caller.UserID == "" {
		return ActivationView{}, collab.ErrUnauthenticated
	}
	if in.TaskID == "" {
		return ActivationView{}, collab.ErrTaskRequired
	}
	if err := collab.CheckIDs("officeId", officeID, "customerNo", in.CustomerNo, "taskId", in.TaskID); err != nil {
		return ActivationView{}, err
	}
	if _, err := collab.Rules(collab.Solution(in.Solution)); err != nil {
		return ActivationView{}, err
	}
	start, err := collab.ParseStartPeriod("startPeriod", in.StartPeriod, s.Now())
	if err != nil {
		return ActivationView{}, err
	}
	refs := port.OfficeRefs{OfficeID: officeID, CustomerNo: in.CustomerNo, TaskID: in.TaskID}
	if in.CompanyID != "" {
		if err := collab.CheckID("companyId", in.CompanyID); err != nil {
			return ActivationView{}, err
		}
		refs.CompanyID, refs.Solution = in.CompanyID, collab.Solution(in.Solution)
	}
	f, _, err := s.officeEmployee(ctx, caller, refs, false)
	if err != nil {
		return ActivationView{}, err
	}
	if f.Customer.No == "" {
		return ActivationView{}, collab.ErrCustomerNotFound
	}
	if f.Task.ID == "" {
		return ActivationView{}, collab.ErrTaskNotFound
	}
	if err := collab.MayUseTask(f.Employee, f.Task); err != nil {
		return ActivationView{}, err
	}
	var seen *subscriptionSeen
	if in.CompanyID != "" && in.CompanyID == f.Customer.CompanyID {
		seen = &subscriptionSeen{f.Subscription, f.Subscription.CompanyID != ""}
	}
	view, err := s.activate(ctx, caller, in, start, &f, seen)
	if collab.ErrorCode(err) == "company_exists" && f.Customer.CompanyID == "" && f.OrgNoOf == "" && f.Customer.OrgNo != "" {
		// The organisation number's guard says a company has it after all: find it and activate
		// for it.
		if f.OrgNoOf, err = s.Store.CompanyByOrgNo(ctx, f.Customer.OrgNo); err != nil {
			return ActivationView{}, err
		}
		view, err = s.activate(ctx, caller, in, start, &f, nil)
	}
	return view, err
}

// subscriptionSeen is the company's subscription to the solution as it was read with the
// office's items or with the company's partition.
type subscriptionSeen struct {
	sub    collab.Subscription
	exists bool
}

// activate writes an activation from the office's items in f and the company's subscription
// as seen (nil: not read yet). A customer not linked to a company is linked to the one with its
// organisation number (looked up when no contact is given; with a contact, the company is
// created, and the number's uniqueness guard fails the commit with company_exists when a
// company has it, for Activate to look it up and try again). For a linked company whose
// subscription was not read with the office's items, or when a contact is given (checkContact),
// the company's partition is read. What was read is required unchanged at commit.
func (s *Service) activate(ctx context.Context, caller Caller, in ActivateInput, start collab.Period, f *port.OfficeFacts, seen *subscriptionSeen) (ActivationView, error) {
	var view ActivationView
	now := s.Now()
	officeID := f.Employee.OfficeID
	id := s.NewID()
	ch := s.change()
	customer, err := s.linkByOrgNo(ctx, ch, f, in)
	if err != nil {
		return view, err
	}
	corrected, seen, err := s.checkContact(ctx, ch, actorOf(collab.OfficeEmployee, caller.UserID, officeID), in, customer, seen)
	if err != nil {
		return view, err
	}
	scenario, opened, err := s.scenario(ctx, ch, in, &customer, seen, id, now)
	if err != nil {
		return view, err
	}
	c, err := collab.Activate(collab.ActivationInput{
		ID: id, OfficeID: officeID, OfficeName: f.Office.Name, Customer: customer, CompanyID: customer.CompanyID,
		Task: f.Task, Solution: collab.Solution(in.Solution), InvoiceRecipient: collab.InvoiceRecipient(in.InvoiceRecipient),
		StartPeriod: start, AgreementMonths: in.AgreementMonths, Scenario: scenario, Opened: opened,
	}, actorOf(collab.OfficeEmployee, caller.UserID, officeID), now)
	if err != nil {
		return view, err
	}
	inv, keyVersion, err := s.newInvitation(ctx, id, now)
	if err != nil {
		return view, err
	}
	if err := c.Invite(inv); err != nil {
		return view, err
	}
	ch.tx.PutCollaboration(c)
	ch.tx.JoinTask(f.Task)
	ch.tx.PutInvitation(inv)
	email := invitationEmail(scenario)
	if corrected {
		email = EmailLoginInstructions // to the corrected contact, who has never signed in
	}
	s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: id, Email: email, Nonce: inv.Nonce, KeyVersion: keyVersion})

	view = ActivationView{Collaboration: collaborationView(c.Record(), nil), Scenario: scenario,
		InvitationExpiresAt: inv.ExpiresAt}
	return view, s.save(ctx, ch, view)
}

// checkContact decides, when a contact is given for a customer whose company exists, what it
// means (collab.ContactFor), from the company's partition read for it: nothing when the contact
// is one of its administrators; the company's only administrator, whom nobody ever signed in as,
// corrected to the contact (written with ch, at the identity provider too, and recorded on the
// company's history: corrected is true); or ECONFLICT contact_not_administrator. It returns the company's subscription to the
// solution as read, or seen unchanged when it read nothing.
func (s *Service) checkContact(ctx context.Context, ch *change, by collab.Actor, in ActivateInput, customer collab.Customer, seen *subscriptionSeen) (bool, *subscriptionSeen, error) {
	if customer.CompanyID == "" || in.Contact == nil {
		return false, seen, nil
	}
	lang, err := in.Contact.check("contact.")
	if err != nil {
		return false, seen, err
	}
	company, err := s.Store.Company(ctx, customer.CompanyID)
	if err != nil {
		return false, seen, err
	}
	sub, has := company.Subscriptions[collab.Solution(in.Solution)]
	seen = &subscriptionSeen{sub, has}
	fixed, err := collab.ContactFor(by.OrgID, company.Company, company.Users, in.Contact.Name, in.Contact.Email, lang)
	if err != nil || fixed == nil {
		return false, seen, err
	}
	s.addPerson(ch, *fixed, true)
	ch.tx.PutUser(*fixed)
	ch.tx.RequireCompany(company.Company) // nobody answered for it since: AnsweredAt as read
	s.companyEvent(ch, company.Company.ID, collab.CompanyEvent{Actor: by, Kind: collab.ContactCorrected, UserID: fixed.ID})
	return true, seen, nil
}

// linkByOrgNo returns the customer of f, linked to the company with its organisation number
// when it is not linked yet and that company is to be looked for (found by an earlier attempt,
// kept in f, or no contact given to create one): the link is written with ch.
func (s *Service) linkByOrgNo(ctx context.Context, ch *change, f *port.OfficeFacts, in ActivateInput) (collab.Customer, error) {
	customer := f.Customer
	if customer.CompanyID != "" || customer.OrgNo == "" || in.Contact != nil && f.OrgNoOf == "" {
		return customer, nil
	}
	if f.OrgNoOf == "" {
		var err error
		if f.OrgNoOf, err = s.Store.CompanyByOrgNo(ctx, customer.OrgNo); err != nil {
			return customer, err
		}
	}
	customer.CompanyID = f.OrgNoOf
	if customer.CompanyID != "" {
		ch.tx.LinkCustomer(customer) // remember the link
	}
	return customer, nil
}

// scenario chooses the activation's scenario for the customer and adds to ch what it needs:
// the new company with its administrator (linking the customer to it), the subscription opened
// (returned, so the collaboration can undo it), or the requirement that the live subscription is
// still as read. A linked company's subscription not seen yet is read with its partition.
func (s *Service) scenario(ctx context.Context, ch *change, in ActivateInput, customer *collab.Customer, seen *subscriptionSeen, id string, now time.Time) (collab.Scenario, *collab.Subscription, error) {
	solution := collab.Solution(in.Solution)
	if customer.CompanyID == "" {
		sub, err := s.newCompany(ctx, ch, in, customer, id, now)
		return collab.NewCompany, sub, err
	}
	if seen == nil {
		company, err := s.Store.Company(ctx, customer.CompanyID)
		if err != nil {
			return "", nil, err
		}
		sub, has := company.Subscriptions[solution]
		seen = &subscriptionSeen{sub, has}
	}
	if seen.exists && seen.sub.Live() {
		ch.tx.RequireSubscription(seen.sub)
		return collab.ExistingSolution, nil, nil
	}
	var existing *collab.Subscription
	if seen.exists {
		existing = &seen.sub
	}
	opened := collab.Open(existing, customer.CompanyID, solution, id, now)
	ch.tx.PutSubscription(opened)
	return collab.NewSolution, &opened, nil
}

// newCompany adds to ch the company a new customer becomes (scenario new_company): named after
// the customer, with the contact as administrator and main contact, the solution's subscription
// opened (returned) and the customer linked to it. The administrator's id is the one the identity
// provider knows their e-mail by, if it does (newUserID), so a retry finds the same person, who
// is created there with ch. It returns EINVALID contact_required and the contact's input errors.
func (s *Service) newCompany(ctx context.Context, ch *change, in ActivateInput, customer *collab.Customer, id string, now time.Time) (*collab.Subscription, error) {
	if in.Contact == nil {
		return nil, collab.ErrContactRequired
	}
	lang, err := in.Contact.check("contact.")
	if err != nil {
		return nil, err
	}
	company := collab.Company{ID: s.NewID(), Name: customer.Name, OrgNo: customer.OrgNo, CreatedBy: customer.OfficeID, CreatedAt: now}
	adminID, err := s.newUserID(ctx, in.Contact.Email)
	if err != nil {
		return nil, err
	}
	admin := collab.User{CompanyID: company.ID, ID: adminID, Name: in.Contact.Name, Email: in.Contact.Email,
		Language: lang, Role: collab.Administrator, CreatedAt: now}
	s.addPerson(ch, admin, false)
	company.AddUser(admin)
	if err := company.SetMainContact(admin); err != nil {
		return nil, err
	}
	ch.tx.PutCompany(company)
	ch.tx.PutUser(admin)
	opened := collab.Open(nil, company.ID, collab.Solution(in.Solution), id, now)
	ch.tx.PutSubscription(opened)
	customer.CompanyID = company.ID
	ch.tx.LinkCustomer(*customer)
	return &opened, nil
}
