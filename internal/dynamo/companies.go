package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

type companyItem struct {
	PK, SK      string
	Type        string
	ID          string
	Name        string
	OrgNo       string `dynamodbav:",omitempty"`
	MainContact string `dynamodbav:",omitempty"`
	Admins      int
	CreatedAt   string
	CreatedBy   string `dynamodbav:",omitempty"`
	AnsweredAt  string `dynamodbav:",omitempty"`
	Version     int
}

type userItem struct {
	PK, SK    string
	Type      string
	CompanyID string
	ID        string
	Name      string
	Email     string
	Language  string
	Role      string
	CreatedAt string
	Version   int
}

type subscriptionItem struct {
	PK, SK             string
	Type               string
	CompanyID          string
	Solution           string
	Status             string
	InvoiceRecipient   string `dynamodbav:",omitempty"`
	PayingOfficeID     string `dynamodbav:",omitempty"`
	CreatedBy          string `dynamodbav:",omitempty"`
	RestoreTo          string `dynamodbav:",omitempty"`
	DataDeletedAt      string `dynamodbav:",omitempty"`
	BackupHandedOverAt string `dynamodbav:",omitempty"`
	RetainUntil        string `dynamodbav:",omitempty"`
	UpdatedAt          string
	Version            int
	// Uses are the accepted collaborations using the subscription, by collaboration id: each
	// one a top-level attribute USE#<collaborationId> (useAttr), so an accept adds its own
	// without reading the item.
	Uses map[string]useItem `dynamodbav:"-"`
}

// useItem is one collab.SubscriptionUse, without the collaboration id its attribute names.
type useItem struct {
	OfficeID         string
	InvoiceRecipient string
	Since            string
}

func useAttr(collaborationID string) string { return "USE#" + collaborationID }

// subscriptionFields is subscriptionItem without its methods, to encode and decode the fixed
// attributes with attributevalue.
type subscriptionFields subscriptionItem

// MarshalDynamoDBAttributeValue writes the fixed attributes and one USE# attribute per use.
func (it subscriptionItem) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	av, err := attributevalue.Marshal(subscriptionFields(it))
	if err != nil {
		return nil, err
	}
	m := av.(*types.AttributeValueMemberM)
	for id, u := range it.Uses {
		if m.Value[useAttr(id)], err = attributevalue.Marshal(u); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// UnmarshalDynamoDBAttributeValue reads the fixed attributes and every USE# attribute.
func (it *subscriptionItem) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	if err := attributevalue.Unmarshal(av, (*subscriptionFields)(it)); err != nil {
		return err
	}
	m, _ := av.(*types.AttributeValueMemberM)
	if m == nil {
		return nil
	}
	for name, v := range m.Value {
		id, ok := strings.CutPrefix(name, "USE#")
		if !ok {
			continue
		}
		var u useItem
		if err := attributevalue.Unmarshal(v, &u); err != nil {
			return err
		}
		if it.Uses == nil {
			it.Uses = map[string]useItem{}
		}
		it.Uses[id] = u
	}
	return nil
}

type grantItem struct {
	PK, SK    string
	Type      string
	CompanyID string
	Solution  string
	UserID    string
	Mode      string
	Via       string
}

type factsItem struct {
	PK, SK                       string
	Type                         string
	Solution                     string
	CustomerIsPayrollUser        bool     `dynamodbav:",omitempty"`
	LastSyncAt                   string   `dynamodbav:",omitempty"`
	LastChangeAt                 string   `dynamodbav:",omitempty"`
	UnsubmittedReports           int      `dynamodbav:",omitempty"`
	UsersWithUnsubmittedExpenses []string `dynamodbav:",omitempty"`
	ReportedAt                   string   `dynamodbav:",omitempty"`
}

type orgNoItem struct {
	PK, SK    string
	Type      string
	CompanyID string
}

func toCompanyItem(c collab.Company) companyItem {
	k := companyKey(c.ID)
	return companyItem{PK: k.pk, SK: k.sk, Type: "company", ID: c.ID, Name: c.Name, OrgNo: c.OrgNo,
		MainContact: c.MainContact, Admins: c.Admins, CreatedAt: ts(c.CreatedAt), CreatedBy: c.CreatedBy,
		AnsweredAt: ts(c.AnsweredAt), Version: c.Version}
}

func (it companyItem) company() collab.Company {
	return collab.Company{ID: it.ID, Name: it.Name, OrgNo: it.OrgNo, MainContact: it.MainContact,
		Admins: it.Admins, CreatedAt: parseTS(it.CreatedAt), CreatedBy: it.CreatedBy,
		AnsweredAt: parseTS(it.AnsweredAt), Version: it.Version}
}

func toUserItem(u collab.User) userItem {
	k := userKey(u.CompanyID, u.ID)
	return userItem{PK: k.pk, SK: k.sk, Type: "user", CompanyID: u.CompanyID, ID: u.ID, Name: u.Name,
		Email: u.Email, Language: string(u.Language), Role: string(u.Role), CreatedAt: ts(u.CreatedAt), Version: u.Version}
}

func (it userItem) user() collab.User {
	return collab.User{CompanyID: it.CompanyID, ID: it.ID, Name: it.Name, Email: it.Email,
		Language: collab.Language(it.Language), Role: collab.Role(it.Role), CreatedAt: parseTS(it.CreatedAt), Version: it.Version}
}

// CompanyAnswered records that one of the company's administrators answered an invitation at
// now, kept from the first answer on (Company.AnsweredAt), without reading the company: the
// version moves on, so a writer that read the company before fails its versioned write and reads
// it again. The company must exist.
func (t *Tx) CompanyAnswered(company string, now time.Time) {
	t.updateIf(companyKey(company), "SET AnsweredAt = if_not_exists(AnsweredAt, :now), Version = Version + :one",
		"attribute_exists(PK)", nil, map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: ts(now)}, ":one": &types.AttributeValueMemberN{Value: "1"}}, collab.ErrConflict)
}

func toSubscriptionItem(s collab.Subscription) subscriptionItem {
	k := subscriptionKey(s.CompanyID, string(s.Solution))
	return subscriptionItem{PK: k.pk, SK: k.sk, Type: "subscription", CompanyID: s.CompanyID,
		Solution: string(s.Solution), Status: string(s.Status), InvoiceRecipient: string(s.InvoiceRecipient),
		PayingOfficeID: s.PayingOfficeID, CreatedBy: s.CreatedBy, RestoreTo: string(s.RestoreTo), DataDeletedAt: ts(s.DataDeletedAt),
		BackupHandedOverAt: ts(s.BackupHandedOverAt), RetainUntil: ts(s.RetainUntil), UpdatedAt: ts(s.UpdatedAt), Version: s.Version, Uses: toUseItems(s.Uses)}
}

func toUseItems(us []collab.SubscriptionUse) map[string]useItem {
	out := map[string]useItem{}
	for _, u := range us {
		out[u.CollaborationID] = useItem{OfficeID: u.OfficeID, InvoiceRecipient: string(u.InvoiceRecipient), Since: ts(u.Since)}
	}
	return out
}

func (it subscriptionItem) subscription() collab.Subscription {
	s := collab.Subscription{CompanyID: it.CompanyID, Solution: collab.Solution(it.Solution),
		Status: collab.SubscriptionStatus(it.Status), InvoiceRecipient: collab.InvoiceRecipient(it.InvoiceRecipient),
		PayingOfficeID: it.PayingOfficeID, CreatedBy: it.CreatedBy, RestoreTo: collab.SubscriptionStatus(it.RestoreTo), DataDeletedAt: parseTS(it.DataDeletedAt),
		BackupHandedOverAt: parseTS(it.BackupHandedOverAt), RetainUntil: parseTS(it.RetainUntil), UpdatedAt: parseTS(it.UpdatedAt), Version: it.Version}
	for id, u := range it.Uses {
		s.Uses = append(s.Uses, collab.SubscriptionUse{CollaborationID: id, OfficeID: u.OfficeID,
			InvoiceRecipient: collab.InvoiceRecipient(u.InvoiceRecipient), Since: parseTS(u.Since)})
	}
	return collab.RestoreSubscription(s)
}

func (it factsItem) facts() collab.SolutionFacts {
	return collab.SolutionFacts{CustomerIsPayrollUser: it.CustomerIsPayrollUser, LastSyncAt: parseTS(it.LastSyncAt),
		LastChangeAt: parseTS(it.LastChangeAt), UnsubmittedReports: it.UnsubmittedReports,
		UsersWithUnsubmittedExpenses: it.UsersWithUnsubmittedExpenses, ReportedAt: parseTS(it.ReportedAt)}
}

// Company returns the company partition's items in one strongly consistent query. It returns
// ENOTFOUND company_not_found.
func (s *Store) Company(ctx context.Context, id string) (port.CompanyView, error) {
	v := port.CompanyView{Subscriptions: map[collab.Solution]collab.Subscription{}, Facts: map[collab.Solution]collab.SolutionFacts{}}
	found := false
	err := s.queryEach(ctx, "query company "+id, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: companyPartition(id)}},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		sk := keyOf(item).sk
		switch {
		case sk == "COMPANY":
			var it companyItem
			err := decode("query company", item, &it)
			v.Company, found = it.company(), true
			return err
		case strings.HasPrefix(sk, "USER#"):
			var it userItem
			err := decode("query company", item, &it)
			v.Users = append(v.Users, it.user())
			return err
		case strings.HasPrefix(sk, "SUB#"):
			var it subscriptionItem
			err := decode("query company", item, &it)
			v.Subscriptions[collab.Solution(it.Solution)] = it.subscription()
			return err
		case strings.HasPrefix(sk, "ACCESS#"):
			var it grantItem
			err := decode("query company", item, &it)
			v.Grants = append(v.Grants, collab.Grant{CompanyID: it.CompanyID, Solution: collab.Solution(it.Solution),
				UserID: it.UserID, Mode: collab.AccessMode(it.Mode), Via: it.Via})
			return err
		case strings.HasPrefix(sk, "FACTS#"):
			var it factsItem
			err := decode("query company", item, &it)
			v.Facts[collab.Solution(it.Solution)] = it.facts()
			return err
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	if !found {
		return v, collab.ErrCompanyNotFound
	}
	return v, nil
}

// PartiesOf reads the user's user item in the company and employee item in the office in one
// round trip; an empty company or office is not read.
func (s *Store) PartiesOf(ctx context.Context, company, office, user string) (port.Parties, error) {
	var u userItem
	var e employeeItem
	into := map[key]any{}
	if company != "" {
		into[userKey(company, user)] = &u
	}
	if office != "" {
		into[employeeKey(office, user)] = &e
	}
	err := s.getInto(ctx, "get parties", into)
	return port.Parties{User: u.user(), Employee: e.employee()}, err
}

// EndingFor returns collaboration id with the user's memberships and, when company is the
// collaboration's company, its EndFacts without the parties (the company and what its solution
// reported), in one BatchGetItem: the facts of every solution are asked for, as the
// collaboration's solution is known only once it is read. It returns ENOTFOUND
// collaboration_not_found, company_not_found.
func (s *Store) EndingFor(ctx context.Context, id, user, company string) (*collab.Collaboration, port.Memberships, *port.EndFacts, error) {
	var it collaborationItem
	var m Memberships
	var co companyItem
	into := map[key]any{collaborationKey(id): &it, membershipsKey(user): &m}
	facts := map[collab.Solution]*factsItem{}
	if company != "" {
		into[companyKey(company)] = &co
		for solution := range collab.Solutions {
			facts[solution] = &factsItem{}
			into[factsKey(company, string(solution))] = facts[solution]
		}
	}
	if err := s.getInto(ctx, "get collaboration, memberships and end facts", into); err != nil {
		return nil, m, nil, err
	}
	if it.ID == "" {
		return nil, m, nil, collab.ErrCollaborationNotFound
	}
	r := it.record()
	if company == "" || r.CompanyID != company {
		return collab.RestoreCollaboration(r), m, nil, nil
	}
	if co.ID == "" {
		return nil, m, nil, collab.ErrCompanyNotFound
	}
	f := port.EndFacts{Company: co.company()}
	if reported := facts[r.Solution]; reported != nil {
		f.Facts = reported.facts()
	}
	return collab.RestoreCollaboration(r), m, &f, nil
}

// EndFactsOf reads collaboration r's EndFacts for the user in one round trip. It returns
// ENOTFOUND company_not_found.
func (s *Store) EndFactsOf(ctx context.Context, r collab.CollaborationRecord, user string) (port.EndFacts, error) {
	var co companyItem
	var facts factsItem
	var u userItem
	var e employeeItem
	err := s.getInto(ctx, "get end facts", map[key]any{
		companyKey(r.CompanyID): &co, factsKey(r.CompanyID, string(r.Solution)): &facts,
		userKey(r.CompanyID, user): &u, employeeKey(r.OfficeID, user): &e,
	})
	if err != nil {
		return port.EndFacts{}, err
	}
	if co.ID == "" {
		return port.EndFacts{}, collab.ErrCompanyNotFound
	}
	return port.EndFacts{Company: co.company(), Facts: facts.facts(), Parties: port.Parties{User: u.user(), Employee: e.employee()}}, nil
}

// CompanyUser returns one user of a company, and whether there is one.
func (s *Store) CompanyUser(ctx context.Context, company, user string) (collab.User, bool, error) {
	var it userItem
	ok, err := s.get(ctx, "get user", userKey(company, user), &it)
	return it.user(), ok, err
}

// CompanyByOrgNo returns the id of the company with the organisation number, or "".
func (s *Store) CompanyByOrgNo(ctx context.Context, orgNo string) (string, error) {
	var it orgNoItem
	_, err := s.get(ctx, "get company by organisation number", orgNoKey(orgNo), &it)
	return it.CompanyID, err
}

// PutCompany writes a new or changed company under its version. A new company with an
// organisation number claims it, or the commit fails with ECONFLICT company_exists.
func (t *Tx) PutCompany(c collab.Company) {
	t.put(toCompanyItem(c), c.Version, collab.ErrConflict)
	if c.Version == 0 && c.OrgNo != "" {
		k := orgNoKey(c.OrgNo)
		t.putOnce(orgNoItem{PK: k.pk, SK: k.sk, Type: "orgno", CompanyID: c.ID}, collab.ErrCompanyExists)
	}
}

// PutUser writes a new or changed company user under its version, and their role in their
// memberships; a new one must not exist yet (ECONFLICT user_exists).
func (t *Tx) PutUser(u collab.User) {
	t.memberships(u.ID).setRole(userAttr(u.CompanyID), string(u.Role), strconv.Itoa(u.Version+1))
	onFail := collab.ErrConflict
	if u.Version == 0 {
		onFail = collab.ErrUserExists
	}
	t.put(toUserItem(u), u.Version, onFail)
}

// RequireAdministrator makes the transaction depend on the user still being an administrator of
// the company, or the commit fails with ECONFLICT user_not_administrator.
func (t *Tx) RequireAdministrator(company, user string) {
	t.checkRole(userKey(company, user), string(collab.Administrator), collab.ErrUserNotAdministrator)
}

// RequireSubscription makes the transaction depend on the company's subscription being
// unchanged since it was read at s.Version, or the commit fails with ECONFLICT.
func (t *Tx) RequireSubscription(s collab.Subscription) {
	t.check(subscriptionKey(s.CompanyID, string(s.Solution)), "Version = :v", nil,
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(s.Version)}}, collab.ErrConflict)
}

// RequireCompany makes the transaction depend on the company being unchanged since it was read
// at c.Version (its main contact, say), or the commit fails with ECONFLICT.
func (t *Tx) RequireCompany(c collab.Company) {
	t.check(companyKey(c.ID), "Version = :v", nil,
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(c.Version)}}, collab.ErrConflict)
}

// RequireFacts makes the transaction depend on what the solution reported about the company
// being the report f that was read (by when it was reported; none, when f was never reported),
// or the commit fails with ECONFLICT.
func (t *Tx) RequireFacts(company string, solution collab.Solution, f collab.SolutionFacts) {
	k := factsKey(company, string(solution))
	if f.ReportedAt.IsZero() {
		t.check(k, "attribute_not_exists(ReportedAt)", nil, nil, collab.ErrConflict)
		return
	}
	t.check(k, "ReportedAt = :at", nil,
		map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: ts(f.ReportedAt)}}, collab.ErrConflict)
}

// ActivateSubscription makes the company's subscription to collaboration r's solution active as
// collab.Subscription.Activate does, without reading it: it writes exactly the fields Activate
// sets, creating the subscription if it is missing, and moves its version on.
func (t *Tx) ActivateSubscription(r collab.CollaborationRecord, now time.Time) {
	var sub collab.Subscription
	sub.Activate(r, now)
	use, err := attributevalue.Marshal(toUseItems(sub.Uses)[r.ID])
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	// Who pays follows from the uses while there are any (collab.RestoreSubscription), so the
	// stored payer, which says who pays when none is left, is not written here.
	t.update(subscriptionKey(r.CompanyID, string(r.Solution)),
		"SET #type = :type, CompanyID = :company, Solution = :solution, #status = :status, #use = :use, UpdatedAt = :now, "+
			"Version = if_not_exists(Version, :zero) + :one REMOVE RestoreTo, RetainUntil",
		map[string]string{"#type": "Type", "#status": "Status", "#use": useAttr(r.ID)},
		map[string]types.AttributeValue{
			":type":     &types.AttributeValueMemberS{Value: "subscription"},
			":company":  &types.AttributeValueMemberS{Value: r.CompanyID},
			":solution": &types.AttributeValueMemberS{Value: string(r.Solution)},
			":status":   &types.AttributeValueMemberS{Value: string(sub.Status)},
			":use":      use,
			":now":      &types.AttributeValueMemberS{Value: ts(now)},
			":zero":     &types.AttributeValueMemberN{Value: "0"},
			":one":      &types.AttributeValueMemberN{Value: "1"},
		})
}

// PutSubscription writes a new or changed subscription under its version.
func (t *Tx) PutSubscription(s collab.Subscription) {
	t.put(toSubscriptionItem(s), s.Version, collab.ErrConflict)
}

// DeleteSubscription removes a subscription that is still at the version it was read at (the
// rollback of one a collaboration created and never activated).
func (t *Tx) DeleteSubscription(s collab.Subscription) {
	t.delete(subscriptionKey(s.CompanyID, string(s.Solution)), "Version = :v",
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(s.Version)}}, collab.ErrConflict)
}

// PutGrant gives an office employee access (idempotent: granting twice is one grant).
func (t *Tx) PutGrant(g collab.Grant) {
	k := grantKey(g.CompanyID, string(g.Solution), g.UserID, g.Via)
	t.putAlways(grantItem{PK: k.pk, SK: k.sk, Type: "grant", CompanyID: g.CompanyID, Solution: string(g.Solution),
		UserID: g.UserID, Mode: string(g.Mode), Via: g.Via})
}

// DeleteGrant removes an access grant (idempotent).
func (t *Tx) DeleteGrant(g collab.Grant) {
	t.delete(grantKey(g.CompanyID, string(g.Solution), g.UserID, g.Via), "", nil, nil)
}

// PutFacts records what a solution reported about a company, replacing the previous report.
func (t *Tx) PutFacts(company string, solution collab.Solution, f collab.SolutionFacts) {
	k := factsKey(company, string(solution))
	t.putAlways(factsItem{PK: k.pk, SK: k.sk, Type: "facts", Solution: string(solution),
		CustomerIsPayrollUser: f.CustomerIsPayrollUser, LastSyncAt: ts(f.LastSyncAt), LastChangeAt: ts(f.LastChangeAt),
		UnsubmittedReports: f.UnsubmittedReports, UsersWithUnsubmittedExpenses: f.UsersWithUnsubmittedExpenses,
		ReportedAt: ts(f.ReportedAt)})
}

// CompanyRecord returns just the company item, without the rest of its partition. It returns
// ENOTFOUND company_not_found.
func (s *Store) CompanyRecord(ctx context.Context, id string) (collab.Company, error) {
	var it companyItem
	ok, err := s.get(ctx, "get company", companyKey(id), &it)
	if err != nil {
		return collab.Company{}, err
	}
	if !ok {
		return collab.Company{}, collab.ErrCompanyNotFound
	}
	return it.company(), nil
}

// ArchiveDeleted sets, and only sets, when the solution deleted the company's archived data on
// the subscription (collab.EndRetention ended it before), which must exist.
func (t *Tx) ArchiveDeleted(company string, solution collab.Solution, at time.Time) {
	t.updateIf(subscriptionKey(company, string(solution)), "SET DataDeletedAt = :at, UpdatedAt = :at, Version = Version + :one",
		"attribute_exists(Version)", nil,
		map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: ts(at)}, ":one": &types.AttributeValueMemberN{Value: "1"}},
		collab.ErrConflict)
}

// DeleteFacts removes what a solution reported about a company (its data is gone).
func (t *Tx) DeleteFacts(company string, solution collab.Solution) {
	t.delete(factsKey(company, string(solution)), "", nil, nil)
}

// UndoOpening undoes what collaboration r's activation did to the company's subscription
// (collab.Opening), on the condition that the subscription is still as the activation wrote it
// (at the version after the one it read), or the commit fails with collab.ErrConflict: a
// subscription that did not exist before is deleted, a reopened one gets its status back.
func (t *Tx) UndoOpening(r collab.CollaborationRecord, now time.Time) {
	o := r.Opened
	k := subscriptionKey(r.CompanyID, string(r.Solution))
	written := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.Itoa(o.Version + 1)}}
	if o.RestoreTo == "" {
		t.delete(k, "Version = :v", written, collab.ErrConflict)
		return
	}
	written[":status"] = &types.AttributeValueMemberS{Value: string(o.RestoreTo)}
	written[":now"] = &types.AttributeValueMemberS{Value: ts(now)}
	written[":one"] = &types.AttributeValueMemberN{Value: "1"}
	t.updateIf(k, "SET #status = :status, UpdatedAt = :now, Version = Version + :one REMOVE RestoreTo, CreatedBy", "Version = :v",
		map[string]string{"#status": "Status"}, written, collab.ErrConflict)
}

// RequestMainContact records that the company's administrators are asked to choose a main
// contact on day (collab.MainContactRequestDay): once per company and day. A request already
// recorded fails the commit with ECONFLICT concurrent_update. The record expires after a week.
func (t *Tx) RequestMainContact(companyID, day string, now time.Time) {
	t.putOnce(struct {
		PK, SK, Type string
		ExpiresAt    int64
	}{companyPartition(companyID), "MAINCONTACTREQ#" + day, "main_contact_request", now.Add(7 * 24 * time.Hour).Unix()}, collab.ErrConflict)
}

// companyHistoryItem is one collab.CompanyEvent, in a partition of its own per company, so the
// company's partition (read whole by Company) does not grow with its history.
type companyHistoryItem struct {
	PK, SK, Type       string
	At                 string
	ActorKind, ActorID string
	Kind, UserID       string
	From, To           string `dynamodbav:",omitempty"`
}

func companyHistoryPartition(company string) string { return "COMPANYHIST#" + company }

// AddCompanyEvent records e in the company's history; id makes its key unique.
func (t *Tx) AddCompanyEvent(companyID, id string, e collab.CompanyEvent) {
	t.putOnce(companyHistoryItem{PK: companyHistoryPartition(companyID), SK: ts(e.At) + "#" + id, Type: "company_event",
		At: ts(e.At), ActorKind: string(e.Actor.Kind), ActorID: e.Actor.UserID, Kind: e.Kind, UserID: e.UserID, From: e.From, To: e.To},
		collab.ErrConflict)
}

// CompanyHistory returns the company's newest events, at most limit, newest first: one Query of
// its history partition.
func (s *Store) CompanyHistory(ctx context.Context, companyID string, limit int) ([]collab.CompanyEvent, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: companyHistoryPartition(companyID)},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("query the history of company %s: %w", companyID, err)
	}
	events := make([]collab.CompanyEvent, 0, len(out.Items))
	for _, item := range out.Items {
		var it companyHistoryItem
		if err := decode("query company history", item, &it); err != nil {
			return nil, err
		}
		events = append(events, collab.CompanyEvent{At: parseTS(it.At), Actor: collab.Actor{Kind: collab.ActorKind(it.ActorKind), UserID: it.ActorID},
			Kind: it.Kind, UserID: it.UserID, From: it.From, To: it.To})
	}
	return events, nil
}
