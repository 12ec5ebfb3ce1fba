package jwt

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// Signer mints RS256 tokens with one private key, naming the key by its key id (kid) in each
// token's header so a Verifier, or API Gateway reading a JWKS, can pick the public key.
type Signer struct {
	key *rsa.PrivateKey
	kid string
}

// NewSigner returns a Signer for key under the key id kid. KeyID(&key.PublicKey) is a kid that
// every process loading the same key agrees on.
func NewSigner(key *rsa.PrivateKey, kid string) *Signer {
	return &Signer{key: key, kid: kid}
}

// Sign returns the compact serialization of a token carrying c. It signs what it is given,
// expired or not: checking claims is the Verifier's job.
func (s *Signer) Sign(c Claims) (string, error) {
	if s.key == nil || s.kid == "" {
		return "", errors.New("jwt: sign: signer needs a key and a key id")
	}
	t := gojwt.NewWithClaims(gojwt.SigningMethodRS256, c.payload())
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	return signed, nil
}

// payload is what Sign writes: the claims that are set, one audience as a string.
func (c Claims) payload() gojwt.MapClaims {
	m := gojwt.MapClaims{}
	for name, v := range map[string]string{"sub": c.Subject, "iss": c.Issuer, "name": c.Name, "email": c.Email} {
		if v != "" {
			m[name] = v
		}
	}
	for name, t := range map[string]time.Time{"iat": c.IssuedAt, "exp": c.ExpiresAt, "nbf": c.NotBefore} {
		if !t.IsZero() {
			m[name] = t.Unix()
		}
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		m["aud"] = c.Audience[0]
	default:
		m["aud"] = c.Audience
	}
	return m
}

// PublicKeys returns the signer's public key by its kid, ready for Verifier.Keys.
func (s *Signer) PublicKeys() map[string]*rsa.PublicKey {
	if s.key == nil {
		return nil
	}
	return map[string]*rsa.PublicKey{s.kid: &s.key.PublicKey}
}

// jwk is one RSA public key in JSON Web Key form (RFC 7517, RFC 7518 section 6.3).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS returns the signer's public key as a JSON Web Key Set, the document an identity provider
// serves at its jwks_uri (/.well-known/jwks.json).
func (s *Signer) JWKS() ([]byte, error) {
	if s.key == nil {
		return nil, errors.New("jwt: jwks: signer has no key")
	}
	n, e := modulusAndExponent(&s.key.PublicKey)
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{{Kty: "RSA", Use: "sig", Alg: algorithm, Kid: s.kid, N: n, E: e}}}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwt: jwks: %w", err)
	}
	return b, nil
}

// KeyID returns the RFC 7638 thumbprint of pub: a kid derived from the key itself, so the local
// runner and `make token` name the same key alike without sharing anything but the key file.
func KeyID(pub *rsa.PublicKey) string {
	n, e := modulusAndExponent(pub)
	// RFC 7638 fixes the members, their order and the absence of whitespace.
	digest := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return base64.RawURLEncoding.EncodeToString(digest[:])
}

func modulusAndExponent(pub *rsa.PublicKey) (n, e string) {
	return base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
}

// pemType is the PEM block type of a PKCS #8 private key.
const pemType = "PRIVATE KEY"

// LoadOrCreateKey reads the PKCS #8 PEM RSA private key at path, or, when there is no file there,
// creates a 2048-bit key, writes it with mode 0600 (creating missing directories with 0700) and
// returns it. It is for development keys, such as one under the repository's git-ignored .local/.
// Two processes racing to create the key end up with the same one: the file appears whole or not
// at all, and the loser loads the winner's.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	key, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("jwt: create key %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("jwt: create key %s: %w", path, err)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path)
		}
		return nil, fmt.Errorf("jwt: create key %s: %w", path, err)
	}
	return key, nil
}

func loadKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jwt: load key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("jwt: load key %s: no %q PEM block", path, pemType)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("jwt: load key %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("jwt: load key %s: key is %T, not RSA", path, parsed)
	}
	return key, nil
}

// writeNew writes data to path with mode 0600 unless path exists, in which case it returns an
// error wrapping fs.ErrExist. It writes a temporary file and links it into place, so no reader
// ever sees a partly written file.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".jwtkey-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
