package devstack

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spiris/collab/infra/apigw"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/infra/seed"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/mail"
)

// mailCopies keeps a copy of every e-mail the service hands SES, with the stack's time: the
// emulator keeps only one part of an e-mail (moto the HTML) and no time, so the local mailbox takes
// the time, the language and the text part from here.
type mailCopies struct {
	next actions.Mailer
	now  func() time.Time
	mu   sync.Mutex
	kept []mailCopy
}

type mailCopy struct {
	at   time.Time
	to   string
	mail mail.Rendered
}

// Send sends through the mailer it wraps and keeps a copy of what SES accepted.
func (m *mailCopies) Send(ctx context.Context, to string, r mail.Rendered) error {
	err := m.next.Send(ctx, to, r)
	if err == nil {
		m.mu.Lock()
		m.kept = append(m.kept, mailCopy{at: m.now(), to: to, mail: r})
		m.mu.Unlock()
	}
	return err
}

// of returns the copy of an e-mail SES accepted, found by its recipient, subject and body among
// the copies not yet used: the e-mails are read in the order sent, so of two alike (a grace
// period's two reminders) each gets its own time.
func (m *mailCopies) of(e localaws.SentEmail, used map[int]bool) (mailCopy, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.kept {
		if !used[i] && slices.Contains(e.To, c.to) && c.mail.Subject == e.Subject && (c.mail.HTML == e.Body || c.mail.Text == e.Body) {
			used[i] = true
			return c, true
		}
	}
	return mailCopy{}, false
}

// listedMail is one e-mail of the local mailbox: what SES accepted, numbered from the oldest, with
// its time, language and both parts when the runner sent it.
type listedMail struct {
	N int `json:"n"`
	localaws.SentEmail
	SentAt   *time.Time `json:"sentAt,omitempty"`
	Language string     `json:"language,omitempty"`
	Text     string     `json:"text,omitempty"`
	HTML     string     `json:"html,omitempty"`
}

// sentMail returns the e-mails the emulator's SES accepted, newest first, numbered from the oldest.
func (s *Stack) sentMail(r *http.Request) ([]listedMail, error) {
	all, err := localaws.SentEmails(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]listedMail, len(all))
	used := map[int]bool{}
	for i, m := range all {
		l := listedMail{N: i, SentEmail: m}
		if c, ok := s.mailCopies.of(m, used); ok {
			at := c.at
			l.SentAt, l.Language, l.Text, l.HTML = &at, c.mail.Lang, c.mail.Text, c.mail.HTML
		}
		out[len(all)-1-i] = l
	}
	return out, nil
}

func (s *Stack) mailbox(w http.ResponseWriter, r *http.Request) {
	mails, err := s.sentMail(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, map[string]any{"items": mails})
		return
	}
	render(w, http.StatusOK, "mailbox", map[string]any{"T": answerTexts[collab.English], "Title": "Mailbox", "Mails": mails})
}

// mailMessage shows one e-mail's HTML as a mail client would, links and all; /text its text part.
func (s *Stack) mailMessage(w http.ResponseWriter, r *http.Request) {
	mails, err := s.sentMail(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	n, _ := strconv.Atoi(r.PathValue("n"))
	i := slices.IndexFunc(mails, func(m listedMail) bool { return m.N == n })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, noRouteBody{Message: "Not Found", Error: httpapi.ErrorDetail{Code: "mail_not_found",
			Message: "the mailbox holds no e-mail with this number", Fix: "pick an e-mail from /_local/mail"}})
		return
	}
	if r.PathValue("part") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, mails[i].Text)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, mails[i].Body)
}

// answerText is the local answer pages' wording in one language.
type answerText struct {
	Lang, Approve, Decline, SignedInAs, SomeoneElse, Invites, InvitesTo, Done, NotDone, Back string
	Runner, Mailbox, SignIn                                                                  string // the local runner's links
	// States say what the collaboration's new status means, by status; {Office}, {Company} and
	// {Solution} are filled in.
	States map[collab.Status]string
	// Errors word the answer's refusals by code; others show the API's message.
	Errors map[string]string
}

var answerTexts = map[collab.Language]answerText{
	collab.Swedish: {Lang: "sv", Approve: "Godkänn samarbetet", Decline: "Tacka nej till samarbetet", SignedInAs: "Inloggad som",
		SomeoneElse: "Logga in som någon annan", Invites: "bjuder in", InvitesTo: "till ett samarbete i", Done: "Klart", NotDone: "Inte klart",
		Back: "Tillbaka till inbjudan", Runner: "Lokal tjänst", Mailbox: "Brevlåda", SignIn: "Logga in",
		States: map[collab.Status]string{
			collab.Active:   "Samarbetet är aktivt. Medarbetarna på {Office} som arbetar med uppdraget har nu tillgång till {Company} och {Solution}. {Office} får besked via e-post.",
			collab.Declined: "Ni har tackat nej. Samarbetet startar inte, och ingen på {Office} har fått tillgång till {Company}. {Office} får besked via e-post.",
		},
		Errors: map[string]string{
			"invitation_used": "Inbjudan har redan besvarats.", "invitation_expired": "Inbjudan har gått ut; be {Office} skicka en ny.",
			"invitation_revoked":     "Inbjudan har ersatts eller dragits tillbaka; använd den senaste inbjudan från {Office}.",
			"not_company_user":       "Du är inte användare i {Company}. Logga in som en administratör för {Company}.",
			"administrator_required": "Bara en administratör för {Company} kan svara. Logga in som en administratör.",
			"terms_changed":          "Villkoren har ändrats sedan inbjudan visades, så inget har godkänts. Öppna inbjudan igen och läs villkoren innan du godkänner.",
		}},
	collab.English: {Lang: "en", Approve: "Approve the collaboration", Decline: "Decline the collaboration", SignedInAs: "Signed in as",
		SomeoneElse: "Sign in as someone else", Invites: "invites", InvitesTo: "to collaborate in", Done: "Done", NotDone: "Not done",
		Back: "Back to the invitation", Runner: "Local runner", Mailbox: "Mailbox", SignIn: "Sign in",
		States: map[collab.Status]string{
			collab.Active:   "The collaboration is active. The employees of {Office} who work on the task now have access to {Company} and {Solution}. {Office} is told by e-mail.",
			collab.Declined: "You have declined. The collaboration does not start, and nobody at {Office} has been given access to {Company}. {Office} is told by e-mail.",
		},
		Errors: map[string]string{
			"invitation_used": "This invitation has already been answered.", "invitation_expired": "This invitation has expired; ask {Office} to send a new one.",
			"invitation_revoked":     "This invitation was replaced or withdrawn; use the latest invitation from {Office}.",
			"not_company_user":       "You are not a user of {Company}. Sign in as an administrator of {Company}.",
			"administrator_required": "Only an administrator of {Company} can answer. Sign in as an administrator.",
			"terms_changed":          "The terms changed after the invitation was shown, so nothing was approved. Open the invitation again and read the terms before you approve.",
		}},
}

// answerLanguage is the answer pages' language: the invitation page's (?lang=, which its links
// carry), then the browser's, Swedish by default.
func answerLanguage(r *http.Request) answerText {
	if t, ok := answerTexts[collab.Language(r.FormValue("lang"))]; ok {
		return t
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		return answerTexts[collab.English]
	}
	return answerTexts[collab.Swedish]
}

// invitationNames returns who invites whom to which solution, named in the page's language, for
// the invitation of a token (used or not); empty names for an unknown token.
func (s *Stack) invitationNames(ctx context.Context, token string, lang collab.Language) *strings.Replacer {
	v, _ := s.Service.ShowInvitation(ctx, token)
	solution := ""
	if rules, ok := collab.Solutions[v.Solution]; ok {
		solution = rules.NameIn(lang)
	}
	return strings.NewReplacer("{Office}", v.OfficeName, "{Company}", v.CompanyName, "{Solution}", solution)
}

// personName is the name of a seeded person, or the id of anyone else.
func (s *Stack) personName(id string) string {
	if i := slices.IndexFunc(s.People, func(p seed.Person) bool { return p.UserID == id }); i >= 0 {
		return s.People[i].Name
	}
	return id
}

// answerPage is where the invitation page's buttons lead: sign in first, then confirm.
func (s *Stack) answerPage(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.signedIn(r)
	if !ok {
		http.Redirect(w, r, "/_local/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	t := answerLanguage(r)
	answer := "accept"
	if r.URL.Query().Get("answer") == "decline" {
		answer = "decline"
	}
	names := s.invitationNames(r.Context(), r.PathValue("token"), collab.Language(t.Lang))
	render(w, http.StatusOK, "answer", map[string]any{"T": t, "Title": t.Approve, "User": s.personName(claims.Subject), "Answer": answer,
		"Self": r.URL.RequestURI(), "Who": names.Replace("{Office}"), "Whom": names.Replace("{Company}"), "What": names.Replace("{Solution}"),
		"Terms": r.URL.Query().Get("terms")})
}

// answer accepts or declines through the API's own handler, as the signed-in user, and says in
// the reader's language what the new state means.
func (s *Stack) answer(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.signedIn(r)
	if !ok {
		http.Redirect(w, r, "/_local/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	function := "Accept"
	if r.FormValue("answer") == "decline" {
		function = "Decline"
	}
	token := r.PathValue("token")
	body := ""
	if v := r.FormValue("terms"); function == "Accept" && v != "" { // the version the invitation page showed
		b, _ := json.Marshal(actions.AcceptInput{TermsVersion: v})
		body = string(b)
	}
	rt, e, err := apigw.Event(actions.Caller{UserID: claims.Subject}, "POST", "/invitations/"+url.PathEscape(token)+"/"+strings.ToLower(function), body)
	if err != nil {
		writeJSON(w, http.StatusNotFound, noRouteBody{Message: "Not Found", Error: httpapi.ErrorDetail{Code: "route_not_found",
			Message: "no invitation route matches this token", Fix: "open the link from the invitation e-mail as it is"}})
		return
	}
	e.RequestContext.RequestID = requestIDOf(r.Context())
	e.RequestContext.Authorizer = jwtAuthorizer(claims)
	resp, _ := httpapi.Handle(s.Service, rt)(r.Context(), e)
	var answered struct {
		Status collab.Status                       `json:"status"`
		Error  struct{ Code, Message, Fix string } `json:"error"`
	}
	json.Unmarshal([]byte(resp.Body), &answered)
	t := answerLanguage(r)
	names := s.invitationNames(r.Context(), token, collab.Language(t.Lang))
	said, ok := t.Errors[answered.Error.Code]
	if !ok {
		said = answered.Error.Message + " " + answered.Error.Fix
	}
	if resp.StatusCode == http.StatusOK {
		said = t.States[answered.Status]
	}
	render(w, resp.StatusCode, "answered", map[string]any{"T": t, "Title": t.Done, "OK": resp.StatusCode == http.StatusOK, "Status": answered.Status,
		"Said": names.Replace(said), "Back": "/invitations/" + token + "?lang=" + t.Lang})
}

var _ = template.Must(pages.Parse(`
{{define "page"}}<!doctype html><html lang="{{.T.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – local</title><style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ccc;vertical-align:top}
button{font-size:1rem;padding:.5rem 1rem;border:2px solid #0b4f8a;border-radius:.3rem;background:#0b4f8a;color:#fff;cursor:pointer}
input,button{box-sizing:border-box;max-width:100%;font:inherit;overflow-wrap:normal}td button{white-space:nowrap}
a{color:#0b4f8a}.note{background:#fdf6ec;border-left:4px solid #8a4b0b;padding:.5rem 1rem}.small{font-size:.85rem;color:#4a4a4a}
pre{white-space:pre-wrap;background:#f3f5f7;padding:.6rem}.mail-item h2{font-size:1.05rem;margin:1.2rem 0 .2rem}.mail-item p{margin:.2rem 0}
</style></head><body><main>{{end}}

{{define "pagefoot"}}<p><a href="/">{{.Runner}}</a> · <a href="/_local/mail">{{.Mailbox}}</a> · <a href="/_local/login">{{.SignIn}}</a></p></main></body></html>{{end}}

{{define "mailbox"}}{{template "page" .}}<h1>Mailbox</h1>
{{if not .Mails}}<p>No e-mail sent yet.</p>{{end}}
{{range .Mails}}<section class="mail-item"><h2><a href="/_local/mail/{{.N}}" class="mail">{{.Subject}}</a></h2>
<p class="small">{{if .SentAt}}<time datetime="{{.SentAt.Format "2006-01-02T15:04:05Z07:00"}}">{{.SentAt.Format "2006-01-02 15:04 MST"}}</time> · {{end}}{{if .Language}}<span lang="{{.Language}}">{{.Language}}</span> · {{end}}to {{range .To}}{{.}} {{end}}· from {{.From}}</p>
<p><a href="/_local/mail/{{.N}}">HTML part</a>{{if .Text}} · <a href="/_local/mail/{{.N}}/text">text part</a>{{end}}</p>
{{if .Text}}<details><summary>Text part</summary><pre>{{.Text}}</pre></details>{{end}}</section>
{{end}}{{template "foot"}}{{end}}

{{define "answer"}}{{template "page" .}}<h1>{{if eq .Answer "decline"}}{{.T.Decline}}{{else}}{{.T.Approve}}{{end}}</h1>
<p id="who"><strong>{{.Who}}</strong> {{.T.Invites}} <strong>{{.Whom}}</strong> {{.T.InvitesTo}} <strong>{{.What}}</strong>.</p>
<p>{{.T.SignedInAs}} <strong id="signed-in">{{.User}}</strong>. <a href="/_local/login?next={{.Self}}">{{.T.SomeoneElse}}</a></p>
<form method="post"><input type="hidden" name="answer" value="{{.Answer}}"><input type="hidden" name="lang" value="{{.T.Lang}}"><input type="hidden" name="terms" value="{{.Terms}}">
<button type="submit" id="confirm">{{if eq .Answer "decline"}}{{.T.Decline}}{{else}}{{.T.Approve}}{{end}}</button></form>{{template "pagefoot" .T}}{{end}}

{{define "answered"}}{{template "page" .}}<h1>{{if .OK}}{{.T.Done}}{{else}}{{.T.NotDone}}{{end}}</h1>
<p id="result"{{if not .OK}} class="note"{{end}}>{{.Said}}</p>{{if .OK}}<p class="small">Status: <code id="status">{{.Status}}</code></p>{{end}}
<p><a href="{{.Back}}">{{.T.Back}}</a></p>{{template "pagefoot" .T}}{{end}}
`))
