// Package jwt mints and verifies the RS256 JSON Web Tokens that carry a caller's identity.
//
// In AWS, API Gateway's JWT authorizer verifies bearer tokens against the identity provider's
// JWKS and hands the claims to the Lambda. Locally there is no API Gateway, so the local runner
// verifies tokens itself with a Verifier that applies the same checks (kid, RS256 signature, iss,
// aud, exp, nbf, iat), and `make token` mints them with a Signer whose key lives in a git-ignored
// file. Signer.JWKS lets the runner publish the public key as /.well-known/jwks.json.
//
// Only RS256 is accepted, whatever the token's header says, so a token cannot pick its own
// algorithm (alg "none", or HS256 keyed with the public key).
package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// algorithm is the only signing algorithm this package signs with or accepts.
const algorithm = "RS256"

// Reasons Verify refuses a token. Verify wraps exactly one of them, so callers can tell them
// apart with errors.Is; every one of them means 401 Unauthorized to a client.
var (
	ErrMalformed    = errors.New("token is malformed")           // not three base64url segments of JSON objects, oversize, or a claim of the wrong type
	ErrAlgorithm    = errors.New("token algorithm is not RS256") // alg is none, HS256 or anything else
	ErrUnknownKey   = errors.New("token key id is unknown")      // no public key for the header's kid
	ErrSignature    = errors.New("token signature is invalid")   // not signed by the key its kid names
	ErrExpired      = errors.New("token has expired")            // exp is not after now
	ErrNotYetValid  = errors.New("token is not yet valid")       // nbf or iat is after now
	ErrIssuer       = errors.New("token issuer is not trusted")  // iss is not the configured issuer
	ErrAudience     = errors.New("token audience is not ours")   // aud does not contain the configured audience
	ErrMissingClaim = errors.New("token lacks a required claim") // sub or exp is absent
)

// Claims is what a token says about its caller. Zero times and empty strings are left out of a
// signed token. Audience is written as a JSON string when it has one entry and as an array
// otherwise; both forms are read.
type Claims struct {
	Subject   string    // sub: the user id
	Issuer    string    // iss
	Audience  []string  // aud
	IssuedAt  time.Time // iat
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
	Name      string    // name
	Email     string    // email
}

// header is the JOSE header of a token.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
}

// wireClaims is the JSON form of Claims as Sign writes it.
type wireClaims struct {
	Sub   string `json:"sub,omitempty"`
	Iss   string `json:"iss,omitempty"`
	Aud   any    `json:"aud,omitempty"`
	Iat   int64  `json:"iat,omitempty"`
	Exp   int64  `json:"exp,omitempty"`
	Nbf   int64  `json:"nbf,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

func (c Claims) wire() wireClaims {
	w := wireClaims{Sub: c.Subject, Iss: c.Issuer, Name: c.Name, Email: c.Email,
		Iat: unix(c.IssuedAt), Exp: unix(c.ExpiresAt), Nbf: unix(c.NotBefore)}
	switch len(c.Audience) {
	case 0:
	case 1:
		w.Aud = c.Audience[0]
	default:
		w.Aud = c.Audience
	}
	return w
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

var segment = base64.RawURLEncoding.Strict()

// decodeSegment decodes one unpadded base64url segment. It refuses anything outside the base64url
// alphabet before decoding, because the decoder skips CR and LF, and a segment that decodes the
// same from two spellings would let a signed token be altered and still verify.
func decodeSegment(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("byte %d is not base64url", i)
		}
	}
	return segment.DecodeString(s)
}

// object decodes a JSON object into its members with their exact names (encoding/json would
// match "ALG" to a field tagged "alg").
func object(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// str reads an optional string member; absent or null gives "".
func str(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is not a string", name)
	}
	return s, nil
}

// audience reads aud, which RFC 7519 allows as one string or an array of strings.
func audience(m map[string]json.RawMessage) ([]string, error) {
	raw, ok := m["aud"]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("aud is neither a string nor an array of strings")
	}
	return many, nil
}

// Bounds of a NumericDate we accept: the epoch to the end of year 9999.
const maxNumericDate = 253402300799

// numericDate reads an optional NumericDate member (seconds since the epoch, possibly with a
// fraction); absent or null gives the zero time.
func numericDate(m map[string]json.RawMessage, name string) (time.Time, error) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return time.Time{}, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return time.Time{}, fmt.Errorf("%s is not a number", name)
	}
	if f < 0 || f > maxNumericDate {
		return time.Time{}, fmt.Errorf("%s is not a date between 1970 and 9999", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
