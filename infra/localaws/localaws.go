// Package localaws runs the tests and the local runner against an AWS emulator: it starts moto
// (or uses the emulator AWS_ENDPOINT_URL names, such as LocalStack) and creates the tables and
// queues that template.yaml declares.
//
// Provisioning uses only the standard DynamoDB and SQS APIs, so the same code works against moto,
// LocalStack or a real account; only AWS_ENDPOINT_URL differs. A test package uses it from its
// TestMain:
//
//	var res *localaws.Resources
//
//	func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }
//
// and then reads res.TableName("Table"), res.QueueURL("EmailQueue") in its tests, building
// clients from awsenv.Config().
package localaws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Defaults that Start puts in the environment when a variable is not set, so that
// awsenv.Config() works in tests without any setup.
const (
	DefaultRegion = "eu-north-1"
	testKey       = "test"
)

// startTimeout bounds how long Start waits for moto to answer, when ctx has no earlier deadline.
// moto needs about a second to import its Python modules.
const startTimeout = 30 * time.Second

// Emulator is an AWS emulator endpoint that the process either started (moto) or found in
// AWS_ENDPOINT_URL.
type Emulator struct {
	// Endpoint is the emulator's base URL, such as http://127.0.0.1:41234.
	Endpoint string

	cmd    *exec.Cmd     // nil when the emulator was already running
	front  *front        // serializes DynamoDB requests to moto and sends SES to mail
	mail   *Emulator     // a moto of its own for SES (see front)
	exited chan struct{} // closed once the child has been reaped
	out    *Tail         // last lines moto printed, for error messages
	stop   sync.Once
}

// Start returns the emulator to use. When AWS_ENDPOINT_URL is set, it uses that endpoint and
// starts nothing. Otherwise it runs two moto_servers on free loopback ports, one for SES and one
// for everything else, waits until they answer HTTP, and sets AWS_ENDPOINT_URL to a front on
// loopback that sends each request to its moto (see front). In both cases it sets AWS_REGION, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY to test values when they are not set, so awsenv.Config() works.
//
// The moto process is in its own process group, which Stop kills. On Linux the kernel also kills
// it when this process dies (a panicking test, go test's timeout, Ctrl-C); elsewhere such a crash
// can leave it running.
func Start(ctx context.Context) (*Emulator, error) {
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		os.Setenv("AWS_REGION", DefaultRegion)
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		os.Setenv("AWS_ACCESS_KEY_ID", testKey)
		os.Setenv("AWS_SECRET_ACCESS_KEY", testKey)
	}
	if url := os.Getenv("AWS_ENDPOINT_URL"); url != "" {
		return &Emulator{Endpoint: url}, nil
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("localaws.Start: moto_server is not on PATH (pip install 'moto[server]'), or set AWS_ENDPOINT_URL to a running emulator: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var mail *Emulator
	var mailErr error
	mailStarted := make(chan struct{})
	go func() {
		mail, mailErr = startMotoRetrying(ctx, bin)
		close(mailStarted)
	}()
	e, err := startMotoRetrying(ctx, bin)
	<-mailStarted
	if err != nil || mailErr != nil {
		for _, m := range []*Emulator{e, mail} {
			if m != nil {
				m.Stop()
			}
		}
		return nil, fmt.Errorf("localaws.Start: %w", errors.Join(err, mailErr))
	}
	front, endpoint, err := startFront(e.Endpoint, mail.Endpoint)
	if err != nil {
		e.Stop()
		mail.Stop()
		return nil, fmt.Errorf("localaws.Start: %w", err)
	}
	e.front, e.mail, e.Endpoint = front, mail, endpoint
	os.Setenv("AWS_ENDPOINT_URL", e.Endpoint)
	return e, nil
}

// startMotoRetrying starts moto_server on a free port. Another process can take the port between
// our probe and moto's bind; moto then exits at once, and a new port is tried.
func startMotoRetrying(ctx context.Context, bin string) (*Emulator, error) {
	for attempt := 1; ; attempt++ {
		e, err := startMoto(ctx, bin)
		if err == nil || !errors.Is(err, errExited) || attempt == 3 {
			return e, err
		}
	}
}

// External reports whether the emulator was running before Start, so Stop leaves it alone.
func (e *Emulator) External() bool { return e.cmd == nil }

// Stop kills the moto process group that Start started and waits until it is gone. It does
// nothing for an external emulator, and is safe to call more than once.
func (e *Emulator) Stop() error {
	if e.cmd == nil {
		return nil
	}
	var err error
	e.stop.Do(func() {
		e.front.close()
		if e.mail != nil {
			err = e.mail.Stop()
		}
		killGroup(e.cmd.Process)
		select {
		case <-e.exited:
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("localaws.Stop: moto (pid %d) did not exit", e.cmd.Process.Pid)
		}
	})
	return err
}

var errExited = errors.New("moto_server exited")

func startMoto(ctx context.Context, bin string) (*Emulator, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	out := &Tail{Max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	e := &Emulator{Endpoint: "http://" + addr, cmd: cmd, exited: make(chan struct{}), out: out}

	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the OS thread that forked the child exits, not the
		// process. Holding this thread until the child is reaped keeps that from happening early.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(e.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("run moto_server: %w", err)
	}
	if err := e.waitReady(ctx); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// waitReady polls the endpoint until moto answers any HTTP request.
func (e *Emulator) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Endpoint+"/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("%w before answering on %s: %s", errExited, e.Endpoint, e.out)
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer on %s: %w: %s", e.Endpoint, ctx.Err(), e.out)
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a loopback port that is free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Tail is an io.Writer that keeps the last Max bytes written to it: moto (or any child process)
// logs a lot, and only the last lines matter when it fails.
type Tail struct {
	Max int
	mu  sync.Mutex
	buf []byte
}

// Write keeps the end of what was written.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.Max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns what is kept, trimmed.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
