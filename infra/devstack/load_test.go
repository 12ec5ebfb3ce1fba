package devstack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
	"github.com/spiris/collab/internal/collab"
)

// Load run settings: requests of the mix (after the set-up requests), concurrent clients, and
// the extra customers (each with a task) the set-up creates so activations rarely collide.
const (
	loadRequests  = 2000
	loadClients   = 32
	loadCustomers = 20
	loadOffice    = "office-1"
)

// loadSolutions are the solutions activations cycle through.
var loadSolutions = []string{"bookkeeping", "financial-overview", "scanner", "tax-annual", "consolidated", "travel-expenses", "payroll"}

// TestLoadRun starts the local stack and sends it a mix of API requests from concurrent clients
// over real HTTP with bearer tokens, while its workers and schedule run: office overviews, single
// collaborations, activations across many customers and solutions, end checks, user and access
// lists, invitation pages and accepts. It reports latency percentiles and counts by status (test
// log, and load.json in the test's artifact directory) and fails on any 5xx or transport error.
// It asserts no timing.
func TestLoadRun(t *testing.T) {
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	errs := &errorLines{}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "load" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: errs})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()

	l := &loadRun{t: t, stack: stack, tokens: map[string]string{}, rng: rand.New(rand.NewPCG(1, 2)),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: loadClients,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}}
	l.companies = []loadCompany{{ID: "company-ett", Admin: "anna"}, {ID: "company-tva", Admin: "cilla"}}
	customers := []string{"1001", "1002", "1003"}
	tasks := map[string]string{"1001": "task-1001", "1002": "task-1002", "1003": "task-1003"}

	// Set-up, as the office administrator: customers and their tasks (Practice management's sync).
	began := time.Now()
	var setUp []func(rng *rand.Rand)
	for i := range loadCustomers {
		no := fmt.Sprint(3001 + i)
		customers, tasks[no] = append(customers, no), "task-"+no
		setUp = append(setUp, func(*rand.Rand) {
			l.do(ctx, "put_customer", "emp-admin", "PUT", "/offices/"+loadOffice+"/customers/"+no,
				fmt.Sprintf(`{"name":"Kund %s AB","orgNo":"559000-%s"}`, no, no))
			l.do(ctx, "put_task", "emp-admin", "PUT", "/offices/"+loadOffice+"/tasks/task-"+no,
				fmt.Sprintf(`{"customerNo":"%s","name":"Löpande bokföring","assignees":["emp-eva","emp-sam"]}`, no))
		})
	}
	l.run(setUp)
	// Activation slots, solution by solution across customers: concurrent activations then hit
	// different customers, and a customer's company exists before its next solution comes up.
	for _, s := range loadSolutions {
		for _, no := range customers {
			l.slots = append(l.slots, loadSlot{customer: no, task: tasks[no], solution: s})
		}
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(l.slots), func(i, j int) { l.slots[i], l.slots[j] = l.slots[j], l.slots[i] })

	mix := make([]func(rng *rand.Rand), loadRequests)
	for i := range mix {
		mix[i] = l.mixed
	}
	l.run(mix)
	elapsed := time.Since(began)

	rep := l.report(elapsed)
	t.Logf("%d requests (%d set-up, %d mixed) from %d clients in %s", rep.Requests, 2*loadCustomers, loadRequests, loadClients, elapsed.Round(time.Millisecond))
	t.Logf("latency p50 %.1f ms, p99 %.1f ms; by status %v", rep.P50ms, rep.P99ms, rep.ByStatus)
	for _, op := range sortedOps(rep.ByOp) {
		o := rep.ByOp[op]
		t.Logf("  %-20s %5d  p50 %7.1f ms  p99 %7.1f ms  %v %v", op, o.Count, o.P50ms, o.P99ms, o.ByStatus, o.ByError)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "load.json"), b, 0o644); err != nil {
		t.Error(err)
	}
	if lines := errs.lines(); len(lines) > 0 {
		t.Logf("the stack logged %d errors, the first: %s", len(lines), strings.Join(lines[:min(5, len(lines))], "\n"))
	}

	if rep.TransportErrors > 0 {
		t.Errorf("%d transport errors, e.g. %s", rep.TransportErrors, rep.FirstTransportError)
	}
	for status, n := range rep.ByStatus {
		if code, _ := strconv.Atoi(status); code >= 500 {
			t.Errorf("%d responses with status %s", n, status)
		}
	}
	if act := rep.ByOp["activate"]; act.ByStatus["409"]*2 >= act.Count {
		t.Errorf("%d of %d activations collided (409): the mix should keep them a minority", act.ByStatus["409"], act.Count)
	}
	if rep.ByOp["accept"].ByStatus["200"] == 0 || rep.ByOp["activate"].ByStatus["201"] == 0 {
		t.Errorf("the mix activated or accepted nothing: %+v", rep.ByOp)
	}
}

// loadRun is the shared state of the clients: tokens, what they created, what they measured.
type loadRun struct {
	t      *testing.T
	stack  *devstack.Stack
	client *http.Client
	rng    *rand.Rand // seeds each client's own generator

	mu        sync.Mutex
	tokens    map[string]string // user id → bearer token
	companies []loadCompany
	ids       []string     // collaborations created
	pending   []loadInvite // live invitations no client has accepted yet
	links     []string     // every invitation token, live or used
	slots     []loadSlot   // activations not yet tried
	results   []loadResult
}

type loadCompany struct{ ID, Admin string }

type loadInvite struct{ token, admin string }

type loadSlot struct{ customer, task, solution string }

type loadResult struct {
	op      string
	status  int    // 0: transport error
	code    string // the error code of a JSON error answer
	latency time.Duration
	err     string
}

// run runs the requests on loadClients concurrent clients, each taking the next one.
func (l *loadRun) run(requests []func(rng *rand.Rand)) {
	work := make(chan func(*rand.Rand))
	var wg sync.WaitGroup
	for range loadClients {
		l.mu.Lock()
		rng := rand.New(rand.NewPCG(l.rng.Uint64(), l.rng.Uint64()))
		l.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				r(rng)
			}
		}()
	}
	for _, r := range requests {
		work <- r
	}
	close(work)
	wg.Wait()
}

// mixed sends one request of the mix, chosen at random with these weights (per mille). The
// office overview is rare: the emulator answers a query of an index by reading the whole table, so
// a few of them cost more than all the other requests.
func (l *loadRun) mixed(rng *rand.Rand) {
	ctx := context.Background()
	switch p := rng.IntN(1000); {
	case p < 15:
		q := url.Values{}
		switch rng.IntN(4) {
		case 1:
			q.Set("status", []string{"pending", "active"}[rng.IntN(2)])
		case 2:
			q.Set("solution", loadSolutions[rng.IntN(len(loadSolutions))])
		case 3:
			q.Set("customerNo", fmt.Sprint(3001+rng.IntN(loadCustomers)))
		}
		l.do(ctx, "list_office", []string{"emp-admin", "emp-eva", "emp-sam"}[rng.IntN(3)], "GET", "/offices/"+loadOffice+"/collaborations?"+q.Encode(), "")
	case p < 195:
		if id, ok := l.pick(rng, &l.ids); ok {
			l.do(ctx, "get_collaboration", "emp-admin", "GET", "/collaborations/"+id, "")
			return
		}
		l.listUsers(ctx, rng)
	case p < 220:
		l.activate(ctx, rng)
	case p < 340:
		if id, ok := l.pick(rng, &l.ids); ok {
			l.do(ctx, "end_check", "emp-admin", "GET", "/collaborations/"+id+"/end-check?outcome="+
				[]string{"continue", "end_subscription"}[rng.IntN(2)], "")
			return
		}
		l.listUsers(ctx, rng)
	case p < 490:
		l.listUsers(ctx, rng)
	case p < 640:
		c := l.company(rng)
		l.do(ctx, "access_list", c.Admin, "GET", "/companies/"+c.ID+"/access", "")
	case p < 975:
		l.showInvitation(ctx, rng)
	default:
		l.mu.Lock()
		var inv loadInvite
		ok := len(l.pending) > 0
		if ok {
			i := rng.IntN(len(l.pending))
			inv = l.pending[i]
			l.pending = slices.Delete(l.pending, i, i+1)
		}
		l.mu.Unlock()
		if !ok {
			l.showInvitation(ctx, rng)
			return
		}
		l.do(ctx, "accept", inv.admin, "POST", "/invitations/"+inv.token+"/accept", "")
	}
}

func (l *loadRun) listUsers(ctx context.Context, rng *rand.Rand) {
	c := l.company(rng)
	l.do(ctx, "list_users", c.Admin, "GET", "/companies/"+c.ID+"/users", "")
}

// activate activates the next untried (customer, solution) as the employee on its task, and
// remembers the collaboration and its invitation link for the other requests.
func (l *loadRun) activate(ctx context.Context, rng *rand.Rand) {
	l.mu.Lock()
	if len(l.slots) == 0 {
		l.mu.Unlock()
		l.listUsers(ctx, rng)
		return
	}
	s := l.slots[0]
	l.slots = l.slots[1:]
	l.mu.Unlock()
	actor := "emp-eva" // on every task but 1003's
	if s.customer == "1003" {
		actor = "emp-admin"
	}
	months := ""
	if s.solution == "financial-overview" {
		months = `,"agreementMonths":12`
	}
	status, body := l.do(ctx, "activate", actor, "POST", "/offices/"+loadOffice+"/collaborations", fmt.Sprintf(
		`{"customerNo":"%s","solution":"%s","taskId":"%s","invoiceRecipient":"office","startPeriod":"%s"%s,`+
			`"contact":{"name":"Kontakt %s","email":"kontakt-%s@kund.example"}}`, s.customer, s.solution, s.task,
		l.stack.Service.Now().AddDate(0, 1, 0).Format("2006-01"), months, s.customer, s.customer))
	if status != http.StatusCreated {
		return
	}
	var v struct {
		Collaboration struct{ ID, CompanyID string }
		Scenario      string
	}
	if err := json.Unmarshal(body, &v); err != nil {
		l.t.Errorf("activation answer: %v", err)
		return
	}
	// The link's token, as the e-mail worker builds it (the test reads the table instead of
	// waiting for the mailbox), and the company's administrator who may accept it.
	store := l.stack.Store
	c, err := store.Collaboration(ctx, v.Collaboration.ID)
	if err != nil {
		l.t.Errorf("read back %s: %v", v.Collaboration.ID, err)
		return
	}
	inv, err := store.Invitation(ctx, c.Record().InvitationHash)
	if err != nil {
		l.t.Errorf("invitation of %s: %v", v.Collaboration.ID, err)
		return
	}
	_, key, err := l.stack.Service.TokenKeys.Current(ctx)
	if err != nil {
		l.t.Errorf("token key: %v", err)
		return
	}
	token := collab.InvitationToken(key, v.Collaboration.ID, inv.Nonce)
	company, err := store.Company(ctx, v.Collaboration.CompanyID)
	if err != nil || company.Company.MainContact == "" {
		l.t.Errorf("company of %s: %v", v.Collaboration.ID, err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, v.Collaboration.ID)
	l.links = append(l.links, token)
	l.pending = append(l.pending, loadInvite{token: token, admin: company.Company.MainContact})
	if v.Scenario == "new_company" {
		l.companies = append(l.companies, loadCompany{ID: v.Collaboration.CompanyID, Admin: company.Company.MainContact})
	}
}

func (l *loadRun) showInvitation(ctx context.Context, rng *rand.Rand) {
	token, ok := l.pick(rng, &l.links)
	if !ok {
		l.listUsers(ctx, rng)
		return
	}
	accept := []string{"application/json", "text/html"}[rng.IntN(2)]
	l.do(ctx, "invitation_page", "", "GET", "/invitations/"+token, "", "Accept", accept)
}

func (l *loadRun) pick(rng *rand.Rand, from *[]string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(*from) == 0 {
		return "", false
	}
	return (*from)[rng.IntN(len(*from))], true
}

func (l *loadRun) company(rng *rand.Rand) loadCompany {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.companies[rng.IntN(len(l.companies))]
}

// do sends one request as user (none when empty) and records its status and latency.
func (l *loadRun) do(ctx context.Context, op, as, method, path, body string, headers ...string) (int, []byte) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.stack.URL+path, r)
	if err != nil {
		l.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+l.token(as))
	}
	began := time.Now()
	resp, err := l.client.Do(req)
	var out []byte
	if err == nil {
		out, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	res := loadResult{op: op, latency: time.Since(began)}
	if err != nil {
		res.err = err.Error()
	} else {
		res.status = resp.StatusCode
		var e struct{ Error struct{ Code string } }
		if res.status >= 400 && json.Unmarshal(out, &e) == nil {
			res.code = e.Error.Code
		}
	}
	l.mu.Lock()
	l.results = append(l.results, res)
	l.mu.Unlock()
	return res.status, out
}

func (l *loadRun) token(sub string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tok, ok := l.tokens[sub]; ok {
		return tok
	}
	tok, err := l.stack.Token(sub)
	if err != nil {
		l.t.Fatal(err)
	}
	l.tokens[sub] = tok
	return tok
}

// loadReport is what load.json holds.
type loadReport struct {
	Requests            int                   `json:"requests"`
	Clients             int                   `json:"clients"`
	Seconds             float64               `json:"seconds"`
	P50ms               float64               `json:"p50Ms"`
	P99ms               float64               `json:"p99Ms"`
	ByStatus            map[string]int        `json:"byStatus"` // "0" counts transport errors
	TransportErrors     int                   `json:"transportErrors"`
	FirstTransportError string                `json:"firstTransportError,omitempty"`
	ByOp                map[string]loadOpStat `json:"byOperation"`
}

type loadOpStat struct {
	Count    int            `json:"count"`
	P50ms    float64        `json:"p50Ms"`
	P99ms    float64        `json:"p99Ms"`
	ByStatus map[string]int `json:"byStatus"`
	ByError  map[string]int `json:"byError,omitempty"` // "409 collaboration_exists"
}

func (l *loadRun) report(elapsed time.Duration) loadReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	rep := loadReport{Requests: len(l.results), Clients: loadClients, Seconds: elapsed.Seconds(),
		ByStatus: map[string]int{}, ByOp: map[string]loadOpStat{}}
	var all []time.Duration
	perOp := map[string][]time.Duration{}
	for _, r := range l.results {
		status := fmt.Sprint(r.status)
		rep.ByStatus[status]++
		if r.err != "" {
			rep.TransportErrors++
			if rep.FirstTransportError == "" {
				rep.FirstTransportError = r.err
			}
		}
		o := rep.ByOp[r.op]
		if o.ByStatus == nil {
			o.ByStatus = map[string]int{}
		}
		o.Count++
		o.ByStatus[status]++
		if r.code != "" {
			if o.ByError == nil {
				o.ByError = map[string]int{}
			}
			o.ByError[status+" "+r.code]++
		}
		rep.ByOp[r.op] = o
		all = append(all, r.latency)
		perOp[r.op] = append(perOp[r.op], r.latency)
	}
	rep.P50ms, rep.P99ms = percentile(all, 50), percentile(all, 99)
	for op, ds := range perOp {
		o := rep.ByOp[op]
		o.P50ms, o.P99ms = percentile(ds, 50), percentile(ds, 99)
		rep.ByOp[op] = o
	}
	return rep
}

// percentile returns the p-th percentile (nearest rank) in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return float64(s[max(i, 0)].Microseconds()) / 1000
}

func sortedOps(m map[string]loadOpStat) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// useLiveEmulator clears AWS_ENDPOINT_URL for this test when it names an emulator that no longer
// answers. localaws.Start points AWS_ENDPOINT_URL at the moto it starts and never unsets it, so
// after an earlier stack of this process closed (the browser test's), a new Start would take the
// stopped moto for an external emulator. A live endpoint (LocalStack) is left alone.
func useLiveEmulator(t *testing.T) {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err == nil {
		conn.Close()
		return
	}
	t.Logf("AWS_ENDPOINT_URL=%s does not answer (%v); starting a new emulator", endpoint, err)
	t.Setenv("AWS_ENDPOINT_URL", "")
}

// errorLines keeps the stack's ERROR log lines.
type errorLines struct {
	mu  sync.Mutex
	buf []string
}

func (e *errorLines) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(p))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	e.mu.Lock()
	defer e.mu.Unlock()
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=ERROR") {
			e.buf = append(e.buf, sc.Text())
		}
	}
	return len(p), nil
}

func (e *errorLines) lines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.buf)
}
