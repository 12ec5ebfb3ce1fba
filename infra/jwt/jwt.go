// Package jwt mints and verifies the RS256 JSON Web Tokens that carry a caller's identity, on
// github.com/golang-jwt/jwt/v5.
//
// In AWS, API Gateway's JWT authorizer verifies bearer tokens against the identity provider's
// JWKS and hands the claims to the Lambda. Locally there is no API Gateway, so the local runner
// verifies tokens itself with a Verifier that applies the same checks (kid, RS256 signature, iss,
// aud, exp, nbf, iat), and `make token` mints them with a Signer whose key lives in a git-ignored
// file. Signer.JWKS lets the runner publish the public key as /.well-known/jwks.json. No Lambda
// links this package.
//
// Only RS256 is accepted, whatever the token's header says, so a token cannot pick its own
// algorithm (alg "none", or HS256 keyed with the public key).
package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// Bounds of a NumericDate a token may carry: the epoch to the end of year 9999.
var (
	minNumericDate = time.Unix(0, 0)
	maxNumericDate = time.Unix(253402300799, 0)
)

// wellFormed checks what the JWT library lets through and this package refuses as ErrMalformed:
// a segment with a byte outside the base64url alphabet (the decoder skips CR and LF, and a
// segment that decodes the same from two spellings would let a signed token be altered and still
// verify), a header or payload that is JSON but not an object (null, an array), and a date that
// is a string.
func wellFormed(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d segments, not 3", len(parts))
	}
	for i, p := range parts {
		if j := strings.IndexFunc(p, func(c rune) bool {
			return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_')
		}); j >= 0 {
			return fmt.Errorf("segment %d: byte %d is not base64url", i+1, j)
		}
	}
	var members [2]map[string]json.RawMessage
	for i, name := range []string{"header", "payload"} {
		raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if err := json.Unmarshal(raw, &members[i]); err != nil || members[i] == nil {
			return fmt.Errorf("%s is not a JSON object", name)
		}
	}
	for _, date := range []string{"iat", "exp", "nbf"} {
		if d := members[1][date]; len(d) > 0 && d[0] == '"' { // the library would read it as a date
			return fmt.Errorf("%s is a string, not a number", date)
		}
	}
	return nil
}
