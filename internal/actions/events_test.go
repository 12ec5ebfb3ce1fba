package actions_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/events"
)

// A task change tells the bus whose access it moved, at the collaboration's new version, once
// it commits; a refused one tells nothing.
func TestATaskChangeTellsTheBusWhoseAccessMoved(t *testing.T) {
	w := newWorld(t)
	id := w.active(t, "1001", "scanner")
	w.drain(t)
	w.bus.published = nil
	_, err := w.svc.PutTask(ctx, user(oa), office, task("1001"), actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{o2}})
	wantCode(t, err, "assignee_not_employee")
	w.drain(t)
	if len(w.bus.published) != 0 {
		t.Fatalf("a refused change published %v", w.bus.published)
	}
	_, err = w.svc.PutTask(ctx, user(oa), office, task("1001"), actions.TaskInput{CustomerNo: "1001", Name: "Löpande", Assignees: []string{ox}})
	noErr(t, err)
	w.drain(t)
	if len(w.bus.published) != 1 || w.bus.published[0].DetailType != events.AccessChanged {
		t.Fatalf("published %v, want one AccessChanged", w.bus.published)
	}
	var a events.Access
	if err := json.Unmarshal(w.bus.published[0].Detail, &a); err != nil {
		t.Fatal(err)
	}
	if a.CollaborationID != id || a.Version != w.collaboration(t, id).Version || a.EventID == "" ||
		!slices.Equal(a.Granted, []string{ox}) || !slices.Equal(a.Revoked, []string{oe}) || a.CompanyID != co || a.Solution != "scanner" {
		t.Errorf("access event %+v, want ox granted and oe revoked on %s at version %d", a, id, w.collaboration(t, id).Version)
	}
}
