package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/spiris/collab/bench/binsize"
	"github.com/spiris/collab/bench/cleanupscale"
	"github.com/spiris/collab/bench/coldstart"
	"github.com/spiris/collab/bench/lambdabuild"
	"github.com/spiris/collab/bench/report"
	"github.com/spiris/collab/bench/roundtrips"
	"github.com/spiris/collab/bench/throughput"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/dynamo"
)

// bench holds what the sections share: the emulator, a scratch directory, the bootstraps built
// for this machine and the environment they run in.
type bench struct {
	stack *world.Stack
	tmp   string
	cfg   settings
	r     *report.Report

	local []binary // built for this machine, references first
}

// binary is a bootstrap built from package pkg of the module in directory module (relative to
// the repository's root: "" for the service's functions, "bench" for the references), with what
// to invoke it with.
type binary struct {
	name, kind, module, pkg, path string
	event                         []byte
}

// dir is the directory the binary's go build runs in.
func (b *bench) dir(bin binary) string { return filepath.Join(b.stack.Root, bin.module) }

func (b *bench) section(ctx context.Context, name string) error {
	switch name {
	case "coldstart":
		return b.coldStarts(ctx)
	case "size":
		return b.sizes(ctx)
	case "roundtrips":
		return b.roundTrips(ctx)
	case "cleanup":
		return b.cleanup(ctx)
	case "throughput":
		return b.throughput(ctx)
	case "memory":
		return b.memory(ctx)
	}
	return fmt.Errorf("no section %s", name)
}

// references are built in the bench module, whose go.mod has what only they need (config).
var references = []binary{
	{name: report.Floor, kind: "reference", module: "bench", pkg: "./ref/hello", event: []byte(`{}`)},
	{name: report.Usual, kind: "reference", module: "bench", pkg: "./ref/usual", event: []byte(`{}`)},
}

// buildAll builds the references and every function for goarch into dir, two builds at a time.
func (b *bench) buildAll(ctx context.Context, goarch, dir string, symbols bool) ([]binary, error) {
	fns, kinds, err := lambdabuild.Functions(b.stack.Root)
	if err != nil {
		return nil, err
	}
	bins := slices.Clone(references)
	for _, f := range fns {
		ev, err := os.ReadFile(filepath.Join(b.stack.Root, f.Event()))
		if err != nil {
			return nil, fmt.Errorf("sample event of %s: %w", f.Name, err)
		}
		bins = append(bins, binary{name: f.Name, kind: string(kinds[f.Name]), pkg: f.Package(), event: ev})
	}
	opts := lambdabuild.Options{GOARCH: goarch, Symbols: symbols}
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	errs := make([]error, len(bins))
	for i := range bins {
		out := filepath.Join(dir, fmt.Sprintf("%02d-bootstrap", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = lambdabuild.Build(ctx, b.dir(bins[i]), bins[i].pkg, out, opts)
			bins[i].path = out
		}()
	}
	wg.Wait()
	return bins, errors.Join(errs...)
}

// localBootstraps builds the bootstraps for this machine, once for coldstart and memory.
func (b *bench) localBootstraps(ctx context.Context) error {
	if b.local != nil {
		return nil
	}
	dir := filepath.Join(b.tmp, "local")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logf("building the bootstraps for linux/%s …", runtime.GOARCH)
	bins, err := b.buildAll(ctx, runtime.GOARCH, dir, false)
	if err != nil {
		return err
	}
	b.local = bins
	return nil
}

// sampleEnv provisions fresh resources seeded with the data the sample events name, and returns
// the environment of a function running on them.
func (b *bench) sampleEnv(ctx context.Context) ([]string, error) {
	res, err := b.stack.Provision(ctx)
	if err != nil {
		return nil, err
	}
	e, err := world.NewEnv(ctx, res, world.Discard) // verifies the sender; its store seeds the samples
	if err != nil {
		return nil, err
	}
	if err := world.SeedSamples(ctx, e.Store, time.Now().UTC()); err != nil {
		return nil, err
	}
	home := filepath.Join(b.tmp, "home") // no shared AWS config files, as in Lambda
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	return functionEnv(res, e.Sender, home), nil
}

// functionEnv is what Lambda and template.yaml give a function, pointed at the emulator.
func functionEnv(res *localaws.Resources, sender, home string) []string {
	env := []string{
		"TABLE_NAME=" + res.TableName("Table"),
		"TEARDOWN_QUEUE_URL=" + res.QueueURL("TeardownQueue"),
		"EMAIL_QUEUE_URL=" + res.QueueURL("EmailQueue"),
		"TOKEN_KEY_SECRET=" + res.SecretARN("TokenKeySecret"),
		"SENDER_EMAIL=" + sender,
		"BASE_URL=https://collab.test",
		"HOME=" + home,
		"TZ=UTC",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"} {
		env = append(env, k+"="+os.Getenv(k))
	}
	return env
}

func (b *bench) coldStarts(ctx context.Context) error {
	if err := b.localBootstraps(ctx); err != nil {
		return err
	}
	env, err := b.sampleEnv(ctx)
	if err != nil {
		return err
	}
	results := make([]report.ColdStart, len(b.local))
	for i, bin := range b.local {
		results[i] = report.ColdStart{Name: bin.name, Kind: bin.kind}
	}
	for round := range b.cfg.Starts {
		for i, bin := range b.local {
			if results[i].Err != "" {
				continue
			}
			s, err := coldstart.Start(ctx, bin.path, env, bin.event)
			if err != nil {
				results[i].Err = err.Error()
				continue
			}
			if round == 0 {
				results[i].Answer = answer(s.Result.Body, s.Result.Error)
			}
			results[i].Samples = append(results[i].Samples, s)
		}
		logf("cold starts: round %d of %d", round+1, b.cfg.Starts)
	}
	b.r.ColdStarts = results
	for _, bin := range b.local {
		if bin.kind == "reference" || bin.name == "activate" || bin.name == "email-worker" || bin.name == "teardown-worker" {
			b.r.Inits = append(b.r.Inits, initProfile(ctx, bin, env))
		}
	}
	return nil
}

// initRuns is how many traced starts an init profile takes the medians of.
const initRuns = 7

// initProfile traces a binary's init a few times and keeps the medians.
func initProfile(ctx context.Context, bin binary, env []string) report.InitProfile {
	prof := report.InitProfile{Name: bin.name}
	var totals, ends, nexts []time.Duration
	clocks := map[string][]time.Duration{}
	for range initRuns {
		costs, next, err := coldstart.InitTrace(ctx, bin.path, env)
		if err != nil {
			prof.Err = err.Error()
			return prof
		}
		var total, end time.Duration
		for _, c := range costs {
			total += c.Clock
			end = max(end, c.At+c.Clock)
			clocks[c.Package] = append(clocks[c.Package], c.Clock)
		}
		totals, ends, nexts = append(totals, total), append(ends, end), append(nexts, next)
	}
	prof.Packages, prof.InitEnd, prof.Next = coldstart.Median(totals), coldstart.Median(ends), coldstart.Median(nexts)
	for pkg, cs := range clocks {
		prof.Top = append(prof.Top, coldstart.InitCost{Package: pkg, Clock: coldstart.Median(cs)})
	}
	slices.SortFunc(prof.Top, func(a, b coldstart.InitCost) int { return cmp.Compare(b.Clock, a.Clock) })
	prof.Top = prof.Top[:min(5, len(prof.Top))]
	return prof
}

// answer summarises a first response: the HTTP status, the failed messages of a batch, or ok.
func answer(body []byte, errType string) string {
	if errType != "" {
		return "error " + errType
	}
	var v struct {
		StatusCode *int              `json:"statusCode"`
		Failures   []json.RawMessage `json:"batchItemFailures"`
		Read       *int              `json:"read"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "ok"
	}
	switch {
	case v.StatusCode != nil:
		return fmt.Sprintf("HTTP %d", *v.StatusCode)
	case v.Read != nil:
		return "cleanup report"
	case len(v.Failures) > 0:
		return fmt.Sprintf("%d message(s) failed", len(v.Failures))
	}
	return "ok"
}

func (b *bench) memory(ctx context.Context) error {
	if err := b.localBootstraps(ctx); err != nil {
		return err
	}
	for _, bin := range b.local {
		// A table of its own: a thousand create-user calls must not grow the company the next
		// function reads.
		env, err := b.sampleEnv(ctx)
		if err != nil {
			return err
		}
		m := report.Memory{Name: bin.name}
		p, err := coldstart.Warm(ctx, bin.path, env, bin.event, b.cfg.Invocations)
		if err != nil {
			m.Err = err.Error()
		}
		m.Peak = p
		b.r.Memory = append(b.r.Memory, m)
		logf("memory: %s peak %.1f MiB", bin.name, float64(p.HWM)/(1<<20))
	}
	return nil
}

func (b *bench) sizes(ctx context.Context) error {
	dir := filepath.Join(b.tmp, "arm64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logf("building the bootstraps for linux/arm64 …")
	bins, err := b.buildAll(ctx, "arm64", dir, false)
	if err != nil {
		return err
	}
	largest, smallest := binary{}, binary{}
	var largestSize, smallestSize int64
	for _, bin := range bins {
		st, err := os.Stat(bin.path)
		if err != nil {
			return err
		}
		b.r.Sizes = append(b.r.Sizes, report.Size{Name: bin.name, Bytes: st.Size()})
		if bin.kind != "reference" && st.Size() > largestSize {
			largest, largestSize = bin, st.Size()
		}
		if bin.kind != "reference" && (smallestSize == 0 || st.Size() < smallestSize) {
			smallest, smallestSize = bin, st.Size()
		}
	}
	return b.sizeWhy(ctx, largest, largestSize, smallest, smallestSize)
}

// sizeWhy rebuilds the largest function and the usual reference with symbols and explains them,
// with the smallest function for contrast.
func (b *bench) sizeWhy(ctx context.Context, fn binary, stripped int64, contrast binary, contrastSize int64) error {
	opts := lambdabuild.Options{GOARCH: "arm64", Symbols: true}
	withSyms, usualSyms := filepath.Join(b.tmp, "fn-symbols"), filepath.Join(b.tmp, "usual-symbols")
	if err := lambdabuild.Build(ctx, b.dir(fn), fn.pkg, withSyms, opts); err != nil {
		return err
	}
	if err := lambdabuild.Build(ctx, b.dir(references[1]), references[1].pkg, usualSyms, opts); err != nil {
		return err
	}
	why := &report.SizeWhy{Function: fn.name, Stripped: stripped, Contrast: report.Size{Name: contrast.name, Bytes: contrastSize}}
	var err error
	if why.Breakdown, err = binsize.Explain(withSyms); err != nil {
		return err
	}
	if why.Usual, err = binsize.Explain(usualSyms); err != nil {
		return err
	}
	if why.ReflectMethod, err = lambdabuild.ReflectMethodCallers(ctx, b.dir(fn), fn.pkg, opts); err != nil {
		return err
	}
	if why.ContrastReflectMethod, err = lambdabuild.ReflectMethodCallers(ctx, b.dir(contrast), contrast.pkg, opts); err != nil {
		return err
	}
	const sdk = "github.com/aws/aws-sdk-go-v2/service/"
	why.Operations, err = binsize.OperationCode(withSyms, []string{sdk + "dynamodb", sdk + "sqs", sdk + "ses"}, usedOperations)
	b.r.SizeWhy = why
	return err
}

// usedOperations are the SDK operations internal/ calls (dynamo, queue, mail): every other
// operation of the three clients is dead code.
var usedOperations = map[string]bool{
	"dynamodb.GetItem": true, "dynamodb.BatchGetItem": true, "dynamodb.Query": true, "dynamodb.PutItem": true,
	"dynamodb.UpdateItem": true, "dynamodb.DeleteItem": true, "dynamodb.TransactWriteItems": true,
	"dynamodb.BatchWriteItem": true, "sqs.SendMessage": true, "ses.SendEmail": true,
}

// newEnv provisions fresh resources and builds the counted service on them.
func (b *bench) newEnv(ctx context.Context) (*world.Env, error) {
	res, err := b.stack.Provision(ctx)
	if err != nil {
		return nil, err
	}
	return world.NewEnv(ctx, res, world.Discard)
}

func (b *bench) roundTrips(ctx context.Context) error {
	rs, err := roundtrips.Run(ctx, b.newEnv)
	b.r.RoundTrips = rs
	return err
}

func (b *bench) throughput(ctx context.Context) error {
	e, err := b.newEnv(ctx)
	if err != nil {
		return err
	}
	rs, err := throughput.Run(ctx, e, b.cfg.Messages, b.tmp)
	b.r.Throughput = rs
	return err
}

func (b *bench) cleanup(ctx context.Context) error {
	cfg, err := awsenv.Config()
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg)
	var perCollab time.Duration // seeding and querying time per collaboration, from the last size
	for _, total := range b.cfg.CleanupAt {
		if perCollab > 0 {
			if projected := perCollab * time.Duration(total); projected > b.cfg.CleanupBudget {
				b.r.CleanupNote = fmt.Sprintf("The %d-collaboration table was not measured: at this run's pace in moto "+
					"(%s per collaboration to seed and query) it would take about %s, over the %s budget "+
					"(-cleanup-budget). The figure does not depend on the table's size: the key condition bounds what "+
					"DynamoDB reads to the due items, so the read per due item measured at the smaller size holds at any size.",
					total, perCollab.Round(time.Microsecond), projected.Round(time.Second), b.cfg.CleanupBudget)
				logf("cleanup: %d skipped (projected %s)", total, projected.Round(time.Second))
				continue
			}
		}
		res, err := b.stack.Provision(ctx)
		if err != nil {
			return err
		}
		store := dynamo.New(db, res.TableName("Table"), port.DefaultTiming)
		logf("cleanup: seeding %d collaborations …", total)
		t, err := cleanupscale.Seed(ctx, store, db, total, b.cfg.CleanupDue, world.Start)
		if err != nil {
			return err
		}
		logf("cleanup: seeded %d items in %s; querying …", t.Items, t.Seeded.Round(time.Second))
		m, err := cleanupscale.Measure(ctx, t)
		if err != nil {
			return err
		}
		b.r.Cleanup = append(b.r.Cleanup, report.Cleanup{Table: *t, Result: m})
		// Query time in moto grows with the table, seeding with the items: both linear.
		perCollab = (t.Seeded + m.Took) / time.Duration(total)
		logf("cleanup: %d collaborations: read %d for %d due in %s", total, m.Read, m.Found, m.Took.Round(time.Second))
		if err := res.Delete(ctx); err != nil { // free moto's memory before the next size
			logf("cleanup: delete table: %v", err)
		}
	}
	return nil
}
