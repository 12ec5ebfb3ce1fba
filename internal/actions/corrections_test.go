package actions_test

import (
	"context"
	"testing"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/actions/port/memory"
	"github.com/spiris/collab/internal/collab"
)

// answeredMeanwhile is the store in which the company's administrator answers an invitation
// right after an activation read the company: the moment between its read and its commit.
type answeredMeanwhile struct{ *memory.Store }

func (s answeredMeanwhile) Company(ctx context.Context, id string) (port.CompanyView, error) {
	v, err := s.Store.Company(ctx, id)
	tx := s.Store.Begin()
	tx.CompanyAnswered(id, start)
	if cerr := tx.Commit(ctx); cerr != nil {
		panic(cerr)
	}
	return v, err
}

// TestAContactIsNotCorrectedOnceTheCompanyAnswered: an activation that corrects a new company's
// contact commits only if nobody answered for the company since it read it: an answer in between
// makes it a conflict, and the administrator stays who they are.
func TestAContactIsNotCorrectedOnceTheCompanyAnswered(t *testing.T) {
	w := newWorld(t)
	first := w.activate(t, withContact(activation("1003", "scanner")))
	company := w.collaboration(t, first).CompanyID
	w.svc.Store = answeredMeanwhile{w.store}
	right := activation("1003", "tax-annual")
	right.Contact = contact()
	right.Contact.Email = "tina@tre.example"
	_, err := w.svc.Activate(ctx, user(oe), office, right)
	wantCode(t, err, "concurrent_update")
	v := w.company(t, company)
	if len(v.Users) != 1 || v.Users[0].Email != contact().Email {
		t.Errorf("the administrator after a refused correction: %+v", v.Users)
	}
	if v.Company.AnsweredAt.IsZero() {
		t.Error("the answer in between was not recorded")
	}
}

// TestAnEmployeeRemovedDuringAStepwiseTaskChangeIsNotPutBack: removing an employee takes them
// off a task's change being applied in steps too.
func TestAnEmployeeRemovedDuringAStepwiseTaskChangeIsNotPutBack(t *testing.T) {
	task := collab.Task{OfficeID: office, ID: "t", CustomerNo: "1001", Assignees: []string{"a", "b"},
		Target: &collab.TaskTarget{CustomerNo: "1001", Assignees: []string{"b", "c"}, From: "1001"}}
	if !task.Involves("c") {
		t.Fatal("an employee on the target is involved in the task")
	}
	after := task.Without("c")
	if after.Target == nil || len(after.Target.Assignees) != 1 || after.Target.Assignees[0] != "b" || task.Target.Assignees[1] != "c" {
		t.Errorf("without c: %+v (the original's target %+v)", after.Target, task.Target)
	}
}
