package jwt

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
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

// wireClaims is a token's payload as the library decodes it.
type wireClaims struct {
	gojwt.RegisteredClaims
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (v *Verifier) verify(token string) (Claims, error) {
	if v.Issuer == "" || v.Audience == "" {
		return Claims{}, errors.New("verifier needs an issuer and an audience")
	}
	if len(token) > MaxTokenSize {
		return Claims{}, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(token), MaxTokenSize)
	}
	if err := wellFormed(token); err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	var w wireClaims
	_, err := gojwt.NewParser(gojwt.WithStrictDecoding(), gojwt.WithIssuedAt(), gojwt.WithLeeway(max(v.Leeway, 0)),
		gojwt.WithTimeFunc(now)).ParseWithClaims(token, &w, v.key)
	// The library checks the signature before the claims: past these, the token is ours.
	switch {
	case errors.Is(err, gojwt.ErrTokenMalformed):
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, ErrAlgorithm), errors.Is(err, ErrUnknownKey):
		return Claims{}, unwrapOurs(err)
	case errors.Is(err, gojwt.ErrTokenUnverifiable): // alg absent or of no known method
		return Claims{}, fmt.Errorf("%w: %v", ErrAlgorithm, err)
	case errors.Is(err, gojwt.ErrTokenSignatureInvalid):
		return Claims{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	c := w.claims()
	if err := v.check(c); err != nil {
		return Claims{}, err
	}
	switch {
	case errors.Is(err, gojwt.ErrTokenExpired):
		return Claims{}, fmt.Errorf("%w: exp %s, now %s", ErrExpired, c.ExpiresAt.Format(time.RFC3339), now().UTC().Format(time.RFC3339))
	case errors.Is(err, gojwt.ErrTokenNotValidYet), errors.Is(err, gojwt.ErrTokenUsedBeforeIssued):
		return Claims{}, fmt.Errorf("%w: nbf %s, iat %s, now %s", ErrNotYetValid, c.NotBefore.Format(time.RFC3339),
			c.IssuedAt.Format(time.RFC3339), now().UTC().Format(time.RFC3339))
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, nil
}

// key is the library's key function: RS256 only, by the header's kid.
func (v *Verifier) key(t *gojwt.Token) (any, error) {
	if t.Method != gojwt.SigningMethodRS256 {
		return nil, fmt.Errorf("%w: alg is %q", ErrAlgorithm, t.Method.Alg())
	}
	kid, _ := t.Header["kid"].(string)
	key := v.Keys[kid]
	if key == nil || key.N == nil {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return key, nil
}

// unwrapOurs returns the error of this package inside one of the library's, which joins its own
// kind of error with the one the key function returned.
func unwrapOurs(err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		if errors.Is(e, ErrAlgorithm) || errors.Is(e, ErrUnknownKey) {
			return e
		}
	}
	return err
}

func (w wireClaims) claims() Claims {
	date := func(d *gojwt.NumericDate) time.Time {
		if d == nil {
			return time.Time{}
		}
		return d.Time.UTC()
	}
	return Claims{Subject: w.Subject, Issuer: w.Issuer, Audience: w.Audience, Name: w.Name, Email: w.Email,
		IssuedAt: date(w.IssuedAt), ExpiresAt: date(w.ExpiresAt), NotBefore: date(w.NotBefore)}
}

// check applies what the library leaves to its caller: dates within range, sub and exp present,
// iss and aud ours.
func (v *Verifier) check(c Claims) error {
	for name, d := range map[string]time.Time{"iat": c.IssuedAt, "exp": c.ExpiresAt, "nbf": c.NotBefore} {
		if !d.IsZero() && (d.Before(minNumericDate) || d.After(maxNumericDate)) {
			return fmt.Errorf("%w: %s is not a date between 1970 and 9999", ErrMalformed, name)
		}
	}
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
