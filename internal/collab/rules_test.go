package collab_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestSolutionsTable(t *testing.T) {
	if got, want := len(collab.Solutions), 7; got != want {
		t.Fatalf("%d solutions, want %d", got, want)
	}
	for id, r := range collab.Solutions {
		if r.ID != id || r.Name == "" || len(r.Outcomes) == 0 || r.EndEffect == "" {
			t.Errorf("incomplete entry %q: %+v", id, r)
		}
	}
}

// The Swedish names are the vendor's own; every Swedish e-mail and page shows them.
func TestEverySolutionHasASwedishName(t *testing.T) {
	swedish := map[collab.Solution]string{
		"bookkeeping":        "Bokföring & Fakturering",
		"financial-overview": "Ekonomiöversikt, Budget & Prognos",
		"scanner":            "Scanner",
		"tax-annual":         "Skatt & Årsredovisning",
		"consolidated":       "Koncernredovisning",
		"travel-expenses":    "Resor & Utlägg",
		"payroll":            "Lön",
	}
	for id, r := range collab.Solutions {
		if r.SwedishName == "" {
			t.Errorf("solution %q has no Swedish name", id)
		}
		if got, want := r.NameIn(collab.Swedish), swedish[id]; got != want {
			t.Errorf("%s in Swedish = %q, want %q", id, got, want)
		}
		if got, want := r.NameIn(""), swedish[id]; got != want {
			t.Errorf("%s in the default language = %q, want the Swedish %q", id, got, want)
		}
		if got, want := r.NameIn(collab.English), r.Name; got != want {
			t.Errorf("%s in English = %q, want %q", id, got, want)
		}
	}
	if got, want := (collab.SolutionRules{Name: "New solution"}).NameIn(collab.Swedish), "New solution"; got != want {
		t.Errorf("a solution without a Swedish name is named %q in Swedish, want the English %q", got, want)
	}
}

func TestCompanyRoles(t *testing.T) {
	co := collab.Company{ID: "co"}
	a := collab.User{CompanyID: "co", ID: "a", Role: collab.Administrator}
	b := collab.User{CompanyID: "co", ID: "b", Role: collab.RegularUser}
	co.AddUser(a)
	co.AddUser(b)
	if err := co.SetMainContact(b); collab.ErrorCode(err) != "user_not_administrator" {
		t.Fatalf("main contact non-admin: %v", err)
	}
	if err := co.SetMainContact(collab.User{CompanyID: "other", ID: "x", Role: collab.Administrator}); collab.ErrorCode(err) != "user_not_found" {
		t.Fatalf("main contact of other company: %v", err)
	}
	if err := co.ChangeRole(&a, collab.RegularUser); collab.ErrorCode(err) != "last_administrator" {
		t.Fatalf("demote last admin: %v", err)
	}
	if err := co.ChangeRole(&b, collab.Administrator); err != nil || co.Admins != 2 {
		t.Fatalf("promote: %v, admins %d", err, co.Admins)
	}
	if err := co.SetMainContact(b); err != nil {
		t.Fatal(err)
	}
	if err := co.ChangeRole(&b, collab.RegularUser); collab.ErrorCode(err) != "main_contact_demotion" {
		t.Fatalf("demote main contact: %v", err)
	}
	if err := co.ChangeRole(&a, collab.RegularUser); err != nil || co.Admins != 1 {
		t.Fatalf("demote second admin: %v, admins %d", err, co.Admins)
	}
}

func TestInvitationToken(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	key := []byte("test key of at least 32 bytes....")
	token, inv := collab.NewInvitation(key, "c-1", now, 30*24*time.Hour)
	if got := collab.InvitationToken(key, "c-1", inv.Nonce); got != token {
		t.Fatalf("token rebuilt from the nonce = %q, want %q", got, token)
	}
	if got := collab.InvitationToken([]byte("another key"), "c-1", inv.Nonce); got == token {
		t.Fatal("another key rebuilds the same token")
	}
	if got := collab.InvitationToken(key, "c-2", inv.Nonce); got[len("c-2~"):] == token[len("c-1~"):] {
		t.Fatal("another collaboration's token has the same secret")
	}
	id, hash, err := collab.ParseToken(token)
	if err != nil || id != "c-1" || hash != inv.TokenHash {
		t.Fatalf("ParseToken(own token) = %q, %q, %v; want c-1 and the stored hash", id, hash, err)
	}
	if hash == token || len(hash) != 64 {
		t.Fatalf("stored hash %q looks like the token", hash)
	}
	other, _ := collab.NewInvitation(key, "c-1", now, time.Hour)
	if other == token {
		t.Fatal("two invitations share a token")
	}
	secret := token[len("c-1~"):]
	for _, bad := range []string{"", "abc", token + "A", token[:len(token)-1] + "*", secret, "~" + secret,
		"c-1~~" + secret, "c 1~" + secret, strings.Repeat("c", 65) + "~" + secret, "c-1\n~" + secret} {
		if _, _, err := collab.ParseToken(bad); collab.ErrorCode(err) != "invitation_not_found" {
			t.Errorf("ParseToken(%q): %v", bad, err)
		}
	}
	if err := inv.Use(now.Add(31 * 24 * time.Hour)); collab.ErrorCode(err) != "invitation_expired" {
		t.Fatalf("use after expiry: %v", err)
	}
	if err := inv.Use(now); err != nil {
		t.Fatal(err)
	}
	if err := inv.Use(now); collab.ErrorCode(err) != "invitation_used" {
		t.Fatalf("second use: %v", err)
	}
	_, fresh := collab.NewInvitation(key, "c-1", now, time.Hour)
	fresh.Revoke(now)
	if err := fresh.Live(now); collab.ErrorKind(err) != collab.EGONE {
		t.Fatalf("revoked invitation live: %v", err)
	}
}

func TestSubscriptionOutcomes(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		outcome collab.Outcome
		effect  collab.EndEffect
		want    collab.SubscriptionStatus
	}{
		{"continue_keeps_it_active", collab.Continue, collab.EndDeleteData, collab.SubscriptionActive},
		{"read_only_solution_becomes_read_only", collab.EndSubscription, collab.EndReadOnly, collab.SubscriptionReadOnly},
		{"delete_solution_ends", collab.EndSubscription, collab.EndDeleteData, collab.SubscriptionEnded},
		{"payroll_ends_with_handover", collab.EndSubscription, collab.EndHandOverBackup, collab.SubscriptionEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			effect := tc.effect
			if tc.outcome == collab.Continue {
				effect = collab.EndContinue
			}
			s, _ := collab.EndUse(&collab.Subscription{Status: collab.SubscriptionActive, InvoiceRecipient: collab.InvoiceOffice, PayingOfficeID: "o"},
				collab.CollaborationRecord{ID: "c"}, effect, now)
			if s.Status != tc.want || s.PayingOfficeID != "" {
				t.Fatalf("subscription %+v, want status %s and no paying office", s, tc.want)
			}
			if tc.outcome == collab.Continue && s.InvoiceRecipient != collab.InvoiceCustomer {
				t.Errorf("continue: invoice recipient %s, want customer", s.InvoiceRecipient)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	p, err := collab.ParsePeriod("startPeriod", "2027-11")
	if err != nil || p.String() != "2027-11" || p.AddMonths(3).String() != "2028-02" {
		t.Fatalf("period %v %v", p, err)
	}
	for _, bad := range []string{"2027-13", "2027-1", "27-01", "2027-01-01", ""} {
		if _, err := collab.ParsePeriod("startPeriod", bad); collab.ErrorCode(err) != "period_invalid" {
			t.Errorf("ParsePeriod(%q): %v", bad, err)
		}
	}
}

func TestSubscriptionOpenAndRollBack(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	fresh := collab.Open(nil, "co", "scanner", "c-1", now)
	if fresh.Status != collab.SubscriptionPending || !fresh.RolledBackBy("c-1") || fresh.RolledBackBy("c-2") {
		t.Fatalf("new subscription %+v", fresh)
	}
	if !fresh.RollBack(now) {
		t.Fatal("rolling back a new subscription should remove it")
	}
	old := collab.Subscription{CompanyID: "co", Solution: "bookkeeping", Status: collab.SubscriptionReadOnly, Version: 3}
	reopened := collab.Open(&old, "co", "bookkeeping", "c-1", now)
	if reopened.Status != collab.SubscriptionPending || reopened.Version != 3 {
		t.Fatalf("reopened %+v", reopened)
	}
	if reopened.RollBack(now) || reopened.Status != collab.SubscriptionReadOnly || reopened.CreatedBy != "" {
		t.Fatalf("rolled back %+v, want read_only again", reopened)
	}
}
