package collab_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// base64URL is the alphabet of unpadded base64url, the only characters a token has.
const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// isToken reports whether s has the shape of an invitation token: an id of 1 to 64 base64url
// characters or '.', '~', and 43 characters of base64url, the unpadded encoding of 32 bytes.
func isToken(s string) bool {
	id, secret, ok := strings.Cut(s, "~")
	if !ok || len(id) == 0 || len(id) > 64 || len(secret) != 43 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !strings.ContainsRune(base64URL+".", rune(id[i])) {
			return false
		}
	}
	for i := 0; i < len(secret); i++ {
		if !strings.ContainsRune(base64URL, rune(secret[i])) {
			return false
		}
	}
	return true
}

// FuzzParseToken feeds ParseToken arbitrary strings, starting from the seeds in
// testdata/fuzz/FuzzParseToken and from tokens minted here. It must never panic, must accept
// exactly the strings of that shape and return the id and their hash, and must refuse
// everything else as ENOTFOUND invitation_not_found, like a token that is well formed but unknown.
func FuzzParseToken(f *testing.F) {
	key := []byte("fuzz token key, at least 32 bytes long")
	for _, nonce := range []string{"", "n", "a-nonce-of-some-length"} {
		f.Add(collab.InvitationToken(key, "0123456789abcdef0123456789abcdef", nonce))
		f.Add(collab.InvitationToken(key, "imported.c-1_x", nonce))
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, hash, err := collab.ParseToken(s)
		if err != nil {
			if isToken(s) {
				t.Fatalf("ParseToken refused the token %q: %v", s, err)
			}
			if kind, code := collab.ErrorKind(err), collab.ErrorCode(err); kind != collab.ENOTFOUND || code != "invitation_not_found" {
				t.Fatalf("ParseToken(%q) refused with %s %s, want %s invitation_not_found", s, kind, code, collab.ENOTFOUND)
			}
			return
		}
		if !isToken(s) {
			t.Fatalf("ParseToken accepted %q, which is not an id, '~' and 43 base64url characters", s)
		}
		if !strings.HasPrefix(s, id+"~") {
			t.Fatalf("ParseToken(%q) named the collaboration %q", s, id)
		}
		if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 || hash != collab.HashToken(s) {
			t.Fatalf("ParseToken(%q) = %q, want HashToken of the token", s, hash)
		}
	})
}
