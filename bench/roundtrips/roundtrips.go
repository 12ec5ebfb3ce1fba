// Package roundtrips counts the AWS calls each action makes: every route of the API (with and
// without an Idempotency-Key where the route honours one), one message of each worker and one
// cleanup run. Each scenario sets up the state in which its request does its real work, then the
// request runs alone through the route's Lambda handler on clients that count their calls
// (bench/awscount), and the counts are compared with the targets of the performance issue.
package roundtrips

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/bench/awscount"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/worker"
)

// Target is the most calls an action should make; zero fields are not checked.
type Target struct {
	DynamoDB, SQS int
	Note          string // the target as the issue words it
}

// Targets of the issue: the state-changing actions users wait for most, and every read route.
var (
	writeTarget = &Target{DynamoDB: 2, SQS: 1, Note: "≤ 2 DynamoDB + 1 SQS"}
	readTarget  = &Target{DynamoDB: 2, Note: "1 query (+1 authorization)"}
)

// Scenario is one action measured in a state where it does its work.
type Scenario struct {
	Name   string  // the route's function name, or a worker's, with a variant in parentheses
	Target *Target // nil when the issue sets none
	// Alone asks for a table of its own (the cleanup reads everything due in the table).
	Alone bool
	// Setup prepares the state in a fresh world and returns the measured step, which reports
	// the HTTP status (0 for workers) and fails when the action did not succeed.
	Setup func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) `json:"-"`
}

// Result is what one scenario's measured step cost.
type Result struct {
	Scenario
	Status int
	Counts awscount.Counts
}

// Met reports whether the counts meet the scenario's target (true when it has none).
func (r Result) Met() bool {
	t := r.Target
	if t == nil {
		return true
	}
	return (t.DynamoDB == 0 || r.Counts.Service("DynamoDB") <= t.DynamoDB) && r.Counts.Service("SQS") <= max(t.SQS, 0)
}

// Measure runs one scenario: a new world, its setup, then the step alone under the counter.
func Measure(ctx context.Context, e *world.Env, s Scenario) (Result, error) {
	w, err := e.Seed(ctx)
	if err != nil {
		return Result{}, err
	}
	step, err := s.Setup(ctx, e, w)
	if err != nil {
		return Result{}, fmt.Errorf("%s: setup: %w", s.Name, err)
	}
	e.Counter.Reset()
	status, err := step(ctx)
	r := Result{Scenario: s, Status: status, Counts: e.Counter.Snapshot()}
	if err != nil {
		return r, fmt.Errorf("%s: %w", s.Name, err)
	}
	return r, nil
}

// Run measures every scenario in order, in environments from newEnv: one shared, and one of its
// own for each scenario that asks to be alone.
func Run(ctx context.Context, newEnv func(context.Context) (*world.Env, error)) ([]Result, error) {
	shared, err := newEnv(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, s := range Scenarios() {
		e := shared
		if s.Alone {
			if e, err = newEnv(ctx); err != nil {
				return out, err
			}
		}
		r, err := Measure(ctx, e, s)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// request is a step that sends one HTTP request and expects a status.
func request(e *world.Env, status int, as actions.Caller, method, target, body string, headers ...string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		r, err := e.Expect(ctx, status, as, method, target, body, headers...)
		return r.Status, err
	}
}

// Scenarios lists every measured action: each route (idempotent ones also with an
// Idempotency-Key), each worker's message and one cleanup run.
func Scenarios() []Scenario {
	var out []Scenario
	for _, s := range routes() {
		rt, _ := httpapi.RouteOf(s.route)
		s.Scenario.Name = s.route + s.variant
		if rt.Method == http.MethodGet {
			s.Target = readTarget
		}
		if s.writeTarget {
			s.Target = writeTarget
		}
		out = append(out, s.Scenario)
		if rt.Idempotent {
			keyed := s.Scenario
			keyed.Name = s.route + s.variant + " + Idempotency-Key"
			setup := s.Setup
			keyed.Setup = func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
				w.IdempotencyKey = world.ID("key")
				return setup(ctx, e, w)
			}
			out = append(out, keyed)
		}
	}
	return append(out, workers()...)
}

type route struct {
	route, variant string
	writeTarget    bool
	Scenario
}

// key returns the Idempotency-Key header of a world that has one.
func key(w world.World) []string {
	if w.IdempotencyKey == "" {
		return nil
	}
	return []string{"Idempotency-Key", w.IdempotencyKey}
}

func routes() []route {
	type setup = func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error)
	r := func(name, variant string, write bool, s setup) route {
		return route{route: name, variant: variant, writeTarget: write, Scenario: Scenario{Setup: s}}
	}
	active := func(solution, extra string) func(ctx context.Context, e *world.Env, w world.World) (string, error) {
		return func(ctx context.Context, e *world.Env, w world.World) (string, error) {
			return e.Active(ctx, w, solution, extra)
		}
	}
	// activate is Practice management activating for customer 1001, company Co, which has
	// bookkeeping; withCompany sends the companyId the office's customer view shows.
	activate := func(solution string, withCompany bool) setup {
		return func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			company := ""
			if withCompany {
				company = `,"companyId":"` + w.Co + `"`
			}
			return request(e, 201, world.User(w.OE), "POST", "/offices/"+w.Office+"/collaborations",
				`{"customerNo":"1001"`+company+`,"solution":"`+solution+`","taskId":"`+w.Task["1001"]+
					`","invoiceRecipient":"office","startPeriod":"2027-04"}`, key(w)...), nil
		}
	}
	pending := func(ctx context.Context, e *world.Env, w world.World) (string, string, error) {
		id, err := e.Activate(ctx, w, "1001", "scanner", "")
		if err != nil {
			return "", "", err
		}
		token, err := e.Token(id)
		return id, token, err
	}
	return []route{
		r("PutEmployee", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.User(w.OA), "PUT", "/offices/"+w.Office+"/employees/"+world.ID("emp"),
				`{"name":"Ny Anställd","email":"ny@office.test","language":"sv","role":"employee"}`), nil
		}),
		r("PutCustomer", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.User(w.OA), "PUT", "/offices/"+w.Office+"/customers/2001", `{"name":"Fyra AB","orgNo":"556000-2001"}`), nil
		}),
		r("PutTask", " (assignee added, 1 active collaboration)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			if _, err := e.Active(ctx, w, "bookkeeping", ""); err != nil {
				return nil, err
			}
			return request(e, 200, world.User(w.OA), "PUT", "/offices/"+w.Office+"/tasks/"+w.Task["1001"],
				`{"customerNo":"1001","name":"Löpande","assignees":["`+w.OE+`","`+w.OA+`"]}`), nil
		}),
		r("Activate", " (existing company, new solution)", true, activate("scanner", true)),
		r("Activate", " (existing company, existing solution)", true, activate("bookkeeping", true)),
		// A client that does not send the customer's companyId: no target, for comparison.
		r("Activate", " (existing company, new solution, no companyId)", false, activate("scanner", false)),
		// Customer 1002 was synced before its company existed, so it is not linked: Activate finds
		// the company by organisation number (once; it links the customer). No target.
		r("Activate", " (customer not linked yet, company found by organisation number)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 201, world.User(w.OE), "POST", "/offices/"+w.Office+"/collaborations",
				`{"customerNo":"1002","solution":"scanner","taskId":"`+w.Task["1002"]+`","invoiceRecipient":"office","startPeriod":"2027-04"}`, key(w)...), nil
		}),
		r("Activate", " (new company)", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 201, world.User(w.OE), "POST", "/offices/"+w.Office+"/collaborations",
				`{"customerNo":"1003","solution":"scanner","taskId":"`+w.Task["1003"]+`","invoiceRecipient":"office","startPeriod":"2027-04",`+
					`"contact":{"name":"Tre Admin","email":"admin@tre.test","language":"sv"}}`, key(w)...), nil
		}),
		r("ListOfficeCollaborations", " (3 collaborations)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			for _, no := range []string{"1001", "1002", "1003"} {
				extra := ""
				if no == "1003" {
					extra = `,"contact":{"name":"Tre Admin","email":"admin@tre.test","language":"sv"}`
				}
				if _, err := e.Activate(ctx, w, no, "scanner", extra); err != nil {
					return nil, err
				}
			}
			return request(e, 200, world.User(w.OE), "GET", "/offices/"+w.Office+"/collaborations", ""), nil
		}),
		r("Resend", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, _, err := pending(ctx, e, w)
			return request(e, 200, world.User(w.OE), "POST", "/collaborations/"+id+"/resend", "", key(w)...), err
		}),
		r("Withdraw", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, _, err := pending(ctx, e, w)
			return request(e, 200, world.User(w.OE), "POST", "/collaborations/"+id+"/withdraw", "", key(w)...), err
		}),
		r("Link", " (imported without a task)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			now := e.Clock.Now()
			id := world.ID("c")
			c := collab.RestoreCollaboration(collab.CollaborationRecord{ID: id, OfficeID: w.Office, CustomerNo: "1001", CompanyID: w.Co,
				Solution: "tax-annual", Status: collab.Active, Scenario: collab.ExistingSolution, InvoiceRecipient: collab.InvoiceOffice,
				CreatedAt: now, UpdatedAt: now})
			if err := e.Store.Import(ctx, []*collab.Collaboration{c}); err != nil {
				return nil, err
			}
			return request(e, 200, world.User(w.OE), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+w.Task["1001"]+`"}`, key(w)...), nil
		}),
		r("Renew", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("financial-overview", `,"agreementMonths":12`)(ctx, e, w)
			return request(e, 200, world.User(w.OE), "POST", "/collaborations/"+id+"/renew", `{"months":12}`, key(w)...), err
		}),
		r("ShowInvitation", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			_, token, err := pending(ctx, e, w)
			return request(e, 200, actions.Caller{}, "GET", "/invitations/"+token, ""), err
		}),
		r("Accept", "", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			_, token, err := pending(ctx, e, w)
			return request(e, 200, world.User(w.CA), "POST", "/invitations/"+token+"/accept", "", key(w)...), err
		}),
		r("Decline", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			_, token, err := pending(ctx, e, w)
			return request(e, 200, world.User(w.CA), "POST", "/invitations/"+token+"/decline", "", key(w)...), err
		}),
		r("ListCompanyCollaborations", " (2 collaborations)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			if _, err := active("bookkeeping", "")(ctx, e, w); err != nil {
				return nil, err
			}
			_, _, err := pending(ctx, e, w)
			return request(e, 200, world.User(w.CA), "GET", "/companies/"+w.Co+"/collaborations", ""), err
		}),
		r("ListUsers", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.User(w.CA), "GET", "/companies/"+w.Co+"/users", ""), nil
		}),
		r("CreateUser", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 201, world.User(w.CA), "POST", "/companies/"+w.Co+"/users",
				`{"name":"Ny Användare","email":"ny@customer.test","language":"sv","role":"user"}`, key(w)...), nil
		}),
		r("ChangeRole", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.User(w.CA), "PATCH", "/companies/"+w.Co+"/users/"+w.CU, `{"role":"administrator"}`), nil
		}),
		r("SetMainContact", "", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.User(w.CA), "PUT", "/companies/"+w.Co+"/main-contact", `{"userId":"`+w.CA2+`"}`), nil
		}),
		r("Access", " (1 active collaboration)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			_, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 200, world.User(w.CA), "GET", "/companies/"+w.Co+"/access", ""), err
		}),
		r("ReportFacts", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			return request(e, 200, world.Integration, "PUT", "/companies/"+w.Co+"/solutions/payroll/status",
				`{"customerIsPayrollUser":true,"lastSyncAt":"2027-01-02T10:00:00Z","lastChangeAt":"2027-01-01T10:00:00Z"}`), nil
		}),
		r("GetCollaboration", " (company user)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 200, world.User(w.CA), "GET", "/collaborations/"+id, ""), err
		}),
		r("GetCollaboration", " (office employee on the task)", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 200, world.User(w.OE), "GET", "/collaborations/"+id, ""), err
		}),
		r("EndCheck", "", false, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 200, world.User(w.CA), "GET", "/collaborations/"+id+"/end-check?outcome=continue", ""), err
		}),
		r("End", " (company administrator)", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 202, world.User(w.CA), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`, key(w)...), err
		}),
		r("End", " (office employee on the task)", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 202, world.User(w.OE), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`, key(w)...), err
		}),
		r("End", " (office administrator, not on the task)", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 202, world.User(w.OA), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`, key(w)...), err
		}),
		r("End", " (office employee on another task of the customer)", true, func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := active("bookkeeping", "")(ctx, e, w)
			return request(e, 202, world.User(w.OT), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`, key(w)...), err
		}),
	}
}

// workers measures one message of each worker and one cleanup run.
func workers() []Scenario {
	job := func(e *world.Env, queue, collaborationID, email string) (actions.Job, error) {
		var found actions.Job
		for _, m := range e.Sent.Jobs() {
			var j actions.Job
			if json.Unmarshal([]byte(m.Body), &j) == nil && j.Kind == queue && j.CollaborationID == collaborationID && (email == "" || j.Email == email) {
				found = j
			}
		}
		if found.ID == "" {
			return found, fmt.Errorf("no %s job %s queued for %s", queue, email, collaborationID)
		}
		return found, nil
	}
	handle := func(e *world.Env, j actions.Job) func(context.Context) (int, error) {
		do := e.Svc.Teardown
		if j.Kind == actions.EmailQueue {
			do = e.Svc.Deliver
		}
		return func(ctx context.Context) (int, error) {
			body, _ := json.Marshal(j)
			resp, err := worker.Handler(e.Svc.Log, do)(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body)}}})
			if err == nil && len(resp.BatchItemFailures) > 0 {
				err = fmt.Errorf("the message failed")
			}
			return 0, err
		}
	}
	ended := func(ctx context.Context, e *world.Env, w world.World) (string, error) {
		id, err := e.Active(ctx, w, "bookkeeping", "")
		if err == nil {
			_, err = e.Expect(ctx, 202, world.User(w.CA), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`)
		}
		return id, err
	}
	return []Scenario{
		{Name: "teardown-worker (1 message: continue, the first stage)", Setup: func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := ended(ctx, e, w)
			if err != nil {
				return nil, err
			}
			j, err := job(e, actions.TeardownQueue, id, "")
			return handle(e, j), err
		}},
		{Name: "email-worker (1 invitation, 2 administrators)", Setup: func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := e.Activate(ctx, w, "1001", "scanner", "")
			if err != nil {
				return nil, err
			}
			j, err := job(e, actions.EmailQueue, id, actions.EmailInvitation)
			return handle(e, j), err
		}},
		{Name: "email-worker (1 ended e-mail, 3 recipients)", Setup: func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := ended(ctx, e, w)
			if err != nil {
				return nil, err
			}
			t, err := job(e, actions.TeardownQueue, id, "")
			if err != nil {
				return nil, err
			}
			if _, err := handle(e, t)(ctx); err != nil {
				return nil, err
			}
			for _, step := range []string{"revoke_office_access", "transfer_billing"} { // the solution's part
				if _, err := e.Expect(ctx, 200, world.Integration, "POST", "/collaborations/"+id+"/teardown/"+step, `{"result":"done"}`); err != nil {
					return nil, err
				}
			}
			if t, err = job(e, actions.TeardownQueue, id, ""); err != nil { // the last stage, queued last
				return nil, err
			}
			if _, err := handle(e, t)(ctx); err != nil {
				return nil, err
			}
			j, err := job(e, actions.EmailQueue, id, actions.EmailEnded)
			return handle(e, j), err
		}},
		{Name: "cleanup (1 invitation expired)", Alone: true, Setup: func(ctx context.Context, e *world.Env, w world.World) (func(context.Context) (int, error), error) {
			id, err := e.Activate(ctx, w, "1001", "scanner", "")
			if err != nil {
				return nil, err
			}
			j, err := job(e, actions.EmailQueue, id, actions.EmailInvitation)
			if err != nil {
				return nil, err
			}
			if _, err := handle(e, j)(ctx); err != nil { // consumed, so its outbox item is not due
				return nil, err
			}
			e.Clock.Advance(actions.DefaultInvitationTTL + time.Hour)
			return func(ctx context.Context) (int, error) {
				rep, err := e.Svc.Cleanup(ctx)
				if err == nil && rep.InvitationsDead < 1 {
					err = fmt.Errorf("the cleanup expired no invitation: %+v", rep)
				}
				return 0, err
			}, nil
		}},
	}
}
