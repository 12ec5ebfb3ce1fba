package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/actions/port/memory"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/events"
	"github.com/spiris/collab/internal/mail"
)

var (
	ctx      = context.Background()
	tokenKey = []byte("test token key, at least 32 bytes long")
	start    = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
)

// The world every test starts from, as internal/httpapi's harness seeds it:
//   - customer 1001 is company co (administrator ca, the main contact, and user cu), which has
//     bookkeeping;
//   - customer 1002 is company co2 by organisation number only (administrator ca2), with no
//     subscriptions;
//   - customer 1003 is not a company here.
//
// Office employees: oa administrator; oe on the task of every customer; ox on no task. Strangers:
// o2, administrator of another office; c2a, administrator of another company (otherCo).
const (
	office, otherOffice = "office1", "office2"
	co, co2, otherCo    = "co1", "co2", "co3"
	orgNo2, orgNo3      = "5560000002", "5560000003"
	oa, oe, ox, o2      = "oa", "oe", "ox", "o2"
	ca, cu, ca2, c2a    = "ca", "cu", "ca2", "c2a"
)

// task returns the id of the task of a customer of the world.
func task(customerNo string) string { return "task" + customerNo }

// world is the service over an in-memory store seeded with the world, with a clock the test moves,
// the queue and the mailer recording what they are given.
type world struct {
	svc    *actions.Service
	store  *memory.Store
	queue  *queue
	mailer *mailer
	bus    *bus
	// silent says the solutions do not answer their teardown commands; by default drain
	// answers each done, as the solution's integration (a handover with its backup).
	silent bool
	mu     sync.Mutex
	now    time.Time
	ids    int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{store: memory.New(port.DefaultTiming), queue: &queue{}, mailer: &mailer{}, bus: &bus{}, now: start}
	w.svc = &actions.Service{Store: w.store, Queue: w.queue, Mailer: w.mailer, Bus: w.bus,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "https://collab.test",
		Now: w.clock, NewID: w.newID, TokenKeys: keys{}, InvitationTTL: actions.DefaultInvitationTTL,
		Integrations: actions.Integrations{"solutions-integration": collab.SolutionIDs(), "scanner-integration": {"scanner"}, "tax-annual-integration": {"tax-annual"}, "payroll-integration": {"payroll"}}}
	w.seed(t)
	return w
}

func (w *world) seed(t *testing.T) {
	t.Helper()
	tx := w.store.Tx()
	tx.PutOffice(collab.Office{ID: office, Name: "Byrå Ett"})
	tx.PutOffice(collab.Office{ID: otherOffice, Name: "Byrå Två"})
	for _, e := range []collab.Employee{
		{OfficeID: office, UserID: oa, Name: "Olle Admin", Email: "oa@office.test", Language: collab.Swedish, Role: collab.OfficeAdministrator},
		{OfficeID: office, UserID: oe, Name: "Eva Employee", Email: "oe@office.test", Language: collab.English, Role: collab.OfficeStaff},
		{OfficeID: office, UserID: ox, Name: "Xena Outsider", Email: "ox@office.test", Language: collab.Swedish, Role: collab.OfficeStaff},
		{OfficeID: otherOffice, UserID: o2, Name: "Other Office", Email: "o2@office.test", Language: collab.Swedish, Role: collab.OfficeAdministrator},
	} {
		tx.PutEmployee(e)
	}
	for no, c := range map[string]collab.Customer{
		"1001": {Name: "Ett AB", CompanyID: co},
		"1002": {Name: "Två AB", OrgNo: orgNo2},
		"1003": {Name: "Tre AB", OrgNo: orgNo3},
	} {
		c.OfficeID, c.No = office, no
		tx.PutCustomer(c)
		tx.PutTask(collab.Task{OfficeID: office, ID: task(no), CustomerNo: no, Name: "Löpande", Assignees: []string{oe}})
	}
	seedCompany(t, tx, co, "Ett AB", "", ca, cu)
	tx.PutSubscription(collab.Subscription{CompanyID: co, Solution: "bookkeeping", Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceCustomer})
	seedCompany(t, tx, co2, "Två AB", orgNo2, ca2, "")
	seedCompany(t, tx, otherCo, "Annat AB", "", c2a, "")
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func seedCompany(t *testing.T, tx *memory.Tx, id, name, orgNo, admin, plain string) {
	t.Helper()
	c := collab.Company{ID: id, Name: name, OrgNo: orgNo, CreatedAt: start}
	a := collab.User{CompanyID: id, ID: admin, Name: "Admin " + name, Email: admin + "@customer.test", Language: collab.Swedish, Role: collab.Administrator}
	c.AddUser(a)
	if err := c.SetMainContact(a); err != nil {
		t.Fatal(err)
	}
	tx.PutUser(a)
	if plain != "" {
		u := collab.User{CompanyID: id, ID: plain, Name: "User " + name, Email: plain + "@customer.test", Language: collab.English, Role: collab.RegularUser}
		c.AddUser(u)
		tx.PutUser(u)
	}
	tx.PutCompany(c)
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

func (w *world) newID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ids++
	return fmt.Sprintf("id%04d", w.ids)
}

func user(id string) actions.Caller { return actions.Caller{UserID: id} }

var (
	nobody      = actions.Caller{}
	integration = actions.Caller{Service: "arn:aws:iam::123456789012:role/solutions-integration"}
)

// codeOf is the error code of err, "" for no error.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return collab.ErrorCode(err)
}

// wantCode fails the test unless err has the code ("" for success).
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := codeOf(err); got != want {
		t.Fatalf("got error %q (%v), want %q", got, err, want)
	}
}

// keys is a static token key, at version "v1".
type keys struct{}

func (keys) Current(context.Context) (string, []byte, error) { return "v1", tokenKey, nil }
func (keys) Version(_ context.Context, v string) ([]byte, error) {
	if v != "" && v != "v1" {
		return nil, errors.New("unknown key version " + v)
	}
	return tokenKey, nil
}

// queue records the messages the service sends; fail, when set, makes every send fail.
type queue struct {
	mu   sync.Mutex
	sent []port.Message
	done int // how many of sent drain has run
	fail error
}

func (q *queue) Send(_ context.Context, m port.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.sent = append(q.sent, m)
	return nil
}

// jobs returns the jobs sent to a queue (actions.TeardownQueue or actions.EmailQueue) for a
// collaboration, oldest first.
func (q *queue) jobs(t *testing.T, kind, collaborationID string) []actions.Job {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []actions.Job
	for _, m := range q.sent {
		j := decodeJob(t, m)
		if m.Queue == kind && j.CollaborationID == collaborationID {
			out = append(out, j)
		}
	}
	return out
}

// emails returns the kinds of the e-mail jobs sent for a collaboration, oldest first.
func (q *queue) emails(t *testing.T, collaborationID string) []string {
	t.Helper()
	var out []string
	for _, j := range q.jobs(t, actions.EmailQueue, collaborationID) {
		out = append(out, j.Email)
	}
	return out
}

func decodeJob(t *testing.T, m port.Message) actions.Job {
	t.Helper()
	var j actions.Job
	if err := json.Unmarshal([]byte(m.Body), &j); err != nil {
		t.Fatalf("message %s is not a job: %v", m.ID, err)
	}
	if j.ID != m.ID || j.Kind != m.Queue {
		t.Fatalf("message %s on %s carries job %s of %s", m.ID, m.Queue, j.ID, j.Kind)
	}
	return j
}

// next returns the messages sent since the last call, for drain.
func (q *queue) next() []port.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := slices.Clone(q.sent[q.done:])
	q.done = len(q.sent)
	return out
}

// sentMail is one e-mail the mailer was given.
type sentMail struct {
	to, subject string
}

// bus records the events published.
type bus struct {
	mu        sync.Mutex
	published []events.Event
	commands  []events.Command // the teardown commands published and not yet answered (world.drain)
}

func (b *bus) Publish(_ context.Context, es []events.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.published = append(b.published, es...)
	for _, e := range es {
		if e.DetailType == events.TeardownCommand {
			var c events.Command
			if err := json.Unmarshal(e.Detail, &c); err != nil {
				return err
			}
			b.commands = append(b.commands, c)
		}
	}
	return nil
}

// takeCommands returns the commands published since the last call.
func (b *bus) takeCommands() []events.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.commands
	b.commands = nil
	return cs
}

// mailer records e-mails; reject refuses an address for good, fail makes every send fail.
type mailer struct {
	mu     sync.Mutex
	sent   []sentMail
	reject map[string]bool
	fail   error
}

func (m *mailer) Send(_ context.Context, to string, r mail.Rendered) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.fail != nil:
		return m.fail
	case m.reject[to]:
		return fmt.Errorf("%w: address blacklisted", mail.ErrRejected)
	}
	m.sent = append(m.sent, sentMail{to, r.Subject})
	return nil
}

// to returns how many e-mails went to an address.
func (m *mailer) to(address string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sent {
		if s.to == address {
			n++
		}
	}
	return n
}

func (m *mailer) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// drain runs the teardown and e-mail workers on every job sent until no new job comes, as the
// queues' event sources would; it returns the errors the workers returned.
func (w *world) drain(t *testing.T) []error {
	t.Helper()
	var errs []error
	for range 20 {
		ms := w.queue.next()
		if len(ms) == 0 && !w.answer(t) {
			return errs
		}
		for _, m := range ms {
			j := decodeJob(t, m)
			do := w.svc.Deliver
			if m.Queue == actions.TeardownQueue {
				do = w.svc.Teardown
			}
			if err := do(ctx, j); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.Fatal("the workers did not settle in 20 rounds")
	return nil
}

// answer acknowledges every teardown command published since the last answer done, as the
// solution's integration would, unless the world is silent; it reports whether it answered any.
func (w *world) answer(t *testing.T) bool {
	t.Helper()
	if w.silent {
		return false
	}
	cs := w.bus.takeCommands()
	for _, c := range cs {
		if _, err := w.svc.AcknowledgeTeardown(ctx, integration, c.CollaborationID, c.Step, doneInput(c.Step, w.clock())); err != nil {
			t.Fatalf("acknowledge %s of %s: %v", c.Step, c.CollaborationID, err)
		}
	}
	return len(cs) > 0
}

// doneInput is the answer done to a command of step: a handover's with its backup, downloadable
// for 30 days from now.
func doneInput(step string, now time.Time) actions.AcknowledgeInput {
	in := actions.AcknowledgeInput{Result: "done"}
	d := &actions.Download{URL: "https://solution.example/files/1", AvailableUntil: now.Add(30 * 24 * time.Hour).Format(time.RFC3339)}
	switch step {
	case string(collab.StepHandOverBackup):
		in.Backup = d
	case string(collab.StepExportData):
		in.Export = d
	}
	return in
}

// activation is the input the employee on the customer's task activates with.
func activation(customerNo, solution string) actions.ActivateInput {
	return actions.ActivateInput{CustomerNo: customerNo, Solution: solution, TaskID: task(customerNo),
		InvoiceRecipient: "office", StartPeriod: "2027-04"}
}

// activate activates a collaboration as the employee on the customer's task, and moves the clock
// on a second so activations have distinct times.
func (w *world) activate(t *testing.T, in actions.ActivateInput) string {
	t.Helper()
	defer w.advance(time.Second)
	v, err := w.svc.Activate(ctx, user(oe), office, in)
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	return v.CollaborationID()
}

// token returns the link of the newest invitation e-mail job of a collaboration.
func (w *world) token(t *testing.T, collaborationID string) string {
	t.Helper()
	var nonce string
	for _, j := range w.queue.jobs(t, actions.EmailQueue, collaborationID) {
		if j.Nonce != "" {
			nonce = j.Nonce
		}
	}
	if nonce == "" {
		t.Fatalf("no invitation e-mail queued for %s", collaborationID)
	}
	return collab.InvitationToken(tokenKey, collaborationID, nonce)
}

// active activates a collaboration of customer 1001 or 1002 and has its administrator accept it.
func (w *world) active(t *testing.T, customerNo, solution string) string {
	t.Helper()
	in := activation(customerNo, solution)
	if collab.Solutions[collab.Solution(solution)].HasAgreementPeriod() {
		in.AgreementMonths = 12
	}
	id := w.activate(t, in)
	admin := map[string]string{"1001": ca, "1002": ca2}[customerNo]
	if _, err := w.svc.Accept(ctx, user(admin), w.token(t, id)); err != nil {
		t.Fatalf("accept: %v", err)
	}
	return id
}

// collaboration returns a collaboration as stored.
func (w *world) collaboration(t *testing.T, id string) collab.CollaborationRecord {
	t.Helper()
	c, err := w.store.Collaboration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Record()
}

// company returns a company as stored, with its users, subscriptions, grants and facts.
func (w *world) company(t *testing.T, id string) port.CompanyView {
	t.Helper()
	v, err := w.store.Company(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// grantees returns who holds a grant in the company's solution, sorted.
func (w *world) grantees(t *testing.T, companyID string, solution collab.Solution) []string {
	t.Helper()
	var out []string
	for _, g := range w.company(t, companyID).Grants {
		if g.Solution == solution {
			out = append(out, g.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// portRefs names a customer of the office with its link, for reading it back.
func portRefs(customerNo string) port.OfficeRefs {
	return port.OfficeRefs{OfficeID: office, CustomerNo: customerNo}
}
