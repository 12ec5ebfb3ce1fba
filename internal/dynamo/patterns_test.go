package dynamo_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

func ids(rs []collab.CollaborationRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestTemplateDefinesWhatTheStoreQueries(t *testing.T) {
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	table, ok := tpl.Table("Table")
	if !ok {
		t.Fatal("template.yaml has no Table")
	}
	if table.PartitionKey != "PK" || table.SortKey != "SK" {
		t.Errorf("table keys %s/%s, want PK/SK", table.PartitionKey, table.SortKey)
	}
	if table.TTLAttribute != dynamo.TTLAttribute {
		t.Errorf("TTL attribute %q, want %q", table.TTLAttribute, dynamo.TTLAttribute)
	}
	got := map[string][2]string{}
	for _, g := range table.GSIs {
		got[g.Name] = [2]string{g.PartitionKey, g.SortKey}
	}
	for name, keys := range dynamo.Indexes {
		if got[name] != keys {
			t.Errorf("index %s: template has %v, store queries %v", name, got[name], keys)
		}
	}
	if len(got) != len(dynamo.Indexes) {
		t.Errorf("template defines %d GSIs, store uses %d: remove the unused ones", len(got), len(dynamo.Indexes))
	}
}

// officeSetup stores, for one office, collaborations across two customers, three solutions and
// several statuses, plus a collaboration of another office with the same customer number.
func TestOfficeAndCustomerAndCompanyReads(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	other := newWorld(t, s) // another office and company; must never show up
	other.activate(t, s, "scanner", 0, t0)

	second := w
	second.customer.No, second.customer.CompanyID, second.company = "2002", id("company"), ""
	second.company = second.customer.CompanyID
	second.task = collab.Task{OfficeID: w.office, ID: id("task"), CustomerNo: "2002", Assignees: []string{"emp-2"}}
	tx := s.Tx()
	tx.PutCustomer(second.customer)
	tx.PutTask(second.task)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	a := w.activate(t, s, "scanner", 0, t0)
	b := w.activate(t, s, "payroll", 0, t0.Add(time.Minute))
	c := second.activate(t, s, "scanner", 0, t0.Add(2*time.Minute))
	d := w.activate(t, s, "bookkeeping", 0, t0.Add(3*time.Minute))
	if err := b.Accept(boss, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := save(s, b); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		filter port.Filter
		want   []string
	}{
		{"all_newest_first", port.Filter{}, []string{d.ID(), c.ID(), b.ID(), a.ID()}},
		{"by_status", port.Filter{Status: collab.Pending}, []string{d.ID(), c.ID(), a.ID()}},
		{"by_solution", port.Filter{Solution: "scanner"}, []string{c.ID(), a.ID()}},
		{"by_customer", port.Filter{CustomerNo: "1001"}, []string{d.ID(), b.ID(), a.ID()}},
		{"by_customer_and_status", port.Filter{CustomerNo: "1001", Status: collab.Active}, []string{b.ID()}},
		{"by_status_and_solution", port.Filter{Status: collab.Pending, Solution: "scanner"}, []string{c.ID(), a.ID()}},
	} {
		t.Run("office_overview_"+tc.name, func(t *testing.T) {
			page, err := s.OfficeCollaborations(ctx, w.office, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page.Items); !slices.Equal(got, tc.want) || page.Next != "" {
				t.Fatalf("got %v (next %q), want %v", got, page.Next, tc.want)
			}
		})
	}

	t.Run("office_overview_pages", func(t *testing.T) {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			page, err := s.OfficeCollaborations(ctx, w.office, port.Filter{Limit: 3, Cursor: cursor, Solution: "scanner"})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Items)...)
			if page.Next == "" || pages > 5 {
				break
			}
			cursor = page.Next
		}
		if want := []string{c.ID(), a.ID()}; !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		page, _ := s.OfficeCollaborations(ctx, w.office, port.Filter{Limit: 2})
		if page.Next == "" {
			t.Fatal("no cursor after a full page")
		}
		if _, err := s.OfficeCollaborations(ctx, other.office, port.Filter{Cursor: page.Next}); collab.ErrorCode(err) != "cursor_invalid" {
			t.Fatalf("another office's cursor: %v, want cursor_invalid", err)
		}
		if _, err := s.OfficeCollaborations(ctx, w.office, port.Filter{Cursor: "%%%"}); collab.ErrorCode(err) != "cursor_invalid" {
			t.Fatalf("garbage cursor: %v", err)
		}
	})

	t.Run("customer_tasks", func(t *testing.T) {
		tasks, err := s.CustomerTasks(ctx, w.office, "2002")
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 1 || tasks[0].ID != second.task.ID || !tasks[0].Assigned("emp-2") {
			t.Fatalf("tasks %+v", tasks)
		}
	})

	t.Run("company_collaborations", func(t *testing.T) {
		page, err := s.CompanyCollaborations(ctx, w.company, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(page.Items), []string{d.ID(), b.ID(), a.ID()}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})

	t.Run("office_items_in_one_batch", func(t *testing.T) {
		f, err := s.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, EmployeeID: "emp-1", CustomerNo: "1001", TaskID: w.task.ID})
		if err != nil {
			t.Fatal(err)
		}
		if f.Office.ID != w.office || f.Employee.UserID != "emp-1" || f.Customer.CompanyID != w.company || f.Task.ID != w.task.ID {
			t.Fatalf("office items %+v", f)
		}
		f, err = s.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, EmployeeID: "stranger"})
		if err != nil || f.Employee.UserID != "" {
			t.Fatalf("unknown employee: %+v, %v", f.Employee, err)
		}
	})

	t.Run("open_collaborations_of_a_customer", func(t *testing.T) {
		e := w.activate(t, s, "financial-overview", 12, t0.Add(4*time.Minute))
		if err := e.Withdraw(clerk, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := save(s, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.OpenCollaborations(ctx, w.office, []string{"1001"})
		if err != nil {
			t.Fatal(err)
		}
		if want := slices.Sorted(slices.Values([]string{d.ID(), b.ID(), a.ID()})); !slices.Equal(ids(got), want) {
			t.Fatalf("got %v, want %v (not the withdrawn %s)", ids(got), want, e.ID())
		}
	})
}

func TestCompanyPartition(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	tx := s.Tx()
	tx.PutUser(collab.User{CompanyID: w.company, ID: "u-2", Name: "Bo", Email: "bo@example.test", Role: collab.RegularUser})
	tx.PutSubscription(collab.Subscription{CompanyID: w.company, Solution: "scanner", Status: collab.SubscriptionActive})
	tx.PutGrant(collab.Grant{CompanyID: w.company, Solution: "scanner", UserID: "emp-1", Mode: collab.FullAccess, Via: "c-1"})
	tx.PutFacts(w.company, "payroll", collab.SolutionFacts{CustomerIsPayrollUser: true, LastSyncAt: t0})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tx = s.Tx() // granting again is still one grant
	tx.PutGrant(collab.Grant{CompanyID: w.company, Solution: "scanner", UserID: "emp-1", Mode: collab.FullAccess, Via: "c-1"})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := s.Company(ctx, w.company)
	if err != nil {
		t.Fatal(err)
	}
	if v.Company.MainContact != "adm-1" || v.Company.Admins != 1 || len(v.Users) != 2 || len(v.Grants) != 1 ||
		v.Subscriptions["scanner"].Status != collab.SubscriptionActive || !v.Facts["payroll"].LastSyncAt.Equal(t0) {
		t.Fatalf("company view %+v", v)
	}
	if u, ok := v.User("u-2"); !ok || u.Role != collab.RegularUser {
		t.Fatalf("user u-2: %+v", u)
	}
	if got, _ := s.CompanyByOrgNo(ctx, w.customer.OrgNo); got != w.company {
		t.Fatalf("company by organisation number = %q", got)
	}
	if _, err := s.Company(ctx, "nope"); collab.ErrorCode(err) != "company_not_found" {
		t.Fatalf("unknown company: %v", err)
	}

	// Demoting an administrator is refused when the user changed meanwhile.
	tx = s.Tx()
	co := v.Company
	co.MainContact = "u-2"
	tx.PutCompany(co)
	tx.RequireAdministrator(w.company, "u-2")
	if err := tx.Commit(ctx); collab.ErrorCode(err) != "user_not_administrator" {
		t.Fatalf("main contact who is not an administrator: %v", err)
	}

	// A second company with the same organisation number is refused.
	tx = s.Tx()
	tx.PutCompany(collab.Company{ID: id("company"), OrgNo: w.customer.OrgNo})
	if err := tx.Commit(ctx); collab.ErrorCode(err) != "company_exists" {
		t.Fatalf("duplicate organisation number: %v", err)
	}
}

func TestInvitationByTokenHash(t *testing.T) {
	s := newStore(t)
	token, inv := collab.NewInvitation(testKey, "c-1", t0, time.Hour)
	tx := s.Tx()
	tx.PutInvitation(inv)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, hash, _ := collab.ParseToken(token)
	got, err := s.Invitation(ctx, hash)
	if err != nil || got.CollaborationID != "c-1" || !got.ExpiresAt.Equal(inv.ExpiresAt) || got.Version != 1 {
		t.Fatalf("invitation %+v %v", got, err)
	}
	if err := got.Use(t0); err != nil {
		t.Fatal(err)
	}
	tx = s.Tx()
	tx.PutInvitation(got)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tx = s.Tx()
	tx.PutInvitation(got) // still at version 1: a second use loses
	if err := tx.Commit(ctx); err != collab.ErrConflict {
		t.Fatalf("second use of version 1: %v", err)
	}
	if _, err := s.Invitation(ctx, collab.HashToken("other")); collab.ErrorCode(err) != "invitation_not_found" {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestDueWorkReadsOnlyDueItems(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	// Pending invitations expire 30 days after activation.
	expired := w.activate(t, s, "scanner", 0, t0.Add(-40*24*time.Hour))
	w2 := newWorld(t, s)
	live := w2.activate(t, s, "scanner", 0, t0)
	// An active agreement ending in 10 days is due for its reminder; one ending in 60 is not.
	soon := newWorld(t, s).activate(t, s, "financial-overview", 3, t0)
	later := newWorld(t, s).activate(t, s, "financial-overview", 12, t0)
	for _, c := range []*collab.Collaboration{soon, later} {
		if err := c.Accept(boss, t0); err != nil {
			t.Fatal(err)
		}
		if err := save(s, c); err != nil {
			t.Fatal(err)
		}
	}
	// soon: agreement from 2027-04 for 3 months ends 2027-07-01; later ends 2028-04-01.
	now := time.Date(2027, 6, 20, 0, 0, 0, 0, time.UTC)

	d, err := s.DueWork(ctx, port.DueInvitationExpiry, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(d.Collaborations)
	if !slices.Contains(got, expired.ID()) || !slices.Contains(got, live.ID()) {
		t.Fatalf("due invitations at %v: %v", now, got)
	}
	d, _ = s.DueWork(ctx, port.DueInvitationExpiry, t0.Add(-time.Hour), 100)
	if got := ids(d.Collaborations); slices.Contains(got, live.ID()) || !slices.Contains(got, expired.ID()) {
		t.Fatalf("due invitations at %v: %v", t0, got)
	}

	d, _ = s.DueWork(ctx, port.DueAgreementReminder, now, 100)
	if got := ids(d.Collaborations); !slices.Contains(got, soon.ID()) || slices.Contains(got, later.ID()) {
		t.Fatalf("due reminders %v", got)
	}
	if d.Read != len(d.Collaborations) {
		t.Fatalf("read %d items to find %d due ones", d.Read, len(d.Collaborations))
	}
	soon, _ = s.Collaboration(ctx, soon.ID())
	soon.MarkReminderSent(now)
	if err := save(s, soon); err != nil {
		t.Fatal(err)
	}
	d, _ = s.DueWork(ctx, port.DueAgreementReminder, now, 100)
	if slices.Contains(ids(d.Collaborations), soon.ID()) {
		t.Fatal("reminder still due after it was sent")
	}
	d, _ = s.DueWork(ctx, port.DueAgreementEnd, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), 100)
	if !slices.Contains(ids(d.Collaborations), soon.ID()) {
		t.Fatal("agreement end not due at its end")
	}
}

func TestOutboxAndSavedResponses(t *testing.T) {
	s := newStore(t)
	m := port.Message{ID: id("msg"), Queue: "email", Body: `{"x":1}`, CreatedAt: t0}
	tx := s.Tx()
	tx.Enqueue(m)
	tx.SaveResponse(port.Response{Scope: "s", Key: m.ID, RequestHash: "h", Status: 201, Body: "{}", At: t0})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := s.DueWork(ctx, port.DueOutbox, t0.Add(timing.StuckAfter), 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, got := range d.Messages {
		found = found || (got.ID == m.ID && got.Body == m.Body && got.Queue == "email")
	}
	if !found {
		t.Fatalf("overdue message not found in %+v", d.Messages)
	}
	if d, _ := s.DueWork(ctx, port.DueOutbox, t0, 100); len(d.Messages) != 0 {
		t.Fatalf("message due before its grace: %+v", d.Messages)
	}
	if err := s.Postpone(ctx, m, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DueWork(ctx, port.DueOutbox, t0.Add(30*time.Minute), 100); len(d.Messages) != 0 {
		t.Fatal("postponed message still due")
	}
	if err := s.Consumed(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DueWork(ctx, port.DueOutbox, t0.Add(48*time.Hour), 100); len(d.Messages) != 0 {
		t.Fatal("consumed message still due")
	}
	if err := s.Postpone(ctx, m, t0); err != nil {
		t.Fatalf("postponing a consumed message: %v", err)
	}

	r, ok, err := s.SavedResponse(ctx, "s", m.ID, t0.Add(time.Hour))
	if err != nil || !ok || r.Status != 201 || r.RequestHash != "h" {
		t.Fatalf("saved response %+v %v %v", r, ok, err)
	}
	if _, ok, _ := s.SavedResponse(ctx, "s", m.ID, t0.Add(25*time.Hour)); ok {
		t.Fatal("response outlived the idempotency window")
	}
	tx = s.Tx()
	tx.SaveResponse(port.Response{Scope: "s", Key: m.ID, At: t0})
	if err := tx.Commit(ctx); err != dynamo.ErrDuplicateRequest {
		t.Fatalf("second response for a key: %v", err)
	}
}

// TestWhatADecisionReadIsRequiredUnchanged: the conditions a use case puts on what it read and
// does not write: a subscription at its version, the company at its version, a solution's facts
// as reported. A change since fails the commit with a conflict, and nothing is written.
func TestWhatADecisionReadIsRequiredUnchanged(t *testing.T) {
	s := newStore(t)
	company := id("co")
	tx := s.Tx()
	tx.PutCompany(collab.Company{ID: company, Name: "Slut AB", CreatedAt: t0})
	tx.PutSubscription(collab.Subscription{CompanyID: company, Solution: "scanner", Status: collab.SubscriptionActive})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := s.Company(ctx, company)
	if err != nil {
		t.Fatal(err)
	}
	read := v.Subscriptions["scanner"]
	tx = s.Tx()
	tx.RequireSubscription(read)
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("the subscription as read: %v", err)
	}
	stale := read
	stale.Version--
	tx = s.Tx()
	tx.RequireSubscription(stale)
	tx.PutGrant(collab.Grant{CompanyID: company, Solution: "scanner", UserID: id("u"), Mode: collab.FullAccess, Via: "stale"})
	if err := tx.Commit(ctx); !errors.Is(err, collab.ErrConflict) {
		t.Errorf("a subscription changed since: %v, want a conflict", err)
	}

	// What an end read: the company at its version, the facts as reported.
	staleCompany := v.Company
	staleCompany.Version--
	for name, add := range map[string]func(*dynamo.Tx){
		"company_changed":    func(tx *dynamo.Tx) { tx.RequireCompany(staleCompany) },
		"facts_reported":     func(tx *dynamo.Tx) { tx.RequireFacts(company, "scanner", collab.SolutionFacts{ReportedAt: t0}) },
		"facts_not_reported": func(tx *dynamo.Tx) { tx.RequireFacts(company, "scanner", collab.SolutionFacts{}) },
	} {
		if name == "facts_not_reported" {
			tx := s.Tx()
			tx.PutFacts(company, "scanner", collab.SolutionFacts{UnsubmittedReports: 1, ReportedAt: t0.Add(time.Hour)})
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tx := s.Tx()
		add(tx)
		tx.PutGrant(collab.Grant{CompanyID: company, Solution: "scanner", UserID: id("u"), Mode: collab.FullAccess, Via: name})
		if err := tx.Commit(ctx); !errors.Is(err, collab.ErrConflict) {
			t.Errorf("%s: %v, want a conflict", name, err)
		}
	}
	tx = s.Tx()
	tx.RequireCompany(v.Company)
	tx.RequireFacts(company, "scanner", collab.SolutionFacts{ReportedAt: t0.Add(time.Hour)})
	if err := tx.Commit(ctx); err != nil {
		t.Errorf("unchanged company and facts: %v", err)
	}
	if v, _ := s.Company(ctx, company); len(v.Grants) != 0 {
		t.Fatalf("failed requirements wrote grants: %+v", v.Grants)
	}
}

// TestMembershipsFollowEmployeesUsersAndTasks: the writes of employees, company users and tasks
// keep each user's memberships in step in their own transactions, so a collaboration read with
// its caller's memberships tells who the caller is to its office and company.
// TestTaskChangesCommitOnTheTaskAsRead: a task change decides what follows from the
// collaborations it read, so it commits only if the task is as read and no collaboration took its
// assignees since; collaborations taking them commit only on the task as read, and do not
// conflict with each other.
func TestTaskChangesCommitOnTheTaskAsRead(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	read := func() collab.Task {
		t.Helper()
		f, err := s.OfficeItems(ctx, port.OfficeRefs{OfficeID: w.office, TaskID: w.task.ID})
		if err != nil {
			t.Fatal(err)
		}
		return f.Task
	}
	commit := func(add func(tx *dynamo.Tx)) error {
		tx := s.Tx()
		add(tx)
		return tx.Commit(ctx)
	}
	changed := func(from collab.Task, assignees ...string) collab.Task {
		from.Assignees = assignees
		return from
	}

	before := read()
	for range 2 {
		if err := commit(func(tx *dynamo.Tx) { tx.JoinTask(before) }); err != nil {
			t.Fatalf("a join at the version read: %v", err)
		}
	}
	if err := commit(func(tx *dynamo.Tx) { tx.ReplaceTask(before, changed(before, "emp-2")) }); !errors.Is(err, collab.ErrConflict) {
		t.Fatalf("a change of a task joined since it was read: %v, want ErrConflict", err)
	}
	again := read()
	if again.Joins != 2 || again.Version != before.Version || !slices.Equal(again.Assignees, before.Assignees) {
		t.Fatalf("task after two joins and a refused change: %+v", again)
	}
	if err := commit(func(tx *dynamo.Tx) { tx.ReplaceTask(again, changed(again, "emp-2")) }); err != nil {
		t.Fatalf("a change of the task as read: %v", err)
	}
	if err := commit(func(tx *dynamo.Tx) { tx.JoinTask(again) }); !errors.Is(err, collab.ErrConflict) {
		t.Fatalf("a join of a task changed since it was read: %v, want ErrConflict", err)
	}
	if err := commit(func(tx *dynamo.Tx) { tx.ReplaceTask(again, changed(again, "emp-3")) }); !errors.Is(err, collab.ErrConflict) {
		t.Fatalf("a second change from the same read: %v, want ErrConflict", err)
	}
	if got := read(); got.Version != again.Version+1 || got.Joins != 2 || !slices.Equal(got.Assignees, []string{"emp-2"}) {
		t.Fatalf("task after one change: %+v", got)
	}
	other := collab.Task{OfficeID: w.office, ID: id("task"), CustomerNo: "1001", Name: "Ny"}
	if err := commit(func(tx *dynamo.Tx) { tx.ReplaceTask(collab.Task{}, other) }); err != nil {
		t.Fatalf("a new task: %v", err)
	}
	if err := commit(func(tx *dynamo.Tx) { tx.ReplaceTask(collab.Task{}, other) }); !errors.Is(err, collab.ErrConflict) {
		t.Fatalf("a new task created twice from reads that found none: %v, want ErrConflict", err)
	}
}

func TestMembershipsFollowEmployeesUsersAndTasks(t *testing.T) {
	s := newStore(t)
	w := newWorld(t, s)
	c := w.activate(t, s, "scanner", 0, t0)
	membershipsOf := func(user string) port.Memberships {
		t.Helper()
		got, m, err := s.CollaborationFor(ctx, c.ID(), user)
		if err != nil || got.ID() != c.ID() {
			t.Fatalf("collaboration for %s: %v", user, err)
		}
		return m
	}
	commit := func(add func(tx *dynamo.Tx)) {
		t.Helper()
		tx := s.Tx()
		add(tx)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	m := membershipsOf("emp-1")
	if role, ok := m.Office(w.office); !ok || role != collab.OfficeStaff {
		t.Errorf("emp-1 in the office: %q %v", role, ok)
	}
	if got := dynamo.TaskOf(m, w.office, "1001"); got != dynamo.TaskEntry(w.office, "1001", w.task.ID) {
		t.Errorf("emp-1's task of 1001: %q, want %s's", got, w.task.ID)
	}
	if role, ok := membershipsOf("adm-1").Company(w.company); !ok || role != collab.Administrator {
		t.Errorf("adm-1 in the company: %q %v", role, ok)
	}
	if _, ok := membershipsOf("nobody").Office(w.office); ok {
		t.Error("a stranger is an employee")
	}

	// A second task of the customer, then the first changed to other assignees: emp-1 is on the
	// second only, emp-2 on the first.
	second := collab.Task{OfficeID: w.office, ID: id("task"), CustomerNo: "1001", Name: "Lön", Assignees: []string{"emp-1"}}
	commit(func(tx *dynamo.Tx) {
		tx.PutEmployee(collab.Employee{OfficeID: w.office, UserID: "emp-1", Name: "Eva", Email: "eva@example.test", Role: collab.OfficeAdministrator})
		tx.PutTask(second)
	})
	second.Version = 1
	changed := w.task
	changed.Assignees = []string{"emp-2"}
	commit(func(tx *dynamo.Tx) { tx.ReplaceTask(w.task, changed) })
	m = membershipsOf("emp-1")
	if got := dynamo.TaskOf(m, w.office, "1001"); got != dynamo.TaskEntry(w.office, "1001", second.ID) {
		t.Errorf("emp-1's task of 1001 after leaving the first: %q, want %s's", got, second.ID)
	}
	if role, _ := m.Office(w.office); role != collab.OfficeAdministrator {
		t.Errorf("emp-1's role after the change: %q", role)
	}
	if got := dynamo.TaskOf(membershipsOf("emp-2"), w.office, "1001"); got != dynamo.TaskEntry(w.office, "1001", changed.ID) {
		t.Errorf("emp-2's task of 1001: %q", got)
	}

	// The second task moves to another customer: emp-1 is on no task of 1001 any more.
	moved := second
	moved.CustomerNo = "1002"
	commit(func(tx *dynamo.Tx) { tx.ReplaceTask(second, moved) })
	m = membershipsOf("emp-1")
	if got := dynamo.TaskOf(m, w.office, "1001"); got != "" {
		t.Errorf("emp-1 still on %q of 1001 after the task moved", got)
	}
	if got := dynamo.TaskOf(m, w.office, "1002"); got != dynamo.TaskEntry(w.office, "1002", second.ID) {
		t.Errorf("emp-1's task of 1002: %q", got)
	}

	// A user demoted in the company.
	v, err := s.Company(ctx, w.company)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := v.User("adm-1")
	u.Role = collab.RegularUser
	commit(func(tx *dynamo.Tx) { tx.PutUser(u) })
	if role, _ := membershipsOf("adm-1").Company(w.company); role != collab.RegularUser {
		t.Errorf("adm-1 after the demotion: %q", role)
	}
}

// TestATeardownCommandIsKeptUntilAcknowledged: an ordinary outbox message expires 30 days after it
// was queued (TTL), but one to keep, a teardown command that only its solution's acknowledgement
// consumes, has no expiry: a solution silent for longer is still sent it, daily, and raised.
func TestATeardownCommandIsKeptUntilAcknowledged(t *testing.T) {
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	db, table := dynamodb.NewFromConfig(cfg), res.TableName("Table")
	s := newStore(t)
	plain := port.Message{ID: id("msg"), Queue: "email", Body: "{}", CreatedAt: t0}
	command := port.Message{ID: id("cmd"), Queue: "teardown", Body: "{}", CreatedAt: t0, Keep: true}
	tx := s.Tx()
	tx.Enqueue(plain)
	tx.Enqueue(command)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m       port.Message
		expires bool
	}{{plain, true}, {command, false}} {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + tc.m.ID}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"}}})
		if err != nil || out.Item == nil {
			t.Fatalf("read %s back: %v", tc.m.ID, err)
		}
		if _, has := out.Item["ExpiresAt"]; has != tc.expires {
			t.Errorf("%s (keep %v): ExpiresAt present %v, want %v", tc.m.Queue, tc.m.Keep, has, tc.expires)
		}
	}
}
