package actions_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// before is what happens to a pending collaboration of customer 1001 in scanner before the test
// answers its invitation: its link is returned (the one the answer uses).
type before func(t *testing.T, w *world, id string) string

var (
	untouched before = func(t *testing.T, w *world, id string) string { return w.token(t, id) }
	accepted  before = func(t *testing.T, w *world, id string) string {
		tok := w.token(t, id)
		noErr(t, errOf(w.svc.Accept(ctx, user(ca), tok)))
		return tok
	}
	declined before = func(t *testing.T, w *world, id string) string {
		tok := w.token(t, id)
		noErr(t, errOf(w.svc.Decline(ctx, user(ca), tok)))
		return tok
	}
	withdrawn before = func(t *testing.T, w *world, id string) string {
		tok := w.token(t, id)
		noErr(t, errOf(w.svc.Withdraw(ctx, user(oe), id)))
		return tok
	}
	resent before = func(t *testing.T, w *world, id string) string {
		tok := w.token(t, id)
		noErr(t, errOf(w.svc.Resend(ctx, user(oe), id)))
		return tok
	}
	expired before = func(t *testing.T, w *world, id string) string {
		w.advance(actions.DefaultInvitationTTL + time.Minute)
		return w.token(t, id)
	}
	unknownLink before = func(t *testing.T, w *world, id string) string {
		return collab.InvitationToken([]byte("another key, also at least 32 bytes"), id, "nonce")
	}
	malformedLink before = func(*testing.T, *world, string) string { return "not-a-token" }
)

// errOf is the error of a call's results.
func errOf[T any](_ T, err error) error { return err }

// noErr fails the test on an error.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestShowInvitation(t *testing.T) {
	cases := []struct {
		name  string
		setup before
		state string
		want  string
	}{
		{"live_while_unanswered", untouched, "live", ""},
		{"used_once_accepted", accepted, "used", "invitation_used"},
		{"used_once_declined", declined, "used", "invitation_used"},
		{"revoked_once_withdrawn", withdrawn, "revoked", "invitation_revoked"},
		{"revoked_once_resent", resent, "revoked", "invitation_revoked"},
		{"expired_after_its_ttl", expired, "expired", "invitation_expired"},
		{"unknown_for_another_keys_link", unknownLink, "", "invitation_not_found"},
		{"unknown_for_a_malformed_link", malformedLink, "", "invitation_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.activate(t, activation("1001", "scanner"))
			v, err := w.svc.ShowInvitation(ctx, tc.setup(t, w, id))
			wantCode(t, err, tc.want)
			if v.State != tc.state {
				t.Errorf("state %q, want %q", v.State, tc.state)
			}
			if tc.state == "live" && (v.OfficeName != "Byrå Ett" || v.CompanyName != "Ett AB" || v.Solution != "scanner" || v.NewCompany) {
				t.Errorf("view %+v, want Byrå Ett inviting Ett AB to scanner", v)
			}
		})
	}
}

func TestAnsweringAnInvitation(t *testing.T) {
	cases := []struct {
		name   string
		setup  before
		caller actions.Caller
		want   string
	}{
		{"accepted_by_the_companys_administrator", untouched, user(ca), ""},
		{"refused_without_a_caller", untouched, nobody, "unauthenticated"},
		{"refused_to_a_plain_user_of_the_company", untouched, user(cu), "administrator_required"},
		{"refused_to_another_companys_administrator", untouched, user(c2a), "not_company_user"},
		{"refused_to_the_office_employee", untouched, user(oe), "not_company_user"},
		{"refused_once_accepted", accepted, user(ca), "invitation_used"},
		{"refused_once_declined", declined, user(ca), "invitation_used"},
		{"refused_once_withdrawn", withdrawn, user(ca), "invitation_revoked"},
		{"refused_with_the_link_a_resend_replaced", resent, user(ca), "invitation_revoked"},
		{"refused_once_expired", expired, user(ca), "invitation_expired"},
		{"refused_for_an_unknown_link", unknownLink, user(ca), "invitation_not_found"},
		{"refused_for_a_malformed_link", malformedLink, user(ca), "invitation_not_found"},
	}
	answers := map[string]func(*actions.Service) func(actions.Caller, string) (actions.CollaborationView, error){
		"accept": func(s *actions.Service) func(actions.Caller, string) (actions.CollaborationView, error) {
			return func(c actions.Caller, tok string) (actions.CollaborationView, error) { return s.Accept(ctx, c, tok) }
		},
		"decline": func(s *actions.Service) func(actions.Caller, string) (actions.CollaborationView, error) {
			return func(c actions.Caller, tok string) (actions.CollaborationView, error) { return s.Decline(ctx, c, tok) }
		},
	}
	for answer, do := range answers {
		for _, tc := range cases {
			t.Run(answer+"/"+tc.name, func(t *testing.T) {
				w := newWorld(t)
				id := w.activate(t, activation("1001", "scanner"))
				tok := tc.setup(t, w, id)
				was := w.collaboration(t, id)
				v, err := do(w.svc)(tc.caller, tok)
				wantCode(t, err, tc.want)
				if tc.want != "" {
					if now := w.collaboration(t, id); now.Version != was.Version {
						t.Errorf("a refused %s wrote the collaboration (version %d to %d)", answer, was.Version, now.Version)
					}
					return
				}
				want := map[string]collab.Status{"accept": collab.Active, "decline": collab.Declined}[answer]
				if v.Status != want || w.collaboration(t, id).Status != want {
					t.Errorf("status %s, want %s", v.Status, want)
				}
			})
		}
	}
}

func TestAcceptActivatesTheSubscriptionAndGrantsTheTasksEmployees(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "scanner")
	sub := w.company(t, co).Subscriptions["scanner"]
	if sub.Status != collab.SubscriptionActive || sub.InvoiceRecipient != collab.InvoiceOffice || sub.PayingOfficeID != office || sub.RestoreTo != "" {
		t.Errorf("subscription %+v, want active and paid by the office", sub)
	}
	if got := w.grantees(t, co, "scanner"); !slices.Equal(got, []string{oe}) {
		t.Errorf("grants to %v, want the task's employee", got)
	}
	if got := w.queue.emails(t, id); !slices.Equal(got, []string{actions.EmailInvitation, actions.EmailAccessGranted}) {
		t.Errorf("e-mails %v, want the invitation and access granted", got)
	}
	r := w.collaboration(t, id)
	if r.InvitationHash != "" || r.Status != collab.Active {
		t.Errorf("collaboration %+v, want active without a live invitation", r)
	}
}

func TestAcceptStartsTheAgreementPeriodAtTheLaterOfStartAndAcceptance(t *testing.T) {
	w := newWorld(t)
	in := activation("1001", "financial-overview")
	in.AgreementMonths, in.StartPeriod = 3, "2027-03"
	id := w.activate(t, in)
	w.advance(40 * 24 * time.Hour) // April: the link ran out, so the office resends it
	noErr(t, errOf(w.svc.Resend(ctx, user(oe), id)))
	noErr(t, errOf(w.svc.Accept(ctx, user(ca), w.token(t, id))))
	if got, want := w.collaboration(t, id).AgreementEndsAt, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("agreement ends %s, want %s (April to June)", got, want)
	}
}

func TestAnUnansweredEndRollsTheSubscriptionBack(t *testing.T) {
	cases := []struct {
		name     string
		existing *collab.SubscriptionStatus
		end      func(t *testing.T, w *world, id string)
		want     collab.SubscriptionStatus // "" for none
	}{
		{"declined_new_solution_removes_it", nil, declineIt, ""},
		{"withdrawn_new_solution_removes_it", nil, withdrawIt, ""},
		{"declined_reopened_solution_restores_it", status(collab.SubscriptionReadOnly), declineIt, collab.SubscriptionReadOnly},
		{"withdrawn_reopened_solution_restores_it", status(collab.SubscriptionEnded), withdrawIt, collab.SubscriptionEnded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.existing != nil {
				tx := w.store.Tx()
				tx.PutSubscription(collab.Subscription{CompanyID: co, Solution: "scanner", Status: *tc.existing})
				noErr(t, tx.Commit(ctx))
			}
			id := w.activate(t, activation("1001", "scanner"))
			tc.end(t, w, id)
			sub, ok := w.company(t, co).Subscriptions["scanner"]
			if tc.want == "" && ok || tc.want != "" && (sub.Status != tc.want || sub.CreatedBy != "" || sub.RestoreTo != "") {
				t.Errorf("subscription %+v (exists %v), want %q", sub, ok, tc.want)
			}
			if got := w.company(t, co).Subscriptions["bookkeeping"].Status; got != collab.SubscriptionActive {
				t.Errorf("bookkeeping is %s, want it untouched", got)
			}
		})
	}
}

func status(s collab.SubscriptionStatus) *collab.SubscriptionStatus { return &s }

func declineIt(t *testing.T, w *world, id string) {
	noErr(t, errOf(w.svc.Decline(ctx, user(ca), w.token(t, id))))
}

func withdrawIt(t *testing.T, w *world, id string) {
	noErr(t, errOf(w.svc.Withdraw(ctx, user(oe), id)))
}

func TestDeclineOfANewCompanyLeavesTheCompanyWithoutTheSubscription(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, withContact(activation("1003", "scanner")))
	r := w.collaboration(t, id)
	admin := w.company(t, r.CompanyID).Users[0].ID
	noErr(t, errOf(w.svc.Decline(ctx, user(admin), w.token(t, id))))
	if subs := w.company(t, r.CompanyID).Subscriptions; len(subs) != 0 {
		t.Errorf("subscriptions %v, want none", subs)
	}
}

func TestWithdrawAndResend(t *testing.T) {
	cases := []struct {
		name   string
		caller actions.Caller
		id     string // "" for the collaboration
		state  func(t *testing.T, w *world, id string)
		want   string
	}{
		{"by_the_employee_on_the_task", user(oe), "", nil, ""},
		{"by_an_office_administrator", user(oa), "", nil, ""},
		{"refused_without_a_caller", nobody, "", nil, "unauthenticated"},
		{"refused_to_an_employee_not_on_the_task", user(ox), "", nil, "not_on_task"},
		{"refused_to_another_offices_employee", user(o2), "", nil, "not_office_employee"},
		{"refused_to_the_companys_administrator", user(ca), "", nil, "not_office_employee"},
		{"refused_for_an_unknown_collaboration", user(oe), "nosuch", nil, "collaboration_not_found"},
		{"refused_for_a_malformed_id", user(oe), "a#b", nil, "id_invalid"},
		{"refused_once_active", user(oe), "", func(t *testing.T, w *world, id string) {
			noErr(t, errOf(w.svc.Accept(ctx, user(ca), w.token(t, id))))
		}, "collaboration_not_pending"},
		{"refused_once_withdrawn", user(oe), "", withdrawIt, "collaboration_not_pending"},
	}
	for _, do := range []string{"withdraw", "resend"} {
		for _, tc := range cases {
			t.Run(do+"/"+tc.name, func(t *testing.T) {
				w := newWorld(t)
				id := w.activate(t, activation("1001", "scanner"))
				if tc.state != nil {
					tc.state(t, w, id)
				}
				target := id
				if tc.id != "" {
					target = tc.id
				}
				old := w.token(t, id)
				var err error
				if do == "withdraw" {
					_, err = w.svc.Withdraw(ctx, tc.caller, target)
				} else {
					_, err = w.svc.Resend(ctx, tc.caller, target)
				}
				wantCode(t, err, tc.want)
				if tc.want != "" {
					return
				}
				_, err = w.svc.ShowInvitation(ctx, old)
				wantCode(t, err, "invitation_revoked")
				if do == "resend" {
					if _, err := w.svc.ShowInvitation(ctx, w.token(t, id)); err != nil {
						t.Errorf("the new link: %v", err)
					}
					if got := w.queue.emails(t, id); len(got) != 2 {
						t.Errorf("e-mails %v, want the invitation twice", got)
					}
				} else if got := w.collaboration(t, id).Status; got != collab.Withdrawn {
					t.Errorf("status %s, want withdrawn", got)
				}
			})
		}
	}
}
