package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// office is one of two offices collaborating with the same company in the same solution: its
// employee on the customer's task, its customer number, the invoice recipient it activates
// with and the outcome it ends with.
type office struct {
	name, id, employee, customerNo, task string
	invoice                              collab.InvoiceRecipient
	outcome                              collab.Outcome
	collaboration, token                 string
}

// sharedModel is what the rules say the company's Scanner subscription is after each step.
type sharedModel struct {
	uses   []*office // accepted and not ended, earliest accepted first
	status collab.SubscriptionStatus
	exists bool
}

// TestTwoOfficesOnOneCompanyNeverTouchEachOther: two offices activate, the company accepts and
// each office ends its own Scanner collaboration with the company, in every order the steps can
// come in (20). After every step the subscription is as the rules say: active while any
// accepted collaboration uses it, paid for as the earliest accepted one chose (a later accept by
// the other office never changes it), and an end touches only its own collaboration's access;
// its effect on the subscription applies when the last collaboration using it ends.
func TestTwoOfficesOnOneCompanyNeverTouchEachOther(t *testing.T) {
	for _, order := range interleavings("AAA", "BBB") {
		t.Run(order, func(t *testing.T) {
			h := newHarness(t) // a table of its own: moto's transactions copy the whole table
			w := h.world(t)
			a := &office{name: "A", id: w.office, employee: w.oe, customerNo: "1001", task: w.task["1001"],
				invoice: collab.InvoiceOffice, outcome: collab.EndSubscription}
			b := &office{name: "B", id: w.otherOffice, employee: w.o2, customerNo: "2001", task: rid("task"),
				invoice: collab.InvoiceCustomer, outcome: collab.Continue}
			tx := h.store.Tx()
			tx.PutCustomer(collab.Customer{OfficeID: b.id, No: b.customerNo, Name: "Ett AB", CompanyID: w.co})
			tx.PutTask(collab.Task{OfficeID: b.id, ID: b.task, CustomerNo: b.customerNo, Name: "Revision", Assignees: []string{b.employee}})
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			var m sharedModel
			steps := map[*office]int{}
			for i, who := range order {
				o := map[rune]*office{'A': a, 'B': b}[who]
				step := steps[o]
				steps[o]++
				h.sharedStep(t, w, o, step, &m)
				h.checkShared(t, w, fmt.Sprintf("after step %d (%s)", i+1, o.name+[]string{" activates", " is accepted", " ends"}[step]), m, a, b)
			}
		})
	}
}

// sharedStep makes office o take its step (0 activate, 1 the company accepts, 2 end and the
// teardown runs) and moves the model on as the rules say.
func (h *harness) sharedStep(t *testing.T, w world, o *office, step int, m *sharedModel) {
	t.Helper()
	switch step {
	case 0:
		body := `{"customerNo":"` + o.customerNo + `","solution":"scanner","taskId":"` + o.task +
			`","invoiceRecipient":"` + string(o.invoice) + `","startPeriod":"2027-04"}`
		r := h.call(t, user(o.employee), "POST", "/offices/"+o.id+"/collaborations", body)
		expect(t, r, 201, "")
		o.collaboration = r.str("collaboration.id")
		o.token = h.token(t, o.collaboration)
		if !m.exists || m.status != collab.SubscriptionActive && m.status != collab.SubscriptionPending {
			m.status, m.exists = collab.SubscriptionPending, true // opened, or reopened after an end
		}
	case 1:
		expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+o.token+"/accept", ""), 200, "")
		m.uses, m.status = append(m.uses, o), collab.SubscriptionActive
	case 2:
		expect(t, h.call(t, user(o.employee), "POST", "/collaborations/"+o.collaboration+"/end", `{"outcome":"`+string(o.outcome)+`"}`), 202, "")
		h.drain(t)
		m.uses = slicesDelete(m.uses, o)
		if len(m.uses) == 0 {
			m.status = collab.EndEffects[collab.Solutions["scanner"].EffectOf(o.outcome)].Subscription
		}
		h.checkEndedMail(t, w, o, len(m.uses) > 0)
	}
	h.advance(time.Second)
}

// checkEndedMail checks that the company's administrator was told what the end of o's
// collaboration did: that the subscription continues when another collaboration still uses it,
// and the effect of o's outcome otherwise.
func (h *harness) checkEndedMail(t *testing.T, w world, o *office, shared bool) {
	t.Helper()
	office := map[string]string{w.office: "Byrå Ett", w.otherOffice: "Byrå Två"}[o.id]
	for _, m := range h.mails(t) {
		if !slices.Contains(m.To, w.ca+"@customer.test") || !strings.Contains(m.Subject, "mellan "+office+" ") {
			continue
		}
		if says := strings.Contains(m.Body, "annat samarbete"); says != shared {
			t.Errorf("office %s's ended e-mail says the subscription continues for another collaboration: %v, want %v", o.name, says, shared)
		}
		return
	}
	t.Errorf("no ended e-mail about office %s's collaboration reached the company's administrator", o.name)
}

func slicesDelete(us []*office, o *office) []*office {
	var out []*office
	for _, u := range us {
		if u != o {
			out = append(out, u)
		}
	}
	return out
}

// checkShared compares the company's subscription and the offices' access with the model.
func (h *harness) checkShared(t *testing.T, w world, when string, m sharedModel, offices ...*office) {
	t.Helper()
	v, err := h.store.Company(ctx, w.co)
	if err != nil {
		t.Fatal(err)
	}
	sub, ok := v.Subscriptions["scanner"]
	if ok != m.exists || ok && sub.Status != m.status {
		t.Fatalf("%s: subscription %+v (exists %v), want status %s", when, sub, ok, m.status)
	}
	if len(m.uses) > 0 {
		first := m.uses[0]
		wantOffice := map[bool]string{true: first.id}[first.invoice == collab.InvoiceOffice]
		if sub.InvoiceRecipient != first.invoice || sub.PayingOfficeID != wantOffice {
			t.Errorf("%s: paid by %s %q, want %s %q (office %s accepted first)", when, sub.InvoiceRecipient, sub.PayingOfficeID, first.invoice, wantOffice, first.name)
		}
		if len(sub.Uses) != len(m.uses) {
			t.Errorf("%s: %d collaborations use the subscription, want %d", when, len(sub.Uses), len(m.uses))
		}
	}
	for _, o := range offices {
		using := false
		for _, u := range m.uses {
			using = using || u == o
		}
		if got := len(grantsVia(v, o.collaboration)) > 0; o.collaboration != "" && got != using {
			t.Errorf("%s: office %s's employees have access %v, want %v", when, o.name, got, using)
		}
	}
}

// interleavings returns every order of the steps of a and b that keeps each one's own order.
func interleavings(a, b string) []string {
	if a == "" || b == "" {
		return []string{a + b}
	}
	var out []string
	for _, rest := range interleavings(a[1:], b) {
		out = append(out, a[:1]+rest)
	}
	for _, rest := range interleavings(a, b[1:]) {
		out = append(out, b[:1]+rest)
	}
	return out
}
