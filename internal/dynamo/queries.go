package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

const defaultLimit, maxLimit = 50, 100

// OfficeCollaborations returns a page of an office's collaborations, newest first. A customer
// filter queries GSI2 (that customer's partition), a status filter GSI3, otherwise GSI1; a
// solution filter is a filter expression on that query: it reads the office's (or customer's, or
// status's) collaborations of every solution and returns one solution's, a cost that stays within
// one office's own collaborations. It returns EINVALID cursor_invalid for a cursor it did not issue.
func (s *Store) OfficeCollaborations(ctx context.Context, office string, f port.Filter) (port.Page, error) {
	q := query{index: indexOffice, pkAttr: "GSI1PK", pk: officePartition(office)}
	var filters []string
	values := map[string]types.AttributeValue{}
	names := map[string]string{}
	switch {
	case f.CustomerNo != "":
		q = query{index: indexCustomer, pkAttr: "GSI2PK", pk: customerPartition(office, f.CustomerNo),
			skAttr: "GSI2SK", skPrefix: "COLLAB#"}
		if f.Status != "" {
			filters = append(filters, "#status = :status")
			names["#status"] = "Status"
			values[":status"] = &types.AttributeValueMemberS{Value: string(f.Status)}
		}
	case f.Status != "":
		q = query{index: indexStatus, pkAttr: "GSI3PK", pk: statusPartition(office, string(f.Status))}
	}
	if f.Solution != "" {
		filters = append(filters, "Solution = :solution")
		values[":solution"] = &types.AttributeValueMemberS{Value: string(f.Solution)}
	}
	q.filter, q.names, q.values = strings.Join(filters, " AND "), names, values
	return s.collaborationPage(ctx, q, f.Limit, f.Cursor)
}

// OpenCollaborations returns the office's collaborations with the customers that are not over,
// read strongly consistently by key: the open guard of every solution for each customer, then
// the collaborations they name (two BatchGetItem requests, the second by Collaborations), so a collaboration committed before
// the call is never missed, as it can be from an index that has not caught up.
func (s *Store) OpenCollaborations(ctx context.Context, office string, customers []string) ([]collab.CollaborationRecord, error) {
	guards := map[key]any{}
	for _, no := range customers {
		for solution := range collab.Solutions {
			guards[openKey(office, no, string(solution))] = &openItem{}
		}
	}
	if err := s.getInto(ctx, "get open guards", guards); err != nil {
		return nil, err
	}
	var ids []string
	for _, g := range guards {
		if id := g.(*openItem).CollaborationID; id != "" {
			ids = append(ids, id)
		}
	}
	return s.Collaborations(ctx, ids)
}

// Collaborations returns the collaborations with the ids that are not over, sorted by id, in
// one strongly consistent BatchGetItem.
func (s *Store) Collaborations(ctx context.Context, ids []string) ([]collab.CollaborationRecord, error) {
	items := map[key]any{}
	for _, id := range ids {
		items[collaborationKey(id)] = &collaborationItem{}
	}
	if err := s.getInto(ctx, "get open collaborations", items); err != nil {
		return nil, err
	}
	var out []collab.CollaborationRecord
	for _, it := range items {
		if c := it.(*collaborationItem); c.ID != "" && !collab.Status(c.Status).Final() {
			out = append(out, c.record())
		}
	}
	slices.SortFunc(out, func(a, b collab.CollaborationRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// CompanyCollaborations returns a page of a company's collaborations (all offices, all
// solutions), newest first, from GSI4.
func (s *Store) CompanyCollaborations(ctx context.Context, company string, limit int, cursor string) (port.Page, error) {
	return s.collaborationPage(ctx, query{index: indexCompany, pkAttr: "GSI4PK", pk: companyPartition(company),
		skAttr: "GSI4SK", skPrefix: "COLLAB#"}, limit, cursor)
}

type query struct {
	index, pkAttr, pk string
	skAttr, skPrefix  string
	filter            string
	names             map[string]string
	values            map[string]types.AttributeValue
}

func (q query) input(table string) *dynamodb.QueryInput {
	cond := q.pkAttr + " = :pk"
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: q.pk}}
	for k, v := range q.values {
		values[k] = v
	}
	if q.skPrefix != "" {
		cond += " AND begins_with(" + q.skAttr + ", :sk)"
		values[":sk"] = &types.AttributeValueMemberS{Value: q.skPrefix}
	}
	in := &dynamodb.QueryInput{
		TableName:                 &table,
		IndexName:                 aws.String(q.index),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(false),
	}
	if q.filter != "" {
		in.FilterExpression = aws.String(q.filter)
	}
	if len(q.names) > 0 {
		in.ExpressionAttributeNames = q.names
	}
	return in
}

// collaborationPage reads up to limit matching collaborations, asking DynamoDB for no more than
// it still needs, so the returned cursor never skips an item.
func (s *Store) collaborationPage(ctx context.Context, q query, limit int, cursor string) (port.Page, error) {
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	in := q.input(s.table)
	start, err := decodeCursor(cursor, q.index, q.pk)
	if err != nil {
		return port.Page{}, err
	}
	in.ExclusiveStartKey = start
	var page port.Page
	for {
		in.Limit = aws.Int32(int32(limit - len(page.Items)))
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return port.Page{}, fmt.Errorf("query %s: %w", q.index, err)
		}
		for _, item := range res.Items {
			var it collaborationItem
			if err := decode("query "+q.index, item, &it); err != nil {
				return port.Page{}, err
			}
			page.Items = append(page.Items, it.record())
		}
		if res.LastEvaluatedKey == nil {
			return page, nil
		}
		if len(page.Items) >= limit {
			page.Next = encodeCursor(res.LastEvaluatedKey)
			return page, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func encodeCursor(k map[string]types.AttributeValue) string {
	m := make(map[string]string, len(k))
	for name, v := range k {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			m[name] = s.Value
		}
	}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the start key a cursor stands for, refusing one that is not exactly a key
// of the index being listed, in the partition being listed (a cursor cannot open another
// office's or company's list).
func decodeCursor(cursor, index, pk string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) > 2048 {
		return nil, collab.ErrCursorInvalid
	}
	var m map[string]string
	keys := Indexes[index]
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 4 || m[keys[0]] != pk ||
		m[keys[1]] == "" || m[attrPK] == "" || m[attrSK] == "" {
		return nil, collab.ErrCursorInvalid
	}
	k := make(map[string]types.AttributeValue, len(m))
	for name, v := range m {
		k[name] = &types.AttributeValueMemberS{Value: v}
	}
	return k, nil
}
