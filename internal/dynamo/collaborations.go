package dynamo

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

type collaborationItem struct {
	PK, SK         string
	Type           string
	GSI1PK, GSI1SK string
	GSI2PK, GSI2SK string
	GSI3PK, GSI3SK string
	GSI4PK, GSI4SK string
	DuePK          string `dynamodbav:",omitempty"`
	DueAt          string `dynamodbav:",omitempty"`

	ID               string
	OfficeID         string
	CustomerNo       string
	CompanyID        string
	Solution         string
	TaskID           string   `dynamodbav:",omitempty"`
	Assignees        []string `dynamodbav:",omitempty"`
	OfficeName       string   `dynamodbav:",omitempty"`
	CompanyName      string   `dynamodbav:",omitempty"`
	Status           string
	Scenario         string
	InvoiceRecipient string
	StartPeriod      string   `dynamodbav:",omitempty"`
	AgreementMonths  int      `dynamodbav:",omitempty"`
	AgreementEndsAt  string   `dynamodbav:",omitempty"`
	ReminderSentAt   string   `dynamodbav:",omitempty"`
	InvitationHash   string   `dynamodbav:",omitempty"`
	InvitationExpiry string   `dynamodbav:",omitempty"`
	Outcome          string   `dynamodbav:",omitempty"`
	TeardownError    string   `dynamodbav:",omitempty"`
	StepsDone        []string `dynamodbav:",omitempty"`
	Redrives         int      `dynamodbav:",omitempty"`
	CreatedAt        string
	UpdatedAt        string
	Version          int

	Undelivered *undeliveredItem `dynamodbav:",omitempty"`
	Opened      *openingItem     `dynamodbav:",omitempty"`

	InvitationRemindedAt string `dynamodbav:",omitempty"`
	ActivatedBy          string `dynamodbav:",omitempty"`

	Commands []string      `dynamodbav:",omitempty"`
	Awaiting *awaitingItem `dynamodbav:",omitempty"`
	Backup   *backupItem   `dynamodbav:",omitempty"`
	Export   *backupItem   `dynamodbav:",omitempty"`

	GraceUntil    string `dynamodbav:",omitempty"`
	GraceReminded int    `dynamodbav:",omitempty"`
	RetainUntil   string `dynamodbav:",omitempty"`

	ScheduledEnd *scheduledEndItem `dynamodbav:",omitempty"`
}

// scheduledEndItem is collab.ScheduledEnd as a map attribute of the collaboration.
type scheduledEndItem struct {
	At, Outcome, ScheduledAt string
	ByKind                   string
	ByID, ByOrg              string `dynamodbav:",omitempty"`
	Checks                   int    `dynamodbav:",omitempty"`
	CheckedAt                string `dynamodbav:",omitempty"`
}

func toScheduledEndItem(s *collab.ScheduledEnd) *scheduledEndItem {
	if s == nil {
		return nil
	}
	return &scheduledEndItem{At: ts(s.At), Outcome: string(s.Outcome), ScheduledAt: ts(s.ScheduledAt), ByKind: string(s.By.Kind),
		ByID: s.By.UserID, ByOrg: s.By.OrgID, Checks: s.Checks, CheckedAt: ts(s.CheckedAt)}
}

func (it *scheduledEndItem) scheduledEnd() *collab.ScheduledEnd {
	if it == nil {
		return nil
	}
	return &collab.ScheduledEnd{At: parseTS(it.At), Outcome: collab.Outcome(it.Outcome), ScheduledAt: parseTS(it.ScheduledAt),
		By: collab.Actor{Kind: collab.ActorKind(it.ByKind), UserID: it.ByID, OrgID: it.ByOrg}, Checks: it.Checks, CheckedAt: parseTS(it.CheckedAt)}
}

// awaitingItem is collab.Awaiting as a map attribute of the collaboration.
type awaitingItem struct {
	Step, Since       string
	Attempt           int
	Failure, FailedAt string `dynamodbav:",omitempty"`
}

// backupItem is collab.Backup as a map attribute of the collaboration.
type backupItem struct {
	URL, Until string
}

// openingItem is collab.Opening as a map attribute of the collaboration.
type openingItem struct {
	RestoreTo string `dynamodbav:",omitempty"`
	Version   int
}

// undeliveredItem is collab.Undelivered as a map attribute of the collaboration.
type undeliveredItem struct {
	At, Reason string
	Users      []string
}

func (s *Store) collaborationItem(r collab.CollaborationRecord) collaborationItem {
	k := collaborationKey(r.ID)
	order := ts(r.CreatedAt) + "#" + r.ID
	it := collaborationItem{
		PK: k.pk, SK: k.sk, Type: "collaboration",
		GSI1PK: officePartition(r.OfficeID), GSI1SK: order,
		GSI2PK: customerPartition(r.OfficeID, r.CustomerNo), GSI2SK: "COLLAB#" + order,
		GSI3PK: statusPartition(r.OfficeID, string(r.Status)), GSI3SK: order,
		GSI4PK: companyPartition(r.CompanyID), GSI4SK: "COLLAB#" + order,

		ID: r.ID, OfficeID: r.OfficeID, CustomerNo: r.CustomerNo, CompanyID: r.CompanyID,
		Solution: string(r.Solution), TaskID: r.TaskID, Assignees: r.Assignees,
		OfficeName: r.OfficeName, CompanyName: r.CompanyName, Status: string(r.Status),
		Scenario: string(r.Scenario), InvoiceRecipient: string(r.InvoiceRecipient),
		StartPeriod: r.StartPeriod.String(), AgreementMonths: r.AgreementMonths,
		AgreementEndsAt: ts(r.AgreementEndsAt), ReminderSentAt: ts(r.ReminderSentAt),
		InvitationHash: r.InvitationHash, InvitationExpiry: ts(r.InvitationExpiry),
		InvitationRemindedAt: ts(r.InvitationRemindedAt), ActivatedBy: r.ActivatedBy,
		Outcome: string(r.Outcome), TeardownError: r.TeardownError, Redrives: r.Redrives,
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), Version: r.Version,
	}
	it.StepsDone, it.Commands = stepNames(r.StepsDone), stepNames(r.Commands)
	if a := r.Awaiting; a != nil {
		it.Awaiting = &awaitingItem{Step: string(a.Step), Since: ts(a.Since), Attempt: a.Attempt, Failure: a.Failure, FailedAt: ts(a.FailedAt)}
	}
	it.Backup, it.Export = toBackupItem(r.Backup), toBackupItem(r.Export)
	it.GraceUntil, it.GraceReminded, it.RetainUntil = ts(r.GraceUntil), r.GraceReminded, ts(r.RetainUntil)
	if u := r.Undelivered; u.Reason != "" {
		it.Undelivered = &undeliveredItem{At: ts(u.At), Reason: u.Reason, Users: u.Users}
	}
	if o := r.Opened; o != nil {
		it.Opened = &openingItem{RestoreTo: string(o.RestoreTo), Version: o.Version}
	}
	it.ScheduledEnd = toScheduledEndItem(r.ScheduledEnd)
	if kind, at, ok := collab.Timing(s.timing).Due(r); ok {
		it.DuePK, it.DueAt = string(kind), ts(at)
	}
	return it
}

func (it collaborationItem) record() collab.CollaborationRecord {
	start, _ := collab.ParsePeriod("", it.StartPeriod)
	var undelivered collab.Undelivered
	if u := it.Undelivered; u != nil {
		undelivered = collab.Undelivered{At: parseTS(u.At), Reason: u.Reason, Users: u.Users}
	}
	var opened *collab.Opening
	if o := it.Opened; o != nil {
		opened = &collab.Opening{RestoreTo: collab.SubscriptionStatus(o.RestoreTo), Version: o.Version}
	}
	var awaiting *collab.Awaiting
	if a := it.Awaiting; a != nil {
		awaiting = &collab.Awaiting{Step: collab.Step(a.Step), Since: parseTS(a.Since), Attempt: a.Attempt, Failure: a.Failure, FailedAt: parseTS(a.FailedAt)}
	}
	r := collab.CollaborationRecord{
		Commands: steps(it.Commands), StepsDone: steps(it.StepsDone), Awaiting: awaiting, Backup: it.Backup.backup(), Export: it.Export.backup(),
		GraceUntil: parseTS(it.GraceUntil), GraceReminded: it.GraceReminded, RetainUntil: parseTS(it.RetainUntil), Redrives: it.Redrives, Undelivered: undelivered, Opened: opened,
		ID: it.ID, OfficeID: it.OfficeID, CustomerNo: it.CustomerNo, CompanyID: it.CompanyID,
		Solution: collab.Solution(it.Solution), TaskID: it.TaskID, Assignees: it.Assignees,
		OfficeName: it.OfficeName, CompanyName: it.CompanyName, Status: collab.Status(it.Status),
		Scenario: collab.Scenario(it.Scenario), InvoiceRecipient: collab.InvoiceRecipient(it.InvoiceRecipient),
		StartPeriod: start, AgreementMonths: it.AgreementMonths,
		AgreementEndsAt: parseTS(it.AgreementEndsAt), ReminderSentAt: parseTS(it.ReminderSentAt),
		InvitationHash: it.InvitationHash, InvitationExpiry: parseTS(it.InvitationExpiry),
		InvitationRemindedAt: parseTS(it.InvitationRemindedAt), ActivatedBy: it.ActivatedBy,
		Outcome: collab.Outcome(it.Outcome), TeardownError: it.TeardownError,
		CreatedAt: parseTS(it.CreatedAt), UpdatedAt: parseTS(it.UpdatedAt), Version: it.Version,
	}
	r.ScheduledEnd = it.ScheduledEnd.scheduledEnd()
	return r
}

type historyItem struct {
	PK, SK    string
	Type      string
	At        string
	ActorKind string
	ActorID   string `dynamodbav:",omitempty"`
	ActorOrg  string `dynamodbav:",omitempty"`
	From      string `dynamodbav:",omitempty"`
	To        string
	Reason    string
	Terms     string `dynamodbav:",omitempty"`
}

// newHistoryItem is the i-th history entry written with the collaboration at r's version; the
// sort key orders entries by time.
func newHistoryItem(r collab.CollaborationRecord, i int, h collab.Transition) historyItem {
	k := historyPrefix(r.ID)
	return historyItem{PK: k.pk, SK: k.sk + ts(h.At) + "#" + strconv.Itoa(r.Version) + "." + strconv.Itoa(i), Type: "history",
		At: ts(h.At), ActorKind: string(h.Actor.Kind), ActorID: h.Actor.UserID, ActorOrg: h.Actor.OrgID,
		From: string(h.From), To: string(h.To), Reason: h.Reason, Terms: h.Terms}
}

// PutCollaboration writes a new or changed collaboration with the history entries made since it
// was loaded. A new one must not exist yet and claims the (office, customer, solution) slot, or
// the commit fails with ECONFLICT collaboration_exists; a changed one must still be at the
// version it was read at, or the commit fails with collab.ErrConflict. Reaching a final status
// frees the slot.
func (t *Tx) PutCollaboration(c *collab.Collaboration) {
	r := c.Record()
	t.put(t.s.collaborationItem(r), r.Version, collab.ErrConflict)
	open := openKey(r.OfficeID, r.CustomerNo, string(r.Solution))
	if r.Version == 0 {
		t.putOnce(struct {
			PK, SK, Type, CollaborationID string
		}{open.pk, open.sk, "open", r.ID}, collab.ErrCollaborationExists)
	}
	for i, h := range c.NewTransitions() {
		t.putOnce(newHistoryItem(r, i, h), collab.ErrConflict)
		if h.To.Final() && !h.From.Final() {
			t.delete(open, "", nil, nil)
		}
	}
}

// Collaboration returns the collaboration with the id. It returns ENOTFOUND
// collaboration_not_found.
func (s *Store) Collaboration(ctx context.Context, id string) (*collab.Collaboration, error) {
	var it collaborationItem
	ok, err := s.get(ctx, "get collaboration", collaborationKey(id), &it)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, collab.ErrCollaborationNotFound
	}
	return collab.RestoreCollaboration(it.record()), nil
}

// Ending returns the collaboration with the id and its company's subscription to its solution
// (nil when there is none): what a teardown stage decides on. With the company and the solution
// known (a teardown job carries them) it is one BatchGetItem; without, the collaboration is read
// first. It returns ENOTFOUND collaboration_not_found.
func (s *Store) Ending(ctx context.Context, id, company string, solution collab.Solution) (*collab.Collaboration, *collab.Subscription, error) {
	if company == "" || solution == "" {
		c, err := s.Collaboration(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		company, solution = c.Record().CompanyID, c.Record().Solution
	}
	var it collaborationItem
	var sub subscriptionItem
	err := s.getInto(ctx, "get collaboration and subscription", map[key]any{collaborationKey(id): &it, subscriptionKey(company, string(solution)): &sub})
	switch {
	case err != nil:
		return nil, nil, err
	case it.ID == "":
		return nil, nil, collab.ErrCollaborationNotFound
	case it.CompanyID != company || it.Solution != string(solution):
		return s.Ending(ctx, id, "", "") // the job named another company's subscription
	case sub.CompanyID == "":
		return collab.RestoreCollaboration(it.record()), nil, nil
	}
	found := sub.subscription()
	return collab.RestoreCollaboration(it.record()), &found, nil
}

// CollaborationWithHistory returns a collaboration and its whole history, oldest first, in one
// query of its partition. It returns ENOTFOUND collaboration_not_found.
func (s *Store) CollaborationWithHistory(ctx context.Context, id string) (collab.CollaborationRecord, []collab.Transition, error) {
	var rec collab.CollaborationRecord
	var history []collab.Transition
	found := false
	k := collaborationKey(id)
	err := s.queryEach(ctx, "query collaboration "+id, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: k.pk}},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		if keyOf(item).sk == k.sk {
			var it collaborationItem
			err := decode("query collaboration", item, &it)
			rec, found = it.record(), true
			return err
		}
		var h historyItem
		err := decode("query collaboration", item, &h)
		history = append(history, collab.Transition{
			At:    parseTS(h.At),
			Actor: collab.Actor{Kind: collab.ActorKind(h.ActorKind), UserID: h.ActorID, OrgID: h.ActorOrg},
			From:  collab.Status(h.From), To: collab.Status(h.To), Reason: h.Reason, Terms: h.Terms,
		})
		return err
	})
	if err != nil {
		return rec, nil, err
	}
	if !found {
		return rec, nil, collab.ErrCollaborationNotFound
	}
	return rec, history, nil
}

// RequireCollaboration makes the transaction depend on a collaboration being still at the version
// it was read at (and so in the status read), or the commit fails with collab.ErrConflict.
func (t *Tx) RequireCollaboration(r collab.CollaborationRecord) {
	t.check(collaborationKey(r.ID), "Version = :v", nil,
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(r.Version)}}, collab.ErrConflict)
}

// RequireNotOpen makes the transaction depend on the customer's open guard of the solution being
// absent, as read, or the commit fails with ECONFLICT concurrent_update.
func (t *Tx) RequireNotOpen(office, customerNo string, solution collab.Solution) {
	t.check(openKey(office, customerNo, string(solution)), "attribute_not_exists(PK)", nil, nil, collab.ErrConflict)
}

// Timing returns when the store considers time-driven work due.
func (s *Store) Timing() port.Timing { return s.timing }

func stepNames(steps []collab.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s))
	}
	return out
}

func steps(names []string) []collab.Step {
	var out []collab.Step
	for _, n := range names {
		out = append(out, collab.Step(n))
	}
	return out
}

func toBackupItem(b *collab.Backup) *backupItem {
	if b == nil {
		return nil
	}
	return &backupItem{URL: b.URL, Until: ts(b.Until)}
}

func (b *backupItem) backup() *collab.Backup {
	if b == nil {
		return nil
	}
	return &collab.Backup{URL: b.URL, Until: parseTS(b.Until)}
}
