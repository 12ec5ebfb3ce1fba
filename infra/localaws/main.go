package localaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/awsenv"
)

// setupTimeout bounds starting the emulator and provisioning, so a broken emulator fails the
// package instead of hanging it until go test's timeout.
const setupTimeout = 2 * time.Minute

// Main runs a test package against the emulator, for use as its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }
//
// It starts the emulator (see Start), provisions template.yaml (found by walking up from the
// package directory) under a random prefix, so packages that go test runs in parallel never share
// a table, stores the result in *out, runs the tests and stops the emulator, whatever the tests'
// outcome. Against an external emulator it deletes what it provisioned instead. It returns the
// exit code for os.Exit: the tests' code, or 1 when setup fails.
//
// A run that only lists tests or only fuzzes (go test -list, or -run '^$' with -fuzz, and the
// fuzz workers it starts) gets no emulator and *out stays nil: the fuzz targets of this project
// call no AWS service.
func Main(m *testing.M, out **Resources) int {
	if listsOrFuzzesOnly() {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	emu, err := Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := emu.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	res, err := provisionTemplate(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*out = res

	code := m.Run()

	if emu.External() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := res.Delete(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

func provisionTemplate(ctx context.Context, without ...func(*samtemplate.Template)) (*Resources, error) {
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, fmt.Errorf("localaws.Main: %w", err)
	}
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		return nil, fmt.Errorf("localaws.Main: %w", err)
	}
	for _, w := range without {
		w(tpl)
	}
	return Provision(ctx, cfg, tpl, NewPrefix())
}

// WithoutRules leaves out the template's EventBridge rules and the queues only they deliver to
// (the solutions' command queues and their dead-letter queue): for tests that subscribe to the
// bus themselves, which then provision about 30 fewer resources each.
func WithoutRules(tpl *samtemplate.Template) {
	drop := map[string]bool{}
	for _, r := range tpl.Rules {
		for _, tg := range r.Targets {
			drop[tg.Queue], drop[tg.DeadLetterQueue] = true, true
		}
	}
	for _, q := range tpl.Queues {
		if !drop[q.LogicalID] && q.DeadLetterTarget != "" {
			drop[q.DeadLetterTarget] = false // another queue dead-letters to it: keep it
		}
	}
	tpl.Rules = nil
	tpl.Queues = slices.DeleteFunc(tpl.Queues, func(q samtemplate.Queue) bool { return drop[q.LogicalID] })
}

// NewPrefix returns a random resource-name prefix, "t" and eight hex digits, that keeps the
// resources of one test run apart from those of any other.
func NewPrefix() string {
	b := make([]byte, 4)
	rand.Read(b) // never fails: crypto/rand aborts the program instead
	return "t" + hex.EncodeToString(b)
}

// ForTest provisions a fresh copy of template.yaml's resources for one test and deletes them when
// the test ends. A table per test keeps tests apart and keeps them fast: moto's GSI queries and
// transactions cost time in proportion to the whole table. The emulator must already be running
// (Main started it). without leaves parts of the template out (WithoutRules).
func ForTest(t testing.TB, without ...func(*samtemplate.Template)) *Resources {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	res, err := provisionTemplate(ctx, without...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := res.Delete(ctx); err != nil {
			t.Errorf("delete test resources: %v", err)
		}
	})
	return res
}

func listsOrFuzzesOnly() bool {
	flag.Parse()
	value := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return value("test.list") != "" || value("test.fuzzworker") == "true" ||
		value("test.fuzz") != "" && value("test.run") == "^$"
}
