// Package cleanupscale measures whether the cleanup's reads grow with the table or only with the
// work that is due: it seeds a table with a number of collaborations of which some are due, runs
// the cleanup's due queries (dynamo.Store.DueWork for every kind, with actions.CleanupBatch)
// round after round until nothing is due, and divides the items DynamoDB read by the due items
// found.
package cleanupscale

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

// Kinds are the due kinds the cleanup queries, in its order.
var Kinds = []string{port.DueInvitationReminder, port.DueInvitationExpiry, port.DueAgreementReminder, port.DueAgreementEnd,
	port.DueTeardownStuck, port.DueOutbox}

// Table is a seeded table.
type Table struct {
	Store *dynamo.Store `json:"-"`
	// DB is a client for the table that the measurement does not count (to mark work done).
	DB   *dynamodb.Client `json:"-"`
	Name string
	Now  time.Time // the cleanup's clock
	// Collaborations and Due are how many collaborations were seeded and how many are due.
	Collaborations, Due int
	// Items is how many DynamoDB items the table holds (collaborations, history, slot guards).
	Items  int
	Seeded time.Duration
}

// chunk is how many collaborations go to one Import call.
const chunk = 1000

// Seed writes total collaborations into the store's table, due of them due at now: pending with
// an expired invitation, as activated 40 days before now (with their history and slot guard).
// The others are stored records without history, as the older tool's import writes them, and
// never due at now: a third each active without an agreement period, ended, and pending with an
// invitation that expires after now (these are in the sparse Due index, but not yet due).
func Seed(ctx context.Context, store *dynamo.Store, db *dynamodb.Client, total, due int, now time.Time) (*Table, error) {
	t := &Table{Store: store, DB: db, Name: store.Table(), Now: now, Collaborations: total, Due: due}
	began := time.Now()
	office, company := "office-scale", "company-scale"
	var batch []*collab.Collaboration
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := store.Import(ctx, batch)
		batch = batch[:0]
		return err
	}
	for i := range total - due {
		r := collab.CollaborationRecord{ID: "quiet-" + strconv.Itoa(i), OfficeID: office, CustomerNo: "q" + strconv.Itoa(i),
			CompanyID: company, Solution: "scanner", TaskID: "t", Scenario: collab.ExistingSolution,
			InvoiceRecipient: collab.InvoiceOffice, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
		switch i % 3 {
		case 0:
			r.Status = collab.Active
		case 1:
			r.Status = collab.Ended
		default:
			r.Status, r.InvitationHash, r.InvitationExpiry = collab.Pending, "h"+strconv.Itoa(i), now.Add(20*24*time.Hour)
		}
		batch = append(batch, collab.RestoreCollaboration(r))
		if len(batch) == chunk {
			if err := flush(); err != nil {
				return nil, fmt.Errorf("cleanupscale: seed: %w", err)
			}
		}
	}
	at := now.Add(-40 * 24 * time.Hour)
	for i := range due {
		no := "d" + strconv.Itoa(i)
		c, err := collab.Activate(collab.ActivationInput{ID: "due-" + strconv.Itoa(i), OfficeID: office,
			Customer: collab.Customer{No: no}, CompanyID: company, Task: collab.Task{ID: "t", CustomerNo: no},
			Solution: "scanner", InvoiceRecipient: collab.InvoiceOffice, Scenario: collab.ExistingSolution}, collab.System, at)
		if err != nil {
			return nil, err
		}
		_, inv := collab.NewInvitation([]byte("cleanup scale benchmark key, 32 bytes+"), c.ID(), at, actions.DefaultInvitationTTL)
		if err := c.Invite(inv); err != nil {
			return nil, err
		}
		batch = append(batch, c)
		if len(batch) == chunk {
			if err := flush(); err != nil {
				return nil, fmt.Errorf("cleanupscale: seed: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return nil, fmt.Errorf("cleanupscale: seed: %w", err)
	}
	t.Seeded = time.Since(began)
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)})
	if err != nil {
		return nil, fmt.Errorf("cleanupscale: %w", err)
	}
	t.Items = int(aws.ToInt64(d.Table.ItemCount))
	return t, nil
}

// Result is what the due queries read to find the due work.
type Result struct {
	Read    int // items DynamoDB read (ScannedCount)
	Found   int // due items the queries returned
	Queries int
	Rounds  int           // cleanup runs until nothing was due (the last finds nothing)
	Took    time.Duration // in the emulator: its cost, not DynamoDB's
}

// PerDue is items read per due item found.
func (r Result) PerDue() float64 {
	if r.Found == 0 {
		return 0
	}
	return float64(r.Read) / float64(r.Found)
}

// maxRounds stops a measurement whose queries never run dry.
const maxRounds = 1000

// Measure runs the cleanup's due queries as consecutive cleanup runs would: each run queries
// every kind with actions.CleanupBatch; the due collaborations it finds are then taken out of
// the Due index, as the cleanup's expiry does, by an uncounted update (moto copies the whole table
// in every transaction, so running the real expiry on 100 000 items would measure moto). Runs
// repeat until one finds nothing. The clock stands still, so a kind that found nothing and had no
// more stays empty: later runs skip its query, which would read nothing (moto scans the whole
// table for every index query, seconds at 100 000 items, so this keeps the run short).
func Measure(ctx context.Context, t *Table) (Result, error) {
	var res Result
	began := time.Now()
	pending := Kinds
	for res.Rounds < maxRounds && len(pending) > 0 {
		res.Rounds++
		var more []string
		for _, kind := range pending {
			d, err := t.Store.DueWork(ctx, kind, t.Now, actions.CleanupBatch)
			if err != nil {
				return res, fmt.Errorf("cleanupscale: %w", err)
			}
			res.Queries++
			res.Read += d.Read
			res.Found += len(d.Collaborations) + len(d.Messages)
			for _, c := range d.Collaborations {
				if err := t.done(ctx, "COLLAB#"+c.ID, "COLLAB"); err != nil {
					return res, err
				}
			}
			for _, m := range d.Messages {
				if err := t.done(ctx, "OUTBOX#"+m.ID, "OUTBOX"); err != nil {
					return res, err
				}
			}
			if len(d.Collaborations)+len(d.Messages) > 0 {
				more = append(more, kind)
			}
		}
		pending = more
	}
	res.Took = time.Since(began)
	return res, nil
}

// done removes an item from the Due index, as the cleanup's work on it does. The keys are those
// docs/data-model.md documents for collaboration and outbox items.
func (t *Table) done(ctx context.Context, pk, sk string) error {
	_, err := t.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.Name),
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
		UpdateExpression: aws.String("REMOVE DuePK, DueAt"),
	})
	if err != nil {
		return fmt.Errorf("cleanupscale: mark %s done: %w", pk, err)
	}
	return nil
}
