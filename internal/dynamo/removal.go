package dynamo

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

var (
	_ port.RemovalStore = (*Store)(nil)
	_ port.RemovalTx    = (*Tx)(nil)
)

// OfficeStaffAndTasks returns the office, its employees and its tasks: one Query of the office's
// partition from `EMPLOYEE#` on (employees sort before the office item, tasks after it; customers
// before them all), all pages, strongly consistent.
func (s *Store) OfficeStaffAndTasks(ctx context.Context, office string) (collab.Office, []collab.Employee, []collab.Task, error) {
	var o collab.Office
	var staff []collab.Employee
	var tasks []collab.Task
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND SK >= :employees"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":        &types.AttributeValueMemberS{Value: officePartition(office)},
			":employees": &types.AttributeValueMemberS{Value: "EMPLOYEE#"},
		},
		ConsistentRead: aws.Bool(true),
	}
	err := s.queryEach(ctx, "query staff and tasks of office "+office, in, func(item map[string]types.AttributeValue) error {
		switch sk := keyOf(item).sk; {
		case sk == officeKey(office).sk:
			var it officeItem
			err := decode("query office", item, &it)
			o = collab.Office{ID: it.ID, Name: it.Name}
			return err
		case strings.HasPrefix(sk, "EMPLOYEE#"):
			var it employeeItem
			err := decode("query office staff", item, &it)
			staff = append(staff, it.employee())
			return err
		case strings.HasPrefix(sk, "TASK#"):
			var it taskItem
			err := decode("query office tasks", item, &it)
			tasks = append(tasks, it.task())
			return err
		}
		return nil
	})
	return o, staff, tasks, err
}

// RequireOfficeAdministrator makes the transaction depend on the user still being an
// administrator of the office, or the commit fails with collab.ErrConflict.
func (t *Tx) RequireOfficeAdministrator(office, user string) {
	t.checkRole(employeeKey(office, user), string(collab.OfficeAdministrator), collab.ErrConflict)
}

// DeleteUser removes a company user at the version read (collab.ErrConflict if it changed), and
// their role in the company from their memberships.
func (t *Tx) DeleteUser(u collab.User) {
	t.memberships(u.ID).drop(userAttr(u.CompanyID))
	t.delete(userKey(u.CompanyID, u.ID), "Version = :v",
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(u.Version)}}, collab.ErrConflict)
}

// DeleteEmployee removes an office employee (unconditionally, as employees are upserts), and
// their role in the office from their memberships.
func (t *Tx) DeleteEmployee(e collab.Employee) {
	t.memberships(e.UserID).drop(employeeAttr(e.OfficeID))
	t.delete(employeeKey(e.OfficeID, e.UserID), "", nil, nil)
}

// DeleteTask removes a task where it was read: `Version = :v AND Joins = :joins`, so a
// collaboration that took its assignees since (JoinTask) fails the commit with
// collab.ErrConflict; and the task from its employees' memberships.
func (t *Tx) DeleteTask(task collab.Task) {
	for _, u := range task.Assignees {
		t.memberships(u).drop(taskAttr(task.OfficeID, task.CustomerNo, task.ID))
	}
	t.delete(taskKey(task.OfficeID, task.ID), "Version = :v AND Joins = :joins", map[string]types.AttributeValue{
		":v":     &types.AttributeValueMemberN{Value: strconv.Itoa(task.Version)},
		":joins": &types.AttributeValueMemberN{Value: strconv.Itoa(task.Joins)},
	}, collab.ErrConflict)
}

// DeleteCustomer removes an office's customer, on the condition that it still has no
// collaboration that is not over: a condition check `attribute_not_exists(PK)` on its open guard
// of every solution (collab.ErrConflict otherwise).
func (t *Tx) DeleteCustomer(c collab.Customer) {
	t.delete(customerKey(c.OfficeID, c.No), "", nil, nil)
	for _, id := range slices.Sorted(maps.Keys(collab.Solutions)) {
		t.check(openKey(c.OfficeID, c.No, string(id)), "attribute_not_exists(PK)", nil, nil, collab.ErrConflict)
	}
}

// drop records that the attribute goes from the user's memberships, unless the same transaction
// sets it.
func (c *membershipChange) drop(attr string) {
	if c.set[attr] == nil {
		c.remove[attr] = true
	}
}
