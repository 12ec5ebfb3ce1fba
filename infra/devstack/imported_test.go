package devstack_test

import (
	"strings"
	"testing"
)

// The demo data brings a collaboration over from the older tool, through the seed format's
// imported list: it is active without a task, and the employee on the customer's task links it.
func TestAnImportedCollaborationIsLinkedToATask(t *testing.T) {
	_, call := demoStack(t, "imp", "emp-eva")
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
