// Package report holds the figures of one benchmark run and writes them as Markdown
// (docs/performance.md): each figure next to its reference from the same run, each target
// marked met or missed, and what the figures mean.
package report

import (
	"time"

	"github.com/spiris/collab/bench/binsize"
	"github.com/spiris/collab/bench/cleanupscale"
	"github.com/spiris/collab/bench/coldstart"
	"github.com/spiris/collab/bench/roundtrips"
	"github.com/spiris/collab/bench/throughput"
)

// Targets of the performance issue.
const (
	ColdStartRatio = 1.5              // every function's cold start ≤ 1.5× the hello-world floor
	SizeRatio      = 1.3              // every bootstrap ≤ 1.3× the usual SDK function
	SizeMax        = 10 * 1000 * 1000 // and ≤ 10 MB
	ReadPerDue     = 1.05             // cleanup items read per due item
	MemoryMax      = 40 << 20         // peak RSS ≤ 40 MB (MiB, as /proc reports kB)
)

// Reference binaries.
const (
	Floor = "(a) hello"
	Usual = "(b) usual"
)

// Report is one run.
type Report struct {
	Machine  Machine
	Settings Settings
	Started  time.Time
	Took     time.Duration

	ColdStarts  []ColdStart // references first
	Inits       []InitProfile
	Sizes       []Size // references first
	SizeWhy     *SizeWhy
	RoundTrips  []roundtrips.Result
	Cleanup     []Cleanup
	CleanupNote string // what could not be measured, and why
	Throughput  []throughput.Result
	Memory      []Memory // references first
	Errors      []string // sections that failed, with the error
	Load        []string // per section: its time and the machine's load average before and after
}

// Machine describes where the run happened.
type Machine struct {
	CPU, Kernel, Go, Emulator string
	Cores                     int
	MemoryGB                  float64
}

// Settings are the run's parameters.
type Settings struct {
	Sections    []string
	Starts      int
	Invocations int
	Messages    int
	CleanupDue  int
	CleanupAt   []int
}

// ColdStart is one binary's cold starts.
type ColdStart struct {
	Name    string // function name or a reference
	Kind    string // http, queue, schedule, reference
	Samples []coldstart.Sample
	Answer  string // what the first invocation answered (status, failures)
	Err     string
}

// ToNext and ToResponse are the medians.
func (c ColdStart) ToNext() time.Duration { return median(c.Samples, true) }

// ToResponse is the median time from exec to the first response.
func (c ColdStart) ToResponse() time.Duration { return median(c.Samples, false) }

func median(ss []coldstart.Sample, next bool) time.Duration {
	ds := make([]time.Duration, len(ss))
	for i, s := range ss {
		ds[i] = s.ToResponse
		if next {
			ds[i] = s.ToNext
		}
	}
	return coldstart.Median(ds)
}

// InitProfile is where a binary's init time goes, from GODEBUG=inittrace=1 (medians of a few
// starts): package initialisation, then main until the first GET /next.
type InitProfile struct {
	Name     string
	Packages time.Duration // sum of the packages' init clock
	InitEnd  time.Duration // when the last package init ended, since exec
	Next     time.Duration // first /next, since exec
	Top      []coldstart.InitCost
	Err      string
}

// Size is one bootstrap's size for Lambda (linux/arm64, stripped).
type Size struct {
	Name  string
	Bytes int64
}

// SizeWhy explains the sizes: a function's bootstrap and the usual reference, built with
// symbols, broken down; which code disables the linker's dead-method elimination; what the SDK
// operations the service never calls weigh.
type SizeWhy struct {
	Function      string
	Stripped      int64
	Breakdown     binsize.Breakdown
	Usual         binsize.Breakdown
	ReflectMethod []string // functions the linker marked <ReflectMethod>, outside package reflect
	Operations    binsize.Operations
	// Contrast is the smallest function, which links the same clients, with its own marks.
	Contrast              Size
	ContrastReflectMethod []string
}

// Cleanup is one table size's measurement.
type Cleanup struct {
	Table  cleanupscale.Table
	Result cleanupscale.Result
}

// Memory is one binary's memory after warm invocations.
type Memory struct {
	Name string
	Peak coldstart.Peak
	Err  string
}
