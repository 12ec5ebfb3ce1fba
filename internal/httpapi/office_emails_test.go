package httpapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// TestTheTermsAreShownAndTheirAcceptanceRecorded: the invitation page says, in Swedish and in
// English, what approving grants, how either party ends the collaboration and which version of
// the terms it is; accepting records that version, the administrator and the time on the
// collaboration's history, as GET /collaborations/{id} shows it.
func TestTheTermsAreShownAndTheirAcceptanceRecorded(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1001", "financial-overview", `,"agreementMonths":12`)
	expect(t, r, 201, "")
	id := r.str("collaboration.id")
	token := h.token(t, id)
	for lang, want := range map[string][]string{
		"sv": {"Medarbetarna på Byrå Ett som arbetar med uppdraget för Ett AB får tillgång till företaget och till Ekonomiöversikt, Budget &amp; Prognos.",
			"Ett AB kan få information från Spiris", "Både Ett AB och Byrå Ett kan när som helst avsluta samarbetet", "april 2027", "12 månader",
			"Redovisningsbyrån, Byrå Ett", `id="terms-version">` + collab.CurrentTerms.Version},
		"en": {"The employees of Byrå Ett who work on the task for Ett AB get access to the company and to Financial overview, Budget &amp; Forecast.",
			"Ett AB may receive information from Spiris", "Both Ett AB and Byrå Ett can end the collaboration at any time", "April 2027",
			"The accounting office, Byrå Ett"},
	} {
		page := h.call(t, nobody, "GET", "/invitations/"+token+"?lang="+lang, "", "Accept", "text/html")
		for _, text := range want {
			if page.Status != 200 || !strings.Contains(page.Raw, text) {
				t.Errorf("the %s page (%d) does not say %q:\n%s", lang, page.Status, text, page.Raw)
			}
		}
	}
	if got := h.call(t, nobody, "GET", "/invitations/"+token, ""); got.str("termsVersion") != collab.CurrentTerms.Version {
		t.Errorf("the invitation's termsVersion %q", got.str("termsVersion"))
	}
	at := h.clock()
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+token+"/accept", ""), 200, "")
	var got struct {
		History []actions.TransitionView `json:"history"`
	}
	read := h.call(t, user(w.oe), "GET", "/collaborations/"+id, "")
	expect(t, read, 200, "")
	if err := json.Unmarshal([]byte(read.Raw), &got); err != nil {
		t.Fatal(err)
	}
	last := got.History[len(got.History)-1]
	if last.To != "active" || last.TermsVersion != collab.CurrentTerms.Version || last.ActorID != w.ca || !last.At.Equal(at) {
		t.Fatalf("the acceptance on the history %+v; want terms %s accepted by %s at %v", last, collab.CurrentTerms.Version, w.ca, at)
	}
	if got.History[0].TermsVersion != "" {
		t.Errorf("the activation records terms %q", got.History[0].TermsVersion)
	}
}

// TestTheOfficeHearsTheAnswerAndTheCompanyIsRemindedInBothLanguages sends, through the emulator's
// SES, the office's e-mails when the customer accepts and declines (to the activating employee and
// the task's employee), the company administrators' reminder before an invitation expires and
// the office's notice once it has: each in its recipient's language, Swedish or English.
func TestTheOfficeHearsTheAnswerAndTheCompanyIsRemindedInBothLanguages(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	tx := h.store.Tx()
	tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: w.oe, Name: "Eva Employee", Email: "oe@office.test", Language: collab.English, Role: collab.OfficeStaff})
	tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: w.oa, Name: "Olle Admin", Email: "oa@office.test", Language: collab.Swedish, Role: collab.OfficeAdministrator})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, h.call(t, user(w.ca), "PATCH", "/companies/"+w.co+"/users/"+w.cu, `{"role":"administrator"}`), 200, "") // an English administrator
	activate := func(by, solution string) (string, string) {
		r := h.call(t, user(by), "POST", "/offices/"+w.office+"/collaborations", `{"customerNo":"1001","solution":"`+solution+
			`","taskId":"`+w.task["1001"]+`","invoiceRecipient":"office","startPeriod":"2027-04"}`)
		expect(t, r, 201, "")
		h.advance(time.Second)
		return r.str("collaboration.id"), h.token(t, r.str("collaboration.id"))
	}
	_, accepted := activate(w.oa, "scanner")
	_, declined := activate(w.oa, "tax-annual")
	activate(w.oa, "consolidated") // left unanswered
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+accepted+"/accept", ""), 200, "")
	expect(t, h.call(t, user(w.cu), "POST", "/invitations/"+declined+"/decline", ""), 200, "")
	h.drain(t)
	h.advance(actions.DefaultInvitationTTL - 3*24*time.Hour + time.Minute)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.InvitationsDue != 1 {
		t.Fatalf("cleanup before the expiry: %+v %v; want one reminder", rep, err)
	}
	h.drain(t)
	h.advance(3 * 24 * time.Hour)
	if rep, err := h.svc.Cleanup(invoke(fnCleanup)); err != nil || rep.InvitationsDead != 1 {
		t.Fatalf("cleanup after the expiry: %+v %v; want it expired", rep, err)
	}
	h.drain(t)
	for address, want := range map[string][]string{
		"oa@office.test": {"Ett AB har godkänt samarbetet i Scanner", "Ett AB har tackat nej till samarbetet i Skatt & Årsredovisning",
			"Inbjudan till Ett AB i Koncernredovisning har gått ut"},
		"oe@office.test": {"Ett AB has approved the collaboration in Scanner", "Ett AB has declined the collaboration in Tax & Annual accounts",
			"The invitation to Ett AB in Consolidated accounts has expired"},
		w.ca + "@customer.test": {"Samarbetet med Byrå Ett i Scanner har startat", "Påminnelse: Byrå Ett väntar på svar om Koncernredovisning"},
		w.cu + "@customer.test": {"The collaboration with Byrå Ett in Scanner has started", "Reminder: Byrå Ett is waiting for an answer about Consolidated accounts"},
		"ox@office.test":        nil,
	} {
		var got []string
		for _, s := range h.mailsTo(t, address) {
			if !strings.Contains(s, "vill samarbeta") && !strings.Contains(s, "wants to collaborate") { // the invitations
				got = append(got, s)
			}
		}
		slices.Sort(got)
		slices.Sort(want) // the queue delivers in any order
		if !slices.Equal(got, want) {
			t.Errorf("%s got %q, want %q", address, got, want)
		}
	}
	for _, m := range h.mails(t) {
		if strings.HasPrefix(m.Subject, "Reminder:") && (!strings.Contains(m.Body, `href="`+h.svc.BaseURL+"/invitations/") ||
			!strings.Contains(m.Body, "Does the button not work?") || !strings.Contains(m.Body, "because you are an administrator of Ett AB")) {
			t.Errorf("the reminder has no button, fallback line or reason:\n%s", m.Body)
		}
	}
}
