package mail_test

import (
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail"
)

// TestAScheduledEndThatDidNotHappenSaysWhyInBothLanguages: the e-mail of a blocked scheduled end
// names its date and words each blocker in the recipient's language, the parties filled in, a
// blocker it does not know and none by the general reason, each reason once.
func TestAScheduledEndThatDidNotHappenSaysWhyInBothLanguages(t *testing.T) {
	base := mail.Data{Recipient: "Anna", Office: "Byrå Ett", Company: "Kund AB", Solution: "Lön", Until: "31 maj 2027"}
	for _, tc := range []struct {
		name     string
		blockers []string
		want     map[string]string
	}{
		{"main_contact", []string{"main_contact_missing"}, map[string]string{"sv": "Kund AB har ingen huvudkontakt", "en": "Kund AB has no main contact"}},
		{"handover", []string{"payroll_handover_incomplete"}, map[string]string{"sv": "Överlämningen i Lön är inte klar", "en": "The handover in Lön is not complete"}},
		{"facts", []string{"facts_stale"}, map[string]string{"sv": "Lön har inte rapporterat", "en": "Lön did not report"}},
		{"unknown", []string{"something_new"}, map[string]string{"sv": "Ett av villkoren", "en": "One of the conditions"}},
		{"none", nil, map[string]string{"sv": "Ett av villkoren", "en": "One of the conditions"}},
	} {
		for _, lang := range []string{"sv", "en"} {
			t.Run(tc.name+"_"+lang, func(t *testing.T) {
				d := base
				d.Blockers = append(tc.blockers, tc.blockers...)
				m, err := mail.Render(collab.EmailScheduledEndBlocked, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(m.Subject, "31 maj 2027") || strings.Count(m.Text, tc.want[lang]) != 1 || strings.Contains(m.Text+m.HTML, "{") {
					t.Errorf("want the date in the subject and %q once:\n%s\n%s", tc.want[lang], m.Subject, m.Text)
				}
			})
		}
	}
}

// TestAScheduledEndAndItsCancellationAreToldInBothLanguages: the e-mail of a scheduled end names
// its date in the subject and says what the end will do for every effect a solution's end can
// have, in the future tense; the cancellation's names the date that no longer holds.
func TestAScheduledEndAndItsCancellationAreToldInBothLanguages(t *testing.T) {
	base := mail.Data{Recipient: "Anna", Office: "Byrå Ett", Company: "Kund AB", Solution: "Skanner"}
	until := map[string]string{"sv": "31 maj 2027", "en": "31 May 2027"}
	will := map[string]map[collab.EndEffect]string{
		"sv": {collab.EndContinue: "blir själv fakturamottagare", collab.EndReadOnly: "går sedan att läsa", collab.EndDeleteData: "tas bort",
			collab.EndHandOverBackup: "säkerhetskopia", collab.EndArchive: "arkiveras", collab.EndShared: "annat samarbete"},
		"en": {collab.EndContinue: "becomes its own invoice recipient", collab.EndReadOnly: "can then be read", collab.EndDeleteData: "is deleted",
			collab.EndHandOverBackup: "backup file", collab.EndArchive: "is archived", collab.EndShared: "another collaboration"},
	}
	for _, lang := range []string{"sv", "en"} {
		for effect, words := range will[lang] {
			t.Run(lang+"_"+string(effect), func(t *testing.T) {
				d := base
				d.Until, d.Outcome = until[lang], string(effect)
				m, err := mail.Render(collab.EmailEndScheduled, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(m.Subject, until[lang]) || !strings.Contains(m.Text, words) || !strings.Contains(m.Text, "Kund AB") ||
					strings.ContainsAny(m.Text+m.HTML, "{}") {
					t.Errorf("want the date in the subject and %q:\n%s\n%s", words, m.Subject, m.Text)
				}
			})
		}
		d := base
		d.Until = until[lang]
		m, err := mail.Render(collab.EmailScheduledEndCancelled, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, until[lang]) || !strings.Contains(m.Text, "Byrå Ett") || strings.ContainsAny(m.Text+m.HTML, "{}") {
			t.Errorf("%s cancellation:\n%s\n%s", lang, m.Subject, m.Text)
		}
	}
}
