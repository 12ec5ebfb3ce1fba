package mail_test

import (
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail"
)

// TestEveryEndEffectIsWorded: the ended e-mail says what every end effect of the solutions table
// did, in both languages, and every e-mail an effect sends has wording.
func TestEveryEndEffectIsWorded(t *testing.T) {
	for effect, rules := range collab.EndEffects {
		for _, lang := range []string{"sv", "en"} {
			m, err := mail.Render(collab.EmailEnded, lang, mail.Data{Office: "O", Company: "C", Solution: "S", Outcome: string(effect)})
			if err != nil {
				t.Fatalf("%s in %s: %v", effect, lang, err)
			}
			if len(strings.Split(strings.TrimSpace(m.Text), "\n\n")) != 6 { // header, greeting, two paragraphs, signature, footer
				t.Errorf("%s in %s says nothing of the outcome:\n%s", effect, lang, m.Text)
			}
			if rules.Email != "" {
				if _, err := mail.Render(rules.Email, lang, mail.Data{Office: "O", Company: "C", Solution: "S", Outcome: string(effect)}); err != nil {
					t.Errorf("%s sends %s: %v", effect, rules.Email, err)
				}
			}
		}
	}
	if _, err := mail.Render(collab.EmailEnded, "sv", mail.Data{Outcome: "no_such_effect"}); err == nil {
		t.Error("an unworded outcome rendered")
	}
}
