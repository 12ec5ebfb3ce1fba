package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// TestATaskChangeTooLargeForOneTransactionIsAppliedInSteps: a task with one employee and an
// active collaboration in each of the seven solutions gets 50 other employees instead. That is
// some 400 writes, more than one DynamoDB transaction holds: PutTask answers 200 at once, marked
// syncing, and the teardown worker applies it in steps. Before every step, access (the grants of
// the collaborations and who is on the task) is the old task's or the new one's, never a mix; a
// crash between steps is completed by the redelivery; at the end every collaboration grants the
// 50, and nobody else.
func TestATaskChangeTooLargeForOneTransactionIsAppliedInSteps(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	var newcomers []string
	for batch := range 2 {
		tx := h.store.Tx()
		for i := range 25 {
			id := rid(fmt.Sprintf("emp%d", batch*25+i))
			newcomers = append(newcomers, id)
			tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: id, Name: "Anställd " + id, Email: id + "@office.test", Role: collab.OfficeStaff})
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(newcomers)
	var ids []string
	for _, solution := range []string{"bookkeeping", "financial-overview", "scanner", "tax-annual", "consolidated", "travel-expenses", "payroll"} {
		extra := ""
		if solution == "financial-overview" {
			extra = `,"agreementMonths":12`
		}
		ids = append(ids, h.active(t, w, "1001", solution, extra))
	}
	old := []string{w.oe}

	// access is who has a grant through the collaborations, and who is on the task.
	access := func() []string {
		v, err := h.store.Company(ctx, w.co)
		if err != nil {
			t.Error(err)
			return nil
		}
		var who []string
		for _, g := range v.Grants {
			if slices.Contains(ids, g.Via) {
				who = append(who, g.UserID)
			}
		}
		tasks, err := h.store.CustomerTasks(ctx, w.office, "1001")
		if err != nil {
			t.Error(err)
		}
		for _, task := range tasks {
			if task.ID == w.task["1001"] {
				who = append(who, task.Assignees...)
			}
		}
		slices.Sort(who)
		return slices.Compact(who)
	}
	within := func(who, set []string) bool {
		for _, u := range who {
			if !slices.Contains(set, u) {
				return false
			}
		}
		return true
	}

	r := h.call(t, user(w.oa), "PUT", "/offices/"+w.office+"/tasks/"+w.task["1001"],
		`{"customerNo":"1001","name":"Löpande","assignees":["`+strings.Join(newcomers, `","`)+`"]}`)
	expect(t, r, 200, "")
	if !strings.Contains(r.Raw, `"syncing":true`) {
		t.Fatalf("the answer does not say the change is applied in steps: %s", r.Raw)
	}
	if got := access(); !slices.Equal(got, old) {
		t.Fatalf("access right after the answer: %v, want the old task's %v", got, old)
	}

	tap := h.tapDynamo()
	var mu sync.Mutex
	steps, crashAt, crashing := 0, 4, true
	var mixed []string
	tap.setFault(func(op, body string) (*http.Response, error) {
		if op != "TransactWriteItems" {
			return nil, nil
		}
		mu.Lock()
		defer mu.Unlock()
		steps++
		if who := access(); !within(who, old) && !within(who, newcomers) {
			mixed = append(mixed, fmt.Sprintf("before step %d: %v", steps, who))
		}
		if crashing && steps >= crashAt { // the worker dies here: its retries fail too
			return nil, errors.New("injected: connection reset by peer")
		}
		return nil, nil
	})
	teardown := h.poller("TeardownQueue")
	if n, err := teardown.Once(ctx); n != 1 || err != nil {
		t.Fatalf("first delivery: %d messages, %v", n, err)
	}
	mu.Lock()
	crashing = false
	mu.Unlock()
	if n, err := teardown.Once(ctx); n == 0 || err != nil { // redelivered after the crash (with the events jobs of the steps)
		t.Fatalf("redelivery: %d messages, %v", n, err)
	}
	if len(mixed) > 0 {
		t.Errorf("access was a mix of the old and the new task's: %v", mixed)
	}
	if steps < 6 {
		t.Errorf("%d transactions: the change was not applied in steps", steps)
	}

	v, err := h.store.Company(ctx, w.co)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		var got []string
		for _, g := range grantsVia(v, id) {
			got = append(got, g.UserID)
		}
		slices.Sort(got)
		if !slices.Equal(got, newcomers) {
			t.Errorf("collaboration %s grants %d users, want the 50 newcomers", id, len(got))
		}
	}
	tasks, err := h.store.CustomerTasks(ctx, w.office, "1001")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if task.ID == w.task["1001"] && (task.Target != nil || !slices.Equal(task.Assignees, newcomers)) {
			t.Errorf("the task after the change: %d assignees, target %+v", len(task.Assignees), task.Target)
		}
	}
	expect(t, h.call(t, user(newcomers[0]), "GET", "/collaborations/"+ids[0], ""), 200, "")
	expect(t, h.call(t, user(w.oe), "GET", "/collaborations/"+ids[0], ""), 403, "")
	// What is left is the steps' events, each in a job of its own (docs/events.md), not the task's job.
	for _, j := range h.receiveJobs(t, "TeardownQueue", 5, func(actions.Job) bool { return true }) {
		if j.Task != nil || len(j.Events) == 0 {
			t.Errorf("a job was left on the queue: %+v", j)
		}
	}
}
