package actions_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/collab"
)

// subjects returns the subjects of the e-mails sent to an address, in the order sent.
func (m *mailer) subjects(address string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, s := range m.sent {
		if s.to == address {
			out = append(out, s.subject)
		}
	}
	return out
}

// TestTheOfficeIsToldHowTheCustomerAnswered: the employee who activated (the office's
// administrator, off the task) and the task's employee hear of an accept and a decline, each in
// their language; the company's administrator hears that access is granted, and nobody else
// hears anything.
func TestTheOfficeIsToldHowTheCustomerAnswered(t *testing.T) {
	w := newWorld(t)
	accepted, err := w.svc.Activate(ctx, user(oa), office, activation("1001", "scanner"))
	noErr(t, err)
	declined, err := w.svc.Activate(ctx, user(oa), office, activation("1001", "tax-annual"))
	noErr(t, err)
	w.drain(t)
	before := w.mailer.count()
	noErr(t, errOf(w.svc.Accept(ctx, user(ca), w.token(t, accepted.CollaborationID()))))
	noErr(t, errOf(w.svc.Decline(ctx, user(ca), w.token(t, declined.CollaborationID()))))
	w.drain(t)
	for _, c := range []struct {
		to   string
		want []string
	}{
		{"oa@office.test", []string{"Ett AB har godkänt samarbetet i Scanner", "Ett AB har tackat nej till samarbetet i Skatt & Årsredovisning"}},
		{"oe@office.test", []string{"Ett AB has approved the collaboration in Scanner", "Ett AB has declined the collaboration in Tax & Annual accounts"}},
		{"ca@customer.test", []string{"Samarbetet med Byrå Ett i Scanner har startat"}},
		{"ox@office.test", nil},
	} {
		got := w.mailer.subjects(c.to)
		if len(got) > 0 && c.to == "ca@customer.test" {
			got = got[len(got)-1:] // the invitations came before
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s got %q, want %q", c.to, got, c.want)
		}
	}
	if got := w.mailer.count() - before; got != 5 {
		t.Errorf("%d e-mails after the answers, want 5", got)
	}
}

// TestCleanupRemindsTheCompanyBeforeTheInvitationExpires: the company's administrators get one
// reminder with the invitation's link the lead time before it expires, and the office is told
// when it has expired; a resend's new invitation is reminded again; a cleanup first running after
// the expiry expires it without a reminder.
func TestCleanupRemindsTheCompanyBeforeTheInvitationExpires(t *testing.T) {
	w := newWorld(t)
	lead := port3Days
	id := w.activate(t, activation("1001", "scanner"))
	late := w.activate(t, activation("1002", "scanner"))
	w.drain(t)
	w.advance(actions.DefaultInvitationTTL - lead - time.Hour)
	if rep, _ := w.svc.Cleanup(ctx); rep.InvitationsDue != 0 {
		t.Fatalf("reminded %d before the lead time", rep.InvitationsDue)
	}
	noErr(t, errOf(w.svc.Resend(ctx, user(oe), late))) // its new invitation expires a month later
	w.drain(t)
	w.advance(2 * time.Hour)
	rep, err := w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.InvitationsDue != 1 || !slices.Contains(w.queue.emails(t, id), collab.EmailInvitationReminder) {
		t.Fatalf("report %+v, e-mails %v; want one reminder", rep, w.queue.emails(t, id))
	}
	w.drain(t)
	if got := w.mailer.subjects("ca@customer.test"); got[len(got)-1] != "Påminnelse: Byrå Ett väntar på svar om Scanner" {
		t.Errorf("the administrator got %q", got)
	}
	if rep, _ := w.svc.Cleanup(ctx); rep.InvitationsDue != 0 {
		t.Errorf("reminded again on the next run")
	}
	w.advance(lead)
	rep, err = w.svc.Cleanup(ctx)
	noErr(t, err)
	w.drain(t)
	if rep.InvitationsDead != 1 || w.collaboration(t, id).Status != collab.Expired {
		t.Fatalf("report %+v; want the invitation expired", rep)
	}
	if got := w.mailer.subjects("oe@office.test"); got[len(got)-1] != "The invitation to Ett AB in Scanner has expired" {
		t.Errorf("the employee on the task got %q", got)
	}
	w.advance(actions.DefaultInvitationTTL)
	rep, err = w.svc.Cleanup(ctx)
	noErr(t, err)
	if rep.InvitationsDead != 1 || w.collaboration(t, late).Status != collab.Expired || w.mailer.to("ca2@customer.test") != 2 {
		t.Errorf("report %+v, %d e-mails to ca2; want the resent invitation expired, ca2 never reminded after it ran out", rep, w.mailer.to("ca2@customer.test"))
	}
}

const port3Days = 3 * 24 * time.Hour
