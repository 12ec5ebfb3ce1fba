package runtimeapi_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/bench/runtimeapi"
)

func start(t *testing.T) *runtimeapi.Server {
	t.Helper()
	s, err := runtimeapi.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// invokeAsync runs Invoke in the background and returns where its outcome arrives.
func invokeAsync(s *runtimeapi.Server, payload string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := s.Invoke(ctx, []byte(payload))
		if err == nil && r.Error == "" && string(r.Body) != `"ok"` {
			err = &unexpected{string(r.Body)}
		}
		if err == nil && r.Error != "" {
			err = &unexpected{r.Error + ": " + string(r.Body)}
		}
		done <- err
	}()
	return done
}

type unexpected struct{ got string }

func (u *unexpected) Error() string { return "unexpected result " + u.got }

func TestServesAnEventWithTheHeadersARuntimeNeeds(t *testing.T) {
	s := start(t)
	done := invokeAsync(s, `{"hello":"world"}`)
	base := "http://" + s.Addr() + runtimeapi.Base

	resp, err := http.Get(base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(body), `{"hello":"world"}`; got != want {
		t.Errorf("event %q, want %q", got, want)
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if id == "" {
		t.Fatal("no request id")
	}
	deadline, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil || deadline <= time.Now().UnixMilli() {
		t.Errorf("deadline %q is not a future epoch millisecond", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	if resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" {
		t.Error("no function ARN")
	}
	if s.FirstNextAt().IsZero() {
		t.Error("the first /next was not noted")
	}

	post, err := http.Post(base+"/invocation/"+id+"/response", "application/json", strings.NewReader(`"ok"`))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusAccepted {
		t.Errorf("response answered %d, want 202", post.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReportsAFunctionError(t *testing.T) {
	s := start(t)
	result := make(chan runtimeapi.Result, 1)
	go func() {
		r, _ := s.Invoke(context.Background(), []byte(`{}`))
		result <- r
	}()
	base := "http://" + s.Addr() + runtimeapi.Base
	resp, err := http.Get(base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	post, err := http.Post(base+"/invocation/"+id+"/error", "application/json",
		strings.NewReader(`{"errorMessage":"boom","errorType":"errorString"}`))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if r := <-result; r.Error != "errorString" {
		t.Errorf("error type %q, want errorString", r.Error)
	}
}

func TestUnknownRequestIDIsRefused(t *testing.T) {
	s := start(t)
	post, err := http.Post("http://"+s.Addr()+runtimeapi.Base+"/invocation/nobody/response", "application/json", strings.NewReader(`1`))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusBadRequest {
		t.Errorf("answered %d, want 400", post.StatusCode)
	}
}

func TestInitErrorEndsPendingInvocations(t *testing.T) {
	s := start(t)
	done := invokeAsync(s, `{}`)
	post, err := http.Post("http://"+s.Addr()+runtimeapi.Base+"/init/error", "application/json",
		strings.NewReader(`{"errorMessage":"TABLE_NAME is not set","errorType":"Runtime.ExitError"}`))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if err := <-done; err != runtimeapi.ErrInit {
		t.Fatalf("got %v, want ErrInit", err)
	}
	if !strings.Contains(string(s.InitError()), "TABLE_NAME") {
		t.Errorf("init error %q", s.InitError())
	}
}

// TestRunsTheHelloBootstrap builds the reference bootstrap (with the test's own build settings,
// so the build cache serves it; the benchmarks build it exactly as for Lambda) and has it answer
// two invocations through the server.
func TestRunsTheHelloBootstrap(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../ref/hello")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := start(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + s.Addr()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 2 {
		r, err := s.Invoke(ctx, []byte(`{"n":`+strconv.Itoa(i)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		if r.Error != "" || string(r.Body) != `"hello"` {
			t.Fatalf("invocation %d: got %q (error %q)", i, r.Body, r.Error)
		}
	}
	select {
	case <-s.FirstNext():
	default:
		t.Error("the first /next was not signalled")
	}
}
