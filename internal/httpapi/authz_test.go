package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// strangers are the callers the matrix tries on every route, in the order of its columns. None of
// them has a right to anything but a few reads and the public invitation page.
var strangers = []struct {
	name string // reads as the start of a sentence: "<name>_gets_403_not_on_task"
	who  func(w world) who
}{
	{"anonymous", func(world) who { return nobody }},
	{"employee_of_another_office", func(w world) who { return user(w.o2) }},
	{"office_employee_not_on_the_task", func(w world) who { return user(w.ox) }},
	{"customer_user_who_is_not_administrator", func(w world) who { return user(w.cu) }},
	{"administrator_of_another_company", func(w world) who { return user(w.c2a) }},
}

// as returns the world's caller of a short name: the user ids of the world struct, "nobody" or
// "integration".
func (w world) as(name string) who {
	switch name {
	case "nobody":
		return nobody
	case "integration":
		return integration
	}
	id := map[string]string{"oa": w.oa, "oe": w.oe, "ox": w.ox, "o2": w.o2, "ca": w.ca, "cu": w.cu, "c2a": w.c2a, "ca2": w.ca2}[name]
	if id == "" {
		panic("no caller " + name + " in the world")
	}
	return user(id)
}

// authzTarget is one request to a route: its path parameters, query string and body.
type authzTarget struct {
	params map[string]string
	query  string
	body   string
}

// authzRow is one route's line of the matrix.
type authzRow struct {
	// strangers holds the answer to each of the strangers, in their order: "<status> <code>".
	strangers [5]string
	// right is the caller for whom the route is (a name for world.as), and status its answer.
	right  string
	status int
	// setup builds what the request acts on in a fresh world, and returns the request.
	setup func(t *testing.T, h *harness, w world) authzTarget
}

// The answers the matrix expects, by kind of route.
var (
	officeAdminRoute    = [5]string{"401 unauthenticated", "403 not_office_employee", "403 office_administrator_required", "403 not_office_employee", "403 not_office_employee"}
	customerOfficeRoute = [5]string{"401 unauthenticated", "403 not_office_employee", "403 not_on_task", "403 not_office_employee", "403 not_office_employee"}
	officeReadRoute     = [5]string{"401 unauthenticated", "403 not_office_employee", "200", "403 not_office_employee", "403 not_office_employee"}
	publicRoute         = [5]string{"200", "200", "200", "200", "200"}
	invitationAnswer    = [5]string{"401 unauthenticated", "403 not_company_user", "403 not_company_user", "403 administrator_required", "403 not_company_user"}
	companyReadRoute    = [5]string{"401 unauthenticated", "403 not_company_user", "403 not_company_user", "200", "403 not_company_user"}
	companyAdminRoute   = invitationAnswer
	serviceRoute        = [5]string{"401 unauthenticated", "403 service_only", "403 service_only", "403 service_only", "403 service_only"}
	collaborationRead   = [5]string{"401 unauthenticated", "403 not_company_user", "403 not_on_task", "200", "403 not_company_user"}
	selfRoute           = [5]string{"401 unauthenticated", "403 not_this_user", "403 not_this_user", "403 not_this_user", "403 not_this_user"}
	collaborationEnd    = [5]string{"401 unauthenticated", "403 not_company_user", "403 not_on_task", "403 administrator_required", "403 not_company_user"}
)

// authzMatrix has a row for every route of httpapi.Routes, by function name.
var authzMatrix = map[string]authzRow{
	"PutEmployee": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to make an employee an office administrator.
		return authzTarget{params: map[string]string{"officeId": w.office, "userId": w.oe},
			body: `{"name":"Eva Employee","email":"oe@office.test","role":"administrator"}`}
	}},
	"PutCustomer": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"officeId": w.office, "customerNo": "1001"}, body: `{"name":"Kapad AB"}`}
	}},
	"PutTask": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to put the employee who is on no task on the customer's task.
		return authzTarget{params: map[string]string{"officeId": w.office, "taskId": w.task["1001"]},
			body: `{"customerNo":"1001","name":"Löpande","assignees":["` + w.oe + `","` + w.ox + `"]}`}
	}},
	"RemoveEmployee": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to remove the employee on the customers' tasks.
		return authzTarget{params: map[string]string{"officeId": w.office, "userId": w.oe}}
	}},
	"RemoveCustomer": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"officeId": w.office, "customerNo": "1003"}}
	}},
	"RemoveTask": {officeAdminRoute, "oa", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"officeId": w.office, "taskId": w.task["1001"]}}
	}},
	"Activate": {customerOfficeRoute, "oe", 201, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"officeId": w.office},
			body: `{"customerNo":"1001","solution":"scanner","taskId":"` + w.task["1001"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`}
	}},
	"ListOfficeCollaborations": {officeReadRoute, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"officeId": w.office}}
	}},
	"Resend": {customerOfficeRoute, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id, _ := pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"id": id}}
	}},
	"Withdraw": {customerOfficeRoute, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id, _ := pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"id": id}}
	}},
	"Link": {customerOfficeRoute, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id := importedCollaboration(t, h, w, "1001", "tax-annual")
		return authzTarget{params: map[string]string{"id": id}, body: `{"taskId":"` + w.task["1001"] + `"}`}
	}},
	"Renew": {customerOfficeRoute, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id := h.active(t, w, "1001", "financial-overview", `,"agreementMonths":3`)
		return authzTarget{params: map[string]string{"id": id}, body: `{"months":12}`}
	}},
	"ShowInvitation": {publicRoute, "nobody", 200, func(t *testing.T, h *harness, w world) authzTarget {
		_, token := pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"token": token}}
	}},
	"Accept": {invitationAnswer, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		_, token := pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"token": token}}
	}},
	"Decline": {invitationAnswer, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		_, token := pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"token": token}}
	}},
	"ListCompanyCollaborations": {companyReadRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		pendingCollaboration(t, h, w)
		return authzTarget{params: map[string]string{"companyId": w.co}}
	}},
	"ListUsers": {companyReadRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co}}
	}},
	"CompanyHistory": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co}}
	}},
	"RemoveUser": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to remove the company's plain user.
		return authzTarget{params: map[string]string{"companyId": w.co, "userId": w.cu}}
	}},
	"SendSignInLink": {companyAdminRoute, "ca", 202, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to have the plain user, who never signed in, e-mailed a new link.
		return authzTarget{params: map[string]string{"companyId": w.co, "userId": w.cu}}
	}},
	"CompanySubscriptions": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co}}
	}},
	"CreateUser": {companyAdminRoute, "ca", 201, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co},
			body: `{"name":"Ny Admin","email":"ny@customer.test","role":"administrator"}`}
	}},
	"AcceptUserTerms": {selfRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// Strangers try to accept the administrator's user terms for them.
		return authzTarget{params: map[string]string{"userId": w.ca}, body: `{"version":"` + collab.UserTermsVersion + `"}`}
	}},
	"ChangeRole": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		// The plain user tries to promote themself, and strangers try to promote them.
		return authzTarget{params: map[string]string{"companyId": w.co, "userId": w.cu}, body: `{"role":"administrator"}`}
	}},
	"SetMainContact": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		second := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Andra Admin","email":"andra@customer.test","role":"administrator"}`)
		expect(t, second, 201, "")
		return authzTarget{params: map[string]string{"companyId": w.co}, body: `{"userId":"` + second.str("id") + `"}`}
	}},
	"Access": {companyReadRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co}}
	}},
	"ReportFacts": {serviceRoute, "integration", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"companyId": w.co, "solution": "payroll"},
			body: `{"customerIsPayrollUser":true,"lastChangeAt":"2027-02-01T00:00:00Z","lastSyncAt":"2027-02-02T00:00:00Z"}`}
	}},
	"AcknowledgeTeardown": {serviceRoute, "integration", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id := h.active(t, w, "1001", "scanner", "")
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 202, "")
		h.solutions.hold = true // the command waits for the row's caller
		h.drain(t)
		return authzTarget{params: map[string]string{"id": id, "step": "revoke_office_access"}, body: `{"result":"done"}`}
	}},
	"UndoEnd": {companyAdminRoute, "ca", 200, func(t *testing.T, h *harness, w world) authzTarget {
		h.withTiming(port.DefaultTiming) // with a grace period, to undo
		id := h.active(t, w, "1001", "scanner", "")
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`), 202, "")
		h.drain(t) // the grace period starts
		return authzTarget{params: map[string]string{"id": id}}
	}},
	"SolutionAccess": {serviceRoute, "integration", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"solution": "payroll", "companyId": w.co}}
	}},
	"GetCollaboration": {collaborationRead, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"id": h.active(t, w, "1001", "scanner", "")}}
	}},
	"EndCheck": {collaborationEnd, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"id": h.active(t, w, "1001", "scanner", "")}, query: "outcome=continue"}
	}},
	"End": {collaborationEnd, "oe", 202, func(t *testing.T, h *harness, w world) authzTarget {
		return authzTarget{params: map[string]string{"id": h.active(t, w, "1001", "scanner", "")}, body: `{"outcome":"continue"}`}
	}},
	"CancelEnd": {collaborationEnd, "oe", 200, func(t *testing.T, h *harness, w world) authzTarget {
		id := h.active(t, w, "1001", "scanner", "")
		expect(t, h.call(t, user(w.ca), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue","at":"2027-03-31"}`), 202, "")
		return authzTarget{params: map[string]string{"id": id}}
	}},
}

// TestAuthorizationMatrix sends every route's request as each stranger and then as the caller the
// route is for. Strangers get the status and code of their row, and no request they send changes
// anything in the table or on the queues; the right caller succeeds. A route without a row fails
// the test, so a new route cannot ship without its authorization decided here.
//
// A caller unknown to both the office and the company gets not_office_employee on office-side
// routes and not_company_user on routes a company user may also call (collaborationActor checks
// the company first and reports the company's refusal).
//
// Each route gets its own harness (table and queues): moto's queries and scans cost time in
// proportion to the whole table, and one shared table made the matrix three times slower.
func TestAuthorizationMatrix(t *testing.T) {
	for _, rt := range httpapi.Routes {
		if _, ok := authzMatrix[rt.Function]; !ok {
			t.Errorf("route %s (%s %s) has no row in the authorization matrix", rt.Function, rt.Method, rt.Path)
		}
	}
	for function := range authzMatrix {
		if _, ok := httpapi.RouteOf(function); !ok {
			t.Errorf("the authorization matrix has a row for %s, which is not a route", function)
		}
	}
	for _, rt := range httpapi.Routes {
		row, ok := authzMatrix[rt.Function]
		if !ok {
			continue
		}
		t.Run(rt.Function, func(t *testing.T) {
			checkRowFitsAuth(t, rt, row)
			h := newHarness(t)
			w := h.world(t)
			target := row.setup(t, h, w)
			path := routePath(t, rt, target)
			before := h.state(t)
			for i, s := range strangers {
				status, code := parseWant(t, row.strangers[i])
				name := s.name + "_gets_" + strings.TrimSpace(row.strangers[i])
				t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
					expect(t, h.call(t, s.who(w), rt.Method, path, target.body), status, code)
				})
			}
			if diff := stateDiff(before, h.state(t)); diff != "" {
				t.Fatalf("refused requests changed the state:\n%s", diff)
			}
			r := h.call(t, w.as(row.right), rt.Method, path, target.body)
			expect(t, r, row.status, "")
			if rt.Method != "GET" && stateDiff(before, h.state(t)) == "" {
				t.Errorf("the state snapshot did not see %s's write, so it could not see a refused one either", rt.Function)
			}
		})
	}
}

// TestAuthorizationFollowsCurrentData checks the rights the matrix cannot show with fixed
// callers: office administrators act for every customer without a task, an Idempotency-Key
// replays a response only to the caller who got it, and a change of task or role takes effect on
// the next request.
func TestAuthorizationFollowsCurrentData(t *testing.T) {
	t.Run("office_administrator_acts_for_a_customer_without_being_on_its_task", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		body := `{"customerNo":"1002","solution":"scanner","taskId":"` + w.task["1002"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`
		expect(t, h.call(t, user(w.oa), "POST", "/offices/"+w.office+"/collaborations", body), 201, "")
		id, _ := pendingCollaboration(t, h, w)
		expect(t, h.call(t, user(w.oa), "GET", "/collaborations/"+id, ""), 200, "")
		expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/resend", ""), 200, "")
		expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/withdraw", ""), 200, "")
		imported := importedCollaboration(t, h, w, "1001", "tax-annual")
		expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+imported+"/link", `{"taskId":"`+w.task["1001"]+`"}`), 200, "")
		active := h.active(t, w, "1001", "bookkeeping", "")
		expect(t, h.call(t, user(w.oa), "GET", "/collaborations/"+active+"/end-check?outcome=continue", ""), 200, "")
		expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+active+"/end", `{"outcome":"continue"}`), 202, "")
	})

	t.Run("idempotency_key_of_another_caller_replays_nothing", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		path := "/offices/" + w.office + "/collaborations"
		body := `{"customerNo":"1001","solution":"scanner","taskId":"` + w.task["1001"] + `","invoiceRecipient":"office","startPeriod":"2027-04"}`
		expect(t, h.call(t, user(w.oe), "POST", path, body, "Idempotency-Key", "k-1"), 201, "")
		for _, c := range []struct {
			as     who
			status int
			code   string
		}{{nobody, 401, "unauthenticated"}, {user(w.o2), 403, "not_office_employee"}, {user(w.ox), 403, "not_on_task"}} {
			r := h.call(t, c.as, "POST", path, body, "Idempotency-Key", "k-1")
			expect(t, r, c.status, c.code)
			if r.Headers["Idempotent-Replayed"] != "" {
				t.Errorf("%+v got the replayed response of another caller", c.as)
			}
		}
	})

	t.Run("employee_added_to_the_task_may_act_for_the_customer_at_once", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id, ""), 403, "not_on_task")
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
			`{"customerNo":"1001","name":"Löpande","assignees":["`+w.oe+`","`+w.ox+`"]}`), 200, "")
		expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id, ""), 200, "")
		expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id+"/end-check?outcome=continue", ""), 200, "")
	})

	t.Run("task_changed_while_pending_decides_who_the_accept_grants", func(t *testing.T) {
		// The collaboration keeps its task's assignees; a task change moves them (and the
		// collaboration's version), so the accept grants the task's current employees.
		h := newHarness(t)
		w := h.world(t)
		r := h.activate(t, w, "1001", "scanner", "")
		expect(t, r, 201, "")
		id := r.str("collaboration.id")
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
			`{"customerNo":"1001","name":"Löpande","assignees":["`+w.ox+`"]}`), 200, "")
		expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+h.token(t, id)+"/accept", ""), 200, "")
		access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
		expect(t, access, 200, "")
		if !strings.Contains(access.Raw, `"userId":"`+w.ox+`","solution":"scanner"`) || strings.Contains(access.Raw, `"userId":"`+w.oe+`","solution":"scanner"`) {
			t.Fatalf("access after the task moved from %s to %s while pending: %s", w.oe, w.ox, access.Raw)
		}
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 403, "not_on_task")
		expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id, ""), 200, "")
	})

	t.Run("employee_removed_from_the_task_loses_the_customer_at_once", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		mc := "/companies/" + w.co + "/main-contact"
		expect(t, h.call(t, user(w.oe), "PUT", mc, `{"userId":"`+w.ca+`"}`), 200, "")
		expect(t, h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
			`{"customerNo":"1001","name":"Löpande","assignees":[]}`), 200, "")
		expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""), 403, "not_on_task")
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 403, "not_on_task")

		before := h.state(t)
		setMain := h.call(t, user(w.oe), "PUT", mc, `{"userId":"`+w.ca+`"}`)
		users := h.call(t, user(w.oe), "GET", "/companies/"+w.co+"/users", "")
		access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
		diff := stateDiff(before, h.state(t))
		if setMain.Status == 200 || users.Status == 200 || strings.Contains(access.Raw, `"userId":"`+w.oe+`"`) {
			t.Logf("set main contact: %d %s\nlist users: %d\naccess: %s\nstate change:\n%s", setMain.Status, setMain.Raw, users.Status, access.Raw, diff)
			t.Fatalf("an office employee removed from the customer's task kept the access its active collaboration gave them")
		}
		if diff != "" {
			t.Fatalf("requests of the removed employee changed the state:\n%s", diff)
		}
		expect(t, setMain, 403, "not_company_user")
		expect(t, users, 403, "not_company_user")
	})

	t.Run("task_moved_to_another_customer_leaves_its_collaborations_until_linked_again", func(t *testing.T) {
		// A task is connected to one customer: moved to another, it takes its employees away
		// from the old customer's collaborations, which wait for the office to link them again.
		h := newHarness(t)
		w := h.world(t)
		id := h.active(t, w, "1001", "scanner", "")
		tasks := "/offices/" + w.office + "/tasks/"
		expect(t, h.call(t, user(w.oa), "PUT", tasks+w.task["1001"], `{"customerNo":"1002","name":"Löpande","assignees":["`+w.oe+`"]}`), 200, "")
		expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+id, ""), 403, "not_on_task")
		expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 403, "not_on_task")
		if v, _ := h.store.Company(ctx, w.co); len(grantsVia(v, id)) != 0 {
			t.Fatalf("the employees of a task moved to another customer kept the access the old customer's collaboration gave them: %+v", grantsVia(v, id))
		}
		c := h.call(t, user(w.oa), "GET", "/collaborations/"+id, "")
		expect(t, c, 200, "")
		if c.str("taskId") != "" || c.str("status") != "active" || !strings.Contains(c.Raw, "moved to another customer") {
			t.Fatalf("collaboration whose task moved: %s", c.Raw)
		}

		other := rid("task")
		expect(t, h.call(t, user(w.oa), "PUT", tasks+other, `{"customerNo":"1001","name":"Bokslut","assignees":["`+w.ox+`"]}`), 200, "")
		expect(t, h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+other+`"}`), 200, "")
		access := h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/access", "")
		if !strings.Contains(access.Raw, `"userId":"`+w.ox+`","solution":"scanner"`) || strings.Contains(access.Raw, `"userId":"`+w.oe+`"`) {
			t.Fatalf("access after linking the collaboration to a task of %s: %s", w.ox, access.Raw)
		}
		expect(t, h.call(t, user(w.ox), "GET", "/collaborations/"+id+"/end-check?outcome=continue", ""), 200, "")
	})

	t.Run("administrator_demoted_to_user_loses_the_right_at_once", func(t *testing.T) {
		h := newHarness(t)
		w := h.world(t)
		second := h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Andra","email":"andra@customer.test","role":"administrator"}`)
		expect(t, second, 201, "")
		expect(t, h.call(t, user(w.ca), "PUT", "/companies/"+w.co+"/main-contact", `{"userId":"`+second.str("id")+`"}`), 200, "")
		_, token := pendingCollaboration(t, h, w)
		expect(t, h.call(t, user(second.str("id")), "PATCH", "/companies/"+w.co+"/users/"+w.ca, `{"role":"user"}`), 200, "")
		expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", ""), 403, "administrator_required")
		expect(t, h.call(t, user(w.ca), "POST", "/companies/"+w.co+"/users", `{"name":"Tredje","email":"tredje@customer.test","role":"administrator"}`), 403, "administrator_required")
		expect(t, h.call(t, user(w.ca), "GET", "/companies/"+w.co+"/users", ""), 200, "")
	})
}

// checkRowFitsAuth keeps the matrix honest about the route's declared scheme: a public route is
// open to all, a service route refuses every user, and any other route refuses anonymous callers
// and lets strangers change nothing.
func checkRowFitsAuth(t *testing.T, rt httpapi.Route, row authzRow) {
	t.Helper()
	switch rt.Auth {
	case httpapi.AuthNone:
		if row.strangers != publicRoute || rt.Method != "GET" {
			t.Fatalf("%s is public but its row refuses someone, or it writes", rt.Function)
		}
	case httpapi.AuthIAM:
		if row.strangers != serviceRoute || row.right != "integration" {
			t.Fatalf("%s is for solution integrations but its row is not serviceRoute", rt.Function)
		}
	default:
		if !strings.HasPrefix(row.strangers[0], "401") {
			t.Fatalf("%s takes a user's token but its row lets anonymous callers in", rt.Function)
		}
		if rt.Method != "GET" {
			for i, want := range row.strangers {
				if !strings.HasPrefix(want, "4") {
					t.Fatalf("%s writes, but its row lets %s in", rt.Function, strangers[i].name)
				}
			}
		}
	}
}

// routePath fills the route's path parameters from the target and appends its query.
func routePath(t *testing.T, rt httpapi.Route, target authzTarget) string {
	t.Helper()
	path := rt.Path
	for name, v := range target.params {
		path = strings.Replace(path, "{"+name+"}", v, 1)
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: path parameters missing in %s", rt.Function, path)
	}
	if target.query != "" {
		path += "?" + target.query
	}
	return path
}

func parseWant(t *testing.T, s string) (int, string) {
	t.Helper()
	status, code, _ := strings.Cut(s, " ")
	n, err := strconv.Atoi(status)
	if err != nil {
		t.Fatalf("bad expectation %q", s)
	}
	return n, code
}

// pendingCollaboration activates scanner for customer 1001 (company co) as the employee on its
// task, and returns the collaboration and its invitation token.
func pendingCollaboration(t *testing.T, h *harness, w world) (string, string) {
	t.Helper()
	r := h.activate(t, w, "1001", "scanner", "")
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	return id, h.token(t, id)
}

// importedCollaboration stores an active collaboration of company co without a task, as the
// import from the older tool leaves them, and returns its id. One of a solution with an agreement
// period has 3 months from the start of the test's clock.
func importedCollaboration(t *testing.T, h *harness, w world, customerNo, solution string) string {
	t.Helper()
	id := rid("imported")
	r := collab.CollaborationRecord{
		ID: id, OfficeID: w.office, CustomerNo: customerNo, CompanyID: w.co, Solution: collab.Solution(solution),
		Status: collab.Active, Scenario: collab.ExistingSolution, InvoiceRecipient: collab.InvoiceCustomer,
		CreatedAt: h.clock(), UpdatedAt: h.clock(),
	}
	if collab.Solutions[r.Solution].HasAgreementPeriod() {
		r.AgreementMonths, r.AgreementEndsAt = 3, h.clock().AddDate(0, 3, 0)
	}
	tx := h.store.Tx()
	tx.PutCollaboration(collab.RestoreCollaboration(r))
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("store imported collaboration: %v", err)
	}
	return id
}

// state describes everything a request could change: every item of the test's table, one a line
// in key order, and how many messages wait on each queue. The table is the harness's own, so a
// scan of it is small.
func (h *harness) state(t *testing.T) []string {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	var lines []string
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(h.res.TableName("Table")), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("scan the table: %v", err)
		}
		for _, item := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(m) // keys sorted, so PK and SK lead
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
	}
	sort.Strings(lines)
	for _, q := range []string{"EmailQueue", "TeardownQueue"} {
		lines = append(lines, fmt.Sprintf("queue %s holds %d messages", q, h.queueDepth(t, q)))
	}
	return lines
}

// queueDepth returns how many messages a queue holds: waiting, in flight or delayed.
func (h *harness) queueDepth(t *testing.T, queueID string) int {
	t.Helper()
	out, err := h.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(h.res.QueueURL(queueID)),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		i, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("queue attribute %q: %v", v, err)
		}
		n += i
	}
	return n
}

// stateDiff returns the lines of two states that differ, or "" when they are the same.
func stateDiff(before, after []string) string {
	var b strings.Builder
	seen := map[string]int{}
	for _, l := range before {
		seen[l]++
	}
	for _, l := range after {
		seen[l]--
	}
	for _, l := range before {
		if seen[l] > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
			seen[l]--
		}
	}
	for _, l := range after {
		if seen[l] < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
			seen[l]++
		}
	}
	return b.String()
}
