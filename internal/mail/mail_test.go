package mail_test

import (
	"strings"
	"testing"

	"github.com/spiris/collab/internal/mail"
)

func TestEveryKindRendersInBothLanguages(t *testing.T) {
	d := mail.Data{Recipient: "Anna", Office: "Byrå & Co", Company: "Kund <AB>", Solution: "Payroll",
		Link: "https://example.test/invitations/abc", Expires: "2027-04-01", AgreementEnds: "2027-07-01", OutcomeText: "x"}
	if len(mail.Kinds()) != 21 {
		t.Fatalf("%d kinds of e-mail, want 21", len(mail.Kinds()))
	}
	for _, kind := range mail.Kinds() {
		for _, lang := range []string{"sv", "en"} {
			t.Run(kind+"_"+lang, func(t *testing.T) {
				m, err := mail.Render(kind, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				if m.Subject == "" || !strings.Contains(m.Text, "Anna") || !strings.Contains(m.HTML, `lang="`+lang+`"`) {
					t.Fatalf("rendered %+v", m)
				}
				if strings.Contains(m.HTML, "Kund <AB>") || !strings.Contains(m.HTML, "Kund &lt;AB&gt;") {
					t.Error("HTML does not escape data")
				}
				if strings.ContainsAny(m.Subject+m.Text+m.HTML, "{}") {
					t.Errorf("a placeholder was left unfilled:\n%s\n%s", m.Text, m.HTML)
				}
				wantsLink := kind == "invitation" || kind == "login_instructions" || kind == "invitation_reminder" || kind == "user_added" ||
					kind == "sign_in_link" || kind == "payroll_handover" || kind == "data_export" // the solution's download
				if got := strings.Contains(m.Text, d.Link) && strings.Contains(m.HTML, `href="`+d.Link+`"`); got != wantsLink {
					t.Errorf("link present = %v, want %v", got, wantsLink)
				}
			})
		}
	}
}

func TestUnknownLanguageFallsBackToSwedish(t *testing.T) {
	m, err := mail.Render("access_granted", "de", mail.Data{Office: "O", Company: "C", Solution: "S"})
	if err != nil || !strings.Contains(m.Text, "\n\nHej,\n") {
		t.Fatalf("%q %v", m.Text, err)
	}
	if _, err := mail.Render("no-such-mail", "sv", mail.Data{}); err == nil {
		t.Fatal("unknown kind rendered")
	}
}

func TestSubjectStaysOneLineWhateverTheNames(t *testing.T) {
	for _, name := range []string{"Byrå\r\nBcc: x@evil.test", "Byrå\nX", "Byrå\x00", "Byrå\u0085X", "Byrå\u2028X", "Byrå\u2029X"} {
		m, err := mail.Render("invitation", "sv", mail.Data{Office: name, Company: name, Solution: "Payroll", Link: "https://x.test"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(m.Subject, func(r rune) bool { return r < ' ' || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 }) {
			t.Errorf("name %q: subject %q has a control character", name, m.Subject)
		}
	}
}
