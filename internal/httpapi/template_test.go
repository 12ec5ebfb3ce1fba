package httpapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

func loadTemplate(t *testing.T) (*samtemplate.Template, string) {
	t.Helper()
	tpl, path, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	return tpl, filepath.Dir(path)
}

func TestTemplateDeclaresEveryRouteOnce(t *testing.T) {
	tpl, _ := loadTemplate(t)
	authOf := map[string]string{"": httpapi.AuthJWT, "NONE": httpapi.AuthNone, "AWS_IAM": httpapi.AuthIAM}
	declared := map[string]string{}
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			key := r.Method + " " + r.Path + " " + authOf[r.Authorizer]
			if other, dup := declared[key]; dup {
				t.Errorf("%s is declared by %s and %s", key, other, f.LogicalID)
			}
			declared[key] = f.LogicalID
		}
	}
	for _, rt := range httpapi.Routes {
		key := rt.Method + " " + rt.Path + " " + rt.Auth
		fn, ok := declared[key]
		switch {
		case !ok:
			t.Errorf("template.yaml has no function for %s", key)
		case fn != rt.Function+"Function":
			t.Errorf("%s is served by %s in the template, %s in httpapi.Routes", key, fn, rt.Function)
		}
		delete(declared, key)
	}
	for key, fn := range declared {
		t.Errorf("template.yaml declares %s (%s), which httpapi.Routes does not serve", key, fn)
	}
}

var camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)

func kebab(s string) string { return strings.ToLower(camel.ReplaceAllString(s, "$1-$2")) }

// sampleStatus is what each function answers its sample event (events/<function>.json) in the
// sample world: the samples are real requests, some of them refused by the rules.
var sampleStatus = map[string]int{
	"PutEmployee": 200, "PutCustomer": 200, "PutTask": 200, "Activate": 201, "ListOfficeCollaborations": 200, "AcceptUserTerms": 200,
	"Resend": 200, "Withdraw": 200, "Link": 409, // collab-1 already has a task
	"ShowInvitation": 404, "Accept": 404, "Decline": 404, // the sample token is not a live invitation
	"ListCompanyCollaborations": 200, "ListUsers": 200, "CompanyHistory": 200, "CompanySubscriptions": 200, "CreateUser": 201, "ChangeRole": 200,
	"SetMainContact": 200, "Access": 200, "ReportFacts": 200, "GetCollaboration": 200, "EndCheck": 200,
	"End": 409, "Renew": 409, "CancelEnd": 409, // collab-1 is pending
	"RemoveEmployee": 200, "RemoveTask": 200, "RemoveUser": 200, "SendSignInLink": 202,
	"RemoveCustomer":      409, // collab-1 is pending
	"AcknowledgeTeardown": 409, // collab-1 is pending: no step to acknowledge
	"SolutionAccess":      200,
	"UndoEnd":             409, // collab-1 is pending: not ending
}

// sampleWorld stores the ids the sample events use: office-1 with administrator emp-admin and
// employee emp-2, customer 1001 = company-1 (administrator cust-admin, user emp-2), task-1, and
// a pending collaboration collab-1 for payroll.
func sampleWorld(t *testing.T, h *harness) {
	t.Helper()
	tx := h.store.Tx()
	tx.PutOffice(collab.Office{ID: "office-1", Name: "Byrån"})
	tx.PutEmployee(collab.Employee{OfficeID: "office-1", UserID: "emp-admin", Name: "Adam", Email: "adam@byran.example", Role: collab.OfficeAdministrator})
	tx.PutEmployee(collab.Employee{OfficeID: "office-1", UserID: "emp-2", Name: "Eva", Email: "eva@byran.example", Role: collab.OfficeStaff})
	customer := collab.Customer{OfficeID: "office-1", No: "1001", Name: "Kund AB", CompanyID: "company-1"}
	task := collab.Task{OfficeID: "office-1", ID: "task-1", CustomerNo: "1001", Name: "Bokföring", Assignees: []string{"emp-admin"}}
	tx.PutCustomer(customer)
	tx.PutTask(task)
	seedCompany(t, tx, "company-1", "Kund AB", "", "cust-admin", "emp-2")
	c, err := collab.Activate(collab.ActivationInput{ID: "collab-1", OfficeID: "office-1", Customer: customer, CompanyID: "company-1",
		Task: task, Solution: "payroll", InvoiceRecipient: collab.InvoiceOffice, Scenario: collab.ExistingSolution},
		collab.Actor{Kind: collab.OfficeEmployee, UserID: "emp-admin"}, start)
	if err != nil {
		t.Fatal(err)
	}
	_, inv := collab.NewInvitation(tokenKey, "collab-1", start, h.svc.InvitationTTL)
	if err := c.Invite(inv); err != nil {
		t.Fatal(err)
	}
	tx.PutCollaboration(c)
	tx.PutInvitation(inv)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEveryFunctionRunsOnItsSampleEvent(t *testing.T) {
	_, root := loadTemplate(t)
	for _, rt := range httpapi.Routes {
		t.Run(rt.Function, func(t *testing.T) {
			want, ok := sampleStatus[rt.Function]
			if !ok {
				t.Fatalf("no expected status for %s's sample", rt.Function)
			}
			raw, err := os.ReadFile(filepath.Join(root, "events", kebab(rt.Function)+".json"))
			if err != nil {
				t.Fatalf("sample event: %v", err)
			}
			var e events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("sample event is not an API Gateway v2 event: %v", err)
			}
			if e.RouteKey != rt.Method+" "+rt.Path {
				t.Fatalf("sample routeKey %q, want %q", e.RouteKey, rt.Method+" "+rt.Path)
			}
			h := newHarness(t)
			sampleWorld(t, h)
			out, err := httpapi.Lambda(h.svc, rt.Function)(ctx, e)
			if err != nil || out.StatusCode != want {
				t.Fatalf("answered %d (err %v), want %d: %s", out.StatusCode, err, want, out.Body)
			}
		})
	}
}
