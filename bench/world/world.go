package world

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// World is one office and the companies behind its customers, with unique ids:
//   - customer 1001 is company Co (administrators CA, the main contact, and CA2; user CU), which
//     has bookkeeping;
//   - customer 1002 is company Co2, found by organisation number only;
//   - customer 1003 is not a company yet.
//
// Office employees: OA the administrator, OE on the task of every customer, OT on a second task
// of customer 1001 only.
type World struct {
	Office          string
	Co, Co2         string
	Task            map[string]string // customer number → task id
	OA, OE, OT      string
	CA, CA2, CU     string
	Co2Admin, OrgNo string
	// IdempotencyKey, when set, is sent with the requests that honour one.
	IdempotencyKey string
}

// ID returns a random id with a readable prefix.
func ID(prefix string) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Seed writes a new world into the store.
func (e *Env) Seed(ctx context.Context) (World, error) {
	w := World{Office: ID("office"), Co: ID("co"), Co2: ID("co"), Task: map[string]string{},
		OA: ID("oa"), OE: ID("oe"), OT: ID("ot"), CA: ID("ca"), CA2: ID("ca2"), CU: ID("cu"), Co2Admin: ID("ca"), OrgNo: ID("org")}
	now := e.Clock.Now()
	tx := e.Store.Tx()
	tx.PutOffice(collab.Office{ID: w.Office, Name: "Byrå Ett"})
	tx.PutEmployee(collab.Employee{OfficeID: w.Office, UserID: w.OA, Name: "Olle Admin", Email: "oa@office.test", Language: collab.Swedish, Role: collab.OfficeAdministrator})
	tx.PutEmployee(collab.Employee{OfficeID: w.Office, UserID: w.OE, Name: "Eva Employee", Email: "oe@office.test", Language: collab.Swedish, Role: collab.OfficeStaff})
	tx.PutEmployee(collab.Employee{OfficeID: w.Office, UserID: w.OT, Name: "Tore Payroll", Email: "ot@office.test", Language: collab.Swedish, Role: collab.OfficeStaff})
	tx.PutTask(collab.Task{OfficeID: w.Office, ID: ID("task"), CustomerNo: "1001", Name: "Lön", Assignees: []string{w.OT}})
	for no, c := range map[string]collab.Customer{
		"1001": {Name: "Ett AB", CompanyID: w.Co},
		"1002": {Name: "Två AB", OrgNo: w.OrgNo},
		"1003": {Name: "Tre AB", OrgNo: ID("org")},
	} {
		c.OfficeID, c.No = w.Office, no
		tx.PutCustomer(c)
		w.Task[no] = ID("task")
		tx.PutTask(collab.Task{OfficeID: w.Office, ID: w.Task[no], CustomerNo: no, Name: "Löpande", Assignees: []string{w.OE}})
	}
	if err := company(tx, w.Co, "Ett AB", "", now, []collab.User{
		{ID: w.CA, Role: collab.Administrator}, {ID: w.CA2, Role: collab.Administrator}, {ID: w.CU, Role: collab.RegularUser}}); err != nil {
		return w, err
	}
	tx.PutSubscription(collab.Subscription{CompanyID: w.Co, Solution: "bookkeeping", Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceCustomer})
	if err := company(tx, w.Co2, "Två AB", w.OrgNo, now, []collab.User{{ID: w.Co2Admin, Role: collab.Administrator}}); err != nil {
		return w, err
	}
	if err := tx.Commit(ctx); err != nil {
		return w, fmt.Errorf("world: seed: %w", err)
	}
	return w, nil
}

// company puts a company whose first user is its main contact.
func company(tx interface {
	PutCompany(collab.Company)
	PutUser(collab.User)
}, id, name, orgNo string, now time.Time, users []collab.User) error {
	c := collab.Company{ID: id, Name: name, OrgNo: orgNo, CreatedAt: now}
	for i, u := range users {
		u.CompanyID, u.Name, u.Email, u.Language, u.CreatedAt = id, "User "+u.ID, u.ID+"@customer.test", collab.Swedish, now
		c.AddUser(u)
		if i == 0 {
			if err := c.SetMainContact(u); err != nil {
				return err
			}
		}
		tx.PutUser(u)
	}
	tx.PutCompany(c)
	return nil
}

// Response is what a handler answered, with its JSON body decoded.
type Response struct {
	Status int
	Body   string
	JSON   map[string]any
}

// Str returns a string field of the body by dotted path ("collaboration.id").
func (r Response) Str(path string) string {
	var v any = r.JSON
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// User is a signed-in user as a caller; Integration a solution integration.
func User(id string) actions.Caller { return actions.Caller{UserID: id} }

// Integration is a solution integration signing with its IAM role.
var Integration = actions.Caller{Service: "arn:aws:iam::123456789012:role/solutions-integration"}

// Call sends one request through its route's Lambda handler.
func (e *Env) Call(ctx context.Context, as actions.Caller, method, target, body string, headers ...string) (Response, error) {
	rt, ev, err := apigw.Event(as, method, target, body, headers...)
	if err != nil {
		return Response{}, fmt.Errorf("world: %w", err)
	}
	out, err := httpapi.Handle(e.Svc, rt)(ctx, ev)
	if err != nil {
		return Response{}, fmt.Errorf("world: %s %s: %w", method, target, err)
	}
	r := Response{Status: out.StatusCode, Body: out.Body}
	if strings.HasPrefix(out.Headers["Content-Type"], "application/json") {
		json.Unmarshal([]byte(out.Body), &r.JSON)
	}
	return r, nil
}

// Expect sends a request like Call and fails unless it is answered with status.
func (e *Env) Expect(ctx context.Context, status int, as actions.Caller, method, target, body string, headers ...string) (Response, error) {
	r, err := e.Call(ctx, as, method, target, body, headers...)
	if err == nil && r.Status != status {
		err = fmt.Errorf("world: %s %s answered %d, want %d: %s", method, target, r.Status, status, r.Body)
	}
	return r, err
}

// Activate activates a collaboration for a customer as the employee on its task and returns its
// id. extra is appended to the JSON body (`,"agreementMonths":12`).
func (e *Env) Activate(ctx context.Context, w World, customerNo, solution, extra string) (string, error) {
	body := `{"customerNo":"` + customerNo + `","solution":"` + solution + `","taskId":"` + w.Task[customerNo] +
		`","invoiceRecipient":"office","startPeriod":"2027-04"` + extra + `}`
	defer e.Clock.Advance(time.Second) // distinct creation times, newest last
	r, err := e.Expect(ctx, 201, User(w.OE), "POST", "/offices/"+w.Office+"/collaborations", body)
	if err != nil {
		return "", fmt.Errorf("activate: %w", err)
	}
	return r.Str("collaboration.id"), nil
}

// Token returns the link token of the newest invitation queued for a collaboration.
func (e *Env) Token(collaborationID string) (string, error) {
	var nonce string
	for _, m := range e.Sent.Jobs() {
		var j actions.Job
		if json.Unmarshal([]byte(m.Body), &j) == nil && j.CollaborationID == collaborationID && j.Nonce != "" {
			nonce = j.Nonce
		}
	}
	if nonce == "" {
		return "", fmt.Errorf("world: no invitation queued for %s", collaborationID)
	}
	_, key, err := e.Svc.TokenKeys.Current(context.Background())
	if err != nil {
		return "", fmt.Errorf("world: %w", err)
	}
	return collab.InvitationToken(key, collaborationID, nonce), nil
}

// Active activates a collaboration for customer 1001 (company Co) and has its administrator
// accept it.
func (e *Env) Active(ctx context.Context, w World, solution, extra string) (string, error) {
	id, err := e.Activate(ctx, w, "1001", solution, extra)
	if err != nil {
		return "", err
	}
	token, err := e.Token(id)
	if err != nil {
		return "", err
	}
	if _, err := e.Expect(ctx, 200, User(w.CA), "POST", "/invitations/"+token+"/accept", ""); err != nil {
		return "", fmt.Errorf("accept: %w", err)
	}
	return id, nil
}
