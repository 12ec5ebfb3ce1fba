// Package mail renders the service's e-mails from the templates in templates/ (text and HTML,
// Swedish and English) and sends them through SES.
//
// The templates use plain {Name} placeholders filled by strings.Replacer, with every value
// HTML-escaped for the HTML part, rather than text/template: templates that call methods by name
// make the linker keep every exported method of the program, which made each Lambda binary
// nearly twice as large.
package mail

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"sync"
	"unicode"
)

//go:embed templates
var files embed.FS

// Data fills an e-mail's wording.
type Data struct {
	Recipient     string // the recipient's name, for the greeting
	Office        string
	Company       string
	Solution      string // the solution's name in the e-mail's language (collab.SolutionRules.NameIn)
	Link          string // the action link, for e-mails that have one
	Expires       string // invitation expiry, YYYY-MM-DD
	AgreementEnds string // YYYY-MM-DD
	// Outcome is what ending did: an end effect (collab.EndEffect), worded by the "outcomes" of
	// the e-mails that have them ("ended"); the others leave it out. OutcomeText, when set, is
	// used instead.
	Outcome     string
	OutcomeText string
}

// Rendered is one e-mail ready to send.
type Rendered struct {
	Subject, Text, HTML string
}

type wording struct {
	Subject    string   `json:"subject"`
	Paragraphs []string `json:"paragraphs"`
	Link       string   `json:"link"`
	// Outcomes words {OutcomeText} by Data.Outcome, for the e-mails that report an end.
	Outcomes map[string]string `json:"outcomes"`
}

// templates are the wording and layouts, read on first use rather than at start-up: decoding
// them costs about a millisecond, which every function but the e-mail worker would pay in its
// cold start for nothing.
type templates struct {
	messages         map[string]map[string]wording
	text, htmlLayout string
}

var load = sync.OnceValues(func() (templates, error) {
	var t templates
	b, err := files.ReadFile("templates/messages.json")
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t.messages); err != nil {
		return t, fmt.Errorf("mail: templates/messages.json: %w", err)
	}
	text, err := files.ReadFile("templates/layout.txt.tmpl")
	if err != nil {
		return t, err
	}
	page, err := files.ReadFile("templates/layout.html.tmpl")
	if err != nil {
		return t, err
	}
	t.text, t.htmlLayout = string(text), string(page)
	return t, nil
})

var greetings = map[string][2]string{"sv": {"Hej", "Hälsningar, Spiris"}, "en": {"Hello", "Kind regards, Spiris"}}

// Render writes the e-mail of a kind in a language ("sv" or "en"; anything else is Swedish).
func Render(kind, lang string, d Data) (Rendered, error) {
	t, err := load()
	if err != nil {
		return Rendered{}, err
	}
	if _, ok := greetings[lang]; !ok {
		lang = "sv"
	}
	w, ok := t.messages[kind][lang]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: no %s wording for e-mail %q", lang, kind)
	}
	outcome := d.OutcomeText
	if outcome == "" && len(w.Outcomes) > 0 {
		if outcome, ok = w.Outcomes[d.Outcome]; !ok {
			return Rendered{}, fmt.Errorf("mail: no %s wording for outcome %q of e-mail %q", lang, d.Outcome, kind)
		}
	}
	values := []string{"{Office}", d.Office, "{Company}", d.Company, "{Solution}", d.Solution, "{Link}", d.Link,
		"{Expires}", d.Expires, "{AgreementEnds}", d.AgreementEnds, "{OutcomeText}", outcome}
	plain := strings.NewReplacer(values...)
	escaped := make([]string, len(values))
	for i, v := range values {
		escaped[i] = v
		if i%2 == 1 {
			escaped[i] = html.EscapeString(v)
		}
	}
	inHTML := strings.NewReplacer(escaped...)

	greeting := greetings[lang][0]
	if d.Recipient != "" {
		greeting += " " + d.Recipient
	}
	greeting += ","
	var text, page strings.Builder
	for _, p := range w.Paragraphs {
		if t := plain.Replace(p); t != "" {
			text.WriteString(t + "\n\n")
			page.WriteString("<p>" + inHTML.Replace(p) + "</p>\n")
		}
	}
	textLink, htmlLink := "", ""
	if w.Link != "" && d.Link != "" {
		textLink = w.Link + ": " + d.Link + "\n\n"
		link := html.EscapeString(d.Link)
		htmlLink = `<p><a href="` + link + `" style="display: inline-block; background: #0b4f8a; color: #ffffff; padding: .6rem 1.2rem; border-radius: .3rem; text-decoration: none;">` +
			html.EscapeString(w.Link) + "</a></p>\n<p style=\"font-size: .9rem;\">" + link + "</p>\n"
	}
	subject := oneLine(plain.Replace(w.Subject))
	return Rendered{
		Subject: subject,
		Text: strings.NewReplacer("{greeting}", greeting, "{paragraphs}", text.String(), "{link}", textLink,
			"{signature}", greetings[lang][1]).Replace(t.text),
		HTML: strings.NewReplacer("{lang}", lang, "{subject}", html.EscapeString(subject), "{greeting}", html.EscapeString(greeting),
			"{paragraphs}", page.String(), "{link}", htmlLink, "{signature}", html.EscapeString(greetings[lang][1])).Replace(t.htmlLayout),
	}, nil
}

// oneLine replaces the control characters and line separators in a subject with spaces. The
// subject holds the office's and the company's names, and SES writes it into the Subject header:
// the actions refuse names with such characters at input (actions.checkText), which is the
// defence; this keeps a name stored before that check, or imported, from breaking the header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
