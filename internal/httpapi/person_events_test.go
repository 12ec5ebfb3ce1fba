package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// subscribePeople routes the bus's PersonChanged events to a queue of their own, as an external
// identity provider would subscribe, and returns the queue's URL.
func subscribePeople(t *testing.T, h *harness) string {
	t.Helper()
	return routeToQueue(t, h, "provider", `{"source":["spiris.collaboration"],"detail-type":["PersonChanged"]}`)
}

// TestTheProviderIsToldOfEveryPersonCreatedOrChanged: an external identity provider subscribed to
// PersonChanged hears of the new company's administrator an activation creates, of the correction
// of a mistyped contact by the next activation (the same user id, the right e-mail), and of a user
// the company adds; a refused activation tells nothing. Every event validates against its schema.
func TestTheProviderIsToldOfEveryPersonCreatedOrChanged(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	sub := subscribePeople(t, h)
	activate := func(contact string) response {
		t.Helper()
		return h.call(t, user(w.oe), "POST", "/offices/"+w.office+"/collaborations", `{"customerNo":"1003","solution":"scanner","taskId":"`+
			w.task["1003"]+`","invoiceRecipient":"office","startPeriod":"2027-04","contact":`+contact+`}`)
	}
	first := activate(`{"name":"Tea Tre","email":"tea@tre.tset","language":"sv"}`)
	expect(t, first, 201, "")
	company := first.str("collaboration.companyId")
	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+first.str("collaboration.id")+"/withdraw", ""), 200, "")
	second := activate(`{"name":"Tea Tre","email":"tea@tre.test","language":"en"}`)
	expect(t, second, 201, "")
	h.drain(t)
	v, err := h.store.Company(ctx, company)
	if err != nil || len(v.Users) != 1 {
		t.Fatalf("the new company's users: %+v %v", v.Users, err)
	}
	admin := v.Users[0].ID
	added := h.call(t, user(admin), "POST", "/companies/"+company+"/users", `{"name":"Ulf Tre","email":"ulf@tre.test","language":"sv","role":"user"}`)
	expect(t, added, 201, "")
	expect(t, h.call(t, user(admin), "POST", "/companies/"+company+"/users", `{"name":"Ulf","email":"not-an-address","language":"sv","role":"user"}`), 422, "email_invalid")
	h.drain(t)

	got := unique(received(t, h, sub))
	validate(t, got)
	type person struct{ change, user, email, name, lang, role, via string }
	want := []person{
		{"created", admin, "tea@tre.tset", "Tea Tre", "sv", "administrator", first.str("collaboration.id")},
		{"changed", admin, "tea@tre.test", "Tea Tre", "en", "administrator", second.str("collaboration.id")},
		{"created", added.str("id"), "ulf@tre.test", "Ulf Tre", "sv", "user", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d PersonChanged events, want %d: %v", len(got), len(want), got)
	}
	// The queue does not keep the order the events were published in (each e-mail job carries its
	// own); a consumer orders a person's events by their time (at), so compare as sets.
	var people []person
	for _, p := range got {
		d := func(k string) string { s, _ := p.d[k].(string); return s }
		if p.DetailType != "PersonChanged" || d("companyId") != company {
			t.Errorf("event %s of company %s, want PersonChanged of %s", p.DetailType, d("companyId"), company)
		}
		people = append(people, person{d("change"), d("userId"), d("email"), d("name"), d("language"), d("role"), d("collaborationId")})
	}
	key := func(a, b person) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(people, key)
	slices.SortFunc(want, key)
	if !slices.Equal(people, want) {
		t.Errorf("PersonChanged events %+v, want %+v", people, want)
	}
}
