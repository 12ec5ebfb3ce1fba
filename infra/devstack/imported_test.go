package devstack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/infra/devstack"
)

// The demo data brings a collaboration over from the older tool, through the seed format's
// imported list: it is active without a task, and the employee on the customer's task links it.
func TestAnImportedCollaborationIsLinkedToATask(t *testing.T) {
	useLiveEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Prefix: "imp" + time.Now().Format("150405"),
		StateDir: t.TempDir(), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	token, err := stack.Token("emp-eva")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, stack.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	const id = "imported-ett-bookkeeping"
	if status, out := call("GET", "/collaborations/"+id, ""); status != 200 || out["status"] != "active" || out["taskId"] != nil {
		t.Fatalf("imported: %d %v, want active without a task", status, out)
	}
	status, out := call("POST", "/collaborations/"+id+"/link", `{"taskId":"task-1001","officeId":"office-1"}`)
	if status != 200 || out["taskId"] != "task-1001" {
		t.Fatalf("link: %d %v", status, out)
	}
	_, out = call("GET", "/collaborations/"+id, "")
	h, _ := out["history"].([]any)
	if len(h) < 2 {
		t.Fatalf("history %v, want the import and the link", out["history"])
	}
	if first, _ := h[0].(map[string]any); !strings.Contains(first["reason"].(string), "imported from the older tool") {
		t.Errorf("its history starts with %v, want the import", first)
	}
}
