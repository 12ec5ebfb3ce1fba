package cleanupscale_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/spiris/collab/bench/cleanupscale"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/dynamo"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var (
	ctx = context.Background()
	now = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
)

func seed(t testing.TB, total, due int) *cleanupscale.Table {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	r := localaws.ForTest(t)
	tbl, err := cleanupscale.Seed(ctx, dynamo.New(db, r.TableName("Table"), port.DefaultTiming), db, total, due, now)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestMeasureFindsEveryDueItemOnce(t *testing.T) {
	tbl := seed(t, 600, 150) // more due than one cleanup batch, so it takes several runs
	got, err := cleanupscale.Measure(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if got.Found != 150 {
		t.Fatalf("found %d due items, want 150 (%+v)", got.Found, got)
	}
	if got.Rounds < 2 {
		t.Errorf("%d rounds for 150 due items in batches of 100", got.Rounds)
	}
	if got.Read < got.Found {
		t.Errorf("read %d items to find %d", got.Read, got.Found)
	}
	if tbl.Items <= tbl.Collaborations {
		t.Errorf("table holds %d items for %d collaborations; due ones have history and slot guards", tbl.Items, tbl.Collaborations)
	}
}

// BenchmarkDueWork reports items read per due item with 100 due among 2 000 collaborations.
func BenchmarkDueWork(b *testing.B) {
	var read, found int
	for range b.N {
		b.StopTimer()
		tbl := seed(b, 2000, 100)
		b.StartTimer()
		r, err := cleanupscale.Measure(ctx, tbl)
		if err != nil {
			b.Fatal(err)
		}
		read, found = read+r.Read, found+r.Found
	}
	b.ReportMetric(float64(read)/float64(found), "read/due")
}
