// Package cpuprofile says where a piece of work spent its time: wall time, this process's CPU
// time and the CPU time of its child processes (the emulator), and, from a pprof CPU profile of
// this process, which code its samples were in. That keeps the emulator's cost from being
// mistaken for the service's.
package cpuprofile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Owners of profile samples, by the innermost frame that belongs to one of them.
const (
	Project  = "this project (internal/...)"
	Emulator = "emulator front (infra/localaws proxy)"
	SDK      = "AWS SDK and smithy-go"
	Network  = "net/http, TLS, sockets, syscalls"
	JSON     = "encoding/json"
	Runtime  = "Go runtime (GC, scheduler, allocation)"
	Other    = "other"
)

// Owners lists the owners in report order.
var Owners = []string{Project, SDK, JSON, Network, Runtime, Emulator, Other}

// owner decides which owner a function belongs to, or "" for none in particular (a frame of the
// standard library that only passes through, such as sync or context).
func owner(fn string) string {
	switch {
	case strings.HasPrefix(fn, "github.com/spiris/collab/internal/"):
		return Project
	case strings.HasPrefix(fn, "github.com/spiris/collab/infra/localaws"):
		return Emulator
	case strings.HasPrefix(fn, "github.com/aws/"):
		return SDK
	case strings.HasPrefix(fn, "encoding/json"):
		return JSON
	case strings.HasPrefix(fn, "net/"), strings.HasPrefix(fn, "net."), strings.HasPrefix(fn, "crypto/tls"),
		strings.HasPrefix(fn, "internal/poll"), strings.HasPrefix(fn, "syscall."), strings.HasPrefix(fn, "internal/runtime/syscall"):
		return Network
	case strings.HasPrefix(fn, "runtime."), strings.HasPrefix(fn, "internal/runtime"), strings.HasPrefix(fn, "gcWriteBarrier"):
		return Runtime
	}
	return ""
}

// Split is where one piece of work spent its time.
type Split struct {
	Wall        time.Duration
	CPU         time.Duration // this process, user + system
	EmulatorCPU time.Duration // child processes (moto), user + system
	// Self is the share of profile samples by owner of the innermost frame that has one.
	Self map[string]float64
	// InProject is the share of samples with a frame of this project's internal packages
	// anywhere on the stack (its own code and what it calls).
	InProject float64
	Samples   int
}

// Measure runs work under a CPU profile and returns its split. tmp is a directory for the
// profile file.
func Measure(ctx context.Context, tmp string, work func() error) (Split, error) {
	var s Split
	path := filepath.Join(tmp, "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	cpu0, kids0 := ownCPU(), childrenCPU()
	began := time.Now()
	if err := pprof.StartCPUProfile(f); err != nil {
		return s, fmt.Errorf("cpuprofile: %w", err)
	}
	werr := work()
	pprof.StopCPUProfile()
	s.Wall, s.CPU, s.EmulatorCPU = time.Since(began), ownCPU()-cpu0, childrenCPU()-kids0
	if werr != nil {
		return s, werr
	}
	if err := f.Close(); err != nil {
		return s, err
	}
	return s, s.attribute(ctx, path)
}

// attribute reads the profile's stacks with go tool pprof -traces.
func (s *Split) attribute(ctx context.Context, path string) error {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-traces", path).Output()
	if err != nil {
		return fmt.Errorf("cpuprofile: go tool pprof -traces: %w", err)
	}
	traces, err := parseTraces(out)
	if err != nil {
		return err
	}
	var total time.Duration
	self := map[string]time.Duration{}
	var inProject time.Duration
	for _, t := range traces {
		total += t.value
		who := Other
		for _, fn := range t.frames { // innermost first
			if o := owner(fn); o != "" {
				who = o
				break
			}
		}
		self[who] += t.value
		for _, fn := range t.frames {
			if owner(fn) == Project {
				inProject += t.value
				break
			}
		}
	}
	s.Samples = len(traces)
	s.Self = map[string]float64{}
	if total == 0 {
		return nil
	}
	for k, v := range self {
		s.Self[k] = float64(v) / float64(total)
	}
	s.InProject = float64(inProject) / float64(total)
	return nil
}

type trace struct {
	value  time.Duration
	frames []string
}

// parseTraces reads go tool pprof -traces output: blocks between separator lines, each starting
// with the sample's value and the innermost frame, then one frame a line.
func parseTraces(out []byte) ([]trace, error) {
	var traces []trace
	var cur *trace
	started := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "-----------+") {
			started, cur = true, nil
			continue
		}
		if !started || strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Fields(line)
		if cur == nil {
			if len(fields) < 2 {
				continue
			}
			v, err := time.ParseDuration(strings.Replace(fields[0], "µs", "us", 1))
			if err != nil {
				return nil, fmt.Errorf("cpuprofile: unexpected pprof line %q", line)
			}
			traces = append(traces, trace{value: v, frames: []string{fields[1]}})
			cur = &traces[len(traces)-1]
			continue
		}
		if strings.Contains(fields[0], ":") && len(fields) == 1 && !strings.Contains(fields[0], ".") {
			continue // a label line
		}
		cur.frames = append(cur.frames, fields[0])
	}
	return traces, nil
}

// ownCPU is this process's user and system time.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on amd64 and arm64).
const clockTick = 10 * time.Millisecond

// childrenCPU sums the user and system time of this process's running descendants, read from
// /proc (moto is one, with any workers it forks).
func childrenCPU() time.Duration {
	var sum time.Duration
	for _, pid := range descendants(os.Getpid()) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces) start after the last ')'.
		rest := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(rest) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(rest[11], 10, 64)
		stime, _ := strconv.ParseInt(rest[12], 10, 64)
		sum += time.Duration(utime+stime) * clockTick
	}
	return sum
}

// descendants lists the pids of a process's children, their children and so on.
func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				out = append(out, child)
				out = append(out, descendants(child)...)
			}
		}
	}
	return out
}
