package devstack_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
	"github.com/spiris/collab/infra/solutions"
	"github.com/spiris/collab/internal/collab"
)

// solutionDelay is how long the simulated solutions take to answer in the end-to-end test: every
// step of a teardown waits at least this long for its acknowledgement.
const solutionDelay = 700 * time.Millisecond

// endWorld is a seed of two companies, customers of office-1, each subscribed to every solution
// through an active collaboration imported from the older tool: company-a's to be ended with
// end_subscription, company-b's with continue (where the solution allows it).
func endWorld(t *testing.T) (file string, ends []plannedEnd) {
	t.Helper()
	type company struct {
		ID            string              `json:"id"`
		Name          string              `json:"name"`
		OrgNo         string              `json:"orgNo"`
		MainContact   string              `json:"mainContact"`
		Users         []map[string]string `json:"users"`
		Subscriptions []map[string]string `json:"subscriptions"`
	}
	seed := map[string]any{}
	var companies []company
	var customers, imported []map[string]string
	for i, c := range []struct{ id, admin string }{{"company-a", "ada"}, {"company-b", "bea"}} {
		no := fmt.Sprintf("200%d", i+1)
		customers = append(customers, map[string]string{"customerNo": no, "name": "Company " + no, "orgNo": "556100-" + no, "companyId": c.id})
		co := company{ID: c.id, Name: "Company " + no, OrgNo: "556100-" + no, MainContact: c.admin,
			Users: []map[string]string{{"id": c.admin, "name": "Admin " + no, "email": c.admin + "@" + c.id + ".example", "language": "en", "role": "administrator"}}}
		for id, rules := range collab.Solutions {
			outcome := collab.EndSubscription
			if i == 1 {
				outcome = collab.Continue
			}
			if !rules.Allows(outcome) {
				continue
			}
			co.Subscriptions = append(co.Subscriptions, map[string]string{"solution": string(id), "status": "active", "invoiceRecipient": "office"})
			collabID := "end-" + c.id + "-" + string(id)
			imported = append(imported, map[string]string{"id": collabID, "officeId": "office-1", "customerNo": no, "companyId": c.id,
				"solution": string(id), "invoiceRecipient": "office"})
			ends = append(ends, plannedEnd{id: collabID, solution: id, outcome: outcome, admin: c.admin, email: c.admin + "@" + c.id + ".example"})
		}
		companies = append(companies, co)
	}
	seed["offices"] = []map[string]any{{"id": "office-1", "name": "Byrån AB",
		"employees": []map[string]string{{"userId": "emp-1", "name": "Eva Ek", "email": "eva@byran.example", "language": "en", "role": "administrator"}},
		"customers": customers}}
	seed["companies"] = companies
	seed["imported"] = imported
	b, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "ends.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, ends
}

type plannedEnd struct {
	id       string
	solution collab.Solution
	outcome  collab.Outcome
	admin    string
	email    string
}

// collaborationState is what the test reads of GET /collaborations/{id}.
type collaborationState struct {
	Status   string `json:"status"`
	Teardown *struct {
		Steps     []string `json:"steps"`
		Done      []string `json:"done"`
		WaitingOn string   `json:"waitingOn"`
		Failure   string   `json:"failure"`
		Backup    *struct {
			URL string `json:"url"`
		} `json:"backup"`
	} `json:"teardown"`
	History []struct {
		At time.Time `json:"at"`
		To string    `json:"to"`
	} `json:"history"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// TestEverySolutionEndsOnlyAfterItAcknowledgedItsCommands ends a collaboration of every solution
// with every outcome it allows, in the in-process stack with its simulated solutions, end to end
// through the emulator's EventBridge rules and SQS targets: an end refused for missing facts is
// answered by the solution (FactsRequested, then its facts) and goes through on a retry; the
// collaboration is ending, waiting on each step of its teardown in turn, until the solution
// acknowledged that step through the IAM route, signed; it is ended only once every step is
// acknowledged, no sooner than the solution's delay per step after the end. Payroll's handover
// e-mail comes after its acknowledgement and names the backup link, which downloads.
func TestEverySolutionEndsOnlyAfterItAcknowledgedItsCommands(t *testing.T) {
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	file, ends := endWorld(t)
	logs := &logLines{}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "sim" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: logs, SeedFile: file, SolutionDelay: solutionDelay, NoGrace: true}) // grace periods: internal/httpapi/grace_test.go
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	tokens := map[string]string{}
	for _, a := range []string{"ada", "bea"} {
		if tokens[a], err = stack.Token(a); err != nil {
			t.Fatal(err)
		}
	}
	call := func(token, method, path, body string) (int, collaborationState) {
		req, _ := http.NewRequestWithContext(ctx, method, stack.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, collaborationState{}
		}
		defer resp.Body.Close()
		var out collaborationState
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	t.Run("a_simulated_solution_is_switched_through_the_local_page", func(t *testing.T) {
		post := func(path, body string) int {
			resp, err := http.Post(stack.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := post("/_local/solutions/scanner", `{"mode":"silent"}`); got != http.StatusOK || stack.Solutions.ModeOf("scanner") != "silent" {
			t.Errorf("switching scanner to silent: %d, mode %s", got, stack.Solutions.ModeOf("scanner"))
		}
		if got := post("/_local/solutions/scanner", `{"mode":"sometimes"}`); got != http.StatusUnprocessableEntity {
			t.Errorf("an unknown mode: %d, want 422", got)
		}
		if got := post("/_local/solutions/fax", `{"mode":"fail"}`); got != http.StatusNotFound {
			t.Errorf("an unknown solution: %d, want 404", got)
		}
		if got := post("/_local/solutions/scanner", `{"mode":"answer"}`); got != http.StatusOK || stack.Solutions.ModeOf("scanner") != "answer" {
			t.Errorf("switching scanner back: %d, mode %s", got, stack.Solutions.ModeOf("scanner"))
		}
	})

	var wg sync.WaitGroup
	for _, e := range ends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			endOne(t, ctx, stack, logs, e, func(method, path, body string) (int, collaborationState) {
				return call(tokens[e.admin], method, path, body)
			})
		}()
	}
	wg.Wait()
}

// endOne ends one collaboration and checks its teardown waited for the solution.
func endOne(t *testing.T, ctx context.Context, stack *devstack.Stack, logs *logLines, e plannedEnd,
	call func(method, path, body string) (int, collaborationState)) {
	name := string(e.solution) + "/" + string(e.outcome)
	var began time.Time
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		began = time.Now()
		status, out := call("POST", "/collaborations/"+e.id+"/end", `{"outcome":"`+string(e.outcome)+`"}`)
		if status == http.StatusAccepted {
			break
		}
		code := ""
		if out.Error != nil {
			code = out.Error.Code
		}
		// concurrent_update: the facts arrived while the end was deciding on them; retry, as asked.
		if status != http.StatusConflict || !slices.Contains([]string{"facts_missing", "facts_stale", "concurrent_update"}, code) || time.Now().After(deadline) {
			t.Errorf("%s: end answered %d %s, want 202 (after the solution reported its facts)", name, status, code)
			return
		}
	}
	waited := map[string]bool{}
	var last collaborationState
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, last = call("GET", "/collaborations/"+e.id, "")
		if last.Status == "ended" {
			break
		}
		if last.Status != "ending" || time.Now().After(deadline) {
			t.Errorf("%s: the collaboration is %s (teardown %+v), want ending until ended", name, last.Status, last.Teardown)
			return
		}
		if last.Teardown != nil && last.Teardown.WaitingOn != "" {
			waited[last.Teardown.WaitingOn] = true
		}
	}
	if last.Teardown == nil || len(last.Teardown.Steps) == 0 || !slices.Equal(last.Teardown.Steps, last.Teardown.Done) {
		t.Errorf("%s: ended with teardown %+v, want every step done", name, last.Teardown)
		return
	}
	steps := last.Teardown.Steps
	// The solution logs an acknowledgement once the API answered it, which can be just after the
	// collaboration ended.
	acked := map[string]bool{}
	for deadline := time.Now().Add(2 * time.Second); len(acked) < len(steps) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, line := range logs.waitFor(t, "collaboration_id", e.id) {
			if line["msg"] == "simulated solution" && line["status"] == "200" {
				acked[line["step"]] = true
			}
		}
	}
	for _, s := range steps {
		if !acked[s] {
			t.Errorf("%s: the collaboration ended without %s acknowledging %s (acknowledged: %v)", name, e.solution, s, acked)
		}
		if !waited[s] {
			t.Errorf("%s: the collaboration was never seen waiting on %s (seen: %v)", name, s, waited)
		}
	}
	var ended time.Time
	for _, h := range last.History {
		if h.To == "ended" {
			ended = h.At
		}
	}
	if min := time.Duration(len(steps)) * solutionDelay; ended.Sub(began) < min-50*time.Millisecond {
		t.Errorf("%s: ended %v after the end, sooner than the solution's %v for its %d steps", name, ended.Sub(began), min, len(steps))
	}
	if e.solution != "payroll" {
		return
	}
	if last.Teardown.Backup == nil || !strings.HasPrefix(last.Teardown.Backup.URL, stack.Solutions.BackupURL()) {
		t.Errorf("%s: teardown %+v, want the simulated Payroll's backup link", name, last.Teardown)
		return
	}
	link := last.Teardown.Backup.URL
	insecure := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := insecure.Get(link); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("%s: downloading the backup %s: %v %v, want 200", name, link, resp, err)
	} else {
		resp.Body.Close()
	}
	mail := handoverMail(t, ctx, stack.URL, e.email, link)
	if mail.SentAt == nil || mail.SentAt.Before(began.Add(time.Duration(len(steps))*solutionDelay-50*time.Millisecond)) {
		t.Errorf("%s: the handover e-mail was sent at %v, before Payroll could have acknowledged (end at %v)", name, mail.SentAt, began)
	}
}

// sentMail is an e-mail of the local mailbox (GET /_local/mail as JSON).
type sentMail struct {
	To     []string   `json:"to"`
	SentAt *time.Time `json:"sentAt"`
	Text   string     `json:"text"`
	HTML   string     `json:"html"`
}

// handoverMail waits for the e-mail to address that names the backup link.
func handoverMail(t *testing.T, ctx context.Context, base, address, link string) sentMail {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_local/mail", nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var box struct {
			Items []sentMail `json:"items"`
		}
		json.NewDecoder(resp.Body).Decode(&box)
		resp.Body.Close()
		for _, m := range box.Items {
			if slices.Contains(m.To, address) && strings.Contains(m.Text, link) && strings.Contains(m.HTML, link) {
				return m
			}
		}
	}
	t.Errorf("no e-mail to %s names the backup link %s", address, link)
	return sentMail{}
}

// TestASilentSolutionIsSentItsCommandAgainAndAFailingOneHoldsTheEnd: with the simulated
// solutions switched, end to end: a solution that never answers leaves the collaboration ending,
// waiting on its command, until the cleanup sends the command again (the stack's clock moved
// past the re-send time) and the solution, answering again, acknowledges it; a solution that
// answers failed leaves it ending with the failure on record, until an operator re-drives it.
func TestASilentSolutionIsSentItsCommandAgainAndAFailingOneHoldsTheEnd(t *testing.T) {
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	file, _ := endWorld(t)
	logs := &logLines{}
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "simfail" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: logs, SeedFile: file, SolutionDelay: -1, NoGrace: true,
		SolutionModes: map[collab.Solution]solutions.Mode{"tax-annual": solutions.Silent, "scanner": solutions.Fail}})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	token, err := stack.Token("ada")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, collaborationState) {
		t.Helper()
		var out collaborationState
		return apiInto(t, ctx, stack, token, method, path, body, &out), out
	}
	end := func(id string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			status, out := call("POST", "/collaborations/"+id+"/end", `{"outcome":"end_subscription"}`)
			if status == http.StatusAccepted {
				return
			}
			if status != http.StatusConflict || time.Now().After(deadline) {
				t.Fatalf("%s: end answered %d %+v", id, status, out.Error)
			}
		}
	}
	waitUntil := func(id, what string, cond func(collaborationState) bool) collaborationState {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, st := call("GET", "/collaborations/"+id, "")
			if cond(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s is %s (teardown %+v), want %s", id, id, st.Status, st.Teardown, what)
			}
		}
	}
	// logged reports whether the simulated solution logged a line about collaboration id whose
	// key has value: answered=false when it took a command silently, status=200 when the API
	// took its acknowledgement.
	logged := func(id, key, value string) bool {
		for _, l := range logs.waitFor(t, "collaboration_id", id) {
			if l["msg"] == "simulated solution" && l[key] == value {
				return true
			}
		}
		return false
	}

	t.Run("a_silent_solution_gets_its_command_again", func(t *testing.T) {
		const id = "end-company-a-tax-annual"
		end(id)
		for deadline := time.Now().Add(10 * time.Second); !logged(id, "answered", "false"); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the silent solution never took its command")
			}
		}
		st := waitUntil(id, "ending, waiting on revoke_office_access", func(st collaborationState) bool {
			return st.Status == "ending" && st.Teardown != nil && st.Teardown.WaitingOn == "revoke_office_access"
		})
		if len(st.Teardown.Done) != 0 {
			t.Errorf("teardown %+v, want nothing done while the solution is silent", st.Teardown)
		}
		stack.Solutions.SetMode("tax-annual", solutions.Answer)
		for range 5 { // the cleanup re-sends an overdue command, waiting longer each time
			resp, err := http.Post(stack.URL+"/_local/clock?cleanup=1", "application/json", strings.NewReader(`{"advance":"2h"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if logged(id, "status", "200") {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		waitUntil(id, "ended", func(st collaborationState) bool { return st.Status == "ended" })
	})

	t.Run("a_failing_solution_holds_the_end_until_an_operator_redrives_it", func(t *testing.T) {
		const id = "end-company-a-scanner"
		end(id)
		st := waitUntil(id, "ending with the failure on record", func(st collaborationState) bool {
			return st.Status == "ending" && st.Teardown != nil && st.Teardown.Failure != ""
		})
		if !strings.Contains(st.Teardown.Failure, "told to fail") {
			t.Errorf("failure %q, want the solution's reason", st.Teardown.Failure)
		}
		time.Sleep(time.Second) // nothing moves on its own
		if _, st := call("GET", "/collaborations/"+id, ""); st.Status != "ending" {
			t.Fatalf("after a failure the collaboration is %s, want ending", st.Status)
		}
		stack.Solutions.SetMode("scanner", solutions.Answer)
		if _, err := stack.Service.Redrive(ctx, id); err != nil {
			t.Fatal(err)
		}
		waitUntil(id, "ended", func(st collaborationState) bool { return st.Status == "ended" })
	})
}
