package httpapi_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// TestThePersonRecordsTheUserTermsTheyAccepted: PUT /users/{userId}/user-terms, as the first
// sign-in page calls it once the password is set, records the version shown and the time for
// the caller alone; another version is 409 user_terms_changed, another person's terms 403
// not_this_user; accepting again keeps the first time.
func TestThePersonRecordsTheUserTermsTheyAccepted(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	path := "/users/" + w.ca + "/user-terms"
	current := `{"version":"` + collab.UserTermsVersion + `"}`
	expect(t, h.call(t, nobody, "PUT", path, current), 401, "unauthenticated")
	expect(t, h.call(t, user(w.oe), "PUT", path, current), 403, "not_this_user")
	expect(t, h.call(t, user(w.ca), "PUT", path, `{"version":"2020-01-01"}`), 409, "user_terms_changed")
	expect(t, h.call(t, user(w.ca), "PUT", path, `{}`), 422, "field_required")
	if _, ok, err := h.store.UserTerms(ctx, w.ca); ok || err != nil {
		t.Fatalf("refused acceptances recorded something (%v)", err)
	}
	at := h.clock()
	r := h.call(t, user(w.ca), "PUT", path, current)
	expect(t, r, 200, "")
	if r.str("version") != collab.UserTermsVersion || r.str("userId") != w.ca || r.str("acceptedAt") != at.UTC().Format(time.RFC3339) {
		t.Errorf("the acceptance answered %s, want version %s by %s at %v", r.Raw, collab.UserTermsVersion, w.ca, at)
	}
	h.advance(time.Hour)
	expect(t, h.call(t, user(w.ca), "PUT", path, current), 200, "")
	a, ok, err := h.store.UserTerms(ctx, w.ca)
	if err != nil || !ok || a.Terms != collab.UserTermsVersion || !a.AcceptedAt.Equal(at) {
		t.Fatalf("recorded %+v (%v, %v), want version %s accepted at %v, the first time", a, ok, err, collab.UserTermsVersion, at)
	}
}
