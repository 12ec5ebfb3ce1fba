package collab

import "strings"

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
