package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

func showInvitation(s *actions.Service, r *request) (any, error) {
	return s.ShowInvitation(r.ctx, r.param("token"))
}

// invitationHTML is the page's skeleton; invitationPage fills its {placeholders}, escaping every
// value. (No html/template: see internal/mail for why templates that reflect cost binary size.)
//
//go:embed invitation.html
var invitationHTML string

// pageText is the invitation page's wording in one language.
type pageText struct {
	Lang, Title, Invites, InvitesTo, Solution, Invoice, InvoiceOffice, InvoiceCustomer, Start, Agreement, Months,
	Expires, Approve, Decline, SignInNote, NewCompanyNote, Used, Revoked, Expired, Unknown, DeadFix, Switch string
	Grants, Ending, TermsVersion string
}

var pageTexts = map[collab.Language]pageText{
	collab.Swedish: {Lang: "sv", Title: "Inbjudan till samarbete", Invites: "bjuder in", InvitesTo: "till ett samarbete i", Solution: "Tjänst",
		Invoice: "Fakturamottagare", InvoiceOffice: "Redovisningsbyrån", InvoiceCustomer: "Ert företag",
		Start: "Startperiod", Agreement: "Avtalsperiod", Months: "månader", Expires: "Inbjudan gäller till",
		Approve: "Godkänn samarbetet", Decline: "Tacka nej",
		Grants: "När ni godkänner", Ending: "Så avslutas samarbetet", TermsVersion: "Villkorens version",
		SignInNote:     "Du behöver logga in som administratör för företaget för att svara.",
		NewCompanyNote: "Ert företag har skapats hos oss. Logga in med inloggningsuppgifterna i e-postmeddelandet och godkänn villkoren.",
		Used:           "Inbjudan har redan besvarats.", Revoked: "Inbjudan har ersatts eller dragits tillbaka.",
		Expired: "Inbjudan har gått ut.", Unknown: "Inbjudan finns inte.",
		DeadFix: "Öppna samarbetet i My Spiris, eller be redovisningsbyrån skicka en ny inbjudan.", Switch: "In English"},
	collab.English: {Lang: "en", Title: "Invitation to collaborate", Invites: "invites", InvitesTo: "to collaborate in", Solution: "Solution",
		Invoice: "Invoice recipient", InvoiceOffice: "The accounting office", InvoiceCustomer: "Your company",
		Start: "Start period", Agreement: "Agreement period", Months: "months", Expires: "The invitation is valid until",
		Approve: "Approve the collaboration", Decline: "Decline",
		Grants: "When you approve", Ending: "How the collaboration ends", TermsVersion: "Version of the terms",
		SignInNote:     "You need to sign in as an administrator of the company to answer.",
		NewCompanyNote: "Your company has been created with us. Sign in with the details in the e-mail and approve the terms.",
		Used:           "This invitation has already been answered.", Revoked: "This invitation was replaced or withdrawn.",
		Expired: "This invitation has expired.", Unknown: "There is no such invitation.",
		DeadFix: "Open the collaboration in My Spiris, or ask the accounting office to send a new invitation.", Switch: "På svenska"},
}

// pageLanguage picks the page's language: ?lang= first, then Accept-Language, Swedish by default.
func pageLanguage(r *request) collab.Language {
	if l := r.query("lang"); l == "en" || l == "sv" {
		return collab.Language(l)
	}
	if strings.HasPrefix(strings.ToLower(r.header("accept-language")), "en") {
		return collab.English
	}
	return collab.Swedish
}

// invitationPage renders the invitation as plain server-side HTML that works without JavaScript.
// A dead link gets its own explanation with status 410, an unknown one 404.
func invitationPage(s *actions.Service, r *request) events.APIGatewayV2HTTPResponse {
	lang := pageLanguage(r)
	other := collab.English
	if lang == collab.English {
		other = collab.Swedish
	}
	t, e := pageTexts[lang], html.EscapeString
	v, err := s.ShowInvitation(r.ctx, r.param("token"))
	status, content := http.StatusOK, ""
	if err != nil {
		status, content = StatusOf(collab.ErrorKind(err)), deadInvitation(s, r, t, err)
	} else {
		answer := r.event.RawPath + "/answer"
		if s.AnswerURL != "" {
			answer = strings.ReplaceAll(s.AnswerURL, "{token}", r.param("token"))
		}
		content = liveInvitation(t, v, answer)
	}
	page := strings.NewReplacer("{lang}", t.Lang, "{title}", e(t.Title), "{content}", content,
		"{switchHref}", e(r.event.RawPath+"?lang="+string(other)), "{other}", string(other), "{switchText}", e(t.Switch)).Replace(invitationHTML)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
		Body:       page,
	}
}

// deadInvitation is the page's content for a link that no longer opens an invitation: used,
// replaced, expired or never issued. Anything else is logged and shown as unknown.
func deadInvitation(s *actions.Service, r *request, t pageText, err error) string {
	var dead string
	switch collab.ErrorCode(err) {
	case "invitation_used":
		dead = t.Used
	case "invitation_revoked":
		dead = t.Revoked
	case "invitation_expired":
		dead = t.Expired
	case "invitation_not_found":
		dead = t.Unknown
	default:
		s.Log.ErrorContext(r.ctx, "invitation page failed", "error", err.Error())
		dead = t.Unknown
	}
	e := html.EscapeString
	return `  <p class="notice" role="status" id="state">` + e(dead) + "</p>\n  <p>" + e(t.DeadFix) + "</p>\n"
}

// liveInvitation is the page's content for a live invitation: who invites whom, on what terms
// (collab.CurrentTerms: what approving grants, how it ends, their version), and the Approve and
// Decline links to answer. Names, dates and periods are in the page's language (the view's
// solutionName is the English name, for API clients that word it themselves).
func liveInvitation(t pageText, v actions.InvitationView, answer string) string {
	e, lang := html.EscapeString, collab.Language(t.Lang)
	solution := collab.Solutions[v.Solution].NameIn(lang)
	var b strings.Builder
	b.WriteString(`  <p id="who"><strong>` + e(v.OfficeName) + "</strong> " + e(t.Invites) + " <strong>" + e(v.CompanyName) + "</strong> " +
		e(t.InvitesTo) + " <strong>" + e(solution) + "</strong>.</p>\n" + invitationTerms(t, v, solution))
	if v.NewCompany {
		b.WriteString("  <p>" + e(t.NewCompanyNote) + "</p>\n")
	}
	// Links, not a form: a form sent to the answer page (another origin, which sends the
	// customer on to sign in) would need every origin of that redirect chain in the page's
	// form-action, which Chrome and Safari apply to redirects too.
	sep := "?"
	if strings.Contains(answer, "?") {
		sep = "&"
	}
	// The answer names the terms shown here, so an acceptance agrees to these (terms_changed if
	// they are no longer the current ones).
	href := func(choice string) string {
		return e(answer + sep + "lang=" + t.Lang + "&answer=" + choice + "&terms=" + url.QueryEscape(v.TermsVersion))
	}
	b.WriteString("  <p>" + e(t.SignInNote) + "</p>\n" +
		`  <p class="actions">` + "\n" +
		`    <a class="primary" href="` + href("accept") + `" id="approve">` + e(t.Approve) + "</a>\n" +
		`    <a class="secondary" href="` + href("decline") + `" id="decline">` + e(t.Decline) + "</a>\n  </p>\n")
	return b.String()
}

// invitationTerms is the invitation's terms on the page: the details the office chose, what
// approving grants in its scenario, how either party ends it, and the terms' version.
func invitationTerms(t pageText, v actions.InvitationView, solution string) string {
	e, lang := html.EscapeString, collab.Language(t.Lang)
	var b strings.Builder
	row := func(label, id, value string) {
		b.WriteString("    <dt>" + e(label) + `</dt><dd id="` + id + `">` + value + "</dd>\n")
	}
	b.WriteString("  <dl>\n")
	row(t.Solution, "solution", e(solution))
	invoice := t.InvoiceCustomer + ", " + v.CompanyName
	if v.InvoiceRecipient == "office" {
		invoice = t.InvoiceOffice + ", " + v.OfficeName
	}
	row(t.Invoice, "invoice", e(invoice))
	if start, err := collab.ParsePeriod("", v.StartPeriod); err == nil {
		row(t.Start, "start", e(start.In(lang)))
	}
	if v.AgreementMonths > 0 {
		row(t.Agreement, "agreement", fmt.Sprintf("%d %s", v.AgreementMonths, e(t.Months)))
	}
	row(t.Expires, "expires", `<time datetime="`+v.ExpiresAt.UTC().Format("2006-01-02")+`">`+e(collab.DateIn(v.ExpiresAt, lang))+"</time>")
	b.WriteString("  </dl>\n")
	scenario := collab.ExistingSolution
	if v.NewCompany {
		scenario = collab.NewCompany
	}
	grants, ending := collab.CurrentTerms.For(lang, scenario, v.OfficeName, v.CompanyName, solution)
	b.WriteString(`  <h2>` + e(t.Grants) + "</h2>\n" + `  <ul id="grants">` + "\n")
	for _, g := range grants {
		b.WriteString("    <li>" + e(g) + "</li>\n")
	}
	b.WriteString("  </ul>\n  <h2>" + e(t.Ending) + "</h2>\n" + `  <p id="ending">` + e(ending) + "</p>\n" +
		`  <p class="small">` + e(t.TermsVersion) + `: <span id="terms-version">` + e(v.TermsVersion) + "</span></p>\n")
	return b.String()
}

// pagePolicy is the Content-Security-Policy of every HTML page (secureHeaders sets it): nothing
// loads but the page's own <style> element, allowed by its hash rather than 'unsafe-inline', so
// markup slipped into a page could not style it either; no page may be framed (clickjacking of
// the Approve link); forms go to this API only, and base-uri 'none' keeps relative links here.
// The page has no script and no style attribute.
var pagePolicy = sync.OnceValue(func() string {
	style := ""
	if _, rest, ok := strings.Cut(invitationHTML, "<style>"); ok {
		style, _, _ = strings.Cut(rest, "</style>")
	}
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
})
