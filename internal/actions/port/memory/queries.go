package memory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

const defaultLimit, maxLimit = 50, 100

// listing is one of the table's lists of collaborations: an index's partition, newest first,
// and the filter applied to what it reads.
type listing struct {
	partition string // names the index and partition, so a cursor opens no other list
	in        func(collab.CollaborationRecord) bool
	filter    func(collab.CollaborationRecord) bool
}

// OfficeCollaborations returns a page of an office's collaborations, newest first: a customer's
// or a status's when the filter names one, filtered on the solution. It returns EINVALID
// cursor_invalid for a cursor it did not issue.
func (s *Store) OfficeCollaborations(_ context.Context, office string, f port.Filter) (port.Page, error) {
	l := listing{partition: "GSI1#" + office, in: func(r collab.CollaborationRecord) bool { return r.OfficeID == office }}
	switch {
	case f.CustomerNo != "":
		l = listing{partition: "GSI2#" + office + "#" + f.CustomerNo, in: func(r collab.CollaborationRecord) bool {
			return r.OfficeID == office && r.CustomerNo == f.CustomerNo
		}}
	case f.Status != "":
		l = listing{partition: "GSI3#" + office + "#" + string(f.Status), in: func(r collab.CollaborationRecord) bool {
			return r.OfficeID == office && r.Status == f.Status
		}}
	}
	l.filter = func(r collab.CollaborationRecord) bool {
		return (f.Status == "" || r.Status == f.Status) && (f.Solution == "" || r.Solution == f.Solution)
	}
	return s.page(l, f.Limit, f.Cursor)
}

// Collaborations returns the collaborations with the ids that are not over, sorted by id.
func (s *Store) Collaborations(_ context.Context, ids []string) ([]collab.CollaborationRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []collab.CollaborationRecord
	for _, id := range ids {
		if r, ok := s.collabs[id]; ok && !r.Status.Final() {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b collab.CollaborationRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// OpenCollaborations returns the office's collaborations with the customers that are not over.
func (s *Store) OpenCollaborations(ctx context.Context, office string, customers []string) ([]collab.CollaborationRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []collab.CollaborationRecord
	for _, r := range s.collabs {
		if r.OfficeID == office && slices.Contains(customers, r.CustomerNo) && !r.Status.Final() {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b collab.CollaborationRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// CompanyCollaborations returns a page of a company's collaborations, newest first.
func (s *Store) CompanyCollaborations(_ context.Context, company string, limit int, cursor string) (port.Page, error) {
	return s.page(listing{partition: "GSI4#" + company,
		in: func(r collab.CollaborationRecord) bool { return r.CompanyID == company }}, limit, cursor)
}

// order is a collaboration's sort key in every list: its creation time, then its id.
func order(r collab.CollaborationRecord) string { return ts(r.CreatedAt) + "#" + r.ID }

// page reads up to limit collaborations of l after the cursor. Next is set when the list goes on
// after the last item returned (whether or not what follows passes the filter), as DynamoDB's
// LastEvaluatedKey is.
func (s *Store) page(l listing, limit int, cursor string) (port.Page, error) {
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	after, err := decodeCursor(cursor, l.partition)
	if err != nil {
		return port.Page{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []collab.CollaborationRecord
	for _, r := range s.collabs {
		if l.in(r) && (after == "" || order(r) < after) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b collab.CollaborationRecord) int { return strings.Compare(order(b), order(a)) })
	var p port.Page
	for i, r := range all {
		if l.filter == nil || l.filter(r) {
			p.Items = append(p.Items, cloneRecord(r))
		}
		if len(p.Items) == limit {
			if i < len(all)-1 {
				p.Next = encodeCursor(l.partition, order(r))
			}
			break
		}
	}
	return p, nil
}

type cursorKey struct {
	Partition string `json:"p"`
	After     string `json:"k"`
}

func encodeCursor(partition, after string) string {
	b, _ := json.Marshal(cursorKey{partition, after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the sort key a cursor continues after, refusing one this store did not
// issue for the list: EINVALID cursor_invalid.
func decodeCursor(cursor, partition string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var k cursorKey
	if err != nil || len(b) > 2048 || json.Unmarshal(b, &k) != nil || k.Partition != partition || k.After == "" {
		return "", collab.ErrCursorInvalid
	}
	return k.After, nil
}
