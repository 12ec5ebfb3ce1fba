package coldstart_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spiris/collab/bench/coldstart"
)

// hello builds the reference bootstrap with the test's own build settings, so the build cache
// serves it (a -trimpath build would first rebuild the standard library).
func hello(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../ref/hello").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestColdStartIsTimedFromExecToResponse(t *testing.T) {
	bin := hello(t)
	s, err := coldstart.Start(context.Background(), bin, nil, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Result.Body) != `"hello"` {
		t.Errorf("answer %q", s.Result.Body)
	}
	if s.ToNext <= 0 || s.ToResponse < s.ToNext {
		t.Errorf("first /next at %v and response at %v after exec: not in order", s.ToNext, s.ToResponse)
	}
}

func TestWarmInvocationsReportPeakMemory(t *testing.T) {
	p, err := coldstart.Warm(context.Background(), hello(t), nil, []byte(`{}`), 20)
	if err != nil {
		t.Fatal(err)
	}
	if p.HWM <= 0 || p.RSS <= 0 || p.RSS > p.HWM {
		t.Errorf("peak %d, current %d bytes", p.HWM, p.RSS)
	}
	if p.Errors != 0 {
		t.Errorf("%d invocations failed", p.Errors)
	}
}

func TestAFunctionThatDiesAtInitIsReported(t *testing.T) {
	// /bin/false exits at once without asking for an invocation, as a function that panics in
	// its init does.
	if _, err := coldstart.Start(context.Background(), "/bin/false", nil, []byte(`{}`)); err == nil {
		t.Fatal("a process that exits before answering was not reported")
	}
}

func TestMedianOfOddAndEvenCounts(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{3 * ms, 1 * ms, 2 * ms}, 2 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 3 * ms, 2 * ms}, 2500 * time.Microsecond},
		{nil, 0},
	} {
		if got := coldstart.Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestInitTraceListsPackageInits(t *testing.T) {
	costs, next, err := coldstart.InitTrace(context.Background(), hello(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) == 0 || next <= 0 {
		t.Fatalf("%d package inits, first /next after %v", len(costs), next)
	}
	found := false
	for _, c := range costs {
		found = found || c.Package == "net/http"
	}
	if !found {
		t.Errorf("net/http's init missing from %v", costs)
	}
}
