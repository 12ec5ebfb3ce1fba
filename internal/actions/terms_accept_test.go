package actions_test

import (
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// TestAnAcceptanceAgreesToTheTermsTheInvitationShowed: an acceptance naming terms that are no
// longer the current ones is ECONFLICT terms_changed and changes nothing (the invitation stays
// live, the collaboration pending, nobody is e-mailed); naming the current ones, as the page
// showed them, accepts and the history records that version.
func TestAnAcceptanceAgreesToTheTermsTheInvitationShowed(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	w.drain(t)
	token := w.token(t, id)
	before := w.mailer.count()
	_, err := w.svc.AcceptTerms(ctx, user(ca), token, actions.AcceptInput{TermsVersion: "2020-01-01"})
	if got := collab.ErrorCode(err); got != "terms_changed" || collab.ErrorKind(err) != collab.ECONFLICT {
		t.Fatalf("accepting old terms: %v, want ECONFLICT terms_changed", err)
	}
	if e := collab.ErrTermsChanged; e.Fix == "" || e.Message == "" {
		t.Errorf("terms_changed says no fix: %+v", e)
	}
	w.drain(t)
	if v, err := w.svc.ShowInvitation(ctx, token); err != nil || v.State != "live" || w.collaboration(t, id).Status != collab.Pending || w.mailer.count() != before {
		t.Fatalf("after the refusal: invitation %+v (%v), collaboration %s, %d e-mails; want nothing changed",
			v, err, w.collaboration(t, id).Status, w.mailer.count()-before)
	}
	shown, err := w.svc.ShowInvitation(ctx, token)
	noErr(t, err)
	noErr(t, errOf(w.svc.AcceptTerms(ctx, user(ca), token, actions.AcceptInput{TermsVersion: shown.TermsVersion})))
	v, err := w.svc.Collaboration(ctx, user(oe), id)
	noErr(t, err)
	h := v.History[len(v.History)-1]
	if v.Status != collab.Active || h.TermsVersion != shown.TermsVersion || h.TermsVersion != collab.CurrentTerms.Version {
		t.Fatalf("accepted %s with terms %q on the history, want active with %q", v.Status, h.TermsVersion, shown.TermsVersion)
	}
}
