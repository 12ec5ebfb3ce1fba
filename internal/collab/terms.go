package collab

import (
	"strings"
	"time"
)

// Terms are the terms and conditions of a collaboration, as the invitation page shows them and an
// acceptance agrees to: what approving grants, in each activation scenario, and how it can end. The
// wording is data (shared/seeds, "Terms and conditions for your customers"), so a change of it is a
// new Version, and the history says which one each acceptance agreed to.
type Terms struct {
	// Version names this wording; every acceptance records it (Transition.Terms).
	Version string
	// Grants says what approving grants, per language: the clauses every scenario has, with
	// NewCompany's first for a customer the activation created.
	Grants, NewCompany map[Language][]string
	// Ending says how either party can end the collaboration later, per language.
	Ending map[Language]string
}

// CurrentTerms is the wording every invitation shows now. Its clauses name {Office}, {Company} and
// {Solution}, which For fills.
var CurrentTerms = Terms{
	Version: "2026-12-01",
	NewCompany: map[Language][]string{
		Swedish: {"{Company} blir kund hos Spiris, och kontaktpersonen som {Office} angav blir företagets administratör och får tillgång till {Solution}."},
		English: {"{Company} becomes a customer of Spiris, and the contact person {Office} gave becomes the company's administrator and gets access to {Solution}."},
	},
	Grants: map[Language][]string{
		Swedish: {
			"Medarbetarna på {Office} som arbetar med uppdraget för {Company} får tillgång till företaget och till {Solution}.",
			"{Company} kan få information från Spiris som gäller tjänsterna i samarbetet.",
		},
		English: {
			"The employees of {Office} who work on the task for {Company} get access to the company and to {Solution}.",
			"{Company} may receive information from Spiris related to the solutions in the collaboration.",
		},
	},
	Ending: map[Language]string{
		Swedish: "Både {Company} och {Office} kan när som helst avsluta samarbetet, i My Spiris under Samarbeten eller i byråns Practice management. Andra samarbeten påverkas inte.",
		English: "Both {Company} and {Office} can end the collaboration at any time, in My Spiris under Collaborations or in the office's Practice management. Other collaborations are not affected.",
	},
}

// For returns the clauses of what approving grants, and how it ends, in language lang (Swedish
// unless English), for a collaboration activated in scenario sc between office and company in the
// solution named solution.
func (t Terms) For(lang Language, sc Scenario, office, company, solution string) (grants []string, ending string) {
	if lang != English {
		lang = Swedish
	}
	fill := strings.NewReplacer("{Office}", office, "{Company}", company, "{Solution}", solution).Replace
	if sc == NewCompany {
		for _, c := range t.NewCompany[lang] {
			grants = append(grants, fill(c))
		}
	}
	for _, c := range t.Grants[lang] {
		grants = append(grants, fill(c))
	}
	return grants, fill(t.Ending[lang])
}

// ErrTermsChanged refuses an acceptance of terms that are no longer the current ones: the
// customer read a wording the service no longer offers, so nothing is accepted.
var ErrTermsChanged = Errorf(ECONFLICT, "terms_changed",
	"reload the invitation and read the terms again, then approve the terms it shows",
	"the terms of the collaboration changed after the invitation was shown")

// Agree returns the version of the terms an acceptance of version seen agrees to: the current
// terms, when seen names them or is empty (a client that does not say which it showed). It
// returns ECONFLICT terms_changed for any other version.
func (t Terms) Agree(seen string) (string, error) {
	if seen != "" && seen != t.Version {
		return "", ErrTermsChanged
	}
	return t.Version, nil
}

// UserTermsVersion names the wording of the user terms of My Spiris that a person accepts at
// their first sign-in (the sign-in page shows it and sends it back).
const UserTermsVersion = "2026-12-01"

// UserTerms is a person's acceptance of the user terms: the version and when. Version is the
// store's version of the record.
type UserTerms struct {
	UserID     string
	Terms      string
	AcceptedAt time.Time
	Version    int
}

// The refusals of an acceptance of the user terms.
var (
	// ErrNotThisUser: a person's user terms are accepted by that person alone.
	ErrNotThisUser = Errorf(EFORBIDDEN, "not_this_user", "sign in as the person whose user terms these are",
		"only the person themself can accept their user terms")
	// ErrUserTermsChanged: the user terms shown are no longer the current ones.
	ErrUserTermsChanged = Errorf(ECONFLICT, "user_terms_changed", "reload the page and read the user terms again, then accept the version it shows",
		"the user terms changed after they were shown")
	// ErrUserTermsUnnamed: the acceptance names no version.
	ErrUserTermsUnnamed = Invalid("version", "field_required", "send the version of the user terms you showed", "version is required")
)

// AcceptUserTerms records that user accepted the user terms of version at now, given what was
// recorded before (was, when found). Accepting the version already recorded keeps its first
// time and changes nothing (changed false). It returns EINVALID field_required for no version and
// ECONFLICT user_terms_changed for any but UserTermsVersion.
func AcceptUserTerms(was UserTerms, found bool, user, version string, now time.Time) (_ UserTerms, changed bool, err error) {
	switch {
	case version == "":
		return was, false, ErrUserTermsUnnamed
	case version != UserTermsVersion:
		return was, false, ErrUserTermsChanged
	case found && was.Terms == version:
		return was, false, nil
	}
	return UserTerms{UserID: user, Terms: version, AcceptedAt: now, Version: was.Version}, true, nil
}
