package world

import (
	"context"
	"fmt"
	"time"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

// SeedSamples writes the data the sample events in events/ name, so that a function invoked
// with its sample event does its real work: office-1 with its administrator emp-admin, customer
// 1001 (company-1) and task-1; company-1 with its administrator and main contact cust-admin and
// the user emp-2, subscribed to bookkeeping; and collab-1, the office's active bookkeeping
// collaboration with company-1. Invitation tokens in the samples are not real, so those
// functions answer 404 after looking.
func SeedSamples(ctx context.Context, store *dynamo.Store, now time.Time) error {
	tx := store.Tx()
	tx.PutOffice(collab.Office{ID: "office-1", Name: "Byrån Redovisning AB"})
	tx.PutEmployee(collab.Employee{OfficeID: "office-1", UserID: "emp-admin", Name: "Olle Olsson", Email: "olle@byran.example",
		Language: collab.Swedish, Role: collab.OfficeAdministrator})
	tx.PutCustomer(collab.Customer{OfficeID: "office-1", No: "1001", Name: "Kund AB", CompanyID: "company-1"})
	tx.PutTask(collab.Task{OfficeID: "office-1", ID: "task-1", CustomerNo: "1001", Name: "Löpande bokföring", Assignees: []string{"emp-admin"}})
	if err := company(tx, "company-1", "Kund AB", "", now, []collab.User{
		{ID: "cust-admin", Role: collab.Administrator}, {ID: "emp-2", Role: collab.RegularUser}}); err != nil {
		return err
	}
	tx.PutSubscription(collab.Subscription{CompanyID: "company-1", Solution: "bookkeeping", Status: collab.SubscriptionActive,
		InvoiceRecipient: collab.InvoiceOffice, UpdatedAt: now})
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("world: seed samples: %w", err)
	}
	c := collab.RestoreCollaboration(collab.CollaborationRecord{ID: "collab-1", OfficeID: "office-1", CustomerNo: "1001",
		CompanyID: "company-1", Solution: "bookkeeping", TaskID: "task-1", Status: collab.Active, Scenario: collab.ExistingSolution,
		InvoiceRecipient: collab.InvoiceOffice, CreatedAt: now, UpdatedAt: now})
	if err := store.Import(ctx, []*collab.Collaboration{c}); err != nil {
		return fmt.Errorf("world: seed samples: %w", err)
	}
	return nil
}
