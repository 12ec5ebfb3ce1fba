//go:build unix

package localaws

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"testing"
)

func TestStart_runs_moto_and_Stop_leaves_no_process(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "") // start a second moto, not the one TestMain started
	e, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	if e.External() {
		t.Fatal("External: got true, want false")
	}
	resp, err := http.Get(e.Endpoint + "/")
	if err != nil {
		t.Fatalf("moto does not answer: %v", err)
	}
	resp.Body.Close()

	pid := e.cmd.Process.Pid
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after Stop: got %v, want ESRCH", pid, err)
	}
	if err := e.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
