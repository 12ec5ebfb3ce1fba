package jwt

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxTokenSize is the longest token Verify reads, in bytes; longer ones are ErrMalformed.
const MaxTokenSize = 8 << 10

// Verifier checks tokens as API Gateway's JWT authorizer does: the header's kid names a known
// key, the signature is RS256 by that key, iss is Issuer, aud contains Audience, exp is after
// now, and nbf and iat, when present, are not after now. It also requires sub, the caller's
// identity. A Verifier is safe for concurrent use once built.
type Verifier struct {
	Issuer   string                    // required value of iss
	Audience string                    // value aud must contain
	Keys     map[string]*rsa.PublicKey // public keys by kid
	Now      func() time.Time          // the clock; nil means time.Now
	Leeway   time.Duration             // tolerated clock skew for exp, nbf and iat
}

// Verify returns the claims of token when it passes every check. Otherwise it returns an error
// wrapping one of ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrMissingClaim,
// ErrIssuer, ErrAudience, ErrExpired or ErrNotYetValid, or, when the Verifier has no Issuer or
// Audience, an error wrapping none of them, since the fault is the configuration's.
func (v *Verifier) Verify(token string) (Claims, error) {
	c, err := v.verify(token)
	if err != nil {
		return Claims{}, fmt.Errorf("jwt: verify: %w", err)
	}
	return c, nil
}

func (v *Verifier) verify(token string) (Claims, error) {
	if v.Issuer == "" || v.Audience == "" {
		return Claims{}, errors.New("verifier needs an issuer and an audience")
	}
	if len(token) > MaxTokenSize {
		return Claims{}, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(token), MaxTokenSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: %d segments, not 3", ErrMalformed, len(parts))
	}
	var raw [3][]byte
	for i, name := range []string{"header", "payload", "signature"} {
		b, err := decodeSegment(parts[i])
		if err != nil {
			return Claims{}, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
		raw[i] = b
	}

	h, err := object(raw[0])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	alg, err := str(h, "alg")
	if err != nil {
		return Claims{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if alg != algorithm {
		return Claims{}, fmt.Errorf("%w: alg is %q", ErrAlgorithm, alg)
	}
	kid, err := str(h, "kid")
	if err != nil {
		return Claims{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	key := v.Keys[kid]
	if key == nil || key.N == nil {
		return Claims{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], raw[2]); err != nil {
		return Claims{}, fmt.Errorf("%w: kid %q", ErrSignature, kid)
	}

	c, err := decodeClaims(raw[1])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if err := v.check(c); err != nil {
		return Claims{}, err
	}
	return c, nil
}

func decodeClaims(payload []byte) (Claims, error) {
	m, err := object(payload)
	if err != nil {
		return Claims{}, err
	}
	var c Claims
	for name, dst := range map[string]*string{"sub": &c.Subject, "iss": &c.Issuer, "name": &c.Name, "email": &c.Email} {
		if *dst, err = str(m, name); err != nil {
			return Claims{}, err
		}
	}
	for name, dst := range map[string]*time.Time{"iat": &c.IssuedAt, "exp": &c.ExpiresAt, "nbf": &c.NotBefore} {
		if *dst, err = numericDate(m, name); err != nil {
			return Claims{}, err
		}
	}
	if c.Audience, err = audience(m); err != nil {
		return Claims{}, err
	}
	return c, nil
}

func (v *Verifier) check(c Claims) error {
	if c.Subject == "" {
		return fmt.Errorf("%w: sub", ErrMissingClaim)
	}
	if c.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: exp", ErrMissingClaim)
	}
	if c.Issuer != v.Issuer {
		return fmt.Errorf("%w: iss is %q", ErrIssuer, c.Issuer)
	}
	if !slices.Contains(c.Audience, v.Audience) {
		return fmt.Errorf("%w: aud is %q", ErrAudience, c.Audience)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	leeway := max(v.Leeway, 0)
	if !now.Before(c.ExpiresAt.Add(leeway)) {
		return fmt.Errorf("%w: exp %s, now %s", ErrExpired, c.ExpiresAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.NotBefore.After(now.Add(leeway)) {
		return fmt.Errorf("%w: nbf %s, now %s", ErrNotYetValid, c.NotBefore.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.IssuedAt.After(now.Add(leeway)) {
		return fmt.Errorf("%w: iat %s, now %s", ErrNotYetValid, c.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// BearerToken returns the token of an Authorization header value of the form "Bearer <token>",
// the scheme matched without regard to case. It reports false for any other value, including an
// empty token.
func BearerToken(authorizationHeader string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorizationHeader), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", false
	}
	return token, true
}
