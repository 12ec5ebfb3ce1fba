package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// invitationRetention is how long a dead invitation is kept, so its link can still say
// "already used" or "expired" instead of "unknown"; TTL deletes it after that.
const invitationRetention = 90 * 24 * time.Hour

type invitationItem struct {
	PK, SK          string
	Type            string
	TokenHash       string
	Nonce           string
	CollaborationID string
	CreatedAt       string
	ExpiresAtTime   string
	UsedAt          string `dynamodbav:",omitempty"`
	RevokedAt       string `dynamodbav:",omitempty"`
	ExpiresAt       int64  // TTL, epoch seconds
	Version         int
}

func (it invitationItem) invitation() collab.Invitation {
	return collab.Invitation{TokenHash: it.TokenHash, Nonce: it.Nonce, CollaborationID: it.CollaborationID,
		CreatedAt: parseTS(it.CreatedAt), ExpiresAt: parseTS(it.ExpiresAtTime),
		UsedAt: parseTS(it.UsedAt), RevokedAt: parseTS(it.RevokedAt), Version: it.Version}
}

// PutInvitation writes a new or changed invitation under its version.
func (t *Tx) PutInvitation(i collab.Invitation) {
	k := invitationKey(i.TokenHash)
	t.put(invitationItem{PK: k.pk, SK: k.sk, Type: "invitation", TokenHash: i.TokenHash, Nonce: i.Nonce,
		CollaborationID: i.CollaborationID, CreatedAt: ts(i.CreatedAt), ExpiresAtTime: ts(i.ExpiresAt),
		UsedAt: ts(i.UsedAt), RevokedAt: ts(i.RevokedAt),
		ExpiresAt: i.ExpiresAt.Add(invitationRetention).Unix(), Version: i.Version}, i.Version, collab.ErrConflict)
}

// Answering reads an invitation link's invitation (by its token's hash) and the collaboration
// the token names, in one round trip. It returns ENOTFOUND invitation_not_found unless both exist
// and the invitation is that collaboration's.
func (s *Store) Answering(ctx context.Context, collaborationID, hash string) (collab.Invitation, *collab.Collaboration, error) {
	var inv invitationItem
	var c collaborationItem
	err := s.getInto(ctx, "get invitation and collaboration", map[key]any{
		invitationKey(hash): &inv, collaborationKey(collaborationID): &c})
	if err != nil {
		return collab.Invitation{}, nil, err
	}
	if c.ID == "" || inv.CollaborationID != collaborationID { // missing, or another collaboration's
		return collab.Invitation{}, nil, collab.ErrInvitationNotFound
	}
	return inv.invitation(), collab.RestoreCollaboration(c.record()), nil
}

// Invitation returns the invitation whose token hashes to hash. It returns ENOTFOUND
// invitation_not_found.
func (s *Store) Invitation(ctx context.Context, hash string) (collab.Invitation, error) {
	var it invitationItem
	ok, err := s.get(ctx, "get invitation", invitationKey(hash), &it)
	if err != nil {
		return collab.Invitation{}, err
	}
	if !ok {
		return collab.Invitation{}, collab.ErrInvitationNotFound
	}
	return it.invitation(), nil
}

// RevokeInvitation kills the live invitation of a pending collaboration (a resend or a
// withdrawal) without reading it: it is written only with its collaboration, so the
// collaboration as read (its version required in the same transaction) says it is live. The
// invitation must exist.
func (t *Tx) RevokeInvitation(hash string, now time.Time) {
	t.updateIf(invitationKey(hash), "SET RevokedAt = :now, Version = Version + :one", "attribute_exists(PK)", nil,
		map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: ts(now)},
			":one": &types.AttributeValueMemberN{Value: "1"},
		}, collab.ErrConflict)
}

// AnsweringFor is Answering with the user's memberships, in the same BatchGetItem.
func (s *Store) AnsweringFor(ctx context.Context, collaborationID, hash, user string) (collab.Invitation, *collab.Collaboration, port.Memberships, error) {
	var inv invitationItem
	var c collaborationItem
	var m Memberships
	err := s.getInto(ctx, "get invitation, collaboration and memberships", map[key]any{
		invitationKey(hash): &inv, collaborationKey(collaborationID): &c, membershipsKey(user): &m})
	if err != nil {
		return collab.Invitation{}, nil, m, err
	}
	if c.ID == "" || inv.CollaborationID != collaborationID {
		return collab.Invitation{}, nil, m, collab.ErrInvitationNotFound
	}
	return inv.invitation(), collab.RestoreCollaboration(c.record()), m, nil
}
