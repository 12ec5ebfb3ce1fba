package collab_test

import (
	"slices"
	"testing"

	"github.com/spiris/collab/internal/collab"
)

func TestEmailsGoToTheirAudience(t *testing.T) {
	for kind, want := range map[string]collab.Audience{
		"invitation": {Company: true}, "login_instructions": {Company: true},
		"access_granted":               {Company: true, Office: true, OfficeEmail: collab.EmailInvitationAccepted},
		collab.EmailInvitationDeclined: {Office: true}, collab.EmailInvitationReminder: {Company: true},
		"payroll_handover": {Company: true}, collab.EmailEnded: {Company: true, Office: true},
		"agreement_reminder": {Company: true, Office: true}, "agreement_expired": {Company: true, Office: true},
		"invitation_expired": {Office: true},
	} {
		if got := collab.AudienceOf(kind); got != want {
			t.Errorf("%s goes to %+v, want %+v", kind, got, want)
		}
	}
}

func TestOfficeRecipientsAreTheTaskOrTheAdministrators(t *testing.T) {
	staff := []collab.Employee{{UserID: "admin", Role: collab.OfficeAdministrator}, {UserID: "on-task", Role: collab.OfficeStaff},
		{UserID: "other", Role: collab.OfficeStaff}}
	for _, c := range []struct {
		name      string
		assignees []string
		activator string
		want      []string
	}{
		{"the_employees_on_the_task", []string{"on-task"}, "", []string{"on-task"}},
		{"an_administrator_on_the_task_as_any_employee", []string{"admin", "on-task"}, "", []string{"admin", "on-task"}},
		{"the_administrators_without_a_task", nil, "", []string{"admin"}},
		{"the_activating_employee_off_the_task_too", []string{"on-task"}, "other", []string{"on-task", "other"}},
		{"the_activating_employee_once_when_on_the_task", []string{"on-task"}, "on-task", []string{"on-task"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, e := range (collab.CollaborationRecord{Assignees: c.assignees, ActivatedBy: c.activator}).OfficeRecipients(staff) {
				got = append(got, e.UserID)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("recipients %v, want %v", got, c.want)
			}
		})
	}
}
