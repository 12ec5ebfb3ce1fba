package mail_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/mail"
)

// TestEveryEmailNamesBothPartiesAndSaysWhyItCame renders every e-mail in both languages, for a
// company administrator and for one of the office's people: each names the office and the
// company, has the header, the reason the recipient got it (their side's), the sender and a contact
// line; a button's link is in the text part under its label and in the HTML only as links, so a
// 100-character token never stands as text that widens a phone's screen.
func TestEveryEmailNamesBothPartiesAndSaysWhyItCame(t *testing.T) {
	link := "https://collab.example.test/invitations/collab-0123456789abcdef~" + strings.Repeat("x", 43)
	why := map[string][2]string{"sv": {"eftersom du är administratör för Kund AB", "eftersom du arbetar med Kund AB på Byrå Ett"},
		"en": {"because you are an administrator of Kund AB", "because you work with Kund AB at Byrå Ett"}}
	wide := regexp.MustCompile(`(?:width|min-width):\s*\d{3,}px`)
	for _, kind := range mail.Kinds() {
		for _, lang := range []string{"sv", "en"} {
			for side, forOffice := range []bool{false, true} {
				if mail.OwnFrame(kind) {
					ownFrame(t, kind, lang, link)
					break
				}
				d := mail.Data{Recipient: "Anna", Office: "Byrå Ett", Company: "Kund AB", Solution: "Lön", Link: link,
					Expires: "1 mars 2027", AgreementEnds: "1 juli 2027", OutcomeText: "x", ForOffice: forOffice}
				m, err := mail.Render(kind, lang, d)
				if err != nil {
					t.Fatal(err)
				}
				name := kind + "/" + lang
				reason := why[lang][side]
				if kind == "data_export" && !forOffice { // to the main contact alone
					reason = map[string]string{"sv": "eftersom du är huvudkontakt för Kund AB", "en": "because you are the main contact of Kund AB"}[lang]
				}
				body := m.Text[strings.Index(m.Text, "\n\n"):strings.LastIndex(m.Text, "\n--\n")]
				for _, want := range []string{"Byrå Ett", "Kund AB"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s: its own words do not name %q:\n%s", name, want, body)
					}
				}
				if !strings.HasPrefix(m.Text, "Spiris · ") || !strings.Contains(m.Text, reason) || !strings.Contains(m.HTML, reason) ||
					!strings.Contains(m.Text, "spiris.se") || !strings.Contains(m.HTML, "spiris.se") {
					t.Errorf("%s (office %v): header, reason or contact missing:\n%s", name, forOffice, m.Text)
				}
				if strings.Count(m.Text, "\n\n") < 5 {
					t.Errorf("%s: fewer paragraphs than a header, greeting, what happened, what next and a footer:\n%s", name, m.Text)
				}
				if strings.Contains(m.HTML, ">"+link) || strings.Contains(m.HTML, link+"<") || wide.MatchString(m.HTML) {
					t.Errorf("%s: the HTML shows the raw link or sets a width a phone cannot show:\n%s", name, m.HTML)
				}
				if strings.Contains(m.Text, link) && !strings.Contains(m.Text, ":\n"+link+"\n") {
					t.Errorf("%s: the text part's link is not on a line of its own under its label:\n%s", name, m.Text)
				}
			}
		}
	}
}

// ownFrame checks an e-mail with a frame of its own (user_added, sign_in_link): it names the
// company in its words and its header, says why it came and whom to ask (and, for a new sign-in
// link, who asked for it and until when it works), and shows its link as the others do.
func ownFrame(t *testing.T, kind, lang, link string) {
	t.Helper()
	m, err := mail.Render(kind, lang, mail.Data{Recipient: "Anna", Company: "Kund AB", Link: link,
		Requester: "Berit Admin (Kund AB)", Expires: "1 mars 2027"})
	if err != nil {
		t.Fatal(err)
	}
	name := kind + "/" + lang
	body := m.Text[strings.Index(m.Text, "\n\n"):strings.LastIndex(m.Text, "\n--\n")]
	why := map[string]map[string]string{
		"user_added":   {"sv": "eftersom du har lagts till som användare i Kund AB", "en": "because you have been added as a user of Kund AB"},
		"sign_in_link": {"sv": "eftersom du är användare i Kund AB hos Spiris och inte har loggat in än", "en": "because you are a user of Kund AB at Spiris and have not signed in yet"},
	}[kind][lang]
	if why == "" {
		t.Fatalf("%s: no reason to check for an e-mail of its own frame", name)
	}
	if !strings.HasPrefix(m.Text, "Spiris · ") || !strings.Contains(body, "Kund AB") || !strings.Contains(m.Text, why) ||
		!strings.Contains(m.HTML, why) || !strings.Contains(m.Text, "spiris.se") || strings.Contains(m.Text, "{") {
		t.Errorf("%s: header, the company, reason or contact missing:\n%s", name, m.Text)
	}
	if kind == "sign_in_link" && (!strings.Contains(body, "Berit Admin (Kund AB)") || !strings.Contains(body, "1 mars 2027")) {
		t.Errorf("%s: does not say who asked for the link or until when it works:\n%s", name, body)
	}
	if strings.Contains(m.HTML, ">"+link) || strings.Contains(m.HTML, link+"<") || !strings.Contains(m.Text, ":\n"+link+"\n") {
		t.Errorf("%s: the link is shown raw in the HTML, or not on a line of its own in the text:\n%s", name, m.Text)
	}
}
