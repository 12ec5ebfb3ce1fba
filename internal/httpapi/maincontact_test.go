package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

// An end refused for want of a main contact, by a caller who cannot choose one, asks the
// company's administrators by e-mail, at most once a day; a caller who can choose one is shown
// how instead, and nobody is e-mailed.
func TestAMissingMainContactIsRequestedFromTheCompanyOnceADay(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	id := h.active(t, w, "1001", "bookkeeping", "")
	dropMainContact(t, h, w.co)
	h.drain(t)
	requests := func() int {
		t.Helper()
		n := 0
		for _, s := range h.mailsTo(t, w.ca+"@customer.test") {
			if strings.HasPrefix(s, "Välj en huvudkontakt för Ett AB") {
				n++
			}
		}
		return n
	}

	expect(t, h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`), 409, "main_contact_missing")
	h.drain(t)
	if n := requests(); n != 0 {
		t.Fatalf("an employee who can choose the main contact caused %d requests", n)
	}

	end := func() {
		t.Helper()
		r := h.call(t, user(w.oa), "POST", "/collaborations/"+id+"/end", `{"outcome":"continue"}`)
		expect(t, r, 409, "main_contact_missing")
		if !strings.Contains(errorField(r, "message"), "asked by e-mail") {
			t.Errorf("the refusal does not say the administrators were asked: %s", r.Raw)
		}
		h.drain(t)
	}
	end()
	if n := requests(); n != 1 {
		t.Fatalf("%d requests after the first refusal, want 1", n)
	}
	end()
	if n := requests(); n != 1 {
		t.Errorf("%d requests after a second refusal the same day, want still 1", n)
	}
	h.advance(24 * time.Hour)
	end()
	if n := requests(); n != 2 {
		t.Errorf("%d requests the next day, want 2", n)
	}
}
