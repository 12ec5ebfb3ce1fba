package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

func TestActivationScenarios(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)

	t.Run("existing_solution_sends_an_invitation", func(t *testing.T) {
		r := h.activate(t, w, "1001", "bookkeeping", "")
		expect(t, r, 201, "")
		if r.str("scenario") != "existing_solution" || r.str("collaboration.status") != "pending" || r.str("invitationExpiresAt") == "" {
			t.Fatalf("activation %s", r.Raw)
		}
		jobs := h.jobs(t, "EmailQueue", r.str("collaboration.id"))
		if len(jobs) != 1 || jobs[0].Email != actions.EmailInvitation || jobs[0].Nonce == "" {
			t.Fatalf("jobs %+v, want one invitation e-mail", jobs)
		}
		v, _ := h.store.Company(ctx, w.co)
		if v.Subscriptions["bookkeeping"].Status != collab.SubscriptionActive {
			t.Fatalf("existing subscription changed: %+v", v.Subscriptions["bookkeeping"])
		}
	})

	t.Run("new_solution_opens_a_pending_subscription", func(t *testing.T) {
		r := h.activate(t, w, "1001", "financial-overview", `,"agreementMonths":12`)
		expect(t, r, 201, "")
		if r.str("scenario") != "new_solution" {
			t.Fatalf("scenario %s", r.Raw)
		}
		v, _ := h.store.Company(ctx, w.co)
		if s := v.Subscriptions["financial-overview"]; s.Status != collab.SubscriptionPending || s.CreatedBy != r.str("collaboration.id") {
			t.Fatalf("subscription %+v", s)
		}
		if r.str("collaboration.agreementEndsAt") != "2028-04-01T00:00:00Z" {
			t.Errorf("agreement ends %q", r.str("collaboration.agreementEndsAt"))
		}
	})

	t.Run("company_found_by_organisation_number_is_linked", func(t *testing.T) {
		r := h.activate(t, w, "1002", "scanner", "")
		expect(t, r, 201, "")
		if r.str("scenario") != "new_solution" || r.str("collaboration.companyId") != w.co2 {
			t.Fatalf("activation %s", r.Raw)
		}
	})

	t.Run("contact_details_for_a_company_that_exists_are_refused_not_ignored", func(t *testing.T) {
		// Activate assumes a customer not linked yet, with contact details, is a new company; the
		// organisation number proves it wrong. The company has administrators of its own, so the
		// contact would not be used: the activation says so, and writes nothing.
		h := newHarness(t)
		w := h.world(t)
		r := h.activate(t, w, "1002", "scanner", `,"contact":{"name":"Tea","email":"tea@two.test"}`)
		expect(t, r, 409, "contact_not_administrator")
		if !strings.Contains(r.str("error.fix"), "leave out contact") {
			t.Errorf("the refusal's fix does not say what to do: %s", r.Raw)
		}
		users := h.call(t, user(w.ca2), "GET", "/companies/"+w.co2+"/users", "")
		if strings.Contains(users.Raw, "tea@two.test") {
			t.Fatalf("the contact became a user of the existing company: %s", users.Raw)
		}
		expect(t, h.activate(t, w, "1002", "scanner", ""), 201, "") // without the contact, the company's administrators are invited
	})

	t.Run("new_company_needs_contact_details", func(t *testing.T) {
		expect(t, h.activate(t, w, "1003", "scanner", ""), 422, "contact_required")
		expect(t, h.activate(t, w, "1003", "scanner", `,"contact":{"name":"Tea","email":"not-an-address"}`), 422, "email_invalid")
	})

	t.Run("new_company_creates_company_and_administrator", func(t *testing.T) {
		r := h.activate(t, w, "1003", "scanner", `,"contact":{"name":"Tea Tre","email":"tea@tre.test","language":"en"}`)
		expect(t, r, 201, "")
		if r.str("scenario") != "new_company" {
			t.Fatalf("scenario %s", r.Raw)
		}
		v, err := h.store.Company(ctx, r.str("collaboration.companyId"))
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Users) != 1 || v.Users[0].Email != "tea@tre.test" || v.Users[0].Role != collab.Administrator ||
			v.Company.MainContact != v.Users[0].ID || v.Users[0].Language != collab.English || v.Company.Name != "Tre AB" {
			t.Fatalf("company %+v users %+v", v.Company, v.Users)
		}
		jobs := h.jobs(t, "EmailQueue", r.str("collaboration.id"))
		if len(jobs) != 1 || jobs[0].Email != actions.EmailLoginInstructions {
			t.Fatalf("jobs %+v, want login instructions", jobs)
		}
		// The customer is now a company: a second solution is scenario 2 without contact details.
		r2 := h.activate(t, w, "1003", "bookkeeping", "")
		expect(t, r2, 201, "")
		if r2.str("scenario") != "new_solution" || r2.str("collaboration.companyId") != r.str("collaboration.companyId") {
			t.Fatalf("second activation %s", r2.Raw)
		}
	})

	t.Run("second_open_collaboration_refused", func(t *testing.T) {
		expect(t, h.activate(t, w, "1001", "bookkeeping", ""), 409, "collaboration_exists")
	})

	t.Run("task_of_another_customer_refused", func(t *testing.T) {
		body := `{"customerNo":"1001","solution":"scanner","taskId":"` + w.task["1002"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`
		expect(t, h.call(t, user(w.oa), "POST", "/offices/"+w.office+"/collaborations", body), 409, "task_customer_mismatch")
	})

	t.Run("office_overview_lists_them_newest_first", func(t *testing.T) {
		r := h.call(t, user(w.ox), "GET", "/offices/"+w.office+"/collaborations?customerNo=1001", "")
		expect(t, r, 200, "")
		items := r.JSON["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["solution"] != "financial-overview" {
			t.Fatalf("overview %s", r.Raw)
		}
		r = h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations?status=pending&solution=scanner", "")
		if n := len(r.JSON["items"].([]any)); n != 2 {
			t.Fatalf("pending scanner collaborations: %d (%s)", n, r.Raw)
		}
	})
}

// TestActivationWithTheCustomersCompany: a client that names the customer's company (companyId,
// as the customer view shows it) gets the scenario current data gives, in one BatchGetItem and
// one transaction whether or not the company has the solution; a companyId that is not the
// customer's is not used, and a subscription that changes between the read and the commit fails
// the commit.
func TestActivationWithTheCustomersCompany(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	tap := h.tapDynamo()
	twoCalls := func(t *testing.T, before map[string]int) {
		t.Helper()
		after := tap.snapshot()
		if after["BatchGetItem"]-before["BatchGetItem"] != 1 || after["TransactWriteItems"]-before["TransactWriteItems"] != 1 ||
			total(after)-total(before) != 2 {
			t.Errorf("DynamoDB calls went from %v to %v, want one BatchGetItem and one TransactWriteItems", before, after)
		}
	}

	t.Run("company_lacking_the_solution", func(t *testing.T) {
		before := tap.snapshot()
		r := h.activate(t, w, "1001", "scanner", `,"companyId":"`+w.co+`"`)
		expect(t, r, 201, "")
		if r.str("scenario") != "new_solution" || r.str("collaboration.companyId") != w.co {
			t.Fatalf("activation %s", r.Raw)
		}
		twoCalls(t, before)
		v, _ := h.store.Company(ctx, w.co)
		if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionPending || s.CreatedBy != r.str("collaboration.id") {
			t.Fatalf("subscription %+v", s)
		}
	})

	t.Run("company_having_the_solution", func(t *testing.T) {
		before := tap.snapshot()
		r := h.activate(t, w, "1001", "bookkeeping", `,"companyId":"`+w.co+`"`)
		expect(t, r, 201, "")
		if r.str("scenario") != "existing_solution" {
			t.Fatalf("activation %s", r.Raw)
		}
		twoCalls(t, before)
		v, _ := h.store.Company(ctx, w.co)
		if s := v.Subscriptions["bookkeeping"]; s.Status != collab.SubscriptionActive || s.CreatedBy != "" {
			t.Fatalf("existing subscription changed: %+v", s)
		}
	})

	t.Run("another_company_is_not_used", func(t *testing.T) {
		// Customer 1002 is not linked yet; its organisation number is co2's. Naming co (whose
		// subscriptions differ) changes neither the link nor the scenario.
		r := h.activate(t, w, "1002", "bookkeeping", `,"companyId":"`+w.co+`"`)
		expect(t, r, 201, "")
		if r.str("scenario") != "new_solution" || r.str("collaboration.companyId") != w.co2 {
			t.Fatalf("activation %s", r.Raw)
		}
		v, _ := h.store.Company(ctx, w.co)
		if s := v.Subscriptions["bookkeeping"]; s.Status != collab.SubscriptionActive || s.CreatedBy != "" {
			t.Fatalf("the named company's subscription changed: %+v", s)
		}
	})

	t.Run("invalid_company_id_refused", func(t *testing.T) {
		expect(t, h.activate(t, w, "1001", "payroll", `,"companyId":"no spaces"`), 422, "id_invalid")
	})

	t.Run("subscription_ended_between_read_and_commit", func(t *testing.T) {
		// The company has payroll when the activation reads it; it ends before the commit.
		sub := collab.Subscription{CompanyID: w.co, Solution: "payroll", Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceCustomer}
		tx := h.store.Tx()
		tx.PutSubscription(sub)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		tap.setFault(func(op, _ string) (*http.Response, error) {
			if op != "TransactWriteItems" {
				return nil, nil
			}
			once.Do(func() {
				ended := sub
				ended.Status, ended.Version = collab.SubscriptionReadOnly, 1
				tx := h.store.Tx()
				tx.PutSubscription(ended)
				if err := tx.Commit(ctx); err != nil {
					t.Error(err)
				}
			})
			return nil, nil
		})
		defer tap.setFault(nil)
		r := h.activate(t, w, "1001", "payroll", `,"companyId":"`+w.co+`"`)
		expect(t, r, 409, "concurrent_update")
		v, _ := h.store.Company(ctx, w.co)
		if s := v.Subscriptions["payroll"]; s.Status != collab.SubscriptionReadOnly || s.CreatedBy != "" {
			t.Errorf("subscription after a refused activation: %+v", s)
		}
		r = h.call(t, user(w.oe), "GET", "/offices/"+w.office+"/collaborations?customerNo=1001&solution=payroll", "")
		if n := len(r.JSON["items"].([]any)); n != 0 {
			t.Fatalf("a refused activation left %d collaborations: %s", n, r.Raw)
		}
	})
}

// TestEveryPartyEndsInTwoCalls: whoever may end a collaboration ends it, as clients do (naming
// the collaboration's company), with one BatchGetItem (the collaboration, the caller's
// memberships, the company and its facts) and one transaction; memberships that say more than
// the caller is cost reads, never a wrong answer.
func TestEveryPartyEndsInTwoCalls(t *testing.T) {
	h := newHarness(t)
	tap := h.tapDynamo()
	company := map[string]string{} // by collaboration id
	end := func(t *testing.T, caller string, id string) response {
		t.Helper()
		return h.call(t, user(caller), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue","companyId":"`+company[id]+`"}`)
	}
	// onOtherTask puts ox on a second task of customer 1001, through the API.
	onOtherTask := func(t *testing.T, w world) string {
		t.Helper()
		task := rid("task")
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+task,
			`{"customerNo":"1001","name":"Lön","assignees":["`+w.ox+`"]}`), 200, "")
		return task
	}

	for _, c := range []struct {
		name   string
		caller func(t *testing.T, w world) string
		kind   collab.ActorKind
	}{
		{"company_administrator", func(t *testing.T, w world) string { return w.ca }, collab.CustomerUser},
		{"office_employee_on_the_task", func(t *testing.T, w world) string { return w.oe }, collab.OfficeEmployee},
		{"office_administrator_not_on_the_task", func(t *testing.T, w world) string { return w.oa }, collab.OfficeEmployee},
		{"employee_on_another_task_of_the_customer", func(t *testing.T, w world) string { onOtherTask(t, w); return w.ox }, collab.OfficeEmployee},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := h.world(t)
			id := h.active(t, w, "1001", "scanner", "")
			company[id] = w.co
			caller := c.caller(t, w)
			before := tap.snapshot()
			r := end(t, caller, id)
			expect(t, r, 202, "")
			after := tap.snapshot()
			if after["BatchGetItem"]-before["BatchGetItem"] != 1 || after["TransactWriteItems"]-before["TransactWriteItems"] != 1 ||
				total(after)-total(before) != 2 {
				t.Errorf("DynamoDB calls went from %v to %v, want one BatchGetItem and one TransactWriteItems", before, after)
			}
			_, history, err := h.store.CollaborationWithHistory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if last := history[len(history)-1]; last.To != collab.Ending || last.Actor.Kind != c.kind || last.Actor.UserID != caller {
				t.Errorf("ended by %+v, want %s %s", last, c.kind, caller)
			}
		})
	}

	// Memberships written around the service, saying more than the employee, user and task
	// items do: the commit's conditions fail and End decides on those items.
	db := dynamodb.NewFromConfig(h.cfg)
	claim := func(t *testing.T, userID, expr string, values map[string]types.AttributeValue, names map[string]string) {
		t.Helper()
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(h.res.TableName("Table")),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "USER#" + userID}, "SK": &types.AttributeValueMemberS{Value: "MEMBERSHIPS"}},
			UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	stillActive := func(t *testing.T, id string) {
		t.Helper()
		if c, err := h.store.Collaboration(ctx, id); err != nil || c.Record().Status != collab.Active {
			t.Errorf("after a refused end: %v %+v", err, c)
		}
	}

	t.Run("memberships_claiming_office_administrator", func(t *testing.T) {
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		company[id] = w.co
		claim(t, w.ox, "SET #o = :admin", map[string]types.AttributeValue{":admin": &types.AttributeValueMemberS{Value: "administrator"}},
			map[string]string{"#o": "OFFICE#" + w.office})
		expect(t, end(t, w.ox, id), 403, "not_on_task")
		stillActive(t, id)
	})

	t.Run("memberships_claiming_a_task_of_another_customer", func(t *testing.T) {
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		company[id] = w.co
		// ox is on customer 1002's task; the memberships file it under 1001.
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1002"],
			`{"customerNo":"1002","name":"Löpande","assignees":["`+w.ox+`"]}`), 200, "")
		claim(t, w.ox, "ADD #t :task", map[string]types.AttributeValue{":task": &types.AttributeValueMemberSS{Value: []string{w.task["1002"]}}},
			map[string]string{"#t": "TASKS#" + w.office + "#1001"})
		expect(t, end(t, w.ox, id), 403, "not_on_task")
		stillActive(t, id)
	})

	t.Run("employee_taken_off_the_other_task", func(t *testing.T) {
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		company[id] = w.co
		task := onOtherTask(t, w)
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+task,
			`{"customerNo":"1001","name":"Lön","assignees":[]}`), 200, "")
		expect(t, end(t, w.ox, id), 403, "not_on_task")
		stillActive(t, id)
	})
}

// TestCustomerSyncLinksByOrganisationNumber: Practice management's customer sync links a customer
// not linked yet to the company with its organisation number, in the sync's one BatchGetItem, so
// the customer view names the company and the activation that follows costs two calls; a link
// is kept through later syncs, and an organisation number of no company links nothing.
func TestCustomerSyncLinksByOrganisationNumber(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	tap := h.tapDynamo()
	office := "/offices/" + w.office + "/customers/"

	before := tap.count("BatchGetItem") + tap.count("GetItem") + tap.count("Query")
	r := h.call(t, user(w.oa), "PUT", office+"1002", `{"name":"Två AB","orgNo":"`+w.orgNo2+`"}`)
	expect(t, r, 200, "")
	if r.str("companyId") != w.co2 {
		t.Fatalf("sync of a customer whose organisation number is co2's: %s", r.Raw)
	}
	if reads := tap.count("BatchGetItem") + tap.count("GetItem") + tap.count("Query") - before; reads != 1 {
		t.Errorf("the sync read %d times, want 1 BatchGetItem", reads)
	}

	before = total(tap.snapshot())
	a := h.activate(t, w, "1002", "scanner", `,"companyId":"`+r.str("companyId")+`"`)
	expect(t, a, 201, "")
	if a.str("scenario") != "new_solution" || a.str("collaboration.companyId") != w.co2 {
		t.Fatalf("activation %s", a.Raw)
	}
	if n := total(tap.snapshot()) - before; n != 2 {
		t.Errorf("activation after the sync made %d DynamoDB calls, want 2", n)
	}

	r = h.call(t, user(w.oa), "PUT", office+"1001", `{"name":"Ett AB","orgNo":"`+w.orgNo2+`"}`)
	expect(t, r, 200, "")
	if r.str("companyId") != w.co {
		t.Errorf("a re-sync with another organisation number moved the link: %s", r.Raw)
	}
	r = h.call(t, user(w.oa), "PUT", office+"1004", `{"name":"Fyra AB","orgNo":"`+rid("org")+`"}`)
	expect(t, r, 200, "")
	if r.str("companyId") != "" {
		t.Errorf("an organisation number of no company linked: %s", r.Raw)
	}
}

func total(calls map[string]int) (n int) {
	for _, c := range calls {
		n += c
	}
	return n
}

func TestAcceptAndDeclineThroughTheLink(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1002", "scanner", "")
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	token := h.token(t, id)

	page := h.call(t, nobody, "GET", "/invitations/"+token, "")
	expect(t, page, 200, "")
	if page.str("state") != "live" || page.str("officeName") != "Byrå Ett" || page.str("companyName") != "Två AB" ||
		page.str("solutionName") != "Scanner" {
		t.Fatalf("invitation %s", page.Raw)
	}
	html := h.call(t, nobody, "GET", "/invitations/"+token+"?lang=en", "", "Accept", "text/html")
	if html.Status != 200 || !strings.Contains(html.Raw, "Byrå Ett") || !strings.Contains(html.Raw, `lang="en"`) {
		t.Fatalf("invitation page %d:\n%s", html.Status, html.Raw)
	}
	expect(t, h.call(t, nobody, "GET", "/invitations/"+strings.Repeat("A", 43), ""), 404, "invitation_not_found")
	expect(t, h.call(t, nobody, "GET", "/invitations/short", ""), 404, "invitation_not_found")
	// The id in a token grants nothing: the secret of one collaboration's link under another's id.
	other := h.activate(t, w, "1001", "scanner", "")
	expect(t, other, 201, "")
	secret := token[strings.Index(token, "~"):]
	expect(t, h.call(t, nobody, "GET", "/invitations/"+other.str("collaboration.id")+secret, ""), 404, "invitation_not_found")
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+other.str("collaboration.id")+secret+"/accept", ""), 404, "invitation_not_found")

	expect(t, h.call(t, nobody, "POST", "/invitations/"+token+"/accept", ""), 401, "unauthenticated")
	expect(t, h.call(t, user(w.c2a), "POST", "/invitations/"+token+"/accept", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.oe), "POST", "/invitations/"+token+"/accept", ""), 403, "not_company_user")

	acc := h.call(t, user(w.ca2), "POST", "/invitations/"+token+"/accept", "")
	expect(t, acc, 200, "")
	if acc.str("status") != "active" {
		t.Fatalf("accepted %s", acc.Raw)
	}
	expect(t, h.call(t, user(w.ca2), "POST", "/invitations/"+token+"/accept", ""), 410, "invitation_used")
	expect(t, h.call(t, nobody, "GET", "/invitations/"+token, ""), 410, "invitation_used")
	if dead := h.call(t, nobody, "GET", "/invitations/"+token, "", "Accept", "text/html"); dead.Status != 410 || !strings.Contains(dead.Raw, "redan besvarats") {
		t.Fatalf("used invitation page %d:\n%s", dead.Status, dead.Raw)
	}

	v, _ := h.store.Company(ctx, w.co2)
	if s := v.Subscriptions["scanner"]; s.Status != collab.SubscriptionActive || s.PayingOfficeID != w.office {
		t.Fatalf("subscription after accept %+v", s)
	}
	access := h.call(t, user(w.ca2), "GET", "/companies/"+w.co2+"/access", "")
	expect(t, access, 200, "")
	if !strings.Contains(access.Raw, `"userId":"`+w.oe+`","solution":"scanner","mode":"full","via":"`+id+`"`) ||
		!strings.Contains(access.Raw, `"userId":"`+w.ca2+`","solution":"scanner","mode":"full","via":"company"`) {
		t.Fatalf("access list %s", access.Raw)
	}
	if jobs := h.jobs(t, "EmailQueue", id); len(jobs) != 1 || jobs[0].Email != actions.EmailAccessGranted {
		t.Fatalf("jobs after accept %+v", jobs)
	}

	got := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	expect(t, got, 200, "")
	history := got.JSON["history"].([]any)
	if len(history) != 2 || history[1].(map[string]any)["to"] != "active" || history[1].(map[string]any)["actorId"] != w.ca2 {
		t.Fatalf("history %s", got.Raw)
	}

	// Declining a second invitation rolls back the subscription the activation opened.
	r = h.activate(t, w, "1002", "bookkeeping", "")
	id2 := r.str("collaboration.id")
	token2 := h.token(t, id2)
	v, _ = h.store.Company(ctx, w.co2)
	if v.Subscriptions["bookkeeping"].Status != collab.SubscriptionPending {
		t.Fatal("no pending subscription after activation")
	}
	expect(t, h.call(t, user(w.ca2), "POST", "/invitations/"+token2+"/decline", ""), 200, "")
	v, _ = h.store.Company(ctx, w.co2)
	if _, ok := v.Subscriptions["bookkeeping"]; ok {
		t.Fatal("declined activation left its subscription")
	}
	if got := h.call(t, user(w.oe), "GET", "/collaborations/"+id2, ""); got.str("status") != "declined" {
		t.Fatalf("after decline %s", got.Raw)
	}
}

func TestResendWithdrawAndExpiredLinks(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1001", "scanner", "")
	id := r.str("collaboration.id")
	old := h.token(t, id)

	expect(t, h.call(t, user(w.ox), "POST", "/collaborations/"+id+"/resend", ""), 403, "not_on_task")
	expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+id+"/resend", ""), 403, "not_office_employee")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/resend", ""), 200, "")
	fresh := h.token(t, id)
	if fresh == old {
		t.Fatal("resend reused the token")
	}
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+old+"/accept", ""), 410, "invitation_revoked")

	h.advance(31 * 24 * time.Hour)
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+fresh+"/accept", ""), 410, "invitation_expired")
	h.advance(-31 * 24 * time.Hour)

	expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/withdraw", ""), 200, "")
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+fresh+"/accept", ""), 410, "invitation_revoked")
	expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/withdraw", ""), 409, "collaboration_not_pending")
	v, _ := h.store.Company(ctx, w.co)
	if _, ok := v.Subscriptions["scanner"]; ok {
		t.Fatal("withdrawn activation left its subscription")
	}
	// The slot is free again.
	expect(t, h.activate(t, w, "1001", "scanner", ""), 201, "")
}

func TestEndRulesPerSolution(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	extra := map[string]string{"financial-overview": `,"agreementMonths":3`}
	payrollReady := `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`
	for _, solution := range []string{"bookkeeping", "financial-overview", "scanner", "tax-annual", "consolidated", "travel-expenses", "payroll"} {
		for _, outcome := range []string{"continue", "end_subscription"} {
			t.Run(solution+"_"+outcome, func(t *testing.T) {
				h := newHarness(t)
				w := h.world(t)
				id := h.active(t, w, "1001", solution, extra[solution])
				path := "/collaborations/" + id + "/end"
				if solution == "payroll" && outcome == "continue" {
					expect(t, h.call(t, user(w.oe), "POST", path, `{"outcome":"continue"}`), 409, "outcome_not_allowed")
					return
				}
				if solution == "payroll" {
					expect(t, h.call(t, user(w.ca), "POST", path, `{"outcome":"end_subscription"}`), 409, "facts_missing")
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", `{"customerIsPayrollUser":false}`), 200, "")
					expect(t, h.call(t, user(w.ca), "POST", path, `{"outcome":"end_subscription"}`), 409, "payroll_handover_incomplete")
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", payrollReady), 200, "")
				}
				if solution == "travel-expenses" {
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/travel-expenses/status",
						`{"unsubmittedReports":2,"usersWithUnsubmittedExpenses":["u1"]}`), 200, "")
					expect(t, h.call(t, user(w.oe), "POST", path, `{"outcome":"`+outcome+`"}`), 409, "expenses_not_submitted")
					expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/travel-expenses/status",
						`{"unsubmittedReports":0,"usersWithUnsubmittedExpenses":[]}`), 200, "")
				}
				ended := h.call(t, user(w.oe), "POST", path, `{"outcome":"`+outcome+`"}`)
				expect(t, ended, 202, "")
				if ended.str("status") != "ending" || ended.str("outcome") != outcome {
					t.Fatalf("ended %s", ended.Raw)
				}
				if jobs := h.jobs(t, "TeardownQueue", id); len(jobs) != 1 {
					t.Fatalf("teardown jobs %+v, want 1", jobs)
				}
				expect(t, h.call(t, user(w.ca), "POST", path, `{"outcome":"`+outcome+`"}`), 409, "collaboration_not_active")
			})
		}
	}

	t.Run("refused_without_main_contact_and_end_check_lists_every_blocker", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		id := h.active(t, w, "1001", "payroll", "")
		v, _ := h.store.Company(ctx, w.co)
		co := v.Company
		co.MainContact = ""
		tx := h.store.Tx()
		tx.PutCompany(co)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := h.call(t, user(w.ca), "GET", "/collaborations/"+id+"/end-check?outcome=continue", "")
		expect(t, check, 200, "")
		var codes []string
		for _, b := range check.JSON["blockers"].([]any) {
			codes = append(codes, b.(map[string]any)["code"].(string))
		}
		if fmt.Sprint(codes) != "[outcome_not_allowed main_contact_missing facts_missing]" || check.JSON["canEnd"] != false {
			t.Fatalf("end-check %s", check.Raw)
		}
		r := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`)
		expect(t, r, 409, "main_contact_missing")
		if blockers := r.JSON["error"].(map[string]any)["blockers"].([]any); len(blockers) != 2 {
			t.Fatalf("blockers %s", r.Raw)
		}
		expect(t, h.call(t, user(w.ca), "PUT", "/companies/"+w.co+"/main-contact", `{"userId":"`+w.ca+`"}`), 200, "")
		expect(t, h.call(t, integration, "PUT", "/companies/"+w.co+"/solutions/payroll/status", payrollReady), 200, "")
		check = h.call(t, user(w.ca), "GET", "/collaborations/"+id+"/end-check?outcome=end_subscription", "")
		if check.JSON["canEnd"] != true {
			t.Fatalf("end-check after fixing %s", check.Raw)
		}
	})

	t.Run("pending_cannot_end", func(t *testing.T) {
		r := h.activate(t, w, "1001", "scanner", "")
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+r.str("collaboration.id")+"/end", `{"outcome":"continue"}`), 409, "collaboration_not_active")
	})
}

func TestMainContactAndRoles(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	mc := "/companies/" + w.co + "/main-contact"
	expect(t, h.call(t, user(w.ca), "PUT", mc, `{"userId":"nobody"}`), 404, "user_not_found")
	expect(t, h.call(t, user(w.ca), "PUT", mc, `{"userId":"`+w.cu+`"}`), 409, "user_not_administrator")
	expect(t, h.call(t, user(w.cu), "PUT", mc, `{"userId":"`+w.ca+`"}`), 403, "administrator_required")
	expect(t, h.call(t, user(w.ca), "PATCH", "/companies/"+w.co+"/users/"+w.ca, `{"role":"user"}`), 409, "main_contact_demotion")

	created := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Ny Admin","email":"ny@customer.test","role":"administrator"}`)
	expect(t, created, 201, "")
	newAdmin := created.str("id")
	expect(t, h.call(t, user(w.ca), "PUT", mc, `{"userId":"`+newAdmin+`"}`), 200, "")
	expect(t, h.call(t, user(w.ca), "PATCH", "/companies/"+w.co+"/users/"+w.ca, `{"role":"user"}`), 200, "")
	expect(t, h.call(t, user(w.ca), "PUT", mc, `{"userId":"`+newAdmin+`"}`), 403, "administrator_required")
	expect(t, h.call(t, user(newAdmin), "PATCH", "/companies/"+w.co+"/users/"+newAdmin, `{"role":"user"}`), 409, "main_contact_demotion")

	users := h.call(t, user(w.cu), "GET", "/companies/"+w.co+"/users", "")
	expect(t, users, 200, "")
	if !strings.Contains(users.Raw, `"id":"`+newAdmin+`","name":"Ny Admin","email":"ny@customer.test","language":"sv","role":"administrator","mainContact":true`) {
		t.Fatalf("users %s", users.Raw)
	}

	// An office employee with access to the company (an active collaboration) may set it too.
	r := h.activate(t, w, "1001", "scanner", "")
	expect(t, h.call(t, user(newAdmin), "POST", "/invitations/"+h.token(t, r.str("collaboration.id"))+"/accept", ""), 200, "")
	expect(t, h.call(t, user(w.oe), "PUT", mc, `{"userId":"`+newAdmin+`"}`), 200, "")
	expect(t, h.call(t, user(w.ox), "PUT", mc, `{"userId":"`+newAdmin+`"}`), 403, "not_company_user")
}

func TestLastAdministratorCannotBeDemotedByConcurrentRequests(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	second := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Andra","email":"andra@customer.test","role":"administrator"}`)
	expect(t, second, 201, "")
	// Neither is main contact after this, so only the last-administrator rule stands in the way.
	v, _ := h.store.Company(ctx, w.co)
	co := v.Company
	co.MainContact = ""
	tx := h.store.Tx()
	tx.PutCompany(co)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for _, target := range []string{w.ca, second.str("id")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.call(t, user(w.ca), "PATCH", "/companies/"+w.co+"/users/"+target, `{"role":"user"}`).Status
		}()
	}
	wg.Wait()
	close(statuses)
	v, _ = h.store.Company(ctx, w.co)
	admins := 0
	for _, u := range v.Users {
		if u.Role == collab.Administrator {
			admins++
		}
	}
	if admins != 1 || v.Company.Admins != 1 {
		t.Fatalf("%d administrators left (count %d), want exactly 1", admins, v.Company.Admins)
	}
}

func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	body := `{"customerNo":"1001","solution":"scanner","taskId":"` + w.task["1001"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`
	path := "/offices/" + w.office + "/collaborations"
	first := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", "k-1")
	expect(t, first, 201, "")
	again := h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", "k-1")
	expect(t, again, 201, "")
	if again.Raw != first.Raw || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("retry answered %s, want the first response replayed", again.Raw)
	}
	expect(t, h.call(t, user(w.oe), "POST", path, strings.Replace(body, "scanner", "payroll", 1), "Idempotency-Key", "k-1"), 422, "idempotency_key_reused")
	list := h.call(t, user(w.oe), "GET", path+"?solution=scanner", "")
	if n := len(list.JSON["items"].([]any)); n != 1 {
		t.Fatalf("%d scanner collaborations after a retried activation, want 1", n)
	}
	if jobs := h.jobs(t, "EmailQueue", first.str("collaboration.id")); len(jobs) != 1 {
		t.Fatalf("%d e-mail jobs after a retried activation, want 1", len(jobs))
	}
	// Concurrent requests with one key: one does the work, every one gets its response.
	var wg sync.WaitGroup
	bodies := make(chan string, 5)
	endBody := `{"customerNo":"1001","solution":"tax-annual","taskId":"` + w.task["1001"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.call(t, user(w.oe), "POST", path, endBody, "Idempotency-Key", "k-2")
			bodies <- fmt.Sprint(r.Status, r.str("collaboration.id"), r.code())
		}()
	}
	wg.Wait()
	close(bodies)
	seen := map[string]int{}
	for b := range bodies {
		seen[b]++
	}
	for b := range seen {
		if !strings.HasPrefix(b, "201") && !strings.Contains(b, "request_in_progress") {
			t.Errorf("concurrent retry answered %s", b)
		}
	}
	list = h.call(t, user(w.oe), "GET", path+"?solution=tax-annual", "")
	if n := len(list.JSON["items"].([]any)); n != 1 {
		t.Fatalf("%d collaborations after concurrent retries, want 1", n)
	}
}
