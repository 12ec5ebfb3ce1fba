// Command bench measures the service's performance and writes the report (docs/performance.md):
// cold starts, binary sizes, AWS round trips per action, cleanup scaling, worker throughput and
// memory, each next to its reference from the same run. It starts moto on loopback (or uses the
// emulator AWS_ENDPOINT_URL names) and sends traffic nowhere else.
//
// It is in the bench module (bench/go.mod), so it runs from bench/ (`make bench` does that):
//
//	go run ./cmd/bench                          # everything, report to the repository's docs/performance.md
//	go run ./cmd/bench -sections size -out -    # one section, report to stdout
//
// Relative paths given as flags are relative to the working directory.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spiris/collab/bench/report"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/infra/samtemplate"
)

// allSections in the order they run. The cleanup goes last: its 100 000-item table leaves moto
// gigabytes larger and slower for whatever follows.
var allSections = []string{"coldstart", "size", "roundtrips", "throughput", "memory", "cleanup"}

func main() {
	var (
		sections    = flag.String("sections", strings.Join(allSections, ","), "comma-separated sections to run: "+strings.Join(allSections, ", "))
		out         = flag.String("out", "", "where to write the report; - for stdout (default: docs/performance.md of the repository)")
		starts      = flag.Int("starts", 15, "cold starts per binary")
		invocations = flag.Int("invocations", 1000, "warm invocations per binary for the memory section")
		messages    = flag.Int("messages", 50, "collaborations whose jobs the throughput section drains (3 e-mails and 1 teardown each)")
		due         = flag.Int("due", 1000, "due items in the cleanup tables")
		sizes       = flag.String("cleanup-sizes", "10000,100000", "total collaborations of the cleanup tables")
		budget      = flag.Duration("cleanup-budget", 8*time.Minute, "skip a cleanup size whose projected seeding and querying exceeds this")
		figures     = flag.String("json", "", "also write the figures as JSON to this file")
		render      = flag.String("render", "", "measure nothing: write the report from figures saved with -json")
	)
	flag.Parse()
	if *out == "" {
		*out = repositoryFile("docs/performance.md")
	}
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			fatalf("%v", err)
		}
		var r report.Report
		if err := json.Unmarshal(b, &r); err != nil {
			fatalf("%s: %v", *render, err)
		}
		write(&r, *out)
		return
	}
	cfg := settings{Settings: report.Settings{Starts: *starts, Invocations: *invocations, Messages: *messages, CleanupDue: *due},
		CleanupBudget: *budget}
	asked := strings.Split(*sections, ",")
	for i := range asked {
		asked[i] = strings.TrimSpace(asked[i])
		if !slices.Contains(allSections, asked[i]) {
			fatalf("unknown section %q (have %s)", asked[i], strings.Join(allSections, ", "))
		}
	}
	for _, s := range allSections {
		if slices.Contains(asked, s) {
			cfg.Sections = append(cfg.Sections, s)
		}
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= *due {
			fatalf("cleanup size %q must be a number above -due", s)
		}
		cfg.CleanupAt = append(cfg.CleanupAt, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	r, err := run(ctx, cfg)
	if err != nil {
		fatalf("%v", err)
	}
	if *figures != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err == nil {
			err = os.WriteFile(*figures, b, 0o644)
		}
		if err != nil {
			fatalf("%v", err)
		}
	}
	write(r, *out)
}

// repositoryFile returns the path of rel in the repository: beside template.yaml, found from the
// working directory upwards.
func repositoryFile(rel string) string {
	tpl, err := samtemplate.Find(".")
	if err != nil {
		fatalf("%v", err)
	}
	return filepath.Join(filepath.Dir(tpl), rel)
}

// write writes the report to the file out, or to stdout for "-".
func write(r *report.Report, out string) {
	w := os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			fatalf("%v", err)
		}
		defer f.Close()
		w = f
	}
	if err := report.Write(w, r); err != nil {
		fatalf("%v", err)
	}
	if out != "-" {
		logf("report written to %s", out)
	}
}

// settings are the run's parameters.
type settings struct {
	report.Settings
	CleanupBudget time.Duration
}

// run runs the sections, each against an emulator of its own (moto grows by gigabytes over a
// long run and slows down with it), and returns the report. A failing section is recorded in the
// report and the others still run.
func run(ctx context.Context, cfg settings) (*report.Report, error) {
	r := &report.Report{Settings: cfg.Settings, Started: time.Now(), Machine: machine()}
	tmp, err := os.MkdirTemp("", "collab-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := &bench{tmp: tmp, cfg: cfg, r: r}
	for _, s := range cfg.Sections {
		began, load := time.Now(), loadAverage()
		logf("section %s …", s)
		stack, err := world.StartStack(ctx, ".")
		if err != nil {
			return nil, err
		}
		if r.Machine.Emulator == "" {
			r.Machine.Emulator = emulatorName(stack)
		}
		b.stack = stack
		err = b.section(ctx, s)
		if serr := stack.Stop(); serr != nil {
			logf("stop the emulator: %v", serr)
		}
		if err != nil {
			r.Errors = append(r.Errors, s+": "+err.Error())
			logf("section %s failed: %v", s, err)
		}
		took := time.Since(began).Round(time.Second)
		r.Load = append(r.Load, fmt.Sprintf("%s: %s, load average %s → %s", s, took, load, loadAverage()))
		logf("section %s done in %s", s, took)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	r.Took = time.Since(r.Started)
	return r, nil
}

// loadAverage is the 1-minute load average: other processes on the machine compete with the
// measurements, and the report says how much.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func fatalf(format string, args ...any) {
	logf(format, args...)
	os.Exit(1)
}
