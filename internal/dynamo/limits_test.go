package dynamo_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/infra/itemsize"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

// The sizes the service is designed for. Nothing else grows an item: tasks have at most 50
// assignees (PutTask refuses more), and a company's users live in items of their own.
const (
	customersPerEmployee = 10_000 // tasks of that many customers one employee is on
	officesPerUser       = 20     // offices one person is an employee of
	companiesPerUser     = 100    // companies one person is a user of
	usersPerCompany      = 1_000
	officesPerCompany    = 100 // offices with an accepted collaboration on one solution of one company
	assigneesPerTask     = 50
	itemLimit            = 400 * 1024 // DynamoDB's item size limit
)

// longID is an id of the longest length an id may have (collab.CheckID: 64 characters).
func longID(prefix string, i int) string {
	s := fmt.Sprintf("%s-%d-", prefix, i)
	return s + strings.Repeat("x", 64-len(s))
}

// TestTheLargestItemsStayUnderDynamoDBsLimit writes, through the adapter where a write of that
// size is one operation, each item that grows with use at the size the service is designed for,
// with ids of the longest length allowed, reads it back, and checks its size against DynamoDB's
// 400 KB limit with room to spare.
func TestTheLargestItemsStayUnderDynamoDBsLimit(t *testing.T) {
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	db, table := dynamodb.NewFromConfig(cfg), res.TableName("Table")
	s := newStore(t)
	size := func(t *testing.T, key map[string]types.AttributeValue) int {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			t.Fatalf("read back: %v", err)
		}
		n := itemsize.Of(out.Item)
		t.Logf("%d bytes (%.0f%% of the limit)", n, 100*float64(n)/itemLimit)
		if n > itemLimit*3/4 {
			t.Errorf("%d bytes: more than three quarters of DynamoDB's %d", n, itemLimit)
		}
		return n
	}
	pk := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
	}

	t.Run("memberships_of_an_employee_on_tasks_of_10000_customers", func(t *testing.T) {
		user, office := longID("emp", 0), longID("office", 0)
		item := pk("USER#"+user, "MEMBERSHIPS")
		item["Type"] = &types.AttributeValueMemberS{Value: "memberships"}
		for i := range officesPerUser {
			item["EMP#"+longID("office", i)] = &types.AttributeValueMemberS{Value: "office_administrator " + strings.Repeat("s", 24)}
		}
		for i := range companiesPerUser {
			item["USR#"+longID("company", i)] = &types.AttributeValueMemberS{Value: "administrator 12345"}
		}
		for i := range customersPerEmployee {
			item[dynamo.TaskEntry(office, fmt.Sprint(10_000_000+i), longID("task", i))] = &types.AttributeValueMemberN{Value: "12345"}
		}
		// One UpdateItem cannot set 10 000 attributes (its expression is at most 4 KB), so the item
		// is put whole, with the names the adapter gives its entries; reading it through the
		// adapter shows it decodes.
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatalf("put the memberships item: %v", err)
		}
		size(t, pk("USER#"+user, "MEMBERSHIPS"))
		r := collab.CollaborationRecord{ID: id("c"), OfficeID: office, CustomerNo: fmt.Sprint(10_000_000 + 7), CompanyID: longID("company", 0),
			Solution: "scanner", Status: collab.Ended, CreatedAt: t0, UpdatedAt: t0}
		tx := s.Tx()
		tx.PutCollaboration(collab.RestoreCollaboration(r))
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, m, err := s.CollaborationFor(ctx, r.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		if got := dynamo.TaskOf(m, office, r.CustomerNo); got != dynamo.TaskEntry(office, r.CustomerNo, longID("task", 7)) {
			t.Errorf("the entry of customer %s's task: %q", r.CustomerNo, got)
		}
		if st, _ := m.Standing(r, user); st.CustomerTask == "" {
			t.Errorf("standing %+v, want on a task of the customer", st)
		}
	})

	t.Run("a_collaboration_with_50_assignees_whose_invitation_missed_1000_users", func(t *testing.T) {
		r := collab.CollaborationRecord{ID: id("c"), OfficeID: longID("office", 1), CustomerNo: strings.Repeat("9", 20),
			CompanyID: longID("company", 1), Solution: "scanner", Status: collab.Pending, TaskID: longID("task", 1),
			OfficeName: strings.Repeat("Å", 200), CompanyName: strings.Repeat("Ö", 200), CreatedAt: t0, UpdatedAt: t0}
		for i := range assigneesPerTask {
			r.Assignees = append(r.Assignees, longID("emp", i))
		}
		c := collab.RestoreCollaboration(r)
		var users []string
		for i := range usersPerCompany {
			users = append(users, longID("user", i))
		}
		if _, err := c.InvitationUndelivered(users, t0); err != nil {
			t.Fatal(err)
		}
		tx := s.Tx()
		tx.PutCollaboration(c)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		size(t, pk("COLLAB#"+r.ID, "COLLAB"))
	})

	t.Run("a_subscription_used_by_100_offices", func(t *testing.T) {
		sub := collab.Subscription{CompanyID: id("company"), Solution: "bookkeeping", Status: collab.SubscriptionActive, UpdatedAt: t0}
		for i := range officesPerCompany {
			sub.Uses = append(sub.Uses, collab.SubscriptionUse{CollaborationID: longID("c", i), OfficeID: longID("office", i),
				InvoiceRecipient: collab.InvoiceOffice, Since: t0.Add(time.Duration(i) * time.Second)})
		}
		tx := s.Tx()
		tx.PutCompany(collab.Company{ID: sub.CompanyID, Name: "Delad AB", CreatedAt: t0})
		tx.PutSubscription(sub)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		size(t, pk("COMPANY#"+sub.CompanyID, "SUB#bookkeeping"))
		v, err := s.Company(ctx, sub.CompanyID)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Subscriptions["bookkeeping"]; len(got.Uses) != officesPerCompany || got.PayingOfficeID != longID("office", 0) {
			t.Errorf("read back %d uses, paid by %q", len(got.Uses), got.PayingOfficeID)
		}
	})

	t.Run("the_deliveries_of_an_email_to_every_user_and_the_office_staff", func(t *testing.T) {
		job := id("job")
		d, err := s.ClaimDeliveries(ctx, job, t0, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for i := range usersPerCompany + assigneesPerTask {
			d.Record(port.RecipientKey(longID("user", i)+"@example.test"), port.DeliveryRejected, strings.Repeat("r", 300)) // cut to MaxDeliveryReason
		}
		tx := s.Tx()
		tx.SettleDeliveries(d, false)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		size(t, pk("DELIVERY#"+job, "DELIVERY"))
	})
}
