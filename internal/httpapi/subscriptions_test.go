package httpapi_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// A company's administrators read its subscriptions by solution: status, mode, who pays, and the
// accepted collaborations using each, earliest first, across offices. Nobody else does: not a
// plain user of the company, not an office employee acting in it.
func TestACompanysAdministratorsReadItsSubscriptions(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	task2 := rid("task")
	tx := h.store.Tx()
	tx.PutCustomer(collab.Customer{OfficeID: w.otherOffice, No: "2001", Name: "Ett AB", CompanyID: w.co})
	tx.PutTask(collab.Task{OfficeID: w.otherOffice, ID: task2, CustomerNo: "2001", Name: "Revision", Assignees: []string{w.o2}})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	first := h.active(t, w, "1001", "scanner", "") // paid by office one
	h.advance(time.Minute)
	r := h.call(t, user(w.o2), "POST", "/offices/"+w.otherOffice+"/collaborations",
		`{"customerNo":"2001","solution":"scanner","taskId":"`+task2+`","invoiceRecipient":"customer","startPeriod":"2027-04"}`)
	expect(t, r, 201, "")
	second := r.str("collaboration.id")
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+h.token(t, second)+"/accept", ""), 200, "")

	co := "/companies/" + w.co + "/subscriptions"
	r = h.call(t, user(w.ca), "GET", co, "")
	expect(t, r, 200, "")
	items, _ := r.JSON["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("subscriptions %s, want bookkeeping and scanner", r.Raw)
	}
	want := []map[string]any{
		{"solution": "bookkeeping", "solutionName": "Bookkeeping & Invoicing", "status": "active", "mode": "full", "invoiceRecipient": "customer"},
		{"solution": "scanner", "solutionName": "Scanner", "status": "active", "mode": "full", "invoiceRecipient": "office", "payingOfficeId": w.office},
	}
	for i, wv := range want {
		got := items[i].(map[string]any)
		for k, v := range wv {
			if got[k] != v {
				t.Errorf("subscription %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
	if p, ok := items[0].(map[string]any)["payingOfficeId"]; ok {
		t.Errorf("bookkeeping is paid by the customer, yet names the paying office %v", p)
	}
	uses, _ := items[1].(map[string]any)["collaborations"].([]any)
	if len(uses) != 2 {
		t.Fatalf("scanner's collaborations %v, want both offices'", uses)
	}
	for i, wv := range []map[string]string{{"id": first, "officeId": w.office}, {"id": second, "officeId": w.otherOffice}} {
		got := uses[i].(map[string]any)
		if got["id"] != wv["id"] || got["officeId"] != wv["officeId"] || got["since"] == nil {
			t.Errorf("collaboration %d using scanner %v, want %v with a time (earliest first)", i, got, wv)
		}
	}
	if uses, _ := items[0].(map[string]any)["collaborations"].([]any); uses == nil || len(uses) != 0 {
		t.Errorf("bookkeeping's collaborations %v, want an empty list", items[0].(map[string]any)["collaborations"])
	}

	expect(t, h.call(t, user(w.cu), "GET", co, ""), 403, "administrator_required")
	expect(t, h.call(t, user(w.oe), "GET", co, ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.o2), "GET", co, ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.c2a), "GET", co, ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.ca), "GET", "/companies/"+rid("co")+"/subscriptions", ""), 404, "company_not_found")
}
