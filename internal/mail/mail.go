// Package mail renders the service's e-mails from the templates in templates/ (text and HTML,
// Swedish and English) and sends them through SES.
package mail

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"text/template"
)

//go:embed templates
var files embed.FS

// Data fills an e-mail's wording.
type Data struct {
	Recipient     string // the recipient's name, for the greeting
	Office        string
	Company       string
	Solution      string
	Link          string // the action link, for e-mails that have one
	Expires       string // invitation expiry, YYYY-MM-DD
	AgreementEnds string // YYYY-MM-DD
	OutcomeText   string // what happens to the subscription, for "ended"
}

// Rendered is one e-mail ready to send.
type Rendered struct {
	Subject, Text, HTML string
}

type wording struct {
	Subject    string   `json:"subject"`
	Paragraphs []string `json:"paragraphs"`
	Link       string   `json:"link"`
}

var (
	messages   map[string]map[string]wording
	textLayout = template.Must(template.ParseFS(files, "templates/layout.txt.tmpl"))
	htmlLayout = htmltemplate.Must(htmltemplate.ParseFS(files, "templates/layout.html.tmpl"))
)

func init() {
	b, err := files.ReadFile("templates/messages.json")
	if err == nil {
		err = json.Unmarshal(b, &messages)
	}
	if err != nil {
		panic("mail: templates/messages.json: " + err.Error())
	}
}

// Kinds lists the e-mails there are wording for.
func Kinds() []string {
	out := make([]string, 0, len(messages))
	for k := range messages {
		out = append(out, k)
	}
	return out
}

var greetings = map[string][2]string{"sv": {"Hej", "Hälsningar,\nSpiris"}, "en": {"Hello", "Kind regards,\nSpiris"}}

// Render writes the e-mail of a kind in a language ("sv" or "en"; anything else is Swedish).
func Render(kind, lang string, d Data) (Rendered, error) {
	if _, ok := greetings[lang]; !ok {
		lang = "sv"
	}
	w, ok := messages[kind][lang]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: no %s wording for e-mail %q", lang, kind)
	}
	fill := func(s string) (string, error) {
		t, err := template.New("").Option("missingkey=error").Parse(s)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		err = t.Execute(&b, d)
		return b.String(), err
	}
	subject, err := fill(w.Subject)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: %s subject: %w", kind, err)
	}
	var paragraphs []string
	for _, p := range w.Paragraphs {
		text, err := fill(p)
		if err != nil {
			return Rendered{}, fmt.Errorf("mail: %s: %w", kind, err)
		}
		if text != "" {
			paragraphs = append(paragraphs, text)
		}
	}
	greeting := greetings[lang][0]
	if d.Recipient != "" {
		greeting += " " + d.Recipient
	}
	greeting += ","
	page := map[string]any{"Lang": lang, "Subject": subject, "Greeting": greeting, "Paragraphs": paragraphs,
		"Link": "", "LinkLabel": w.Link, "Signature": greetings[lang][1]}
	if w.Link != "" {
		page["Link"] = d.Link
	}
	var text, html bytes.Buffer
	if err := textLayout.Execute(&text, page); err != nil {
		return Rendered{}, fmt.Errorf("mail: %s text: %w", kind, err)
	}
	if err := htmlLayout.Execute(&html, page); err != nil {
		return Rendered{}, fmt.Errorf("mail: %s html: %w", kind, err)
	}
	return Rendered{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}
