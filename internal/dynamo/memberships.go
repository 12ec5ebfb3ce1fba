package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/collab"
)

// Memberships is what one user is to the offices and companies they belong to, and which tasks
// of each office's customers they are on. It is kept as one item per user (PK USER#<userId>,
// SK MEMBERSHIPS) that the writes of employees, company users and tasks update in their own
// transactions, so an action that must know who the caller is before it knows which office or
// company to read can read it with the item it acts on. It guides, it does not authorize: an
// action commits on conditions on the employee, user and task items it points to, so a missing
// or stale item costs reads, never a wrong answer.
type Memberships struct {
	offices   map[string]collab.EmployeeRole
	companies map[string]collab.Role
	tasks     map[string][]string // by tasksAttr
}

// Attribute names of the memberships item, one per office, company and customer of an office.
func officeAttr(office string) string          { return "OFFICE#" + office }
func companyAttr(company string) string        { return "COMPANY#" + company }
func tasksAttr(office, customer string) string { return "TASKS#" + office + "#" + customer }

func membershipsKey(user string) key { return key{"USER#" + user, "MEMBERSHIPS"} }

// Office returns the user's role in the office, and whether they are its employee.
func (m Memberships) Office(office string) (collab.EmployeeRole, bool) {
	r, ok := m.offices[office]
	return r, ok
}

// Company returns the user's role in the company, and whether they are its user.
func (m Memberships) Company(company string) (collab.Role, bool) {
	r, ok := m.companies[company]
	return r, ok
}

// TaskOf returns a task of the office's customer the user is on, or "" when they are on none.
func (m Memberships) TaskOf(office, customer string) string {
	if ts := m.tasks[tasksAttr(office, customer)]; len(ts) > 0 {
		return slices.Min(ts)
	}
	return ""
}

// UnmarshalDynamoDBAttributeValue decodes the memberships item, whose attribute names carry the
// office, company or customer they are about.
func (m *Memberships) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	item, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("memberships: want a map, got %T", av)
	}
	*m = Memberships{offices: map[string]collab.EmployeeRole{}, companies: map[string]collab.Role{}, tasks: map[string][]string{}}
	for name, v := range item.Value {
		s, isS := v.(*types.AttributeValueMemberS)
		ss, isSS := v.(*types.AttributeValueMemberSS)
		switch {
		case isS && strings.HasPrefix(name, "OFFICE#"):
			m.offices[strings.TrimPrefix(name, "OFFICE#")] = collab.EmployeeRole(s.Value)
		case isS && strings.HasPrefix(name, "COMPANY#"):
			m.companies[strings.TrimPrefix(name, "COMPANY#")] = collab.Role(s.Value)
		case isSS && strings.HasPrefix(name, "TASKS#"):
			m.tasks[name] = ss.Value
		}
	}
	return nil
}

// membershipChange is what one transaction changes in one user's memberships item: roles to set
// and task ids to add to or remove from sets, by attribute name.
type membershipChange struct {
	set      map[string]string
	add, del map[string][]string
}

func (t *Tx) memberships(user string) *membershipChange {
	if t.members == nil {
		t.members = map[string]*membershipChange{}
	}
	c := t.members[user]
	if c == nil {
		c = &membershipChange{set: map[string]string{}, add: map[string][]string{}, del: map[string][]string{}}
		t.members[user] = c
	}
	return c
}

// followTask records in the memberships of everyone on a task before or after a change which of
// the office's customers' tasks they are on.
func (t *Tx) followTask(before, after collab.Task) {
	moved := before.ID != "" && before.CustomerNo != after.CustomerNo
	for _, u := range before.Assignees {
		if moved || !after.Assigned(u) {
			c := t.memberships(u)
			a := tasksAttr(before.OfficeID, before.CustomerNo)
			c.del[a] = append(c.del[a], before.ID)
		}
	}
	for _, u := range after.Assignees {
		if moved || !before.Assigned(u) {
			c := t.memberships(u)
			a := tasksAttr(after.OfficeID, after.CustomerNo)
			c.add[a] = append(c.add[a], after.ID)
		}
	}
}

// flushMemberships adds one update per user whose memberships the transaction changes, in user
// order. DynamoDB takes a path once per update expression, so a set both added to and removed
// from (two tasks of one customer changed in one transaction) keeps what it had: a task too many
// in a guide, which costs a read, never a wrong answer.
func (t *Tx) flushMemberships() {
	for _, user := range slices.Sorted(maps.Keys(t.members)) {
		c := t.members[user]
		names := map[string]string{"#type": "Type"}
		values := map[string]types.AttributeValue{":type": &types.AttributeValueMemberS{Value: "memberships"}}
		set, add, del := []string{"#type = :type"}, []string(nil), []string(nil)
		n := 0
		ref := func(attr string, v types.AttributeValue) (string, string) {
			n++
			name, value := fmt.Sprintf("#a%d", n), fmt.Sprintf(":v%d", n)
			names[name], values[value] = attr, v
			return name, value
		}
		for _, a := range slices.Sorted(maps.Keys(c.set)) {
			name, value := ref(a, &types.AttributeValueMemberS{Value: c.set[a]})
			set = append(set, name+" = "+value)
		}
		for _, a := range slices.Sorted(maps.Keys(c.add)) {
			name, value := ref(a, stringSet(c.add[a]))
			add = append(add, name+" "+value)
		}
		for _, a := range slices.Sorted(maps.Keys(c.del)) {
			if _, added := c.add[a]; !added {
				name, value := ref(a, stringSet(c.del[a]))
				del = append(del, name+" "+value)
			}
		}
		expr := "SET " + strings.Join(set, ", ")
		if add != nil {
			expr += " ADD " + strings.Join(add, ", ")
		}
		if del != nil {
			expr += " DELETE " + strings.Join(del, ", ")
		}
		t.update(membershipsKey(user), expr, names, values)
	}
	t.members = nil
}

func stringSet(ss []string) types.AttributeValue {
	return &types.AttributeValueMemberSS{Value: slices.Compact(slices.Sorted(slices.Values(ss)))}
}

// AssumeOfficeAdministrator makes the transaction depend on the user being an administrator of
// the office, or the commit fails with ErrAssumption.
func (t *Tx) AssumeOfficeAdministrator(office, user string) {
	t.checkRole(employeeKey(office, user), string(collab.OfficeAdministrator), ErrAssumption)
}

// AssumeAssigned makes the transaction depend on the user being on the office's task of the
// customer, or the commit fails with ErrAssumption.
func (t *Tx) AssumeAssigned(office, task, customer, user string) {
	t.check(taskKey(office, task), "contains(Assignees, :user) AND CustomerNo = :customer", nil,
		map[string]types.AttributeValue{
			":user":     &types.AttributeValueMemberS{Value: user},
			":customer": &types.AttributeValueMemberS{Value: customer},
		}, ErrAssumption)
}

// CollaborationFor returns the collaboration with the id and the user's memberships, in one
// BatchGetItem. It returns ENOTFOUND collaboration_not_found.
func (s *Store) CollaborationFor(ctx context.Context, id, user string) (*collab.Collaboration, Memberships, error) {
	var it collaborationItem
	var m Memberships
	if err := s.getInto(ctx, "get collaboration and memberships", map[key]any{collaborationKey(id): &it, membershipsKey(user): &m}); err != nil {
		return nil, m, err
	}
	if it.ID == "" {
		return nil, m, errCollaborationNotFound
	}
	return collab.RestoreCollaboration(it.record()), m, nil
}
