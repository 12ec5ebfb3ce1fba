package mail_test

import (
	"html"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail"
)

// TestSwedishEmailsNameSolutionsInSwedish renders every e-mail in Swedish for every solution (the
// ended e-mail with every outcome the solution allows), its name as the e-mail worker fills it
// for a Swedish recipient: no English solution name is in the subject, the text or the HTML, and
// the Swedish name is wherever the e-mail names the solution.
func TestSwedishEmailsNameSolutionsInSwedish(t *testing.T) {
	const marker = "SOLUTION-NAMED-HERE"
	d := mail.Data{Recipient: "Anna", Office: "Byrå Ett", Company: "Kund AB", Link: "https://example.test/invitations/abc",
		Expires: "2027-04-01", AgreementEnds: "2027-07-01"}
	for _, kind := range mail.Kinds() {
		for id, r := range collab.Solutions {
			for _, o := range r.Outcomes {
				t.Run(kind+"/"+string(id)+"/"+string(o), func(t *testing.T) {
					d := d
					d.Outcome = string(r.EffectOf(o))
					if !mail.WordsOutcome(kind, d.Outcome) {
						t.Skip("the e-mail is not sent for this end")
					}
					d.Solution = marker
					where, err := mail.Render(kind, "sv", d)
					if err != nil {
						t.Fatal(err)
					}
					d.Solution = r.NameIn(collab.Swedish)
					m, err := mail.Render(kind, "sv", d)
					if err != nil {
						t.Fatal(err)
					}
					for _, part := range []struct{ name, got, where, want string }{
						{"subject", m.Subject, where.Subject, d.Solution},
						{"text", m.Text, where.Text, d.Solution},
						{"HTML", m.HTML, where.HTML, html.EscapeString(d.Solution)},
					} {
						for _, english := range collab.EnglishNames() {
							if strings.Contains(part.got, english) || strings.Contains(part.got, html.EscapeString(english)) {
								t.Errorf("the Swedish %s names %q:\n%s", part.name, english, part.got)
							}
						}
						if strings.Contains(part.where, marker) && !strings.Contains(part.got, part.want) {
							t.Errorf("the Swedish %s does not name %q:\n%s", part.name, part.want, part.got)
						}
					}
				})
			}
		}
	}
}

// TestNoSwedishNameIsAnEnglishOne: the names the Swedish texts are checked against are in no
// Swedish name, so the check above refuses only English.
func TestNoSwedishNameIsAnEnglishOne(t *testing.T) {
	for id, r := range collab.Solutions {
		for _, english := range collab.EnglishNames() {
			if strings.Contains(r.NameIn(collab.Swedish), english) {
				t.Errorf("%q is in the Swedish name of %s, %q", english, id, r.NameIn(collab.Swedish))
			}
		}
	}
}
