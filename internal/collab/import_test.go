package collab_test

import (
	"testing"
	"time"

	"github.com/spiris/collab/internal/collab"
)

func TestAnImportedCollaborationIsActiveWithoutATask(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	ok := collab.ImportInput{ID: "old-1", OfficeID: "office-1", CustomerNo: "1001", CompanyID: "company-1", Solution: "bookkeeping",
		Since: time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)}
	c, err := collab.Import(ok, now)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Record()
	if r.Status != collab.Active || r.TaskID != "" || r.InvoiceRecipient != collab.InvoiceCustomer || !r.CreatedAt.Equal(ok.Since) {
		t.Errorf("imported as %+v", r)
	}
	if h := c.NewTransitions(); len(h) != 1 || h[0].To != collab.Active || h[0].Actor != collab.System || h[0].Reason == "" {
		t.Errorf("history %+v, want one entry saying it was imported", h)
	}
	for name, in := range map[string]collab.ImportInput{
		"solution_unknown":          {ID: "old-1", OfficeID: "o", CustomerNo: "1", CompanyID: "c", Solution: "abacus"},
		"id_invalid":                {ID: "old 1", OfficeID: "o", CustomerNo: "1", CompanyID: "c", Solution: "bookkeeping"},
		"invoice_recipient_invalid": {ID: "old-1", OfficeID: "o", CustomerNo: "1", CompanyID: "c", Solution: "bookkeeping", InvoiceRecipient: "bank"},
	} {
		if _, err := collab.Import(in, now); collab.ErrorCode(err) != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
