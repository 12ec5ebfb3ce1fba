package collab

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// TokenBytes is the size of an invitation token's secret: 256 bits.
const TokenBytes = 32

// secretLen is the length of a token's secret in the link: unpadded base64url of TokenBytes.
var secretLen = base64.RawURLEncoding.EncodedLen(TokenBytes)

// tokenSeparator ends the collaboration id in a token; ids never contain it.
const tokenSeparator = "~"

// Invitation is the single-use, expiring link a customer answers a pending collaboration with.
//
// The token in the link is the collaboration's id, '~', and a secret: HMAC-SHA256(key, id and
// Nonce), 256 bits no one can guess without the key, which lives in configuration, not in the
// table. The id lets the service read the collaboration and the invitation in one round trip; it
// grants nothing by itself. The table stores the nonce (so the e-mail worker can rebuild the link
// after the request that created it has returned) and the whole token's hash (to find the
// invitation when the link is opened); neither lets a reader of the table or the queue forge a link.
type Invitation struct {
	TokenHash       string
	Nonce           string
	CollaborationID string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	UsedAt          time.Time
	RevokedAt       time.Time
	Version         int
}

// NewInvitation creates an invitation for a collaboration that expires after ttl, and returns it
// with the token for the link.
func NewInvitation(key []byte, collaborationID string, now time.Time, ttl time.Duration) (string, Invitation) {
	b := make([]byte, TokenBytes)
	rand.Read(b) // never returns an error; crashes the program if the system's source fails
	nonce := base64.RawURLEncoding.EncodeToString(b)
	token := InvitationToken(key, collaborationID, nonce)
	return token, Invitation{
		TokenHash:       HashToken(token),
		Nonce:           nonce,
		CollaborationID: collaborationID,
		CreatedAt:       now,
		ExpiresAt:       now.Add(ttl),
	}
}

// InvitationToken returns the token of collaboration id's invitation with the nonce.
func InvitationToken(key []byte, collaborationID, nonce string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(collaborationID + tokenSeparator + nonce))
	return collaborationID + tokenSeparator + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// HashToken returns the stored form of a token: hex SHA-256. A token's secret has 256 bits of
// entropy, so a fast unsalted hash is enough to make the stored value useless for finding it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ParseToken checks that s has the shape of a token and returns the collaboration id it names
// and its hash. It returns ENOTFOUND invitation_not_found otherwise: a malformed token is as
// unknown as a wrong one.
func ParseToken(s string) (collaborationID, hash string, err error) {
	id, secret, ok := strings.Cut(s, tokenSeparator)
	if !ok || len(secret) != secretLen || !tokenChars(secret, false) || len(id) == 0 || len(id) > 64 || !tokenChars(id, true) {
		return "", "", errUnknownInvitation
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", errUnknownInvitation
	}
	return id, HashToken(s), nil
}

// tokenChars reports whether s has only base64url characters, and '.' when dot is true (ids may
// have it). DecodeString alone would skip \r and \n.
func tokenChars(s string, dot bool) bool {
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || dot && c == '.') {
			return false
		}
	}
	return true
}

var errUnknownInvitation = Errorf(ENOTFOUND, "invitation_not_found",
	"check that the whole link was copied, or ask the accounting office to resend the invitation",
	"there is no such invitation")

// InvitationState is where an invitation link stands: live, or why it is dead.
type InvitationState string

// The states of an invitation link.
const (
	InvitationLive    InvitationState = "live"
	InvitationUsed    InvitationState = "used"
	InvitationRevoked InvitationState = "revoked"
	InvitationExpired InvitationState = "expired"
)

// State returns where the invitation stands at now.
func (i Invitation) State(now time.Time) InvitationState {
	switch {
	case !i.UsedAt.IsZero():
		return InvitationUsed
	case !i.RevokedAt.IsZero():
		return InvitationRevoked
	case !now.Before(i.ExpiresAt):
		return InvitationExpired
	}
	return InvitationLive
}

// Live returns nil when the invitation can still be answered at now, or EGONE invitation_used,
// invitation_revoked or invitation_expired.
func (i Invitation) Live(now time.Time) error {
	switch i.State(now) {
	case InvitationUsed:
		return Errorf(EGONE, "invitation_used", "open the collaboration in My Spiris instead",
			"this invitation has already been answered")
	case InvitationRevoked:
		return Errorf(EGONE, "invitation_revoked", "use the newest invitation e-mail, or ask the office to resend",
			"this invitation was replaced or withdrawn")
	case InvitationExpired:
		return Errorf(EGONE, "invitation_expired", "ask the accounting office to send a new invitation",
			"this invitation expired on %s", i.ExpiresAt.Format("2006-01-02"))
	}
	return nil
}

// Use marks the invitation answered. It returns the errors of Live.
func (i *Invitation) Use(now time.Time) error {
	if err := i.Live(now); err != nil {
		return err
	}
	i.UsedAt = now
	return nil
}

// Revoke kills the invitation (resend or withdraw). A used invitation stays used.
func (i *Invitation) Revoke(now time.Time) {
	if i.UsedAt.IsZero() && i.RevokedAt.IsZero() {
		i.RevokedAt = now
	}
}
