package roundtrips_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spiris/collab/bench/roundtrips"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/infra/localaws"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var ctx = context.Background()

// These tests check the counting the report's section 3 is made of. The targets themselves are
// held by an ordinary test of the service, TestRoundTripsPerRouteAndWorker in internal/httpapi.

func newEnv(t testing.TB) *world.Env {
	t.Helper()
	e, err := world.NewEnv(ctx, localaws.ForTest(t), world.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func scenario(t testing.TB, name string) roundtrips.Scenario {
	t.Helper()
	for _, s := range roundtrips.Scenarios() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q", name)
	return roundtrips.Scenario{}
}

func TestActivationIsCountedCallByCall(t *testing.T) {
	r, err := roundtrips.Measure(ctx, newEnv(t), scenario(t, "Activate (new company)"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Status, 201; got != want {
		t.Fatalf("status %d, want %d", got, want)
	}
	if got, want := r.Counts.Calls["SQS.SendMessage"], 1; got != want {
		t.Errorf("SQS sends: got %d, want %d (one invitation e-mail job)", got, want)
	}
	if got := r.Counts.Calls["DynamoDB.TransactWriteItems"]; got != 1 {
		t.Errorf("transactions: got %d, want 1", got)
	}
	calls := 0
	for _, n := range r.Counts.Calls {
		calls += n
	}
	if r.Counts.Attempts < calls {
		t.Errorf("%d HTTP attempts for %d calls", r.Counts.Attempts, calls)
	}
	if r.Counts.Write <= 0 || r.Counts.Read <= 0 {
		t.Errorf("no capacity estimated: %+v", r.Counts)
	}
	if got := r.Counts.Operations("DynamoDB"); !strings.Contains(got, "TransactWriteItems") {
		t.Errorf("operations %q lack the transaction", got)
	}
}

func TestReadRouteCountsOnlyItsOwnCalls(t *testing.T) {
	// The setup activates and accepts; only the GET may be counted.
	r, err := roundtrips.Measure(ctx, newEnv(t), scenario(t, "GetCollaboration (company user)"))
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Counts.Service("SQS") + r.Counts.Calls["DynamoDB.TransactWriteItems"]; n != 0 {
		t.Errorf("a read counted %d writes or sends: %v", n, r.Counts.Calls)
	}
	if r.Counts.Service("DynamoDB") == 0 {
		t.Errorf("a read made no DynamoDB call: %v", r.Counts.Calls)
	}
}

// BenchmarkActions runs each action alone in a fresh state per iteration and reports its AWS
// calls per operation next to the time (which is the emulator's, not DynamoDB's).
func BenchmarkActions(b *testing.B) {
	shared := newEnv(b)
	for _, s := range roundtrips.Scenarios() {
		b.Run(strings.NewReplacer(" ", "_", "(", "", ")", "", ",", "").Replace(s.Name), func(b *testing.B) {
			var ddb, sqs, ses, rcu, wcu float64
			for range b.N {
				b.StopTimer()
				e := shared
				if s.Alone {
					e = newEnv(b)
				}
				w, err := e.Seed(ctx)
				if err != nil {
					b.Fatal(err)
				}
				step, err := s.Setup(ctx, e, w)
				if err != nil {
					b.Fatal(err)
				}
				e.Counter.Reset()
				b.StartTimer()
				if _, err := step(ctx); err != nil {
					b.Fatal(err)
				}
				c := e.Counter.Snapshot()
				ddb += float64(c.Service("DynamoDB"))
				sqs += float64(c.Service("SQS"))
				ses += float64(c.Service("SES"))
				rcu += c.Read
				wcu += c.Write + c.IndexWrite
			}
			n := float64(b.N)
			b.ReportMetric(ddb/n, "dynamodb-calls/op")
			b.ReportMetric(sqs/n, "sqs-calls/op")
			b.ReportMetric(ses/n, "ses-calls/op")
			b.ReportMetric(rcu/n, "est-rcu/op")
			b.ReportMetric(wcu/n, "est-wcu/op")
		})
	}
}

// TestEveryWorkerScenarioRuns measures each worker's scenario once, so a change to what a worker
// leaves behind (the teardown's stages, the solution's part) cannot break the report unseen.
func TestEveryWorkerScenarioRuns(t *testing.T) {
	e := newEnv(t)
	for _, s := range roundtrips.Scenarios() {
		if !strings.Contains(s.Name, "-worker (") {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			r, err := roundtrips.Measure(ctx, e, s)
			if err != nil {
				t.Fatal(err)
			}
			if r.Counts.Service("DynamoDB") == 0 {
				t.Errorf("no DynamoDB call counted: %+v", r.Counts)
			}
		})
	}
}
