package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

type officeItem struct {
	PK, SK string
	Type   string
	ID     string
	Name   string
}

type employeeItem struct {
	PK, SK   string
	Type     string
	OfficeID string
	UserID   string
	Name     string
	Email    string
	Language string
	Role     string
	// Stamp is new on every write of the employee, and the employee's memberships entry carries
	// it (employees are upserts, so they have no version).
	Stamp string `dynamodbav:",omitempty"`
}

type customerItem struct {
	PK, SK    string
	Type      string
	OfficeID  string
	No        string
	Name      string
	OrgNo     string `dynamodbav:",omitempty"`
	CompanyID string `dynamodbav:",omitempty"`
}

type taskItem struct {
	PK, SK         string
	Type           string
	GSI2PK, GSI2SK string
	OfficeID       string
	ID             string
	CustomerNo     string
	Name           string
	Assignees      []string `dynamodbav:",omitempty"`
	// Target is a change being applied in steps (collab.TaskTarget); absent when none is.
	Target  *collab.TaskTarget `dynamodbav:",omitempty"`
	Version int
	Joins   int
}

func (it employeeItem) employee() collab.Employee {
	return collab.Employee{OfficeID: it.OfficeID, UserID: it.UserID, Name: it.Name, Email: it.Email,
		Language: collab.Language(it.Language), Role: collab.EmployeeRole(it.Role)}
}

func (it customerItem) customer() collab.Customer {
	return collab.Customer{OfficeID: it.OfficeID, No: it.No, Name: it.Name, OrgNo: it.OrgNo, CompanyID: it.CompanyID}
}

func (it taskItem) task() collab.Task {
	return collab.Task{OfficeID: it.OfficeID, ID: it.ID, CustomerNo: it.CustomerNo, Name: it.Name, Assignees: it.Assignees,
		Target: it.Target, Version: it.Version, Joins: it.Joins}
}

// PutOffice writes an office (upsert: Practice management owns offices).
func (t *Tx) PutOffice(o collab.Office) {
	k := officeKey(o.ID)
	t.putAlways(officeItem{PK: k.pk, SK: k.sk, Type: "office", ID: o.ID, Name: o.Name})
}

// PutEmployee writes an office employee (upsert), and their role in their memberships.
func (t *Tx) PutEmployee(e collab.Employee) {
	stamp := newStamp()
	t.memberships(e.UserID).setRole(employeeAttr(e.OfficeID), string(e.Role), stamp)
	k := employeeKey(e.OfficeID, e.UserID)
	t.putAlways(employeeItem{PK: k.pk, SK: k.sk, Type: "employee", OfficeID: e.OfficeID, UserID: e.UserID,
		Name: e.Name, Email: e.Email, Language: string(e.Language), Role: string(e.Role), Stamp: stamp})
}

// PutCustomer writes an office's customer as given, link included (upsert), for seeding; the
// service writes customers with SyncCustomer and LinkCustomer, which never drop a link.
func (t *Tx) PutCustomer(c collab.Customer) {
	k := customerKey(c.OfficeID, c.No)
	t.putAlways(customerItem{PK: k.pk, SK: k.sk, Type: "customer", OfficeID: c.OfficeID, No: c.No,
		Name: c.Name, OrgNo: c.OrgNo, CompanyID: c.CompanyID})
}

// SyncCustomer writes an office's customer as Practice management sends it (upsert) without
// ever dropping or moving its company link: the link is set only when the item has none, so a
// sync racing an activation that links the customer keeps the activation's link.
func (t *Tx) SyncCustomer(c collab.Customer) {
	set := []string{"#type = :type", "OfficeID = :office", "#no = :no", "#name = :name"}
	remove := ""
	values := map[string]types.AttributeValue{
		":type":   &types.AttributeValueMemberS{Value: "customer"},
		":office": &types.AttributeValueMemberS{Value: c.OfficeID},
		":no":     &types.AttributeValueMemberS{Value: c.No},
		":name":   &types.AttributeValueMemberS{Value: c.Name},
	}
	if c.OrgNo != "" {
		set = append(set, "OrgNo = :org")
		values[":org"] = &types.AttributeValueMemberS{Value: c.OrgNo}
	} else {
		remove = " REMOVE OrgNo"
	}
	if c.CompanyID != "" {
		set = append(set, "CompanyID = if_not_exists(CompanyID, :company)")
		values[":company"] = &types.AttributeValueMemberS{Value: c.CompanyID}
	}
	t.update(customerKey(c.OfficeID, c.No), "SET "+strings.Join(set, ", ")+remove,
		map[string]string{"#type": "Type", "#no": "No", "#name": "Name"}, values)
}

// openItem is the guard of an (office, customer, solution) slot while its collaboration is not
// over.
type openItem struct {
	CollaborationID string
}

// RelinkCustomer writes a customer whose company link moved (collab.Customer.Resync): its name,
// organisation number and new link (none when next has no company), on the conditions that the
// link is still the one was read (was.CompanyID) and that the customer still has no
// collaboration that is not over. Either changed since read fails the commit with ECONFLICT
// concurrent_update.
func (t *Tx) RelinkCustomer(was, next collab.Customer) {
	expr := "SET #name = :name, OrgNo = :org"
	values := map[string]types.AttributeValue{
		":name": &types.AttributeValueMemberS{Value: next.Name},
		":org":  &types.AttributeValueMemberS{Value: next.OrgNo},
		":was":  &types.AttributeValueMemberS{Value: was.CompanyID},
	}
	if next.CompanyID != "" {
		expr += ", CompanyID = :company"
		values[":company"] = &types.AttributeValueMemberS{Value: next.CompanyID}
	} else {
		expr += " REMOVE CompanyID"
	}
	t.updateIf(customerKey(next.OfficeID, next.No), expr, "CompanyID = :was", map[string]string{"#name": "Name"}, values, collab.ErrConflict)
	for id := range collab.Solutions {
		t.check(openKey(next.OfficeID, next.No, string(id)), "attribute_not_exists(PK)", nil, nil, collab.ErrConflict)
	}
}

// LinkCustomer links an office's existing customer to its company, changing nothing else of it
// (a sync may have renamed it since it was read). A customer linked to another company
// meanwhile fails the commit with ECONFLICT.
func (t *Tx) LinkCustomer(c collab.Customer) {
	t.updateIf(customerKey(c.OfficeID, c.No), "SET CompanyID = :company",
		"attribute_exists(PK) AND (attribute_not_exists(CompanyID) OR CompanyID = :company)", nil,
		map[string]types.AttributeValue{":company": &types.AttributeValueMemberS{Value: c.CompanyID}}, collab.ErrConflict)
}

// PutTask writes a task whatever is stored, at version 1 (seeding; a change Practice management
// sends goes through ReplaceTask), and records it in its employees' memberships.
func (t *Tx) PutTask(task collab.Task) {
	t.followTask(collab.Task{}, task, 1)
	item := newTaskItem(task)
	item.Version = 1
	t.putAlways(item)
}

// ReplaceTask writes task, indexed under its customer in GSI2, where before was read (zero when
// there was none), and records in the memberships of the employees it adds, drops or moves to
// another customer which of the customer's tasks they are on. The commit fails with
// collab.ErrConflict if the task changed since it was read, or a collaboration took its assignees
// since (JoinTask): the caller decided what follows the change from collaborations it read before.
func (t *Tx) ReplaceTask(before, task collab.Task) {
	t.followTask(before, task, before.Version+1)
	item := newTaskItem(task)
	item.Joins = before.Joins
	t.putIf(item, before.Version, "Joins = :joins",
		map[string]types.AttributeValue{":joins": &types.AttributeValueMemberN{Value: strconv.Itoa(before.Joins)}}, collab.ErrConflict)
}

// JoinTask makes the transaction depend on the task being at the version it was read at, for a
// collaboration that takes its assignees (activation, link), and counts the join, so a
// ReplaceTask that did not see this collaboration fails instead of leaving it the old assignees.
// Collaborations joining one task at once do not conflict with each other.
func (t *Tx) JoinTask(task collab.Task) {
	t.updateIf(taskKey(task.OfficeID, task.ID), "ADD Joins :one", "Version = :v", nil,
		map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":v":   &types.AttributeValueMemberN{Value: strconv.Itoa(task.Version)},
		}, collab.ErrConflict)
}

func newTaskItem(task collab.Task) taskItem {
	k := taskKey(task.OfficeID, task.ID)
	return taskItem{PK: k.pk, SK: k.sk, Type: "task",
		GSI2PK: customerPartition(task.OfficeID, task.CustomerNo), GSI2SK: "TASK#" + task.ID,
		OfficeID: task.OfficeID, ID: task.ID, CustomerNo: task.CustomerNo, Name: task.Name, Assignees: task.Assignees, Target: task.Target}
}

// OfficeItems reads the office, an employee, a customer, a task, a company's subscription, an
// organisation number's company and the employee items of Staff in one round trip (at most 100
// keys: callers name at most 94 staff).
func (s *Store) OfficeItems(ctx context.Context, r port.OfficeRefs) (port.OfficeFacts, error) {
	var o officeItem
	var e employeeItem
	var c customerItem
	var t taskItem
	var sub subscriptionItem
	var org orgNoItem
	into := map[key]any{officeKey(r.OfficeID): &o}
	if r.EmployeeID != "" {
		into[employeeKey(r.OfficeID, r.EmployeeID)] = &e
	}
	if r.CustomerNo != "" {
		into[customerKey(r.OfficeID, r.CustomerNo)] = &c
	}
	if r.TaskID != "" {
		into[taskKey(r.OfficeID, r.TaskID)] = &t
	}
	if r.CompanyID != "" && r.Solution != "" {
		into[subscriptionKey(r.CompanyID, string(r.Solution))] = &sub
	}
	if r.OrgNo != "" {
		into[orgNoKey(r.OrgNo)] = &org
	}
	open := map[collab.Solution]*openItem{}
	if r.CustomerOpen && r.CustomerNo != "" {
		for id := range collab.Solutions {
			open[id] = &openItem{}
			into[openKey(r.OfficeID, r.CustomerNo, string(id))] = open[id]
		}
	}
	staff := make([]employeeItem, len(r.Staff))
	for i, id := range r.Staff {
		if k := employeeKey(r.OfficeID, id); into[k] == nil {
			into[k] = &staff[i]
		}
	}
	err := s.getInto(ctx, "get office items", into)
	f := port.OfficeFacts{Office: collab.Office{ID: o.ID, Name: o.Name}, Employee: e.employee(), Customer: c.customer(), Task: t.task(),
		Subscription: sub.subscription(), OrgNoOf: org.CompanyID}
	for id, it := range open {
		if it.CollaborationID != "" {
			f.Open = append(f.Open, id)
			f.OpenIDs = append(f.OpenIDs, it.CollaborationID)
		}
	}
	slices.Sort(f.Open)
	slices.Sort(f.OpenIDs)
	if r.Staff != nil {
		f.Staff = map[string]collab.Employee{}
		for _, it := range append(staff, e) {
			if it.UserID != "" && slices.Contains(r.Staff, it.UserID) {
				f.Staff[it.UserID] = it.employee()
			}
		}
	}
	return f, err
}

// CustomerTasks returns the tasks of one customer of an office, from GSI2 (used to decide
// whether an employee works for the customer).
func (s *Store) CustomerTasks(ctx context.Context, office, customerNo string) ([]collab.Task, error) {
	var out []collab.Task
	in := query{index: indexCustomer, pkAttr: "GSI2PK", pk: customerPartition(office, customerNo), skAttr: "GSI2SK", skPrefix: "TASK#"}.input(s.table)
	err := s.queryEach(ctx, "query tasks of customer "+customerNo, in, func(item map[string]types.AttributeValue) error {
		var it taskItem
		err := decode("query tasks", item, &it)
		out = append(out, it.task())
		return err
	})
	return out, err
}

// newStamp returns a random version for an item written without one (an employee).
func newStamp() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
