package httpapi_test

import (
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// Link's officeId only saves a round trip: the task is always the collaboration's own office's,
// whatever office the request names.
func TestLinkUsesTheCollaborationsOwnOfficeWhateverOfficeIsNamed(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	imported := func(t *testing.T, solution collab.Solution) string {
		c := collab.RestoreCollaboration(collab.CollaborationRecord{ID: rid("imported"), OfficeID: w.office, CustomerNo: "1001",
			CompanyID: w.co, Solution: solution, Status: collab.Active, Scenario: collab.ExistingSolution,
			InvoiceRecipient: collab.InvoiceOffice, CreatedAt: start, UpdatedAt: start})
		tx := h.store.Tx()
		tx.PutCollaboration(c)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return c.ID()
	}
	for _, tc := range []struct {
		name, officeID string
		solution       collab.Solution // one open collaboration per office, customer and solution
	}{
		{"its_own_office", w.office, "tax-annual"},
		{"another_office", w.otherOffice, "consolidated"},
		{"an_unknown_office", rid("office"), "scanner"},
		{"an_invalid_id", "not an id!", "travel-expenses"},
	} {
		officeID := tc.officeID
		t.Run(tc.name, func(t *testing.T) {
			id := imported(t, tc.solution)
			r := h.call(t, user(w.oe), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+w.task["1001"]+`","officeId":"`+officeID+`"}`)
			expect(t, r, 200, "")
			if got := r.str("taskId"); got != w.task["1001"] {
				t.Errorf("linked to task %q, want %q", got, w.task["1001"])
			}
		})
	}
	t.Run("an_employee_of_another_office_naming_its_own_office", func(t *testing.T) {
		id := imported(t, "payroll")
		r := h.call(t, user(w.o2), "POST", "/collaborations/"+id+"/link", `{"taskId":"`+w.task["1001"]+`","officeId":"`+w.otherOffice+`"}`)
		expect(t, r, 403, "not_office_employee")
	})
}
