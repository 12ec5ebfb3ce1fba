package httpapi_test

import (
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// TestSwedishInvitationsNameSolutionsInSwedish activates a collaboration in every solution for a
// company whose administrator reads Swedish: the invitation e-mail the worker sends (read back
// from the emulator's SES) and the invitation page in Swedish name the solution in Swedish and
// hold no English solution name; the page in English names it in English, and the JSON view's
// solutionName stays English.
func TestSwedishInvitationsNameSolutionsInSwedish(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	deliver := as(fnDeliver, h.svc.Deliver)
	ids := make([]collab.Solution, 0, len(collab.Solutions))
	for id := range collab.Solutions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		rules := collab.Solutions[id]
		swedish := rules.NameIn(collab.Swedish)
		extra := ""
		if rules.HasAgreementPeriod() {
			extra = `,"agreementMonths":3`
		}
		r := h.activate(t, w, "1002", string(id), extra)
		expect(t, r, 201, "")
		collaboration := r.str("collaboration.id")
		sent := len(h.mails(t))
		token := ""
		for _, j := range h.jobs(t, "EmailQueue", collaboration) {
			if j.Nonce != "" {
				token = collab.InvitationToken(h.key(t), collaboration, j.Nonce)
			}
			if err := deliver(ctx, j); err != nil {
				t.Fatalf("%s: deliver %s: %v", id, j.Email, err)
			}
		}
		if token == "" {
			t.Fatalf("%s: no invitation e-mail queued", id)
		}

		var mails []string
		for _, m := range h.mails(t)[sent:] {
			if !slices.Contains(m.To, w.ca2+"@customer.test") {
				continue
			}
			mails = append(mails, m.Subject+"\n"+m.Body)
			if !strings.Contains(m.Subject, swedish) || !strings.Contains(m.Body, html.EscapeString(swedish)) {
				t.Errorf("%s: the Swedish e-mail does not name %q:\n%s\n%s", id, swedish, m.Subject, m.Body)
			}
		}
		if len(mails) != 1 {
			t.Errorf("%s: %d e-mails to the administrator, want the invitation", id, len(mails))
		}
		page := h.call(t, nobody, "GET", "/invitations/"+token+"?lang=sv", "", "Accept", "text/html")
		if page.Status != 200 || !strings.Contains(page.Raw, `id="solution">`+html.EscapeString(swedish)+"<") {
			t.Errorf("%s: the Swedish invitation page (%d) does not name %q:\n%s", id, page.Status, swedish, page.Raw)
		}
		for _, text := range append(mails, page.Raw) {
			for _, english := range collab.EnglishNames() {
				if strings.Contains(text, english) || strings.Contains(text, html.EscapeString(english)) {
					t.Errorf("%s: a Swedish text names %q:\n%s", id, english, text)
				}
			}
		}

		if en := h.call(t, nobody, "GET", "/invitations/"+token+"?lang=en", "", "Accept", "text/html"); !strings.Contains(en.Raw, `id="solution">`+html.EscapeString(rules.Name)+"<") {
			t.Errorf("%s: the English invitation page does not name %q:\n%s", id, rules.Name, en.Raw)
		}
		if view := h.call(t, nobody, "GET", "/invitations/"+token, ""); view.str("solutionName") != rules.Name {
			t.Errorf("%s: the view's solutionName = %q, want the English %q", id, view.str("solutionName"), rules.Name)
		}
	}
}
