package httpapi_test

import (
	"testing"
	"time"
)

// A company's administrators read who was made a user, who had their role changed and who became
// main contact, by whom and when, newest first; nobody else does.
func TestACompanysHistoryRecordsWhoChangedItsPeople(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "bookkeeping", "") // so the employee on the task acts in the company
	co := "/companies/" + w.co
	created := h.call(t, user(w.oe), "POST", co+"/users", `{"name":"Nils Ny","email":"nils@customer.test","role":"user"}`)
	expect(t, created, 201, "")
	nils := created.str("id")
	h.advance(time.Minute)
	expect(t, h.call(t, user(w.ca), "PATCH", co+"/users/"+nils, `{"role":"administrator"}`), 200, "")
	h.advance(time.Minute)
	expect(t, h.call(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+nils+`"}`), 200, "")
	expect(t, h.call(t, user(w.ca), "PUT", co+"/main-contact", `{"userId":"`+nils+`"}`), 200, "") // no change, no entry

	r := h.call(t, user(w.ca), "GET", co+"/history", "")
	expect(t, r, 200, "")
	items, _ := r.JSON["items"].([]any)
	want := []map[string]string{ // newest first
		{"event": "main_contact_changed", "actorKind": "customer_user", "actorId": w.ca, "userId": nils, "from": w.ca, "to": nils},
		{"event": "role_changed", "actorKind": "customer_user", "actorId": w.ca, "userId": nils, "from": "user", "to": "administrator"},
		{"event": "user_created", "actorKind": "office_employee", "actorId": w.oe, "userId": nils, "to": "user"},
	}
	if len(items) != len(want) {
		t.Fatalf("history %s, want %d entries", r.Raw, len(want))
	}
	for i, wv := range want {
		got := items[i].(map[string]any)
		for k, v := range wv {
			if got[k] != v {
				t.Errorf("entry %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
		if got["at"] == nil {
			t.Errorf("entry %d has no time", i)
		}
	}
	expect(t, h.call(t, user(w.cu), "GET", co+"/history", ""), 403, "administrator_required")
	expect(t, h.call(t, user(w.oe), "GET", co+"/history", ""), 403, "not_company_user")
	expect(t, h.call(t, user(w.c2a), "GET", co+"/history", ""), 403, "not_company_user")
}

// The company's administrators are told when an office employee makes someone an administrator of
// their company, not when they do it themselves.
func TestTheCompanyIsToldWhenAnOfficeEmployeeAddsAnAdministrator(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	h.active(t, w, "1001", "bookkeeping", "")
	h.drain(t)
	co := "/companies/" + w.co
	notices := func() int {
		t.Helper()
		n := 0
		for _, s := range h.mailsTo(t, w.ca+"@customer.test") {
			if s == "Byrå Ett har lagt till en administratör i Ett AB" {
				n++
			}
		}
		return n
	}
	plain := h.call(t, user(w.oe), "POST", co+"/users", `{"name":"Vanlig","email":"vanlig@customer.test","role":"user"}`)
	expect(t, plain, 201, "")
	expect(t, h.call(t, user(w.ca), "PATCH", co+"/users/"+plain.str("id"), `{"role":"administrator"}`), 200, "")
	h.drain(t)
	if n := notices(); n != 0 {
		t.Fatalf("%d notices for a plain user and a promotion by the company's own administrator", n)
	}
	expect(t, h.call(t, user(w.oe), "POST", co+"/users", `{"name":"Ny Admin","email":"nyadmin@customer.test","role":"administrator"}`), 201, "")
	h.drain(t)
	if n := notices(); n != 1 {
		t.Errorf("%d notices after an office employee created an administrator, want 1", n)
	}
	expect(t, h.call(t, user(w.oe), "PATCH", co+"/users/"+w.cu, `{"role":"administrator"}`), 200, "")
	h.drain(t)
	if n := notices(); n != 2 {
		t.Errorf("%d notices after an office employee promoted a user, want 2", n)
	}
}
