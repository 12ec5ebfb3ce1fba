package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// Memberships is what one user is to the offices and companies they belong to, and which tasks
// of each office's customers they are on: one item per user (PK USER#<userId>, SK MEMBERSHIPS),
// so an action that knows only a collaboration's id and its caller reads both in one
// BatchGetItem. Each entry is a copy of one employee, user or task item, with the version (the
// employee's Stamp) that item had when the copy was written, in the same transaction: the
// writes of employees, company users and tasks keep it. A decision made on an entry commits on
// its source still being at that version (Proof), so an entry out of date fails the commit like
// any change since a read. An entry without a version (written around the service, or by a build
// before versions) counts for nothing: the action reads the source items instead.
type Memberships struct {
	offices   map[string]entry // by office
	companies map[string]entry // by company
	tasks     map[string]int   // version by taskAttr
}

// entry is a role with the version of the item it was copied from.
type entry struct {
	role, version string
}

// Attribute names of the memberships item, one per office, company and task of a customer.
func employeeAttr(office string) string { return "EMP#" + office }
func userAttr(company string) string    { return "USR#" + company }

// taskAttr names a task entry by hashes, so that an entry costs about 22 bytes whatever the
// ids' lengths, and an employee on tasks of 10 000 customers keeps the item near 220 KB, under
// DynamoDB's 400 KB (TestTheLargestItemsStayUnderDynamoDBsLimit): "T:", 72 bits of the office
// and customer (customerPrefix), then 36 bits of the task. The customer part is long enough that
// two customers of one user never share it; the task part only tells a customer's few tasks
// apart, and a task mistaken for the collaboration's own costs a read of the tasks, never a
// right (Standing).
func taskAttr(office, customer, task string) string {
	return customerPrefix(office, customer) + hash64(task)[:6]
}

func customerPrefix(office, customer string) string {
	return "T:" + hash64(office + "#" + customer)[:12]
}

func hash64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
func membershipsKey(user string) key { return key{"USER#" + user, "MEMBERSHIPS"} }

// Office returns the user's role in the office, and whether they are its employee.
func (m Memberships) Office(office string) (collab.EmployeeRole, bool) {
	e, ok := m.offices[office]
	return collab.EmployeeRole(e.role), ok
}

// Company returns the user's role in the company, and whether they are its user.
func (m Memberships) Company(company string) (collab.Role, bool) {
	e, ok := m.companies[company]
	return collab.Role(e.role), ok
}

// taskOf returns the entry of a task of the office's customer the user is on other than task
// except ("" for none), with the task's version, or "".
func (m Memberships) taskOf(office, customer, except string) (string, int) {
	prefix, own := customerPrefix(office, customer), ""
	if except != "" {
		own = taskAttr(office, customer, except)
	}
	for _, a := range slices.Sorted(maps.Keys(m.tasks)) {
		if strings.HasPrefix(a, prefix) && a != own {
			return a, m.tasks[a]
		}
	}
	return "", 0
}

// UnmarshalDynamoDBAttributeValue decodes the memberships item, whose attribute names carry the
// office, company or task they are about. Entries without a version are left out.
func (m *Memberships) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	item, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("memberships: want a map, got %T", av)
	}
	*m = Memberships{offices: map[string]entry{}, companies: map[string]entry{}, tasks: map[string]int{}}
	for name, v := range item.Value {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			role, version, ok := strings.Cut(v.Value, " ")
			switch {
			case !ok || role == "" || version == "":
			case strings.HasPrefix(name, "EMP#"):
				m.offices[strings.TrimPrefix(name, "EMP#")] = entry{role, version}
			case strings.HasPrefix(name, "USR#"):
				m.companies[strings.TrimPrefix(name, "USR#")] = entry{role, version}
			}
		case *types.AttributeValueMemberN:
			if n, err := strconv.Atoi(v.Value); err == nil && n > 0 && strings.HasPrefix(name, "T:") {
				m.tasks[name] = n
			}
		}
	}
	return nil
}

// proof is this store's port.Proof: what a decision about a user's right read, to be required
// unchanged at commit (Tx.RequireParty), the versions of the user, employee and task items it rests on.
type proof struct {
	user     check // the user item in the company, by version
	employee check // the employee item in the office, by stamp
	task     check // the user's other task of the customer, by version
}

// check is a condition that an item is still as it was read; zero when nothing was read.
type check struct {
	k     key
	attr  string
	value types.AttributeValue // nil: the attribute did not exist
}

func (c check) add(t *Tx) {
	if c.k.pk == "" {
		return
	}
	if user, ok := memberOf(c.k); ok && c.value != nil {
		t.requireMember(user, memberCond{attr: c.attr, value: c.value, onFail: collab.ErrConflict})
		return
	}
	if c.value == nil {
		t.check(c.k, "attribute_exists(PK) AND attribute_not_exists(#a)", map[string]string{"#a": c.attr}, nil, collab.ErrConflict)
		return
	}
	t.check(c.k, "#a = :a", map[string]string{"#a": c.attr}, map[string]types.AttributeValue{":a": c.value}, collab.ErrConflict)
}

// entryCheck is the condition that the user's memberships entry of a task still holds the task's
// version v: it is written with every change to the task, as the task's own version is.
func entryCheck(user, attr string, v int) check {
	return check{membershipsKey(user), attr, &types.AttributeValueMemberN{Value: strconv.Itoa(v)}}
}

// memberCond is a condition on one attribute of a memberships item: equal to value, or present
// when value is nil.
type memberCond struct {
	attr   string
	value  types.AttributeValue
	onFail error
}

func memberOf(k key) (string, bool) {
	user, ok := strings.CutPrefix(k.pk, "USER#")
	return user, ok && k.sk == "MEMBERSHIPS"
}

func (t *Tx) requireMember(user string, c memberCond) {
	if t.memberConds == nil {
		t.memberConds = map[string][]memberCond{}
	}
	t.memberConds[user] = append(t.memberConds[user], c)
}

// memberCondition is the condition expression of the user's memberships conditions, with its
// names and values added to names and values, and the error of the first.
func (t *Tx) memberCondition(user string, names map[string]string, values map[string]types.AttributeValue) (string, error) {
	var parts []string
	var onFail error
	for i, c := range t.memberConds[user] {
		ref := fmt.Sprintf("#c%d", i)
		names[ref] = c.attr
		if c.value == nil {
			parts = append(parts, "attribute_exists("+ref+")")
		} else {
			values[":c"+ref[2:]] = c.value
			parts = append(parts, ref+" = :c"+ref[2:])
		}
		if onFail == nil {
			onFail = c.onFail
		}
	}
	return strings.Join(parts, " AND "), onFail
}

func versionCheck(k key, v int) check {
	return check{k, "Version", &types.AttributeValueMemberN{Value: strconv.Itoa(v)}}
}

func stampCheck(k key, stamp string) check {
	c := check{k: k, attr: "Stamp"}
	if stamp != "" {
		c.value = &types.AttributeValueMemberS{Value: stamp}
	}
	return c
}

// Standing returns what the memberships make the user to collaboration r, and the proof of each
// part of it.
func (m Memberships) Standing(r collab.CollaborationRecord, user string) (collab.Standing, port.Proof) {
	st, p := collab.Standing{UserID: user}, proof{}
	if e, ok := m.companies[r.CompanyID]; ok {
		if v, err := strconv.Atoi(e.version); err == nil {
			st.CompanyRole, p.user = collab.Role(e.role), versionCheck(userKey(r.CompanyID, user), v)
		}
	}
	if e, ok := m.offices[r.OfficeID]; ok {
		st.OfficeRole, p.employee = collab.EmployeeRole(e.role), stampCheck(employeeKey(r.OfficeID, user), e.version)
	}
	except := r.TaskID // its own task's employees are its assignees, while it is not over
	if r.Status.Final() {
		except = ""
	}
	if task, v := m.taskOf(r.OfficeID, r.CustomerNo, except); task != "" {
		st.CustomerTask, p.task = task, entryCheck(user, task, v)
	}
	return st, p
}

// RequireParty makes the transaction depend on what the right the actor acts on rests on being
// unchanged since it was read: the user item for a company user; the employee item for an
// employee, and the other task of the customer when that is what the right rests on.
func (t *Tx) RequireParty(pr port.Proof, g collab.Grounds) {
	p, _ := pr.(proof) // nothing else is issued as a proof here; a zero proof requires nothing
	switch g {
	case collab.AsCompanyUser:
		p.user.add(t)
	case collab.AsEmployee:
		p.employee.add(t)
	case collab.AsOnCustomerTask:
		p.employee.add(t)
		p.task.add(t)
	}
}

// StandingOf reads what the user is to collaboration r on the side from the user item (not for
// the office side) and the employee item (not for the company side), and, for an employee who
// neither administers the office nor is on r's task, the customer's tasks, with their proof: what
// an action decides on when the memberships do not make the user a party.
func (s *Store) StandingOf(ctx context.Context, r collab.CollaborationRecord, user string, side collab.Side) (collab.Standing, port.Proof, error) {
	var u userItem
	var e employeeItem
	st, p := collab.Standing{UserID: user}, proof{}
	into := map[key]any{}
	if side != collab.OfficeSide {
		into[userKey(r.CompanyID, user)] = &u
	}
	if side != collab.CompanySide {
		into[employeeKey(r.OfficeID, user)] = &e
	}
	if err := s.getInto(ctx, "get parties", into); err != nil {
		return st, p, err
	}
	if u.ID != "" {
		st.CompanyRole, p.user = collab.Role(u.Role), versionCheck(userKey(r.CompanyID, user), u.Version)
	}
	if e.UserID != "" {
		st.OfficeRole, p.employee = collab.EmployeeRole(e.Role), stampCheck(employeeKey(r.OfficeID, user), e.Stamp)
	}
	final := r.Status.Final()
	if e.UserID == "" || st.OfficeRole == collab.OfficeAdministrator || !final && r.OnTask(user) {
		return st, p, nil
	}
	tasks, err := s.CustomerTasks(ctx, r.OfficeID, r.CustomerNo)
	for _, t := range tasks {
		if (final || t.ID != r.TaskID) && t.Assigned(user) {
			st.CustomerTask, p.task = t.ID, versionCheck(taskKey(r.OfficeID, t.ID), t.Version)
			break
		}
	}
	return st, p, err
}

// membershipChange is what one transaction changes in one user's memberships item: attributes to
// set and attributes to remove.
type membershipChange struct {
	set    map[string]types.AttributeValue
	remove map[string]bool
}

func (t *Tx) memberships(user string) *membershipChange {
	if t.members == nil {
		t.members = map[string]*membershipChange{}
	}
	c := t.members[user]
	if c == nil {
		c = &membershipChange{set: map[string]types.AttributeValue{}, remove: map[string]bool{}}
		t.members[user] = c
	}
	return c
}

// setRole records a role with the version of the item it comes from.
func (c *membershipChange) setRole(attr, role, version string) {
	c.set[attr] = &types.AttributeValueMemberS{Value: role + " " + version}
	delete(c.remove, attr)
}

// followTask records in the memberships of everyone on a task before or after a change which of
// the office's customers' tasks they are on, at the version the task is written at.
func (t *Tx) followTask(before, after collab.Task, version int) {
	for _, u := range before.Assignees {
		if before.CustomerNo != after.CustomerNo || !after.Assigned(u) {
			a := taskAttr(before.OfficeID, before.CustomerNo, before.ID)
			if c := t.memberships(u); c.set[a] == nil {
				c.remove[a] = true
			}
		}
	}
	for _, u := range after.Assignees {
		c := t.memberships(u)
		a := taskAttr(after.OfficeID, after.CustomerNo, after.ID)
		c.set[a] = &types.AttributeValueMemberN{Value: strconv.Itoa(version)}
		delete(c.remove, a)
	}
}

// flushMemberships adds one update per user whose memberships the transaction changes, in user
// order.
func (t *Tx) flushMemberships() {
	for _, user := range slices.Sorted(maps.Keys(t.members)) {
		c := t.members[user]
		names := map[string]string{"#type": "Type"}
		values := map[string]types.AttributeValue{":type": &types.AttributeValueMemberS{Value: "memberships"}}
		set, remove := []string{"#type = :type"}, []string(nil)
		n := 0
		name := func(attr string) string {
			n++
			ref := fmt.Sprintf("#a%d", n)
			names[ref] = attr
			return ref
		}
		for _, a := range slices.Sorted(maps.Keys(c.set)) {
			ref := name(a)
			values[":v"+ref[2:]] = c.set[a]
			set = append(set, ref+" = :v"+ref[2:])
		}
		for _, a := range slices.Sorted(maps.Keys(c.remove)) {
			remove = append(remove, name(a))
		}
		expr := "SET " + strings.Join(set, ", ")
		if remove != nil {
			expr += " REMOVE " + strings.Join(remove, ", ")
		}
		if cond, onFail := t.memberCondition(user, names, values); cond != "" {
			t.updateIf(membershipsKey(user), expr, cond, names, values, onFail)
		} else {
			t.update(membershipsKey(user), expr, names, values)
		}
		delete(t.memberConds, user)
	}
	for _, user := range slices.Sorted(maps.Keys(t.memberConds)) {
		names, values := map[string]string{}, map[string]types.AttributeValue{}
		cond, onFail := t.memberCondition(user, names, values)
		if len(values) == 0 {
			values = nil
		}
		t.check(membershipsKey(user), cond, names, values, onFail)
	}
	t.members, t.memberConds = nil, nil
}

// CollaborationFor returns the collaboration with the id and the user's memberships, in one
// BatchGetItem. It returns ENOTFOUND collaboration_not_found.
func (s *Store) CollaborationFor(ctx context.Context, id, user string) (*collab.Collaboration, port.Memberships, error) {
	var it collaborationItem
	var m Memberships
	if err := s.getInto(ctx, "get collaboration and memberships", map[key]any{collaborationKey(id): &it, membershipsKey(user): &m}); err != nil {
		return nil, m, err
	}
	if it.ID == "" {
		return nil, m, collab.ErrCollaborationNotFound
	}
	return collab.RestoreCollaboration(it.record()), m, nil
}

// CollaborationTaskFor is CollaborationFor that also reads, in the same BatchGetItem, the user's
// employee item and a task of the office officeID, for linking to that task when the client names
// the collaboration's office. The task and the employee are zero when absent.
func (s *Store) CollaborationTaskFor(ctx context.Context, id, user, officeID, taskID string) (*collab.Collaboration, port.Memberships, collab.Employee, collab.Task, error) {
	var it collaborationItem
	var m Memberships
	var e employeeItem
	var t taskItem
	err := s.getInto(ctx, "get collaboration, memberships and task", map[key]any{collaborationKey(id): &it, membershipsKey(user): &m,
		employeeKey(officeID, user): &e, taskKey(officeID, taskID): &t})
	if err != nil {
		return nil, m, collab.Employee{}, collab.Task{}, err
	}
	if it.ID == "" {
		return nil, m, collab.Employee{}, collab.Task{}, collab.ErrCollaborationNotFound
	}
	return collab.RestoreCollaboration(it.record()), m, e.employee(), t.task(), nil
}
