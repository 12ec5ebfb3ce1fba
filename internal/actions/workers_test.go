package actions_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/mail"
)

func TestTeardownAppliesTheOutcome(t *testing.T) {
	cases := []struct {
		name      string
		solution  string
		outcome   string
		sub       collab.SubscriptionStatus
		recipient collab.InvoiceRecipient
		deleted   bool
		handover  bool
	}{
		{"bookkeeping_continue_keeps_it_paid_by_the_company", "bookkeeping", "continue", collab.SubscriptionActive, collab.InvoiceCustomer, false, false},
		{"bookkeeping_end_leaves_it_read_only", "bookkeeping", "end_subscription", collab.SubscriptionReadOnly, "", false, false},
		{"scanner_end_archives_its_data_after_the_grace_period", "scanner", "end_subscription", collab.SubscriptionReadOnly, "", false, false},
		{"financial_overview_end_deletes_its_data_after_the_grace_period", "financial-overview", "end_subscription", collab.SubscriptionEnded, "", true, false},
		{"travel_continue_keeps_the_data", "travel-expenses", "continue", collab.SubscriptionActive, collab.InvoiceCustomer, false, false},
		{"payroll_end_hands_the_backup_over", "payroll", "end_subscription", collab.SubscriptionEnded, "", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.active(t, "1001", tc.solution)
			report(t, w, tc.solution, actions.FactsInput{CustomerIsPayrollUser: ptr(true), LastSyncAt: ptr("2027-02-03T00:00:00Z")})
			noErr(t, errOf(w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: tc.outcome})))
			if errs := w.drain(t); len(errs) > 0 {
				t.Fatalf("workers failed: %v", errs)
			}
			if r := w.collaboration(t, id); !r.GraceUntil.IsZero() { // the data goes at the deadline
				w.advance(r.GraceUntil.Sub(w.clock()) + time.Minute)
				for range 3 {
					noErr(t, errOf(w.svc.Cleanup(ctx)))
				}
				if errs := w.drain(t); len(errs) > 0 {
					t.Fatalf("workers failed: %v", errs)
				}
			}
			r := w.collaboration(t, id)
			if r.Status != collab.Ended {
				t.Fatalf("status %s, want ended", r.Status)
			}
			v := w.company(t, co)
			sub := v.Subscriptions[collab.Solution(tc.solution)]
			if sub.Status != tc.sub || sub.InvoiceRecipient != tc.recipient || sub.PayingOfficeID != "" {
				t.Errorf("subscription %+v, want %s paid by %q", sub, tc.sub, tc.recipient)
			}
			if !sub.DataDeletedAt.IsZero() != tc.deleted || !sub.BackupHandedOverAt.IsZero() != tc.handover {
				t.Errorf("data deleted at %s, backup handed over at %s", sub.DataDeletedAt, sub.BackupHandedOverAt)
			}
			if _, kept := v.Facts[collab.Solution(tc.solution)]; kept == tc.deleted {
				t.Errorf("facts kept %v, want them gone only with the data", kept)
			}
			if got := w.grantees(t, co, collab.Solution(tc.solution)); len(got) != 0 {
				t.Errorf("grants %v left after the teardown", got)
			}
			emails := w.queue.emails(t, id)
			if !slices.Contains(emails, actions.EmailEnded) || slices.Contains(emails, actions.EmailPayrollHandover) != tc.handover {
				t.Errorf("e-mails %v", emails)
			}
			if left := w.store.Outbox(); len(left) != 0 {
				t.Errorf("outbox holds %d messages after the workers ran", len(left))
			}
			if w.mailer.to("ca@customer.test") == 0 || w.mailer.to("oe@office.test") == 0 || w.mailer.to("cu@customer.test") != 0 {
				t.Errorf("e-mails sent %+v, want the administrator and the employee on the task, not the plain user", w.mailer.sent)
			}
		})
	}
}

func TestTeardownRedeliveredDoesNothingTwice(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	noErr(t, errOf(w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "end_subscription"})))
	job := w.queue.jobs(t, actions.TeardownQueue, id)[0]
	w.drain(t)
	was, mails, sub := w.collaboration(t, id), w.mailer.count(), w.company(t, co).Subscriptions["bookkeeping"]
	noErr(t, w.svc.Teardown(ctx, job))
	w.drain(t)
	if r := w.collaboration(t, id); r.Version != was.Version || w.mailer.count() != mails {
		t.Errorf("a redelivered teardown wrote the collaboration (version %d to %d) or sent %d e-mails more", was.Version, r.Version, w.mailer.count()-mails)
	}
	if got := w.company(t, co).Subscriptions["bookkeeping"]; got.Version != sub.Version {
		t.Errorf("a redelivered teardown wrote the subscription again")
	}
}

func TestTeardownOfAnUnknownCollaborationIsDropped(t *testing.T) {
	w := newWorld(t)
	tx := w.store.Tx()
	tx.Enqueue(port.Message{ID: "job1", Queue: actions.TeardownQueue, Body: `{}`, CreatedAt: start})
	noErr(t, tx.Commit(ctx))
	noErr(t, w.svc.Teardown(ctx, actions.Job{ID: "job1", Kind: actions.TeardownQueue, CollaborationID: "nosuch"}))
	if left := w.store.Outbox(); len(left) != 0 {
		t.Errorf("the dropped job's message is left: %+v", left)
	}
}

func TestDeliverSendsEachRecipientOnce(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	job := w.queue.jobs(t, actions.EmailQueue, id)[0]
	noErr(t, w.svc.Deliver(ctx, job))
	noErr(t, w.svc.Deliver(ctx, job))
	if got := w.mailer.to("ca@customer.test"); got != 1 || w.mailer.count() != 1 {
		t.Errorf("sent %+v, want one invitation to the administrator", w.mailer.sent)
	}
	if left := w.store.Outbox(); len(left) != 0 {
		t.Errorf("the delivered job's message is left: %+v", left)
	}
}

func TestDeliverRetriesWhatTheSenderCouldNotSend(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	job := w.queue.jobs(t, actions.EmailQueue, id)[0]
	w.mailer.fail = fmt.Errorf("%w: sending paused", mail.ErrSenderUnavailable)
	if err := w.svc.Deliver(ctx, job); !errors.Is(err, mail.ErrSenderUnavailable) {
		t.Fatalf("got %v, want the sender's failure returned for a retry", err)
	}
	if n := len(w.store.Outbox()); n != 1 {
		t.Errorf("%d messages in the outbox, want the job's kept", n)
	}
	w.mailer.fail = nil
	noErr(t, w.svc.Deliver(ctx, job))
	if got := w.mailer.to("ca@customer.test"); got != 1 {
		t.Errorf("%d invitations to the administrator, want 1", got)
	}
}

func TestDeliverMarksAnInvitationItCouldNotDeliver(t *testing.T) {
	w := newWorld(t)
	w.mailer.reject = map[string]bool{"ca@customer.test": true}
	id := w.activate(t, activation("1001", "scanner"))
	noErr(t, w.svc.Deliver(ctx, w.queue.jobs(t, actions.EmailQueue, id)[0]))
	r := w.collaboration(t, id)
	if r.Undelivered.Reason == "" || !slices.Equal(r.Undelivered.Users, []string{ca}) {
		t.Errorf("undelivered %+v, want the administrator's address refused", r.Undelivered)
	}
	noErr(t, errOf(w.svc.Resend(ctx, user(oe), id)))
	if r := w.collaboration(t, id); r.Undelivered.Reason != "" {
		t.Errorf("a resend left the invitation marked undelivered: %+v", r.Undelivered)
	}
}

func TestDeliverWaitsForAnotherWorkersLease(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	job := w.queue.jobs(t, actions.EmailQueue, id)[0]
	if _, err := w.store.ClaimDeliveries(ctx, job.ID, w.clock(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Deliver(ctx, job); err == nil || w.mailer.count() != 0 {
		t.Fatalf("got %v with %d e-mails sent, want a retry later and nothing sent", err, w.mailer.count())
	}
	w.advance(3 * time.Minute)
	noErr(t, w.svc.Deliver(ctx, job))
	if w.mailer.count() != 1 {
		t.Errorf("%d e-mails once the lease ran out, want 1", w.mailer.count())
	}
}

func TestDeliverDropsAnInvitationAnsweredMeanwhile(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	job := w.queue.jobs(t, actions.EmailQueue, id)[0]
	noErr(t, errOf(w.svc.Accept(ctx, user(ca), w.token(t, id))))
	noErr(t, w.svc.Deliver(ctx, job))
	if w.mailer.count() != 0 {
		t.Errorf("sent %+v for a dead link", w.mailer.sent)
	}
}

func TestCleanupExpiresUnansweredInvitations(t *testing.T) {
	w := newWorld(t)
	id := w.activate(t, activation("1001", "scanner"))
	kept := w.activate(t, activation("1001", "bookkeeping"))
	w.advance(actions.DefaultInvitationTTL - time.Hour)
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.InvitationsDead != 0 || w.collaboration(t, id).Status != collab.Pending {
		t.Fatalf("expired %d before the invitation ran out", rep.InvitationsDead)
	}
	w.advance(2 * time.Hour)
	rep, err = w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.InvitationsDead != 2 || w.collaboration(t, id).Status != collab.Expired || w.collaboration(t, kept).Status != collab.Expired {
		t.Fatalf("report %+v, want both invitations expired", rep)
	}
	if _, ok := w.company(t, co).Subscriptions["scanner"]; ok {
		t.Error("the subscription the activation opened is still there")
	}
	if got := w.company(t, co).Subscriptions["bookkeeping"].Status; got != collab.SubscriptionActive {
		t.Errorf("bookkeeping %s, want it untouched", got)
	}
	if got := w.queue.emails(t, id); !slices.Contains(got, actions.EmailInvitationExpired) {
		t.Errorf("e-mails %v, want invitation_expired", got)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.InvitationsDead != 0 {
		t.Errorf("a second run expired %d again", rep.InvitationsDead)
	}
}

func TestCleanupRemindsThenEndsAnAgreement(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "financial-overview")
	ends := w.collaboration(t, id).AgreementEndsAt
	w.advance(ends.Add(-15 * 24 * time.Hour).Sub(w.clock()))
	if rep, _ := w.svc.Cleanup(ctx); rep.RemindersSent != 0 {
		t.Fatalf("reminded %d times 15 days before the end", rep.RemindersSent)
	}
	w.advance(2 * 24 * time.Hour)
	if rep, _ := w.svc.Cleanup(ctx); rep.RemindersSent != 1 {
		t.Fatalf("reminded %d times 13 days before the end, want 1", rep.RemindersSent)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.RemindersSent != 0 {
		t.Fatalf("reminded again on the next run")
	}
	w.advance(ends.Sub(w.clock()))
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	r := w.collaboration(t, id)
	if rep.AgreementsEnded != 1 || r.Status != collab.Ending || r.Outcome != collab.Continue {
		t.Fatalf("report %+v, collaboration %s %s; want it ending with continue", rep, r.Status, r.Outcome)
	}
	if got := w.queue.emails(t, id); !slices.Contains(got, actions.EmailAgreementReminder) || !slices.Contains(got, actions.EmailAgreementExpired) {
		t.Errorf("e-mails %v, want the reminder and the expiry", got)
	}
	w.drain(t)
	if got := w.company(t, co).Subscriptions["financial-overview"]; w.collaboration(t, id).Status != collab.Ended || got.Status != collab.SubscriptionActive {
		t.Errorf("after the teardown: %s, subscription %s; want ended, kept active", w.collaboration(t, id).Status, got.Status)
	}
}

func TestCleanupRedrivesAStuckTeardown(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "bookkeeping")
	noErr(t, errOf(w.svc.End(ctx, user(ca), id, actions.EndInput{Outcome: "continue"})))
	w.queue.next() // the teardown job is lost
	w.advance(10 * time.Minute)
	if rep, _ := w.svc.Cleanup(ctx); rep.TeardownsRedrive != 0 {
		t.Fatalf("re-drove a teardown ending for 10 minutes")
	}
	w.advance(6 * time.Minute)
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.TeardownsRedrive != 1 || w.collaboration(t, id).Redrives != 1 {
		t.Fatalf("report %+v, want the teardown re-driven", rep)
	}
	w.drain(t)
	if got := w.collaboration(t, id).Status; got != collab.Ended {
		t.Errorf("status %s after the re-driven teardown, want ended", got)
	}
}

func TestCleanupResendsWhatTheQueueNeverGot(t *testing.T) {
	w := newWorld(t)
	w.queue.fail = errors.New("SQS unavailable")
	id := w.activate(t, activation("1001", "scanner"))
	w.queue.fail = nil
	if n := len(w.queue.jobs(t, actions.EmailQueue, id)); n != 0 {
		t.Fatalf("%d jobs sent while the queue failed", n)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.MessagesResent != 0 {
		t.Fatalf("re-sent %d messages before they were overdue", rep.MessagesResent)
	}
	w.advance(16 * time.Minute)
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.MessagesResent != 1 || len(w.queue.jobs(t, actions.EmailQueue, id)) != 1 {
		t.Fatalf("report %+v, want the invitation job re-sent", rep)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.MessagesResent != 0 {
		t.Errorf("re-sent again at once; want it postponed")
	}
	w.drain(t)
	w.advance(24 * time.Hour)
	if rep, _ := w.svc.Cleanup(ctx); rep.MessagesResent != 0 || w.mailer.to("ca@customer.test") != 1 {
		t.Errorf("report %+v, %d invitations sent; want the consumed job left alone", rep, w.mailer.to("ca@customer.test"))
	}
}
