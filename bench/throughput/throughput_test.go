package throughput_test

import (
	"context"
	"os"
	"testing"

	"github.com/spiris/collab/bench/cpuprofile"
	"github.com/spiris/collab/bench/throughput"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/infra/localaws"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

func TestEveryQueuedMessageIsHandledAndProfiled(t *testing.T) {
	ctx := context.Background()
	e, err := world.NewEnv(ctx, res, world.Discard)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	got, err := throughput.Run(ctx, e, n, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Per collaboration: the first stage, two commands, the last stage; and the invitation,
	// access granted and ended e-mails.
	want := map[string]int{"teardown-worker": 4 * n, "email-worker": 3 * n}
	for _, r := range got {
		if r.Messages != want[r.Worker] || r.Retried != 0 {
			t.Errorf("%s handled %d messages (%d retried), want %d", r.Worker, r.Messages, r.Retried, want[r.Worker])
		}
		if r.Split.Wall <= 0 || r.Split.CPU <= 0 {
			t.Errorf("%s: no time measured: %+v", r.Worker, r.Split)
		}
		sum := 0.0
		for _, o := range cpuprofile.Owners {
			sum += r.Split.Self[o]
		}
		if r.Split.Samples > 0 && (sum < 0.99 || sum > 1.01) {
			t.Errorf("%s: owner shares add up to %.3f: %v", r.Worker, sum, r.Split.Self)
		}
	}
}
