package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKID      = "test-key"
	testIssuer   = "https://issuer.example"
	testAudience = "collab-api"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Keys are generated once per test binary: RSA key generation is slow.
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustGenerate() })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return mustGenerate() })
)

func mustGenerate() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func testVerifier() *Verifier {
	return &Verifier{
		Issuer:   testIssuer,
		Audience: testAudience,
		Keys:     map[string]*rsa.PublicKey{testKID: &testKey().PublicKey},
		Now:      func() time.Time { return testNow },
	}
}

// validClaims returns claims the test verifier accepts, changed by edit.
func validClaims(edit func(*Claims)) Claims {
	c := Claims{
		Subject:   "user-1",
		Issuer:    testIssuer,
		Audience:  []string{testAudience},
		IssuedAt:  testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
		Name:      "Ada Lovelace",
		Email:     "ada@example.com",
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

func sign(t *testing.T, c Claims) string {
	t.Helper()
	tok, err := NewSigner(testKey(), testKID).Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// signRaw signs arbitrary header and payload text with key, for tokens Sign would never make.
func signRaw(t *testing.T, key *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	input := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("SignPKCS1v15: %v", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

const rsHeader = `{"alg":"RS256","kid":"test-key","typ":"JWT"}`

// payload is a valid payload with extra or replacing members in JSON (without braces).
func payload(members string) string {
	base := map[string]any{"sub": "user-1", "iss": testIssuer, "aud": testAudience,
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix()}
	if members != "" {
		var extra map[string]any
		if err := json.Unmarshal([]byte("{"+members+"}"), &extra); err != nil {
			panic(err)
		}
		for k, v := range extra {
			if v == nil {
				delete(base, k)
				continue
			}
			base[k] = v
		}
	}
	b, err := json.Marshal(base)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var sentinels = []error{ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrExpired,
	ErrNotYetValid, ErrIssuer, ErrAudience, ErrMissingClaim}

func TestVerify(t *testing.T) {
	hs256 := func(t *testing.T) string {
		// The alg-confusion attack: an HMAC keyed with the verifier's public key.
		der, err := x509.MarshalPKIXPublicKey(&testKey().PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		input := b64(`{"alg":"HS256","kid":"test-key","typ":"JWT"}`) + "." + b64(payload(""))
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(input))
		return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	tests := []struct {
		name    string
		token   func(t *testing.T) string
		leeway  time.Duration
		want    error // nil: accepted
		wantSub string
	}{
		{name: "accepts_a_token_signed_by_a_known_key",
			token: func(t *testing.T) string { return sign(t, validClaims(nil)) }, wantSub: "user-1"},
		{name: "accepts_an_audience_array_that_contains_ours",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.Audience = []string{"other", testAudience} }))
			}, wantSub: "user-1"},
		{name: "accepts_a_token_without_iat_or_nbf",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), rsHeader, payload(`"iat":null`))
			}, wantSub: "user-1"},
		{name: "accepts_fractional_dates",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), rsHeader, payload(`"exp":1772370000.5,"nbf":1772366399.75`))
			}, wantSub: "user-1"},
		{name: "accepts_an_expired_token_within_the_leeway",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.ExpiresAt = testNow.Add(-30 * time.Second) }))
			}, leeway: time.Minute, wantSub: "user-1"},
		{name: "accepts_a_future_nbf_within_the_leeway",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.NotBefore = testNow.Add(30 * time.Second) }))
			}, leeway: time.Minute, wantSub: "user-1"},
		{name: "ignores_unknown_claims",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), rsHeader, payload(`"scope":"a b","custom":{"x":[1]}`))
			}, wantSub: "user-1"},

		{name: "refuses_an_empty_token", token: func(*testing.T) string { return "" }, want: ErrMalformed},
		{name: "refuses_two_segments",
			token: func(t *testing.T) string { tok := sign(t, validClaims(nil)); return tok[:strings.LastIndex(tok, ".")] },
			want:  ErrMalformed},
		{name: "refuses_four_segments",
			token: func(t *testing.T) string { return sign(t, validClaims(nil)) + ".AAAA" }, want: ErrMalformed},
		{name: "refuses_a_header_that_is_not_base64url",
			token: func(t *testing.T) string { return "e$J." + strings.SplitN(sign(t, validClaims(nil)), ".", 2)[1] },
			want:  ErrMalformed},
		{name: "refuses_padding_after_a_segment",
			token: func(t *testing.T) string { tok := sign(t, validClaims(nil)); return strings.Replace(tok, ".", "=.", 1) },
			want:  ErrMalformed},
		{name: "refuses_a_newline_inside_the_signature",
			token: func(t *testing.T) string {
				tok := sign(t, validClaims(nil))
				return tok[:len(tok)-4] + "\n" + tok[len(tok)-4:]
			},
			want: ErrMalformed},
		{name: "refuses_nonzero_trailing_bits_in_the_signature",
			token: func(t *testing.T) string {
				// 256 signature bytes encode to 342 characters whose last carries 4 unused bits.
				tok := sign(t, validClaims(nil))
				last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[len(tok)-1])
				return tok[:len(tok)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])
			}, want: ErrMalformed},
		{name: "refuses_a_header_that_is_not_json",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `{"alg":"RS256"`, payload("")) },
			want:  ErrMalformed},
		{name: "refuses_a_header_that_is_a_json_array",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `["RS256"]`, payload("")) },
			want:  ErrMalformed},
		{name: "refuses_a_header_that_is_json_null",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `null`, payload("")) },
			want:  ErrMalformed},
		{name: "refuses_a_payload_that_is_not_json",
			token: func(t *testing.T) string { return signRaw(t, testKey(), rsHeader, `{"sub":`) },
			want:  ErrMalformed},
		{name: "refuses_an_exp_that_is_a_string",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), rsHeader, payload(`"exp":"1772370000"`))
			}, want: ErrMalformed},
		{name: "refuses_an_exp_before_1970",
			token: func(t *testing.T) string { return signRaw(t, testKey(), rsHeader, payload(`"exp":-1`)) },
			want:  ErrMalformed},
		{name: "refuses_an_exp_beyond_year_9999",
			token: func(t *testing.T) string { return signRaw(t, testKey(), rsHeader, payload(`"exp":1e300`)) },
			want:  ErrMalformed},
		{name: "refuses_an_aud_that_is_a_number",
			token: func(t *testing.T) string { return signRaw(t, testKey(), rsHeader, payload(`"aud":7`)) },
			want:  ErrMalformed},
		{name: "refuses_a_sub_that_is_an_object",
			token: func(t *testing.T) string { return signRaw(t, testKey(), rsHeader, payload(`"sub":{"id":"user-1"}`)) },
			want:  ErrMalformed},
		{name: "refuses_a_token_over_8_KiB",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.Name = strings.Repeat("a", MaxTokenSize) }))
			}, want: ErrMalformed},

		{name: "refuses_alg_none",
			token: func(t *testing.T) string { return b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(payload("")) + "." },
			want:  ErrAlgorithm},
		{name: "refuses_alg_none_with_an_rs256_signature_attached",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), `{"alg":"none","kid":"test-key"}`, payload(""))
			}, want: ErrAlgorithm},
		{name: "refuses_alg_hs256_keyed_with_the_public_key", token: hs256, want: ErrAlgorithm},
		{name: "refuses_alg_rs256_in_lower_case",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), `{"alg":"rs256","kid":"test-key"}`, payload(""))
			},
			want: ErrAlgorithm},
		{name: "refuses_alg_rs512",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), `{"alg":"RS512","kid":"test-key"}`, payload(""))
			},
			want: ErrAlgorithm},
		{name: "refuses_a_header_without_alg",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `{"kid":"test-key"}`, payload("")) },
			want:  ErrAlgorithm},
		{name: "refuses_alg_spelled_in_upper_case_as_a_member_name",
			token: func(t *testing.T) string {
				return signRaw(t, testKey(), `{"ALG":"RS256","kid":"test-key"}`, payload(""))
			},
			want: ErrAlgorithm},

		{name: "refuses_an_unknown_kid",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `{"alg":"RS256","kid":"other"}`, payload("")) },
			want:  ErrUnknownKey},
		{name: "refuses_a_header_without_kid",
			token: func(t *testing.T) string { return signRaw(t, testKey(), `{"alg":"RS256"}`, payload("")) },
			want:  ErrUnknownKey},

		{name: "refuses_a_token_signed_by_another_key_under_our_kid",
			token: func(t *testing.T) string { return signRaw(t, otherKey(), rsHeader, payload("")) },
			want:  ErrSignature},
		{name: "refuses_a_payload_changed_after_signing",
			token: func(t *testing.T) string {
				parts := strings.Split(sign(t, validClaims(nil)), ".")
				return parts[0] + "." + b64(payload(`"sub":"admin"`)) + "." + parts[2]
			}, want: ErrSignature},
		{name: "refuses_an_empty_signature",
			token: func(t *testing.T) string {
				tok := sign(t, validClaims(nil))
				return tok[:strings.LastIndex(tok, ".")+1]
			},
			want: ErrSignature},

		{name: "refuses_a_token_past_exp",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.ExpiresAt = testNow.Add(-time.Second) }))
			}, want: ErrExpired},
		{name: "refuses_a_token_whose_exp_is_now",
			token: func(t *testing.T) string { return sign(t, validClaims(func(c *Claims) { c.ExpiresAt = testNow })) },
			want:  ErrExpired},
		{name: "refuses_a_token_expired_beyond_the_leeway",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.ExpiresAt = testNow.Add(-2 * time.Minute) }))
			}, leeway: time.Minute, want: ErrExpired},
		{name: "refuses_a_token_before_its_nbf",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.NotBefore = testNow.Add(time.Minute) }))
			}, want: ErrNotYetValid},
		{name: "refuses_a_token_issued_in_the_future",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.IssuedAt = testNow.Add(time.Minute) }))
			}, want: ErrNotYetValid},

		{name: "refuses_another_issuer",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.Issuer = "https://evil.example" }))
			}, want: ErrIssuer},
		{name: "refuses_a_token_without_iss",
			token: func(t *testing.T) string { return sign(t, validClaims(func(c *Claims) { c.Issuer = "" })) },
			want:  ErrIssuer},
		{name: "refuses_an_audience_that_is_not_ours",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.Audience = []string{"other-api"} }))
			}, want: ErrAudience},
		{name: "refuses_an_audience_array_without_ours",
			token: func(t *testing.T) string {
				return sign(t, validClaims(func(c *Claims) { c.Audience = []string{"a", "b"} }))
			}, want: ErrAudience},
		{name: "refuses_a_token_without_aud",
			token: func(t *testing.T) string { return sign(t, validClaims(func(c *Claims) { c.Audience = nil })) },
			want:  ErrAudience},

		{name: "refuses_a_token_without_sub",
			token: func(t *testing.T) string { return sign(t, validClaims(func(c *Claims) { c.Subject = "" })) },
			want:  ErrMissingClaim},
		{name: "refuses_a_token_without_exp",
			token: func(t *testing.T) string { return sign(t, validClaims(func(c *Claims) { c.ExpiresAt = time.Time{} })) },
			want:  ErrMissingClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := testVerifier()
			v.Leeway = tt.leeway
			got, err := v.Verify(tt.token(t))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Subject != tt.wantSub {
					t.Errorf("Subject = %q, want %q", got.Subject, tt.wantSub)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token, want %v", tt.want)
			}
			for _, s := range sentinels {
				if is, want := errors.Is(err, s), s == tt.want; is != want {
					t.Errorf("errors.Is(%q, %q) = %v, want %v", err, s, is, want)
				}
			}
			if !strings.HasPrefix(err.Error(), "jwt: verify: ") {
				t.Errorf("error %q does not name its operation", err)
			}
			if !got.ExpiresAt.IsZero() || got.Subject != "" {
				t.Errorf("Verify returned claims %+v with an error", got)
			}
		})
	}
}

func TestVerifyRefusesEverythingWithoutIssuerOrAudience(t *testing.T) {
	tok := sign(t, validClaims(func(c *Claims) { c.Issuer, c.Audience = "", nil }))
	for _, edit := range []func(*Verifier){
		func(v *Verifier) { v.Issuer = "" },
		func(v *Verifier) { v.Audience = "" },
	} {
		v := testVerifier()
		edit(v)
		_, err := v.Verify(tok)
		if err == nil {
			t.Fatal("Verify accepted a token with an unconfigured verifier")
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				t.Errorf("configuration error %q wraps %q", err, s)
			}
		}
	}
}

func TestVerifyUsesTheWallClockWithoutNow(t *testing.T) {
	v := testVerifier()
	v.Now = nil
	tok := sign(t, validClaims(func(c *Claims) { c.IssuedAt, c.ExpiresAt = time.Time{}, time.Now().Add(time.Hour) }))
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSignThenVerifyReturnsTheClaims(t *testing.T) {
	want := Claims{
		Subject:   "user-42",
		Issuer:    testIssuer,
		Audience:  []string{testAudience, "other-api"},
		IssuedAt:  testNow.Add(-time.Minute),
		NotBefore: testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
		Name:      "Grace Hopper",
		Email:     "grace@example.com",
	}
	signer := NewSigner(testKey(), testKID)
	tok, err := signer.Sign(want)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	v := testVerifier()
	v.Keys = signer.PublicKeys()
	got, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Subject != want.Subject || got.Issuer != want.Issuer || got.Name != want.Name || got.Email != want.Email {
		t.Errorf("Verify = %+v, want %+v", got, want)
	}
	if !slices.Equal(got.Audience, want.Audience) {
		t.Errorf("Audience = %q, want %q", got.Audience, want.Audience)
	}
	for _, p := range []struct {
		name      string
		got, want time.Time
	}{{"IssuedAt", got.IssuedAt, want.IssuedAt}, {"NotBefore", got.NotBefore, want.NotBefore}, {"ExpiresAt", got.ExpiresAt, want.ExpiresAt}} {
		if !p.got.Equal(p.want) {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
}

func TestSignWritesOneAudienceAsAString(t *testing.T) {
	tok := sign(t, validClaims(nil))
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if got, want := p["aud"], any(testAudience); got != want {
		t.Errorf("aud = %#v, want %#v", got, want)
	}
	if got, want := p["exp"], any(float64(testNow.Add(time.Hour).Unix())); got != want {
		t.Errorf("exp = %#v, want %#v", got, want)
	}
	if _, ok := p["nbf"]; ok {
		t.Errorf("payload %s has nbf, though NotBefore is zero", raw)
	}
}

func TestSignRefusesWithoutKeyID(t *testing.T) {
	_, err := NewSigner(testKey(), "").Sign(validClaims(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "jwt: sign: ") {
		t.Fatalf("Sign = %v, want a jwt: sign: error", err)
	}
}

func TestJWKSPublishesThePublicKey(t *testing.T) {
	b, err := NewSigner(testKey(), testKID).JWKS()
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS is not a key set: %v\n%s", err, b)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	for member, want := range map[string]string{"kid": testKID, "kty": "RSA", "alg": "RS256", "use": "sig"} {
		if got := k[member]; got != want {
			t.Errorf("%s = %q, want %q", member, got, want)
		}
	}
	if _, ok := k["d"]; ok {
		t.Error("JWKS leaks the private exponent d")
	}
	n, err := base64.RawURLEncoding.DecodeString(k["n"])
	if err != nil {
		t.Fatalf("n: %v", err)
	}
	if got, want := new(big.Int).SetBytes(n), testKey().N; got.Cmp(want) != 0 {
		t.Errorf("n does not decode to the key's modulus")
	}
	e, err := base64.RawURLEncoding.DecodeString(k["e"])
	if err != nil {
		t.Fatalf("e: %v", err)
	}
	if got, want := new(big.Int).SetBytes(e).Int64(), int64(testKey().E); got != want {
		t.Errorf("e = %d, want %d", got, want)
	}
	if got, want := k["e"], "AQAB"; got != want {
		t.Errorf("e = %q, want %q", got, want)
	}
}

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	// The example key of RFC 7638, section 3.1.
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	if got, want := KeyID(pub), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("KeyID = %q, want %q", got, want)
	}
}

func TestLoadOrCreateKeyCreatesThenReloadsTheSameKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".local", "jwt", "signing.pem")
	created, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (create): %v", err)
	}
	if got, want := created.N.BitLen(), 2048; got != want {
		t.Errorf("key has %d bits, want %d", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("key file mode = %v, want %v", got, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("key file is not a PKCS #8 PEM block:\n%s", data)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key", len(entries))
	}

	loaded, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey (load): %v", err)
	}
	if !loaded.Equal(created) {
		t.Error("reloaded key differs from the created one")
	}
}

func TestLoadOrCreateKeyGivesRacingCallersTheSameKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.pem")
	keys := make([]*rsa.PrivateKey, 3)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreateKey #%d: %v", i, errs[i])
		}
	}
	onDisk, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !k.Equal(onDisk) {
			t.Errorf("caller #%d holds a key other than the one on disk", i)
		}
	}
}

func TestLoadOrCreateKeyRefusesFilesItCannotUse(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"refuses_a_file_that_is_not_pem", []byte("not a key")},
		{"refuses_a_pkcs1_pem_block", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})},
		{"refuses_a_pkcs8_block_with_garbage", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})},
		{"refuses_an_ecdsa_key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKey(path)
			if err == nil {
				t.Fatal("LoadOrCreateKey accepted the file")
			}
			if !strings.HasPrefix(err.Error(), "jwt: load key") {
				t.Errorf("error %q does not name its operation", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(tt.data) {
				t.Error("LoadOrCreateKey overwrote a file it could not use")
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   string
		wantOK bool
	}{
		{"takes_the_token_after_bearer", "Bearer abc.def.ghi", "abc.def.ghi", true},
		{"matches_the_scheme_in_lower_case", "bearer abc.def.ghi", "abc.def.ghi", true},
		{"matches_the_scheme_in_upper_case", "BEARER abc.def.ghi", "abc.def.ghi", true},
		{"tolerates_surrounding_and_repeated_spaces", "  Bearer   abc.def.ghi ", "abc.def.ghi", true},
		{"refuses_an_empty_header", "", "", false},
		{"refuses_a_bare_token", "abc.def.ghi", "", false},
		{"refuses_the_scheme_alone", "Bearer", "", false},
		{"refuses_the_scheme_with_a_blank_token", "Bearer   ", "", false},
		{"refuses_another_scheme", "Basic dXNlcjpwYXNz", "", false},
		{"refuses_a_scheme_that_only_starts_with_bearer", "Bearerx abc", "", false},
		{"refuses_a_token_with_inner_spaces", "Bearer abc def", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := BearerToken(tt.header)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("BearerToken(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
