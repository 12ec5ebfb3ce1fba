package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// TestAnAcceptanceNamesTheTermsThePageShowed: the invitation page's Approve link carries the
// version of the terms it shows; an accept naming another version is 409 terms_changed with a
// fix and leaves the invitation live; naming the version shown accepts, and the history records
// it.
func TestAnAcceptanceNamesTheTermsThePageShowed(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1001", "scanner", "")
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	token := h.token(t, id)
	page := h.call(t, nobody, "GET", "/invitations/"+token+"?lang=en", "", "Accept", "text/html")
	if !strings.Contains(page.Raw, "terms="+collab.CurrentTerms.Version+`" id="approve"`) {
		t.Errorf("the Approve link does not name the terms shown (%s):\n%s", collab.CurrentTerms.Version, page.Raw)
	}
	refused := h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", `{"termsVersion":"2020-01-01"}`)
	expect(t, refused, 409, "terms_changed")
	if fix := refused.str("error.fix"); !strings.Contains(fix, "reload the invitation") {
		t.Errorf("terms_changed's fix %q", fix)
	}
	if got := h.call(t, nobody, "GET", "/invitations/"+token, ""); got.Status != 200 || got.str("state") != "live" {
		t.Fatalf("after terms_changed the invitation is %d %q, want live", got.Status, got.str("state"))
	}
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", `{"termsVersion":"`+collab.CurrentTerms.Version+`"}`), 200, "")
	var got struct {
		Status  string                   `json:"status"`
		History []actions.TransitionView `json:"history"`
	}
	read := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	if err := json.Unmarshal([]byte(read.Raw), &got); err != nil {
		t.Fatal(err)
	}
	if last := got.History[len(got.History)-1]; got.Status != "active" || last.TermsVersion != collab.CurrentTerms.Version {
		t.Fatalf("accepted: %s, terms %q on the history; want active with %s", got.Status, last.TermsVersion, collab.CurrentTerms.Version)
	}
}
