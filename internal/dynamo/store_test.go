package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var (
	ctx     = context.Background()
	t0      = time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	clerk   = collab.Actor{Kind: collab.OfficeEmployee, UserID: "emp-1", OrgID: "office-1"}
	boss    = collab.Actor{Kind: collab.CustomerUser, UserID: "adm-1"}
	testKey = []byte("test key of at least 32 bytes....")
	timing  = port.Timing{ReminderLead: 14 * 24 * time.Hour, StuckAfter: 15 * time.Minute}
)

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	return dynamo.New(dynamodb.NewFromConfig(cfg), res.TableName("Table"), timing)
}

func id(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// world is one office with a customer and a task, and the customer's company, stored.
type world struct {
	office, company string
	customer        collab.Customer
	task            collab.Task
}

func newWorld(t *testing.T, s *dynamo.Store) world {
	t.Helper()
	w := world{office: id("office"), company: id("company")}
	w.customer = collab.Customer{OfficeID: w.office, No: "1001", Name: "Kund AB", OrgNo: id("org"), CompanyID: w.company}
	w.task = collab.Task{OfficeID: w.office, ID: id("task"), CustomerNo: "1001", Name: "Bokslut", Assignees: []string{"emp-1"}}
	tx := s.Tx()
	tx.PutOffice(collab.Office{ID: w.office, Name: "Byrån"})
	tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: "emp-1", Name: "Eva", Email: "eva@example.test", Role: collab.OfficeStaff})
	tx.PutCustomer(w.customer)
	tx.PutTask(w.task)
	co := collab.Company{ID: w.company, Name: "Kund AB", OrgNo: w.customer.OrgNo, CreatedAt: t0}
	admin := collab.User{CompanyID: w.company, ID: "adm-1", Name: "Anna", Email: "anna@example.test", Role: collab.Administrator, Language: collab.English}
	co.AddUser(admin)
	if err := co.SetMainContact(admin); err != nil {
		t.Fatal(err)
	}
	tx.PutCompany(co)
	tx.PutUser(admin)
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("seed world: %v", err)
	}
	w.task.Version = 1 // as stored
	return w
}

func (w world) activate(t *testing.T, s *dynamo.Store, solution collab.Solution, months int, at time.Time) *collab.Collaboration {
	t.Helper()
	c, err := collab.Activate(collab.ActivationInput{
		ID: id("c"), OfficeID: w.office, Customer: w.customer, CompanyID: w.company, Task: w.task,
		Solution: solution, InvoiceRecipient: collab.InvoiceOffice, StartPeriod: collab.Period{Year: 2027, Month: 4},
		AgreementMonths: months, Scenario: collab.ExistingSolution,
	}, clerk, at)
	if err != nil {
		t.Fatal(err)
	}
	_, inv := collab.NewInvitation(testKey, c.ID(), at, 30*24*time.Hour)
	if err := c.Invite(inv); err != nil {
		t.Fatal(err)
	}
	tx := s.Tx()
	tx.PutCollaboration(c)
	tx.PutInvitation(inv)
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("activate: %v", err)
	}
	got, err := s.Collaboration(ctx, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func save(s *dynamo.Store, c *collab.Collaboration) error {
	tx := s.Tx()
	tx.PutCollaboration(c)
	return tx.Commit(ctx)
}

func TestCollaborationRoundTripWithVersionConflict(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	c := w.activate(t, s, "financial-overview", 12, t0)
	r := c.Record()
	if r.Status != collab.Pending || r.Version != 1 || r.AgreementMonths != 12 || r.StartPeriod.String() != "2027-04" ||
		!r.CreatedAt.Equal(t0) || r.InvitationHash == "" {
		t.Fatalf("stored record %+v", r)
	}
	stale, _ := s.Collaboration(ctx, c.ID())

	if err := c.Accept(boss, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := save(s, c); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if err := stale.Decline(boss, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := save(s, stale); err != collab.ErrConflict {
		t.Fatalf("write of a stale copy: %v, want ErrConflict", err)
	}

	rec, history, err := s.CollaborationWithHistory(ctx, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != collab.Active || rec.Version != 2 {
		t.Fatalf("after accept: status %s version %d", rec.Status, rec.Version)
	}
	if len(history) != 2 || history[0].To != collab.Pending || history[1].From != collab.Pending ||
		history[1].To != collab.Active || history[1].Actor.UserID != "adm-1" {
		t.Fatalf("history %+v", history)
	}
	if _, err := s.Collaboration(ctx, "nope"); collab.ErrorCode(err) != "collaboration_not_found" {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestTwoWritersRaceAndExactlyOneWins(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	c := w.activate(t, s, "scanner", 0, t0)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, err := s.Collaboration(ctx, c.ID())
			if err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				err = mine.Accept(boss, t0.Add(time.Minute))
			} else {
				err = mine.Withdraw(clerk, t0.Add(time.Minute))
			}
			if err == nil {
				err = save(s, mine)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case collab.ErrorKind(err) != collab.ECONFLICT:
			t.Errorf("loser got %v, want a conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers won, want exactly 1", won)
	}
	_, history, _ := s.CollaborationWithHistory(ctx, c.ID())
	if len(history) != 2 {
		t.Fatalf("history has %d entries, want activation + the one winning transition", len(history))
	}
}

func TestTransactionFailsAsAWhole(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	first := w.activate(t, s, "payroll", 0, t0)

	second, err := collab.Activate(collab.ActivationInput{
		ID: id("c"), OfficeID: w.office, Customer: w.customer, CompanyID: w.company, Task: w.task,
		Solution: "payroll", InvoiceRecipient: collab.InvoiceCustomer, Scenario: collab.NewSolution,
	}, clerk, t0)
	if err != nil {
		t.Fatal(err)
	}
	tx := s.Tx()
	tx.PutSubscription(collab.Subscription{CompanyID: w.company, Solution: "payroll", Status: collab.SubscriptionPending, CreatedBy: second.ID()})
	tx.PutCollaboration(second)
	if err := tx.Commit(ctx); collab.ErrorCode(err) != "collaboration_exists" {
		t.Fatalf("second open collaboration for the same solution: %v, want collaboration_exists", err)
	}
	if _, err := s.Collaboration(ctx, second.ID()); collab.ErrorCode(err) != "collaboration_not_found" {
		t.Fatalf("refused collaboration was written: %v", err)
	}
	view, err := s.Company(ctx, w.company)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := view.Subscriptions["payroll"]; ok {
		t.Fatal("the subscription of a failed transaction was written")
	}

	// Once the first is final, the slot is free again.
	if err := first.Withdraw(clerk, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := save(s, first); err != nil {
		t.Fatal(err)
	}
	if err := save(s, second); err != nil {
		t.Fatalf("activation after the first was withdrawn: %v", err)
	}
}

// TestCustomerSyncKeepsTheCompanyLink: a sync writes the customer's name and organisation number
// as sent but never drops or moves its company link, so a sync that read the customer before an
// activation linked it cannot undo that link.
func TestCustomerSyncKeepsTheCompanyLink(t *testing.T) {
	s := newStore(t)
	office := id("office")
	read := func() collab.Customer {
		t.Helper()
		f, err := s.OfficeItems(ctx, port.OfficeRefs{OfficeID: office, CustomerNo: "1001"})
		if err != nil {
			t.Fatal(err)
		}
		return f.Customer
	}
	sync := func(c collab.Customer) {
		t.Helper()
		c.OfficeID, c.No = office, "1001"
		tx := s.Tx()
		tx.SyncCustomer(c)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	sync(collab.Customer{Name: "Ett AB", OrgNo: "556000-1001"})
	if c := read(); c.Name != "Ett AB" || c.OrgNo != "556000-1001" || c.CompanyID != "" {
		t.Fatalf("new customer %+v", c)
	}
	// An activation links it; a sync that read it before the link writes no link.
	tx := s.Tx()
	tx.PutCustomer(collab.Customer{OfficeID: office, No: "1001", Name: "Ett AB", OrgNo: "556000-1001", CompanyID: "co-1"})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	sync(collab.Customer{Name: "Ett AB (renamed)"})
	if c := read(); c.Name != "Ett AB (renamed)" || c.OrgNo != "" || c.CompanyID != "co-1" {
		t.Fatalf("after a sync without a link: %+v", c)
	}
	sync(collab.Customer{Name: "Ett AB", CompanyID: "co-2"})
	if c := read(); c.CompanyID != "co-1" {
		t.Fatalf("a sync moved the link to %q", c.CompanyID)
	}
}
