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
	"slices"
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
	Expires       string // invitation expiry, written in the e-mail's language (collab.DateIn)
	AgreementEnds string // the agreement period's end, written as Expires
	// Until is until when a handed-over backup file or an export can be downloaded (the link),
	// a grace period's deadline, a scheduled end's day, or until when an ended collaboration's
	// archive is kept, written as Expires.
	Until string
	// Outcome is what ending did: an end effect (collab.EndEffect), worded by the "outcomes" of
	// the e-mails that have them ("ended"); the others leave it out. OutcomeText, when set, is
	// used instead.
	Outcome     string
	OutcomeText string
	// ForOffice says the recipient is one of the office's people (else an administrator of the
	// company), which says why they got the e-mail.
	ForOffice bool
	// Requester names who asked for the e-mail, "name (organisation)": the new first sign-in
	// link a company's administrator asked for a user.
	Requester string
	// Blockers are the codes of the rules that stopped a scheduled end (collab.Blocker), worded
	// by the "blockers" of the e-mail that has them into {BlockerText}; a code it does not word,
	// or none, is worded by its "other".
	Blockers []string
}

// Rendered is one e-mail ready to send, in language Lang ("sv" or "en").
type Rendered struct {
	Subject, Text, HTML, Lang string
}

type wording struct {
	Subject    string   `json:"subject"`
	Paragraphs []string `json:"paragraphs"`
	Link       string   `json:"link"`
	// Outcomes words {OutcomeText} by Data.Outcome, for the e-mails that report an end.
	Outcomes map[string]string `json:"outcomes"`
	// Header, Why and Contact replace the frame's for an e-mail of a company to its own user,
	// which is about no collaboration (user_added, sign_in_link): no office to name.
	Header  string `json:"header"`
	Why     string `json:"why"`
	Contact string `json:"contact"`
	// Blockers words {BlockerText} by Data.Blockers, for the e-mail of a scheduled end that did
	// not happen.
	Blockers map[string]string `json:"blockers"`
}

// own is the frame with what the wording replaces of it.
func (f frame) own(w wording) frame {
	if w.Header != "" {
		f.Header = w.Header
	}
	if w.Why != "" {
		f.WhyCompany = w.Why
	}
	if w.Contact != "" {
		f.ContactCompany = w.Contact
	}
	return f
}

// frame is the wording around every e-mail's own, in one language: the header, the greeting and
// signature, why the recipient got it (as one of the company's administrators or of the office's
// people), the sender, a contact line, and the short line under the button.
type frame struct {
	Greeting, Signature, Header, Sender                  string
	WhyCompany, WhyOffice, ContactCompany, ContactOffice string
	Fallback, FallbackLink                               string
}

// lines are a frame filled for one recipient.
type lines struct {
	Greeting, Signature, Header, Sender, Why, Contact, Fallback, FallbackLink string
}

// templates are the wording and layouts, read on first use rather than at start-up: decoding
// them costs about a millisecond, which every function but the e-mail worker would pay in its
// cold start for nothing.
type templates struct {
	messages         map[string]map[string]wording
	frames           map[string]frame
	text, htmlLayout string
}

var load = sync.OnceValues(func() (templates, error) {
	var t templates
	for name, v := range map[string]any{"messages.json": &t.messages, "frame.json": &t.frames} {
		b, err := files.ReadFile("templates/" + name)
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			return t, fmt.Errorf("mail: templates/%s: %w", name, err)
		}
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

// Render writes the e-mail of a kind in a language ("sv" or "en"; anything else is Swedish): the
// kind's paragraphs and button in the frame of the language (header, why the recipient got it,
// sender and contact), as text and as HTML no wider than a phone's screen.
func Render(kind, lang string, d Data) (Rendered, error) {
	t, err := load()
	if err != nil {
		return Rendered{}, err
	}
	if _, ok := t.frames[lang]; !ok {
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
		"{Expires}", d.Expires, "{AgreementEnds}", d.AgreementEnds, "{Until}", d.Until, "{Requester}", d.Requester}
	values = append(values, "{OutcomeText}", strings.NewReplacer(values...).Replace(outcome)) // its wording names dates too
	plain := strings.NewReplacer(values...)
	if len(w.Blockers) > 0 { // their wording names the parties too
		values = append(values, "{BlockerText}", plain.Replace(w.blockerText(d.Blockers)))
		plain = strings.NewReplacer(values...)
	}
	escaped := make([]string, len(values))
	for i, v := range values {
		escaped[i] = v
		if i%2 == 1 {
			escaped[i] = html.EscapeString(v)
		}
	}
	f := t.frames[lang].own(w)
	return compose(t, lang, w, f.filled(d, plain.Replace), d, plain, strings.NewReplacer(escaped...)), nil
}

// blockerText words the blockers codes, each once in the order given, by w.Blockers: a code it
// does not word, or none, by its "other".
func (w wording) blockerText(codes []string) string {
	var out []string
	for _, c := range codes {
		text, ok := w.Blockers[c]
		if !ok {
			text = w.Blockers["other"]
		}
		if !slices.Contains(out, text) {
			out = append(out, text)
		}
	}
	if len(out) == 0 {
		out = append(out, w.Blockers["other"])
	}
	return strings.Join(out, " ")
}

// filled is the frame with its placeholders filled and the lines that depend on the recipient
// chosen: why they got it and whom to contact, as an office's person or a company's administrator.
func (f frame) filled(d Data, fill func(string) string) lines {
	why, contact := f.WhyCompany, f.ContactCompany
	if d.ForOffice {
		why, contact = f.WhyOffice, f.ContactOffice
	}
	greeting := f.Greeting
	if d.Recipient != "" {
		greeting += " " + d.Recipient
	}
	return lines{Greeting: greeting + ",", Signature: f.Signature, Header: fill(f.Header), Why: fill(why),
		Sender: f.Sender, Contact: fill(contact), Fallback: f.Fallback, FallbackLink: f.FallbackLink}
}

// compose puts an e-mail's paragraphs and button (when it has a link) in the layouts.
func compose(t templates, lang string, w wording, f lines, d Data, plain, inHTML *strings.Replacer) Rendered {
	var text, page strings.Builder
	for _, p := range w.Paragraphs {
		if t := plain.Replace(p); t != "" {
			text.WriteString(t + "\n\n")
			page.WriteString("<p>" + inHTML.Replace(p) + "</p>\n")
		}
	}
	e := html.EscapeString
	textLink, htmlLink := "", ""
	if w.Link != "" && d.Link != "" {
		textLink = w.Link + ":\n" + d.Link + "\n\n"
		link := e(d.Link)
		htmlLink = `<p style="margin: 1.2rem 0 .4rem;"><a href="` + link + `" style="display: inline-block; max-width: 100%; box-sizing: border-box; background: #0b4f8a; color: #ffffff; padding: .7rem 1.2rem; border-radius: .3rem; text-decoration: none; font-weight: 600;">` +
			e(w.Link) + "</a></p>\n" + `<p style="font-size: .85rem; margin: 0 0 1rem; overflow-wrap: anywhere;">` + e(f.Fallback) + ` <a href="` + link + `" style="color: #0b4f8a;">` +
			e(f.FallbackLink) + "</a>.</p>\n"
	}
	subject := oneLine(plain.Replace(w.Subject))
	frameParts := func(esc func(string) string) []string {
		return []string{"{header}", esc(f.Header), "{greeting}", esc(f.Greeting), "{signature}", esc(f.Signature),
			"{why}", esc(f.Why), "{sender}", esc(f.Sender), "{contact}", esc(f.Contact)}
	}
	same := func(s string) string { return s }
	return Rendered{
		Subject: subject, Lang: lang,
		Text: strings.NewReplacer(append(frameParts(same), "{paragraphs}", text.String(), "{link}", textLink)...).Replace(t.text),
		HTML: strings.NewReplacer(append(frameParts(e), "{lang}", lang, "{subject}", e(subject), "{paragraphs}", page.String(),
			"{link}", htmlLink)...).Replace(t.htmlLayout),
	}
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
