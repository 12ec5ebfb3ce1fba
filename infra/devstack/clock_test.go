package devstack_test

import (
	"testing"
	"time"
)

// A client moves the local runner's clock forward and sees what time does: a pending invitation
// past its expiry becomes expired at the cleanup that follows. The clock never moves back.
func TestTheLocalClockMovesForwardAndTheCleanupActsOnIt(t *testing.T) {
	stack, call := demoStack(t, "clk", "emp-eva")
	status, out := call("POST", "/offices/office-1/collaborations",
		`{"customerNo":"1002","solution":"scanner","taskId":"task-1002","invoiceRecipient":"office","startPeriod":"`+stack.Service.Now().AddDate(0, 1, 0).Format("2006-01")+`"}`)
	if status != 201 {
		t.Fatalf("activate: %d %v", status, out)
	}
	id := out["collaboration"].(map[string]any)["id"].(string)

	for _, bad := range []string{`{"advance":"-1h"}`, `{"advance":"soon"}`, `{"to":"2001-01-01T00:00:00Z"}`, `{}`} {
		if status, out := call("POST", "/_local/clock", bad); status != 422 || out["error"].(map[string]any)["code"] != "clock_move_invalid" {
			t.Errorf("%s: %d %v, want 422 clock_move_invalid", bad, status, out)
		}
	}
	before := stack.Service.Now()
	status, out = call("POST", "/_local/clock?cleanup=1", `{"advance":"`+(31*24*time.Hour).String()+`"}`)
	if status != 200 || out["cleanup"] == nil {
		t.Fatalf("advance: %d %v", status, out)
	}
	if moved := stack.Service.Now().Sub(before); moved < 31*24*time.Hour {
		t.Errorf("the service's clock moved %v, want 31 days", moved)
	}
	if status, out = call("GET", "/collaborations/"+id, ""); out["status"] != "expired" {
		t.Errorf("after 31 days and a cleanup the invitation is %v (%d), want expired", out["status"], status)
	}
}
