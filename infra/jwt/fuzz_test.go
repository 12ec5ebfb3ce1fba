package jwt

import (
	"errors"
	"flag"
	"runtime"
	"strings"
	"testing"
)

// FuzzVerify feeds Verify arbitrary strings, starting from the seeds in testdata/fuzz/FuzzVerify
// and from tokens minted here. Verify must never panic, must refuse with exactly one of the
// package's errors, and must accept nothing but a token this test minted, byte for byte: a
// fuzzer cannot forge an RSA signature, so accepting anything else means a check is missing or a
// token has two spellings.
func FuzzVerify(f *testing.F) {
	signer := NewSigner(testKey(), testKID)
	minted := map[string]bool{}
	for _, c := range []Claims{
		validClaims(nil),
		validClaims(func(c *Claims) { c.Audience = []string{"other", testAudience} }),
		validClaims(func(c *Claims) { c.NotBefore = testNow }),
	} {
		tok, err := signer.Sign(c)
		if err != nil {
			f.Fatalf("Sign: %v", err)
		}
		minted[tok] = true
		f.Add(tok)
	}
	expired, err := signer.Sign(validClaims(func(c *Claims) { c.ExpiresAt = testNow }))
	if err != nil {
		f.Fatalf("Sign: %v", err)
	}
	f.Add(expired)

	limitMinimizing(f, "5s")
	avoidDeadlineRace(f)

	v := testVerifier()
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err == nil {
			if !minted[token] {
				t.Fatalf("Verify accepted a token this test did not mint: %q", token)
			}
			if c.Subject == "" || c.ExpiresAt.IsZero() {
				t.Fatalf("Verify accepted claims without sub or exp: %+v", c)
			}
			return
		}
		matched := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				matched++
			}
		}
		if matched != 1 {
			t.Fatalf("Verify error %q wraps %d of the package's errors, want 1", err, matched)
		}
		if !strings.HasPrefix(err.Error(), "jwt: verify: ") {
			t.Fatalf("Verify error %q does not name its operation", err)
		}
	})
}

// limitMinimizing caps the time the fuzzer spends shrinking each new input, unless
// -fuzzminimizetime was given. An input that reaches the signature check is a whole token of
// some 600 bytes that can hardly shrink, and the minimizer tries cutting out every span of it,
// some 180,000 runs: under the default of 60s the workers explore nothing for the rest of a
// short run.
func limitMinimizing(f *testing.F, limit string) {
	const name = "test.fuzzminimizetime"
	given := false
	flag.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	if given {
		return
	}
	if err := flag.Set(name, limit); err != nil {
		f.Fatalf("set -%s: %v", name, err)
	}
}

// avoidDeadlineRace keeps a fuzzing run that found nothing from failing with "context deadline
// exceeded" when -fuzztime runs out, a race in Go 1.26's fuzz coordinator (golang/go#75804):
// the timer closes the -fuzztime context's done channel before it cancels the workers' child
// context, and a coordinator running on another processor in between takes the deadline for an
// error. On one processor the woken coordinator runs only after the timer goroutine has finished
// cancelling. The workers are separate processes, as many as before (-parallel), so fuzzing is
// not slowed. Remove this once the module requires Go 1.27.
func avoidDeadlineRace(f *testing.F) {
	if fl := flag.Lookup("test.fuzz"); fl == nil || fl.Value.String() == "" {
		return
	}
	prev := runtime.GOMAXPROCS(1)
	f.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}
