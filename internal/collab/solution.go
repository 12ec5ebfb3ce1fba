package collab

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Solution identifies a SaaS product a collaboration is about, e.g. "bookkeeping".
type Solution string

// EndEffect is what "end the subscription completely" does to a solution's subscription and data.
type EndEffect string

// The effects of ending a collaboration: EndContinue for the outcome Continue in every solution,
// and the ways a solution's subscription ends completely.
const (
	EndContinue       EndEffect = "continue"        // the company keeps the solution and pays for it itself
	EndReadOnly       EndEffect = "read_only"       // subscription ends; existing data stays readable
	EndDeleteData     EndEffect = "delete_data"     // subscription ends; the solution's data is deleted
	EndHandOverBackup EndEffect = "handover_backup" // office access removed; backup file handed over
	// EndArchive is what ending a solution that holds accounting records does instead of deleting:
	// the data stays, read-only, archived until its retention date (RetentionDate).
	EndArchive EndEffect = "archive"
	// EndShared is what an end does to a subscription another collaboration still uses: nothing
	// but this collaboration's part (Subscription.EndUse); not an effect a solution chooses.
	EndShared EndEffect = "shared"
)

// EndEffectRules is what one effect of ending does: to the subscription, to the solution's data,
// and whom it tells. The teardown plan and its e-mails follow from it, so a new effect is an entry
// in EndEffects and its wording in the e-mail templates (the "ended" e-mail's outcome paragraph,
// keyed by the effect, and the e-mail the effect sends, if any).
type EndEffectRules struct {
	// Subscription is the status the company's subscription takes.
	Subscription SubscriptionStatus
	// InvoiceRecipient is who pays for the solution afterwards; empty when nobody does.
	InvoiceRecipient InvoiceRecipient
	// DeletesData says the solution's data is deleted, so what the solution reported goes too.
	DeletesData bool
	// HandsOverBackup says a backup of the solution's data is handed over to the company.
	HandsOverBackup bool
	// Email is the e-mail (a template name) the company's administrators get when the effect is
	// applied; empty for none.
	Email string
	// Command is what the solution must carry out in its own data for the effect, after the
	// office's access is removed (SolutionRules.Commands); empty for none.
	Command Step
	// Grace says the company's data goes only after a grace period: its access is read-only
	// first, the solution exports the data (SolutionRules.Export), and an administrator can undo
	// the end until the deadline (Collaboration.UndoEnd).
	Grace bool
	// RetainYears is how many years after the end of the financial year of the last record the
	// data is archived before it is deleted (EndArchive); 0 for no retention.
	RetainYears int
}

// EndEffects is what each effect of ending does.
var EndEffects = map[EndEffect]EndEffectRules{
	EndContinue:       {Subscription: SubscriptionActive, InvoiceRecipient: InvoiceCustomer, Command: StepTransferBilling},
	EndReadOnly:       {Subscription: SubscriptionReadOnly, Command: StepSetReadOnly},
	EndDeleteData:     {Subscription: SubscriptionEnded, DeletesData: true, Command: StepDeleteData, Grace: true},
	EndArchive:        {Subscription: SubscriptionReadOnly, Command: StepArchiveData, Grace: true, RetainYears: 7},
	EndHandOverBackup: {Subscription: SubscriptionEnded, HandsOverBackup: true, Email: "payroll_handover", Command: StepHandOverBackup},
}

// Outcome is what happens to the customer's subscription when a collaboration ends.
type Outcome string

// The outcomes a party chooses when ending a collaboration.
const (
	Continue        Outcome = "continue"         // the company keeps the solution alone and pays for it
	EndSubscription Outcome = "end_subscription" // the subscription ends as the solution's EndEffect says
)

// ParseOutcome returns the outcome named s. It returns EINVALID outcome_invalid otherwise.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case Continue, EndSubscription:
		return o, nil
	}
	return "", Invalid("outcome", "outcome_invalid", `use "continue" or "end_subscription"`, "unknown outcome %q", s)
}

// SolutionRules is one row of the solutions table: everything the service needs to know about a
// solution. Adding a solution is adding one entry to Solutions.
type SolutionRules struct {
	ID Solution
	// Name is the solution's English name; SwedishName its Swedish one (the vendor's own), which
	// every Swedish e-mail and page shows. NameIn picks between them.
	Name, SwedishName string
	// AgreementMonths lists the agreement periods an activation may choose; nil means the
	// solution has no agreement period.
	AgreementMonths []int
	// Outcomes lists the outcomes a party may choose when ending.
	Outcomes []Outcome
	// EndEffect is what EndSubscription does.
	EndEffect EndEffect
	// Preconditions must all hold before a collaboration in this solution may end.
	Preconditions []Precondition
	// Export is what the solution's export of a company's data holds, produced before the data
	// goes (StepExportData); empty when it cannot export, and NoExport says why.
	Export, NoExport string
}

// NameIn returns the solution's name in language lang: the English name in English, the Swedish
// name in any other (Swedish is the default, as in the e-mails and pages), or the English name
// when the solution has no Swedish name.
func (r SolutionRules) NameIn(lang Language) string {
	if lang != English && r.SwedishName != "" {
		return r.SwedishName
	}
	return r.Name
}

// EffectOf returns what ending with outcome o does in the solution: EndContinue for Continue,
// the solution's EndEffect for EndSubscription.
func (r SolutionRules) EffectOf(o Outcome) EndEffect {
	if o == Continue {
		return EndContinue
	}
	return r.EndEffect
}

// HasAgreementPeriod reports whether activations of the solution choose an agreement period.
func (r SolutionRules) HasAgreementPeriod() bool { return len(r.AgreementMonths) > 0 }

// Allows reports whether the outcome may be chosen when ending.
func (r SolutionRules) Allows(o Outcome) bool {
	for _, allowed := range r.Outcomes {
		if allowed == o {
			return true
		}
	}
	return false
}

// Blockers returns what the solution's preconditions say against ending, given the facts; it
// depends on the facts alone, so it can be stored with them.
func (r SolutionRules) Blockers(f SolutionFacts) []Blocker {
	var bs []Blocker
	for _, p := range r.Preconditions {
		if b := p.Check(f); b != nil {
			bs = append(bs, *b)
		}
	}
	return bs
}

// Facts blocker codes: the solution has never reported its facts about the company, or not
// within the maximum age. Either way the service asks the solution for them (FactsRequested).
const (
	FactsMissing = "facts_missing"
	FactsStale   = "facts_stale"
)

// FactsBlocker returns why the facts a solution with preconditions reported cannot decide an end
// at now: never reported (facts_missing) or reported longer than maxAge ago (facts_stale); nil
// when they are fresh, or the solution has no preconditions. Nothing is ended, and no data
// deleted, on facts nobody reported.
func (r SolutionRules) FactsBlocker(f SolutionFacts, now time.Time, maxAge time.Duration) *Blocker {
	if len(r.Preconditions) == 0 {
		return nil
	}
	fix := "try again in a minute: " + r.Name + " has been asked to report them"
	switch {
	case f.ReportedAt.IsZero():
		return &Blocker{Code: FactsMissing, Message: r.Name + " has not reported what ending depends on for this company", Fix: fix}
	case maxAge > 0 && now.Sub(f.ReportedAt) > maxAge:
		return &Blocker{Code: FactsStale, Message: r.Name + " last reported what ending depends on at " +
			f.ReportedAt.UTC().Format(time.RFC3339) + ", longer ago than ending allows", Fix: fix}
	}
	return nil
}

// Precondition is a rule a solution's integration reports facts for; Check returns a blocker
// when the facts say the collaboration cannot end yet.
type Precondition struct {
	Name  string
	Check func(SolutionFacts) *Blocker
}

// SolutionFacts are what a solution's integration last reported about one company.
type SolutionFacts struct {
	// Payroll.
	CustomerIsPayrollUser bool
	LastSyncAt            time.Time
	LastChangeAt          time.Time
	// Travel & Expenses.
	UnsubmittedReports           int
	UsersWithUnsubmittedExpenses []string
	ReportedAt                   time.Time
}

// Solutions is the solutions table (shared/DOMAIN.md), keyed by id.
var Solutions = map[Solution]SolutionRules{
	"bookkeeping": {
		ID: "bookkeeping", Name: "Bookkeeping & Invoicing", SwedishName: "Bokföring & Fakturering",
		Outcomes: []Outcome{Continue, EndSubscription}, EndEffect: EndReadOnly,
	},
	"financial-overview": {
		ID: "financial-overview", Name: "Financial overview, Budget & Forecast", SwedishName: "Ekonomiöversikt, Budget & Prognos",
		AgreementMonths: []int{3, 12},
		Outcomes:        []Outcome{Continue, EndSubscription}, EndEffect: EndDeleteData,
		NoExport: "its reports and forecasts are computed from the bookkeeping, which is not deleted",
	},
	"scanner": {
		ID: "scanner", Name: "Scanner", SwedishName: "Scanner",
		// Scanned receipts and invoices are accounting records (verifikationer).
		Outcomes: []Outcome{Continue, EndSubscription}, EndEffect: EndArchive,
		Export: "every scanned document as PDF, with a CSV index",
	},
	"tax-annual": {
		ID: "tax-annual", Name: "Tax & Annual accounts", SwedishName: "Skatt & Årsredovisning",
		Outcomes: []Outcome{Continue, EndSubscription}, EndEffect: EndReadOnly,
	},
	"consolidated": {
		ID: "consolidated", Name: "Consolidated accounts", SwedishName: "Koncernredovisning",
		Outcomes: []Outcome{Continue, EndSubscription}, EndEffect: EndReadOnly,
	},
	"travel-expenses": {
		ID: "travel-expenses", Name: "Travel & Expenses", SwedishName: "Resor & Utlägg",
		// Expense reports and their receipts are accounting records.
		Outcomes: []Outcome{Continue, EndSubscription}, EndEffect: EndArchive,
		Export:        "every expense report and its receipts as PDF, and the expenses as CSV",
		Preconditions: []Precondition{ExpensesSubmitted},
	},
	// Payroll has no "continue with the office gone" in the source pages: the customer continues
	// through its own payroll programme or a new collaboration, so only the handover ends it.
	"payroll": {
		ID: "payroll", Name: "Payroll", SwedishName: "Lön",
		Outcomes: []Outcome{EndSubscription}, EndEffect: EndHandOverBackup,
		Preconditions: []Precondition{PayrollHandover},
	},
}

// Rules returns the rules of solution id. It returns EINVALID solution_unknown for an unknown id.
func Rules(id Solution) (SolutionRules, error) {
	r, ok := Solutions[id]
	if !ok {
		return SolutionRules{}, Invalid("solution", "solution_unknown",
			"use one of: "+solutionList(), "unknown solution %q", id)
	}
	return r, nil
}

// SolutionIDs returns the id of every solution, sorted.
func SolutionIDs() []Solution {
	ids := make([]Solution, 0, len(Solutions))
	for id := range Solutions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func solutionList() string {
	var ids []string
	for _, id := range SolutionIDs() {
		ids = append(ids, string(id))
	}
	return strings.Join(ids, ", ")
}

// PayrollHandover holds when the customer is a Payroll user and data was synchronised after the
// last change, so the backup file can be handed over.
var PayrollHandover = Precondition{
	Name: "payroll_handover",
	Check: func(f SolutionFacts) *Blocker {
		var missing []string
		if !f.CustomerIsPayrollUser {
			missing = append(missing, "the customer is not a Payroll user")
		}
		if f.LastSyncAt.IsZero() || f.LastSyncAt.Before(f.LastChangeAt) {
			missing = append(missing, "Payroll data has changed since the last synchronisation")
		}
		if len(missing) == 0 {
			return nil
		}
		return &Blocker{
			Code:    "payroll_handover_incomplete",
			Message: strings.Join(missing, "; "),
			Fix:     "add the customer as a user in Payroll and synchronise the Payroll data, then end again",
		}
	},
}

// ExpensesSubmitted holds when every report and every user's expenses are submitted.
var ExpensesSubmitted = Precondition{
	Name: "expenses_submitted",
	Check: func(f SolutionFacts) *Blocker {
		var missing []string
		if f.UnsubmittedReports > 0 {
			missing = append(missing, fmt.Sprintf("%d report(s) are not submitted", f.UnsubmittedReports))
		}
		fix := "have every report and every user's expenses submitted in Travel & Expenses, then end again"
		if users := f.UsersWithUnsubmittedExpenses; len(users) > 0 {
			verb := "have"
			if len(users) == 1 {
				verb = "has"
			}
			missing = append(missing, nameList(users)+" "+verb+" unsubmitted expenses")
			fix = "have every report submitted and " + nameList(users) + " submit their expenses in Travel & Expenses, then end again"
		}
		if len(missing) == 0 {
			return nil
		}
		return &Blocker{
			Code:    "expenses_not_submitted",
			Message: strings.Join(missing, "; "),
			Fix:     fix,
		}
	},
}

// namesShown is how many names a blocker lists before it counts the rest.
const namesShown = 10

// nameList lists names as a sentence does ("Anna", "Anna and Bo", "Anna, Bo and Cid"), the first
// namesShown of them and a count of the others.
func nameList(names []string) string {
	shown := names[:min(len(names), namesShown)]
	if rest := len(names) - len(shown); rest > 0 {
		return strings.Join(shown, ", ") + fmt.Sprintf(" and %d more", rest)
	}
	if len(shown) == 1 {
		return shown[0]
	}
	return strings.Join(shown[:len(shown)-1], ", ") + " and " + shown[len(shown)-1]
}

// MainContactMissing is the blocker of a company without a main contact: who can set one and
// how, with the steps of the source pages and the API's routes for them.
func MainContactMissing() Blocker {
	return Blocker{Code: "main_contact_missing",
		Message: "the company has no main contact, so the collaboration cannot end",
		Fix: "an administrator of the company, or an office employee working in the company through an active collaboration, sets one: " +
			"in My Spiris, switch to the customer's company and select Manage users; change a user's role by selecting the pencil symbol " +
			"and then Administrator (if the user is not in the list, create the user first); then select that user as Main contact, and end again. " +
			"Through this API: POST /companies/{companyId}/users to create the user if missing, PATCH /companies/{companyId}/users/{userId} " +
			`with {"role":"administrator"}, then PUT /companies/{companyId}/main-contact with {"userId":"..."}`}
}

// Candidate is a company user who can be chosen to fix a blocker.
type Candidate struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// OfferAdministrators returns bs with the company's administrators among users offered on its
// main_contact_missing blocker as the users to choose from, for a caller who may set the main
// contact (an administrator of the company, or an office employee acting in it).
func OfferAdministrators(bs []Blocker, users []User) []Blocker {
	var admins []Candidate
	for _, u := range users {
		if u.Role == Administrator {
			admins = append(admins, Candidate{UserID: u.ID, Name: u.Name})
		}
	}
	out := slices.Clone(bs)
	for i := range out {
		if out[i].Code != "main_contact_missing" {
			continue
		}
		out[i].Administrators = admins
		if len(admins) > 0 {
			out[i].Fix += "; the company's administrators to choose from are listed in administrators"
		} else {
			out[i].Fix += "; the company has no administrator left to choose, so make a user an administrator first"
		}
	}
	return out
}

// EnglishNames are the English solution names, and the parts of them, that no Swedish text may
// hold: every name of the solutions table that differs from its Swedish one, and the parts the
// Swedish names do not share. The tests of every e-mail and page check their Swedish texts by it.
func EnglishNames() []string {
	names := []string{"Bookkeeping", "Payroll", "Travel & Expenses", "Financial overview", "Tax & Annual accounts",
		"Consolidated accounts", "Invoicing", "Budget & Forecast"}
	for _, r := range Solutions {
		if r.Name != r.NameIn(Swedish) {
			names = append(names, r.Name)
		}
	}
	return names
}
