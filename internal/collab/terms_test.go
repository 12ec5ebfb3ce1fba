package collab_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

// termsWording is the hash of the wording CurrentTerms.Version names: a change of the wording
// without a new version fails here, since every acceptance records the version as what it agreed to.
var termsWording = map[string]string{"2026-12-01": "3ce92e05e3ab8c6c8d406cb17424984f611aa748e78e04270a3764698bec3c16"}

func TestTheTermsWordingChangesOnlyWithItsVersion(t *testing.T) {
	b, _ := json.Marshal([]any{collab.CurrentTerms.NewCompany, collab.CurrentTerms.Grants, collab.CurrentTerms.Ending})
	sum := sha256.Sum256(b)
	if got, want := hex.EncodeToString(sum[:]), termsWording[collab.CurrentTerms.Version]; got != want {
		t.Fatalf("the terms' wording hashes to %s, not the %q its version %s records: give changed wording a new Version and record its hash here",
			got, want, collab.CurrentTerms.Version)
	}
}

func TestTheTermsSayWhatApprovingGrantsInEachScenario(t *testing.T) {
	for _, c := range []struct {
		name   string
		lang   collab.Language
		sc     collab.Scenario
		grants int
		want   []string
	}{
		{"an_existing_customer_in_swedish", collab.Swedish, collab.ExistingSolution, 2,
			[]string{"Medarbetarna på Byrån som arbetar med uppdraget för Kund AB får tillgång till företaget och till Lön", "information från Spiris"}},
		{"a_new_solution_in_english", collab.English, collab.NewSolution, 2,
			[]string{"employees of Byrån who work on the task for Kund AB get access to the company and to Lön", "information from Spiris"}},
		{"a_new_customer_becomes_a_customer_first", collab.English, collab.NewCompany, 3,
			[]string{"Kund AB becomes a customer of Spiris, and the contact person Byrån gave"}},
		{"an_unknown_language_is_swedish", "de", collab.NewCompany, 3, []string{"blir kund hos Spiris"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			grants, ending := collab.CurrentTerms.For(c.lang, c.sc, "Byrån", "Kund AB", "Lön")
			all := strings.Join(grants, "\n")
			if len(grants) != c.grants {
				t.Errorf("%d clauses, want %d:\n%s", len(grants), c.grants, all)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("the clauses do not say %q:\n%s", w, all)
				}
			}
			if !strings.Contains(ending, "Kund AB") || !strings.Contains(ending, "Byrån") || strings.Contains(all+ending, "{") {
				t.Errorf("ending %q, clauses %q", ending, all)
			}
		})
	}
}

func TestAcceptingRecordsTheTermsVersion(t *testing.T) {
	c, _ := collab.Activate(collab.ActivationInput{ID: "c1", OfficeID: "o", Customer: collab.Customer{No: "1"}, Task: collab.Task{ID: "t", CustomerNo: "1"},
		Solution: collab.Solution("scanner"), InvoiceRecipient: collab.InvoiceOffice, Scenario: collab.ExistingSolution}, collab.Actor{Kind: collab.OfficeEmployee, UserID: "emp"}, t0)
	if got := c.Record().ActivatedBy; got != "emp" {
		t.Errorf("activated by %q, want emp", got)
	}
	by := collab.Actor{Kind: collab.CustomerUser, UserID: "anna", OrgID: "co"}
	if err := c.Accept(by, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h := c.NewTransitions()
	got := h[len(h)-1]
	if got.Terms != collab.CurrentTerms.Version || got.Actor != by || !got.At.Equal(t0.Add(time.Hour)) || got.To != collab.Active {
		t.Fatalf("acceptance recorded %+v, want the terms %s, anna and the time", got, collab.CurrentTerms.Version)
	}
	if h[0].Terms != "" {
		t.Errorf("the activation records terms %q", h[0].Terms)
	}
}

func TestDatesAndPeriodsAreWrittenPerLanguage(t *testing.T) {
	day := time.Date(2027, time.March, 1, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{collab.DateIn(day, collab.Swedish), "1 mars 2027"},
		{collab.DateIn(day, collab.English), "1 March 2027"},
		{collab.DateIn(time.Time{}, collab.English), ""},
		{collab.Period{Year: 2027, Month: time.March}.In(collab.Swedish), "mars 2027"},
		{collab.Period{Year: 2027, Month: time.December}.In(collab.English), "December 2027"},
		{collab.Period{}.In(collab.Swedish), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
