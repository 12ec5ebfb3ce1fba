// Package coldstart runs a real Lambda bootstrap under the loopback Runtime API
// (bench/runtimeapi) and measures what Lambda would bill and users would wait for: the time from
// exec to the function's first GET /next (its init), from exec to its first response, and its
// peak resident memory over many warm invocations.
package coldstart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spiris/collab/bench/runtimeapi"
	"github.com/spiris/collab/infra/localaws"
)

// Process is one bootstrap process with its own Runtime API.
type Process struct {
	api     *runtimeapi.Server
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	out     *localaws.Tail
}

// Launch starts the bootstrap bin with env (plus AWS_LAMBDA_RUNTIME_API) and returns at once.
func Launch(bin string, env []string) (*Process, error) {
	api, err := runtimeapi.Start()
	if err != nil {
		return nil, err
	}
	p := &Process{api: api, exited: make(chan struct{}), out: &localaws.Tail{Max: 8 << 10}}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(slices.Clip(env), "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		api.Close()
		return nil, fmt.Errorf("coldstart: start %s: %w", bin, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Invoke sends one event and waits for the function's answer. It fails when the process exits
// or reports an init error first, with the last lines the function printed.
func (p *Process) Invoke(ctx context.Context, event []byte) (runtimeapi.Result, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-p.exited:
			stop()
		case <-ctx.Done():
		}
	}()
	r, err := p.api.Invoke(ctx, event)
	if err != nil {
		select {
		case <-p.exited:
			return r, fmt.Errorf("coldstart: the function exited (%v) before answering: %s", p.cmd.ProcessState, p.out)
		default:
		}
		if errors.Is(err, runtimeapi.ErrInit) {
			return r, fmt.Errorf("coldstart: init failed: %s: %s", p.api.InitError(), p.out)
		}
		return r, fmt.Errorf("coldstart: %w: %s", err, p.out)
	}
	return r, nil
}

// SinceStart is how long after exec the moment t was.
func (p *Process) SinceStart(t time.Time) time.Duration { return t.Sub(p.started) }

// FirstNext is when the function first asked for work (zero before it has).
func (p *Process) FirstNext() time.Time { return p.api.FirstNextAt() }

// Memory reads the process's peak and current resident set size from /proc/<pid>/status, in
// bytes (VmHWM and VmRSS).
func (p *Process) Memory() (peak, current int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("coldstart: read memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmHWM" && name != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("coldstart: read memory: %s: %w", line, err)
		}
		if name == "VmHWM" {
			peak = kb << 10
		} else {
			current = kb << 10
		}
	}
	return peak, current, nil
}

// Stop kills the process, waits for it and closes its Runtime API.
func (p *Process) Stop() {
	p.cmd.Process.Kill()
	<-p.exited
	p.api.Close()
}

// Sample is one cold start.
type Sample struct {
	ToNext     time.Duration // exec → first GET /next: the init
	ToResponse time.Duration // exec → the first invocation's response
	Result     runtimeapi.Result
}

// Start runs bin once from exec to its first response to event, then kills it.
func Start(ctx context.Context, bin string, env []string, event []byte) (Sample, error) {
	p, err := Launch(bin, env)
	if err != nil {
		return Sample{}, err
	}
	defer p.Stop()
	r, err := p.Invoke(ctx, event)
	answered := time.Now()
	if err != nil {
		return Sample{}, err
	}
	return Sample{ToNext: p.SinceStart(p.FirstNext()), ToResponse: p.SinceStart(answered), Result: r}, nil
}

// Peak is a process's memory after warm invocations.
type Peak struct {
	Invocations int
	HWM         int64 // peak resident set size (VmHWM), bytes
	RSS         int64 // resident set size at the end (VmRSS), bytes
	Errors      int   // invocations the function answered with /error
}

// Warm runs bin, sends it event n times in a row and reads its peak memory before killing it.
func Warm(ctx context.Context, bin string, env []string, event []byte, n int) (Peak, error) {
	p, err := Launch(bin, env)
	if err != nil {
		return Peak{}, err
	}
	defer p.Stop()
	pk := Peak{Invocations: n}
	for range n {
		r, err := p.Invoke(ctx, event)
		if err != nil {
			return pk, err
		}
		if r.Error != "" {
			pk.Errors++
		}
	}
	pk.HWM, pk.RSS, err = p.Memory()
	return pk, err
}

// Median returns the median of ds (the mean of the middle two for an even count).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// InitCost is one package's initialisation, as GODEBUG=inittrace=1 reports it.
type InitCost struct {
	Package string
	At      time.Duration // since the process started
	Clock   time.Duration
	Bytes   int64
}

// InitTrace starts bin once with GODEBUG=inittrace=1, waits for its first GET /next and returns
// its packages' initialisation costs, and when the first /next came (since exec).
func InitTrace(ctx context.Context, bin string, env []string) ([]InitCost, time.Duration, error) {
	p, err := Launch(bin, append(slices.Clip(env), "GODEBUG=inittrace=1"))
	if err != nil {
		return nil, 0, err
	}
	p.out.Max = 1 << 20
	select {
	case <-p.api.FirstNext():
	case <-p.exited:
		p.Stop()
		return nil, 0, fmt.Errorf("coldstart: the function exited before asking for work: %s", p.out)
	case <-ctx.Done():
		p.Stop()
		return nil, 0, ctx.Err()
	}
	next := p.SinceStart(p.FirstNext())
	p.Stop() // waits until everything the process wrote has been read
	var costs []InitCost
	for _, line := range strings.Split(p.out.String(), "\n") {
		var c InitCost
		var at, clock float64
		var allocs int64
		if _, err := fmt.Sscanf(line, "init %s @%f ms, %f ms clock, %d bytes, %d allocs", &c.Package, &at, &clock, &c.Bytes, &allocs); err != nil {
			continue
		}
		c.At, c.Clock = time.Duration(at*float64(time.Millisecond)), time.Duration(clock*float64(time.Millisecond))
		costs = append(costs, c)
	}
	return costs, next, nil
}
