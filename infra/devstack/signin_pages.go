package devstack

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// signInText is the local sign-in pages' wording in one language.
type signInText struct {
	Lang, Title, Intro, FirstNote, Email, Password, SignIn, Seeded, SeededNote, Choose, ChooseIntro,
	NewPassword, Terms, Chosen, Refused, TermsMissing, PasswordRefused string
	// Expired says the first sign-in link's code expired on {Date}; ExpiredInvitation how to get a
	// new one when it leads to {Office}'s invitation, ExpiredOther when it leads nowhere else (a
	// user's user_added or sign_in_link e-mail: an administrator of the company sends a new link).
	Expired, ExpiredInvitation, ExpiredOther string
	TermsVersion, Runner, Mailbox            string
}

var signInTexts = map[string]signInText{
	"sv": {Lang: "sv", Title: "Logga in", Intro: "Logga in med e-postadress och lösenord (lokalt: mot emulatorns användarpool, som webbklienten mot Cognito i AWS).",
		FirstNote: "Första inloggningen: e-postadressen och en engångskod från länken i e-postmeddelandet är ifyllda. Logga in och välj sedan ditt lösenord.",
		Email:     "E-postadress", Password: "Lösenord", SignIn: "Logga in", Seeded: "Demoanvändare",
		SeededNote: "Lösenord för alla demoanvändare: " + DemoPassword, Choose: "Välj ditt lösenord",
		ChooseIntro: "Du loggar in för första gången. Välj ett lösenord (minst 12 tecken med stora och små bokstäver och siffror) och godkänn användarvillkoren.",
		NewPassword: "Nytt lösenord", Terms: "Jag godkänner användarvillkoren för My Spiris.", Chosen: "Spara och fortsätt",
		Refused:      "E-postadressen eller lösenordet stämmer inte. En länk för första inloggning gäller en gång och en begränsad tid; be om en ny om den har gått ut.",
		TermsMissing: "Godkänn användarvillkoren för att fortsätta.", PasswordRefused: "Lösenordet godtogs inte. Välj ett annat som uppfyller kraven.",
		TermsVersion: "version", Runner: "Lokal tjänst", Mailbox: "Brevlåda",
		Expired:           "Länken för första inloggning gick ut den {Date}, så engångskoden i den fungerar inte längre.",
		ExpiredInvitation: "Be {Office} skicka inbjudan igen: det nya e-postmeddelandet har en ny länk. En påminnelse om inbjudan har också en ny länk.",
		ExpiredOther:      "Be en administratör för ditt företag att skicka en ny inloggningslänk till dig (i My Spiris under Hantera användare): det nya e-postmeddelandet har en ny kod. Är du själv administratör har nästa e-postmeddelande från oss med en länk, till exempel en inbjudan, också en ny kod."},
	"en": {Lang: "en", Title: "Sign in", Intro: "Sign in with your e-mail address and password (locally: to the emulator's user pool, as the web client signs in to Cognito in AWS).",
		FirstNote: "First sign-in: the e-mail address and a one-time code from the e-mail's link are filled in. Sign in, then choose your password.",
		Email:     "E-mail address", Password: "Password", SignIn: "Sign in", Seeded: "Demo users",
		SeededNote: "Password of every demo user: " + DemoPassword, Choose: "Choose your password",
		ChooseIntro: "This is your first sign-in. Choose a password (at least 12 characters with upper and lower case letters and digits) and accept the user terms.",
		NewPassword: "New password", Terms: "I accept the user terms of My Spiris.", Chosen: "Save and continue",
		Refused:      "The e-mail address or the password is not right. A first sign-in link works once and for a limited time; ask for a new one if it has expired.",
		TermsMissing: "Accept the user terms to continue.", PasswordRefused: "The password was not accepted. Choose another one that meets the requirements.",
		TermsVersion: "version", Runner: "Local runner", Mailbox: "Mailbox",
		Expired:           "This first sign-in link expired on {Date}, so its one-time code no longer works.",
		ExpiredInvitation: "Ask {Office} to send the invitation again: the new e-mail brings a new link. A reminder of the invitation brings a new link too.",
		ExpiredOther:      "Ask an administrator of your company to send you a new sign-in link (in My Spiris under Manage users): the new e-mail brings a new code. If you are an administrator yourself, the next e-mail from us with a link, such as an invitation, brings a new code too."},
}

// signInLanguage is the sign-in page's language: ?lang=, the page it leads to's lang, then the
// browser's (answerLanguage).
func signInLanguage(r *http.Request, next string) signInText {
	if u, err := url.Parse(next); err == nil {
		if t, ok := signInTexts[u.Query().Get("lang")]; ok && r.FormValue("lang") == "" {
			return t
		}
	}
	return signInTexts[answerLanguage(r).Lang]
}

// localNext keeps where a sign-in leads on this site: a path, or a link to this stack (a first
// sign-in link names the invitation by its full URL).
func (s *Stack) localNext(v string) string {
	if rest, ok := strings.CutPrefix(v, s.URL); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
		v = "/" + strings.TrimPrefix(rest, "/")
	}
	return next(v)
}

func (s *Stack) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderSignIn(w, r, http.StatusOK, "")
}

func (s *Stack) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	to := s.localNext(r.FormValue("next"))
	t := signInLanguage(r, to)
	data := map[string]any{"T": t, "Title": t.Title, "People": s.People, "Next": to, "Demo": DemoPassword, "Problem": problem,
		"Expires": r.FormValue("expires")}
	if expired, how := s.expiredLink(r, t, to); expired != "" {
		status, data["Expired"], data["ExpiredHow"] = http.StatusGone, expired, how
	}
	render(w, status, "login", data)
}

// expiredLink says, when the first sign-in link a request comes from has expired (its expires=,
// RFC 3339, before the stack's clock), that it has and how to get a new one: a new invitation
// e-mail from the office whose invitation it leads to (next), or any new e-mail with a link. In AWS
// Cognito refuses the code itself after FirstSignInDays; moto never does, so locally this page
// refuses it by the time the link states.
func (s *Stack) expiredLink(r *http.Request, t signInText, next string) (expired, how string) {
	at, err := time.Parse(time.RFC3339, r.FormValue("expires"))
	if err != nil || !s.Service.Now().After(at) {
		return "", ""
	}
	lang := collab.Language(t.Lang)
	expired = strings.ReplaceAll(t.Expired, "{Date}", collab.DateIn(at, lang))
	if path, _, _ := strings.Cut(next, "?"); strings.HasPrefix(path, "/invitations/") {
		names := s.invitationNames(r.Context(), strings.TrimPrefix(path, "/invitations/"), lang)
		if office := names.Replace("{Office}"); office != "" {
			return expired, strings.ReplaceAll(t.ExpiredInvitation, "{Office}", office)
		}
	}
	return expired, t.ExpiredOther
}

// login signs in with e-mail and password: a token sets the pages' cookie; a first sign-in asks
// for a password next.
func (s *Stack) login(w http.ResponseWriter, r *http.Request) {
	to := s.localNext(r.FormValue("next"))
	t := signInLanguage(r, to)
	token, challenge, err := s.Identity.SignIn(r.Context(), r.FormValue("email"), r.FormValue("password"))
	switch {
	case errors.Is(err, ErrSignIn):
		s.renderSignIn(w, r, http.StatusUnauthorized, t.Refused)
	case errors.Is(err, ErrFirstSignInExpired):
		s.renderSignIn(w, r, http.StatusGone, t.Refused)
	case err != nil:
		s.log.Error("local sign-in failed", "error", err.Error())
		s.renderSignIn(w, r, http.StatusBadGateway, t.Refused)
	case challenge != nil && r.FormValue("expires") != "":
		if expired, _ := s.expiredLink(r, t, to); expired != "" {
			s.renderSignIn(w, r, http.StatusGone, "")
			return
		}
		fallthrough
	case challenge != nil:
		render(w, http.StatusOK, "password", map[string]any{"T": t, "Title": t.Choose, "Next": to, "User": challenge.UserID,
			"Session": challenge.Session, "UserTerms": collab.UserTermsVersion})
	default:
		s.signInCookie(w, r, token, to)
	}
}

// choosePassword completes a first sign-in: the person's own password, and the user terms
// accepted.
func (s *Stack) choosePassword(w http.ResponseWriter, r *http.Request) {
	to := s.localNext(r.FormValue("next"))
	t := signInLanguage(r, to)
	data := map[string]any{"T": t, "Title": t.Choose, "Next": to, "User": r.FormValue("user"), "Session": r.FormValue("session"),
		"UserTerms": collab.UserTermsVersion}
	if r.FormValue("terms") != "accepted" {
		data["Problem"] = t.TermsMissing
		render(w, http.StatusBadRequest, "password", data)
		return
	}
	token, err := s.Identity.ChoosePassword(r.Context(), Challenge{UserID: r.FormValue("user"), Session: r.FormValue("session")},
		r.FormValue("password"))
	if err != nil {
		data["Problem"] = t.PasswordRefused
		render(w, http.StatusBadRequest, "password", data)
		return
	}
	if problem := s.recordUserTerms(r, token, r.FormValue("user"), r.FormValue("user_terms")); problem != "" {
		http.SetCookie(w, &http.Cookie{Name: cookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		s.renderSignIn(w, r, http.StatusBadGateway, problem)
		return
	}
	s.signInCookie(w, r, token, to)
}

// recordUserTerms records the user terms the page showed as accepted by the person just signed
// in, as the web client does once the password is set: PUT /users/{userId}/user-terms with the
// new access token, through the API itself. It returns what went wrong, worded by the API.
func (s *Stack) recordUserTerms(r *http.Request, token, user, version string) string {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPut, s.URL+"/users/"+url.PathEscape(user)+"/user-terms",
		strings.NewReader(`{"version":`+strconv.Quote(version)+`}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.log.Error("recording the user terms failed", "error", err.Error())
		return "The user terms could not be recorded; sign in again to accept them."
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	var body struct{ Error struct{ Message, Fix string } }
	json.NewDecoder(resp.Body).Decode(&body)
	return body.Error.Message + ": " + body.Error.Fix
}

func (s *Stack) signInCookie(w http.ResponseWriter, r *http.Request, token, to string) {
	http.SetCookie(w, &http.Cookie{Name: cookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// The first sign-in link carries the e-mail address and the one-time code in its fragment, which
// the browser never sends: the page's script fills them in and takes them out of the address bar.
var _ = template.Must(pages.Parse(`
{{define "login"}}{{template "page" .}}<h1>{{.T.Title}}</h1>
<p class="small">{{.T.Intro}}</p>
{{if .Expired}}<div id="link-expired" class="note" role="alert"><p>{{.Expired}}</p><p>{{.ExpiredHow}}</p></div>
{{else}}<p id="first-sign-in" class="note" hidden>{{.T.FirstNote}}</p>{{end}}
{{if .Problem}}<p id="sign-in-problem" class="note" role="alert">{{.Problem}}</p>{{end}}
<form id="sign-in" method="post" action="/_local/login"><input type="hidden" name="next" value="{{.Next}}"><input type="hidden" name="lang" value="{{.T.Lang}}">{{if .Expires}}<input type="hidden" name="expires" value="{{.Expires}}">{{end}}
<p><label for="email">{{.T.Email}}</label><br><input id="email" name="email" type="email" autocomplete="username" required style="width:100%;max-width:24rem"></p>
<p><label for="password">{{.T.Password}}</label><br><input id="password" name="password" type="password" autocomplete="current-password" required style="width:100%;max-width:24rem"></p>
<button type="submit" id="sign-in-submit">{{.T.SignIn}}</button></form>
{{if not .Expired}}<script>(function(){var h=new URLSearchParams(location.hash.slice(1));if(h.get("email")&&h.get("code")){
document.getElementById("email").value=h.get("email");document.getElementById("password").value=h.get("code");
document.getElementById("first-sign-in").hidden=false;history.replaceState(null,"",location.pathname+location.search);}})();</script>{{end}}
{{if .People}}<h2>{{.T.Seeded}}</h2><p class="small">{{.T.SeededNote}}</p>
<table><tbody>{{range .People}}<tr><td>{{.Name}}<br><small>{{.Email}} · {{.Role}}, {{.Org}}</small></td>
<td><form method="post" action="/_local/login"><input type="hidden" name="next" value="{{$.Next}}"><input type="hidden" name="lang" value="{{$.T.Lang}}">
<input type="hidden" name="email" value="{{.Email}}"><input type="hidden" name="password" value="{{$.Demo}}">
<button type="submit" id="login-{{.UserID}}" aria-label="{{$.T.SignIn}}: {{.Name}}">{{$.T.SignIn}}</button></form></td></tr>
{{end}}</tbody></table>{{end}}{{template "pagefoot" .T}}{{end}}

{{define "password"}}{{template "page" .}}<h1>{{.T.Choose}}</h1>
<p>{{.T.ChooseIntro}}</p>
{{if .Problem}}<p id="password-problem" class="note" role="alert">{{.Problem}}</p>{{end}}
<form id="choose" method="post" action="/_local/login/password"><input type="hidden" name="next" value="{{.Next}}"><input type="hidden" name="lang" value="{{.T.Lang}}">
<input type="hidden" name="user" value="{{.User}}"><input type="hidden" name="session" value="{{.Session}}"><input type="hidden" name="user_terms" value="{{.UserTerms}}">
<p><label for="new-password">{{.T.NewPassword}}</label><br><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required style="width:100%;max-width:24rem"></p>
<p><label><input id="accept-terms" type="checkbox" name="terms" value="accepted"> {{.T.Terms}}</label> <span class="small">({{.T.TermsVersion}} <span id="user-terms-version">{{.UserTerms}}</span>)</span></p>
<button type="submit" id="choose-password">{{.T.Chosen}}</button></form>{{template "pagefoot" .T}}{{end}}
`))
