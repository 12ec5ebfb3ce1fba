package actions_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTheLinksOfAnEmailCarryTheRecipientsLanguage: the invitation link opens the page in the
// language the e-mail was written in (lang=); a first sign-in link opens the sign-in page in it,
// says until when its code works (expires=, the clock's now plus the configured validity), and
// leads on to the invitation in that language too.
func TestTheLinksOfAnEmailCarryTheRecipientsLanguage(t *testing.T) {
	for _, first := range []bool{false, true} {
		w := newWorld(t)
		p := withPeople(w)
		sent := bodies{}
		w.svc.Mailer, w.svc.SignInURL, w.svc.FirstSignInValidity = sent, "https://my.test/sign-in", 7*24*time.Hour
		w.svc.Identity = p
		if first {
			w.svc.Identity = &firstSignIns{people: p, code: "one-time-1"}
		}
		id := w.activate(t, activation("1001", "scanner"))
		for _, err := range w.drain(t) {
			t.Errorf("worker: %v", err)
		}
		invitation := "https://collab.test/invitations/" + w.token(t, id) + "?lang=sv"
		want := invitation
		if first {
			want = "https://my.test/sign-in?" + url.Values{"lang": {"sv"}, "next": {invitation},
				"expires": {w.clock().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)}}.Encode() + "#"
		}
		if got := sent["ca@customer.test"]; len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("first sign-in %v: the administrator's (Swedish) invitation %q, want the link %s", first, got, want)
		}
	}
}
