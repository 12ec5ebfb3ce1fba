package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/infra/eventsource"
	"github.com/spiris/collab/infra/iamcheck"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/identity/cognito"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/secrets"
	"github.com/spiris/collab/internal/worker"
)

var res *localaws.Resources

// recorder notes the AWS operations each function performs while the tests drive it; after a
// whole run TestMain checks them against the policies in template.yaml (iam_test.go).
var recorder = iamcheck.NewRecorder(localaws.LogicalID)

func TestMain(m *testing.M) {
	code := localaws.Main(m, &res)
	if wholeRun() && res != nil {
		code = max(code, checkPolicies())
	}
	os.Exit(code)
}

var (
	ctx = context.Background()
	// tokenKey mints the invitations tests write to the table themselves; the service mints
	// its own under the test's secret (harness.key).
	tokenKey = []byte("test token key, at least 32 bytes long")
	start    = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
)

// harness is the API over a real store and real queues in the emulator, with a clock the test
// moves. Each test gets its own world of ids, so tests share the table without seeing each other.
type harness struct {
	cfg    aws.Config
	sender string // this test's verified SES sender; its e-mails are told apart by it
	res    *localaws.Resources
	svc    *actions.Service
	store  *dynamo.Store
	sqs    *sqs.Client
	mu     sync.Mutex
	now    time.Time
	// solutions play the solutions' integrations in drain: they receive the teardown commands
	// from the bus and answer them (solutions_test.go).
	solutions solutions
}

// newHarness builds the harness; attach adds middleware of the test's own to the AWS
// configuration before any client is built (the round-trip counter).
func newHarness(t *testing.T, attach ...func(*aws.Config)) *harness {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	recorder.Attach(&cfg)
	for _, a := range attach {
		a(&cfg)
	}
	res := localaws.ForTest(t, localaws.WithoutRules) // the harness subscribes the solutions itself
	h := &harness{cfg: cfg, res: res, sqs: sqs.NewFromConfig(cfg), now: start, sender: "no-reply+" + res.Prefix + "@collab.test"}
	if err := localaws.VerifySender(ctx, cfg, h.sender); err != nil {
		t.Fatal(err)
	}
	h.svc = config.Service(config.Settings{Table: res.TableName("Table"), TeardownQueueURL: res.QueueURL("TeardownQueue"),
		EmailQueueURL: res.QueueURL("EmailQueue"), BaseURL: "https://collab.test", InvitationTTL: actions.DefaultInvitationTTL,
		Timing: port.DefaultTiming}, cfg)
	h.store = dynamo.New(dynamodb.NewFromConfig(cfg), res.TableName("Table"), noGrace)
	h.svc.Mailer = &sesmail.Mailer{Client: ses.NewFromConfig(cfg), From: h.sender}
	h.svc.Bus = bus.New(cfg, res.BusName("EventBus"))
	h.svc.Integrations["solutions-integration"] = collab.SolutionIDs()
	h.svc.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	h.svc.Metrics = nil // TestALifecycleCanBeFollowedInTheLogsAndIsCountedInTheMetrics counts them
	h.svc.Now = h.clock
	h.svc.TokenKeys = &perFunction{client: secretsmanager.NewFromConfig(cfg), secret: res.SecretARN("TokenKeySecret")}
	h.svc.Identity, h.svc.SignInURL = cognito.New(cfg, res.UserPoolID("UserPool")), signInURL
	h.subscribeSolutions(t) // with the harness's t, so the queue outlives a subtest that drains
	h.withTiming(noGrace)
	return h
}

// noGrace is the harness's timing: the defaults, without grace periods, so an end deletes or
// archives at once (grace_test.go runs with the default grace period).
var noGrace = func() port.Timing { t := port.DefaultTiming; t.GracePeriod = 0; return t }()

// withTiming makes the service's store decide time-driven work with timing.
func (h *harness) withTiming(timing port.Timing) {
	h.svc.Store = dynamo.New(dynamodb.NewFromConfig(h.cfg), h.res.TableName("Table"), timing)
}

// signInURL is the harness's sign-in page, where a first sign-in link leads.
const signInURL = "https://my.collab.test/sign-in"

// perFunction reads the token key as each function would in its own execution environment:
// one secrets.TokenKeys per function, so each one's first read reaches Secrets Manager (and the
// IAM check sees which functions read the secret).
type perFunction struct {
	client *secretsmanager.Client
	secret string
	mu     sync.Mutex
	keys   map[string]*secrets.TokenKeys
}

func (p *perFunction) of(ctx context.Context) *secrets.TokenKeys {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn := iamcheck.FunctionOf(ctx)
	if p.keys[fn] == nil {
		if p.keys == nil {
			p.keys = map[string]*secrets.TokenKeys{}
		}
		p.keys[fn] = secrets.New(p.client, p.secret)
	}
	return p.keys[fn]
}

func (p *perFunction) Current(ctx context.Context) (string, []byte, error) {
	return p.of(ctx).Current(ctx)
}

func (p *perFunction) Version(ctx context.Context, v string) ([]byte, error) {
	return p.of(ctx).Version(ctx, v)
}

// key returns the current invitation-token key of the test's secret, read as no function.
func (h *harness) key(t *testing.T) []byte {
	t.Helper()
	_, key, err := h.svc.TokenKeys.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

// The functions that run the workers and the cleanup, by their logical IDs in template.yaml.
const (
	fnTeardown = "TeardownWorkerFunction"
	fnDeliver  = "EmailWorkerFunction"
	fnCleanup  = "CleanupFunction"
)

// invoke returns the context the Lambda runtime hands an invocation of function: its request id
// and its ARN, which names the function (iamcheck.FunctionOf).
func invoke(function string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: rid("req"),
		InvokedFunctionArn: "arn:aws:lambda:" + localaws.DefaultRegion + ":123456789012:function:" + function})
}

// as runs a worker's action as an invocation of function.
func as(function string, do func(context.Context, actions.Job) error) func(context.Context, actions.Job) error {
	return func(c context.Context, j actions.Job) error {
		lc, _ := lambdacontext.FromContext(invoke(function))
		return do(lambdacontext.NewContext(c, lc), j)
	}
}

// response is what a handler answered.
type response struct {
	Status  int
	Headers map[string]string
	Raw     string
	JSON    map[string]any
}

// code returns the error code of an error response.
func (r response) code() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// str returns a string field of the response body by dotted path ("collaboration.id").
func (r response) str(path string) string {
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

// who is a caller: a user id, a service, or nobody.
type who = actions.Caller

var (
	nobody      = who{}
	integration = who{Service: "arn:aws:iam::123456789012:role/solutions-integration"}
)

func user(id string) who { return who{UserID: id} }

// call sends one request through the route's Lambda handler, as API Gateway would deliver it,
// and fails the test on a 5xx answer.
func (h *harness) call(t *testing.T, as who, method, target, body string, headers ...string) response {
	t.Helper()
	r, err := send(t, h.svc, as, method, target, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status >= 500 {
		t.Errorf("%s %s answered %d: %s", method, target, r.Status, r.Raw)
	}
	return r
}

// send runs one request through its route's handler on svc and checks the answer against the
// OpenAPI document. It returns an error when the request cannot be built or the handler fails
// or answers JSON that does not decode.
func send(t *testing.T, svc *actions.Service, as who, method, target, body string, headers ...string) (response, error) {
	t.Helper()
	rt, e, err := apigw.Event(as, method, target, body, headers...)
	if err != nil {
		return response{}, err
	}
	out, err := httpapi.Handle(svc, rt)(invoke(rt.Function+"Function"), e)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: handler returned error %v", method, target, err)
	}
	r := response{Status: out.StatusCode, Headers: out.Headers, Raw: out.Body}
	if strings.HasPrefix(out.Headers["Content-Type"], "application/json") {
		if err := json.Unmarshal([]byte(out.Body), &r.JSON); err != nil {
			return r, fmt.Errorf("%s %s: response is not JSON: %v\n%s", method, target, err, out.Body)
		}
	}
	validateResponse(t, method, rt.Path, r.Status, out.Headers, out.Body)
	return r, nil
}

// expect fails the test unless the response has the status (and, for errors, the code).
func expect(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.code() != code) {
		t.Fatalf("got %d %s, want %d %s\n%s", r.Status, r.code(), status, code, r.Raw)
	}
	if r.Status >= 400 {
		e, _ := r.JSON["error"].(map[string]any)
		if e["message"] == "" || e["fix"] == "" || e["message"] == nil || e["fix"] == nil {
			t.Fatalf("error without message or fix: %s", r.Raw)
		}
	}
}

func rid(prefix string) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// world is one office and its customers, and the companies behind them, seeded in the store:
//   - customer 1001 is company "co" (admin "ca" = main contact, user "cu"), which has bookkeeping;
//   - customer 1002 is company "co2" by organisation number only, with no subscriptions;
//   - customer 1003 is not a company here.
//
// Office employees: "oa" administrator; "oe" on the task of every customer; "ox" on no task.
// Strangers: "o2" employee of another office; "c2a" administrator of another company.
type world struct {
	office, otherOffice string
	co, co2, otherCo    string
	orgNo2              string
	task                map[string]string // customerNo → task id
	// user ids, unique per world
	oa, oe, ox, o2, ca, cu, c2a, ca2 string
}

func (h *harness) world(t *testing.T) world {
	t.Helper()
	w := world{office: rid("office"), otherOffice: rid("office"), co: rid("co"), co2: rid("co"), otherCo: rid("co"),
		orgNo2: rid("org"), task: map[string]string{},
		oa: rid("oa"), oe: rid("oe"), ox: rid("ox"), o2: rid("o2"), ca: rid("ca"), cu: rid("cu"), c2a: rid("c2a"), ca2: rid("ca2")}
	tx := h.store.Tx()
	tx.PutOffice(collab.Office{ID: w.office, Name: "Byrå Ett"})
	tx.PutOffice(collab.Office{ID: w.otherOffice, Name: "Byrå Två"})
	for _, e := range []collab.Employee{
		{OfficeID: w.office, UserID: w.oa, Name: "Olle Admin", Email: "oa@office.test", Role: collab.OfficeAdministrator},
		{OfficeID: w.office, UserID: w.oe, Name: "Eva Employee", Email: "oe@office.test", Role: collab.OfficeStaff},
		{OfficeID: w.office, UserID: w.ox, Name: "Xena Outsider", Email: "ox@office.test", Role: collab.OfficeStaff},
		{OfficeID: w.otherOffice, UserID: w.o2, Name: "Other Office", Email: "o2@office.test", Role: collab.OfficeAdministrator},
	} {
		tx.PutEmployee(e)
	}
	for no, c := range map[string]collab.Customer{
		"1001": {Name: "Ett AB", CompanyID: w.co},
		"1002": {Name: "Två AB", OrgNo: w.orgNo2},
		"1003": {Name: "Tre AB", OrgNo: rid("org")},
	} {
		c.OfficeID, c.No = w.office, no
		tx.PutCustomer(c)
		w.task[no] = rid("task")
		tx.PutTask(collab.Task{OfficeID: w.office, ID: w.task[no], CustomerNo: no, Name: "Löpande", Assignees: []string{w.oe}})
	}
	seedCompany(t, tx, w.co, "Ett AB", "", w.ca, w.cu)
	tx.PutSubscription(collab.Subscription{CompanyID: w.co, Solution: "bookkeeping", Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceCustomer})
	seedCompany(t, tx, w.co2, "Två AB", w.orgNo2, w.ca2, "")
	seedCompany(t, tx, w.otherCo, "Annat AB", "", w.c2a, "")
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return w
}

func seedCompany(t *testing.T, tx *dynamo.Tx, id, name, orgNo, admin, plain string) {
	t.Helper()
	c := collab.Company{ID: id, Name: name, OrgNo: orgNo, CreatedAt: start}
	a := collab.User{CompanyID: id, ID: admin, Name: "Admin " + name, Email: admin + "@customer.test", Language: collab.Swedish, Role: collab.Administrator}
	c.AddUser(a)
	if err := c.SetMainContact(a); err != nil {
		t.Fatal(err)
	}
	tx.PutCompany(c)
	tx.PutUser(a)
	if plain != "" {
		u := collab.User{CompanyID: id, ID: plain, Name: "User " + name, Email: plain + "@customer.test", Language: collab.English, Role: collab.RegularUser}
		c.AddUser(u)
		tx.PutUser(u)
	}
}

// activate activates a collaboration for a customer as the employee on its task.
func (h *harness) activate(t *testing.T, w world, customerNo, solution string, extra string) response {
	t.Helper()
	body := `{"customerNo":"` + customerNo + `","solution":"` + solution + `","taskId":"` + w.task[customerNo] +
		`","invoiceRecipient":"office","startPeriod":"2027-04"` + extra + `}`
	defer h.advance(time.Second) // so activations have distinct times, newest last
	return h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", body)
}

// jobs receives the jobs waiting on a queue for one collaboration, deleting them from the queue.
// Messages for other collaborations are left for their own tests.
func (h *harness) jobs(t *testing.T, queueID, collaborationID string) []actions.Job {
	t.Helper()
	return h.receiveJobs(t, queueID, 5, func(j actions.Job) bool { return j.CollaborationID == collaborationID })
}

// receiveJobs receives a queue's jobs in up to rounds receives, until it is empty: those take
// wants are deleted from the queue and returned, the others are made visible again at once.
func (h *harness) receiveJobs(t *testing.T, queueID string, rounds int, take func(actions.Job) bool) []actions.Job {
	t.Helper()
	var out []actions.Job
	url := h.res.QueueURL(queueID)
	for range rounds {
		got, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			break
		}
		for _, m := range got.Messages {
			var j actions.Job
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &j); err != nil {
				t.Fatalf("job on %s is not JSON: %v", queueID, err)
			}
			if !take(j) {
				h.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
				continue
			}
			out = append(out, j)
			h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return out
}

// token returns the link token of the newest invitation e-mail job for a collaboration.
func (h *harness) token(t *testing.T, collaborationID string) string {
	t.Helper()
	var nonce string
	for _, j := range h.jobs(t, "EmailQueue", collaborationID) {
		if j.Nonce != "" {
			nonce = j.Nonce
		}
	}
	if nonce == "" {
		t.Fatalf("no invitation e-mail queued for %s", collaborationID)
	}
	return collab.InvitationToken(h.key(t), collaborationID, nonce)
}

// active activates a collaboration and has the company's administrator accept it.
func (h *harness) active(t *testing.T, w world, customerNo, solution, extra string) string {
	t.Helper()
	r := h.activate(t, w, customerNo, solution, extra)
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	admin := map[string]string{"1001": w.ca, "1002": w.ca2}[customerNo]
	expect(t, h.call(t, user(admin), "POST", "/invitations/"+h.token(t, id)+"/accept", ""), 200, "")
	return id
}

// poller returns a poller feeding one of this test's queues to its worker, retrying failures at
// once.
func (h *harness) poller(queueID string) *eventsource.Poller {
	do := as(fnTeardown, h.svc.Teardown)
	if queueID == "EmailQueue" {
		do = as(fnDeliver, h.svc.Deliver)
	}
	now := time.Duration(0)
	return &eventsource.Poller{SQS: h.sqs, QueueURL: h.res.QueueURL(queueID), QueueARN: h.res.QueueARN(queueID), BatchSize: 10,
		Handler: worker.Handler(h.svc.Log, do), RetryAfter: &now}
}

// drain runs the teardown and e-mail workers, as their event source mappings would, until both
// queues are empty (or rounds run out, for messages that keep failing).
func (h *harness) drain(t *testing.T) {
	t.Helper()
	teardown, email := h.poller("TeardownQueue"), h.poller("EmailQueue")
	for range 20 {
		n1, err := teardown.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := email.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n3 := 0
		if n1 > 0 || h.solutions.unread { // only the teardown worker publishes commands
			n3 = h.answerCommands(t)
		}
		if n1+n2+n3 == 0 {
			return
		}
	}
}

// mails returns the e-mails this test's service sent, read back from the emulator's SES.
func (h *harness) mails(t *testing.T) []localaws.SentEmail {
	t.Helper()
	all, err := localaws.SentEmails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []localaws.SentEmail
	for _, m := range all {
		if m.From == h.sender {
			mine = append(mine, m)
		}
	}
	return mine
}

// mailsTo returns the subjects of this test's e-mails to one address.
func (h *harness) mailsTo(t *testing.T, address string) []string {
	t.Helper()
	var out []string
	for _, m := range h.mails(t) {
		for _, to := range m.To {
			if to == address {
				out = append(out, m.Subject)
			}
		}
	}
	return out
}

// awsHTTPClient is the SDK's default HTTP client, for wrapping with injected faults.
func awsHTTPClient() aws.HTTPClient { return awshttp.NewBuildableClient() }
