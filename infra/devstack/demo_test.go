package devstack_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
)

// demoStack starts the local runner with the demo data on a free loopback port, stopped when the
// test ends, and returns it with a caller of its API signed in as user.
func demoStack(t *testing.T, prefix, user string) (*devstack.Stack, func(method, path, body string) (int, map[string]any)) {
	t.Helper()
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: prefix + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	token, err := stack.Token(user)
	if err != nil {
		t.Fatal(err)
	}
	return stack, func(method, path, body string) (int, map[string]any) {
		t.Helper()
		var out map[string]any
		return apiInto(t, ctx, stack, token, method, path, body, &out), out
	}
}
