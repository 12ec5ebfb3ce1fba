// Package solutions plays the solutions' integrations locally, so the whole lifecycle runs on
// one machine: per solution, a poller on the solution's command queue (the SQS target of its
// rule on the event bus, template.yaml's <Name>Commands) that answers what the service asks of
// that solution, as a real integration would, through the HTTP API with requests signed with
// AWS Signature Version 4:
//
//   - a TeardownCommand is acknowledged at its acknowledgePath (POST, {"result":"done"}), after a
//     delay; Payroll's hand_over_backup comes with a backup file that Payroll's simulated
//     download server (HTTPS on loopback) serves for 30 days;
//   - a FactsRequested is answered with facts that let the end go ahead (PUT
//     /companies/{companyId}/solutions/{solution}/status).
//
// A message is deleted only once the API answered 2xx, or 409 step_not_pending (nothing left to
// do); otherwise it comes back for another try, and after the queue's maxReceiveCount goes to
// the dead-letter queue, as with a real integration. Each solution can be switched to answer
// "failed" or never to answer (Mode). The local runner (infra/devstack) starts them; no Lambda
// links this package.
package solutions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/collab"
)

// The detail types the solutions receive (internal/events).
const (
	teardownCommand = "TeardownCommand"
	factsRequested  = "FactsRequested"
	// handOverBackup is Payroll's teardown step that hands the company a backup file.
	handOverBackup = "hand_over_backup"
)

// BackupDays is how long a simulated Payroll backup can be downloaded.
const BackupDays = 30

// Mode is how a simulated solution answers.
type Mode string

// The modes: Answer is the default.
const (
	Answer Mode = "answer" // acknowledge every command done, answer every fact request
	Fail   Mode = "fail"   // acknowledge every command failed (fact requests are still answered)
	Silent Mode = "silent" // receive and drop everything, never answer
)

// ParseMode returns the mode named s.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Answer, Fail, Silent:
		return m, nil
	}
	return "", fmt.Errorf("solutions: unknown mode %q (answer, fail or silent)", s)
}

// Integration is what one simulated solution needs: its queue and the credentials it signs with.
type Integration struct {
	Solution    collab.Solution
	QueueURL    string
	Credentials aws.Credentials
}

// Options configure the simulated solutions.
type Options struct {
	API    string // base URL of the HTTP API, e.g. http://127.0.0.1:3000
	Region string // the region requests are signed for
	SQS    *sqs.Client
	// Delay is how long a solution takes to carry out a command or look up its facts before
	// answering; 0 answers at once.
	Delay time.Duration
	// Modes switch solutions from Answer; SetMode changes them while running.
	Modes map[collab.Solution]Mode
	// Now is the stack's clock, which the facts' times and the backup's expiry follow.
	Now func() time.Time
	Log *slog.Logger
	// Wait is the long-poll time of one receive, in seconds; 0 polls every 50 ms instead (a
	// long poll cut short by a stop goes on in the emulator and can take a message meant for
	// whoever polls next, which tests that start and stop integrations on one queue avoid).
	Wait int32
	// RetryAfter is when a message whose answer the API did not take comes back; default 5 s,
	// negative for at once.
	RetryAfter time.Duration
}

// Solutions are the running simulated integrations.
type Solutions struct {
	o            Options
	integrations []Integration
	client       *http.Client
	signer       *v4.Signer
	backups      *backups

	mu    sync.Mutex
	modes map[collab.Solution]Mode
}

// New returns the simulated integrations; Start runs them.
func New(o Options, integrations []Integration) *Solutions {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.RetryAfter == 0:
		o.RetryAfter = 5 * time.Second
	case o.RetryAfter < 0:
		o.RetryAfter = 0
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Solutions{o: o, integrations: integrations, signer: v4.NewSigner(), modes: map[collab.Solution]Mode{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}}
	for id, m := range o.Modes {
		s.modes[id] = m
	}
	return s
}

// QueueOf returns the logical ID of the queue the template's rules deliver solution's commands
// to: the SQS target of the rule whose pattern names the solution in detail.solution. It fails
// when no rule, or more than one, does.
func QueueOf(tpl *samtemplate.Template, solution collab.Solution) (string, error) {
	var found []string
	for _, r := range tpl.Rules {
		var p struct {
			Detail struct {
				Solution []string `json:"solution"`
			} `json:"detail"`
		}
		if json.Unmarshal([]byte(r.Pattern), &p) != nil || !slices.Contains(p.Detail.Solution, string(solution)) {
			continue
		}
		for _, t := range r.Targets {
			found = append(found, t.Queue)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("solutions: template.yaml routes %s's commands to %d queues (%s), want one rule with one SQS target",
			solution, len(found), strings.Join(found, ", "))
	}
	return found[0], nil
}

// SetMode switches how solution answers from now on.
func (s *Solutions) SetMode(solution collab.Solution, m Mode) {
	s.mu.Lock()
	s.modes[solution] = m
	s.mu.Unlock()
}

// ModeOf returns how solution answers.
func (s *Solutions) ModeOf(solution collab.Solution) Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.modes[solution]; ok {
		return m
	}
	return Answer
}

// Start starts Payroll's backup download server on a loopback port and a poller per solution,
// which run until ctx ends; wg tracks them.
func (s *Solutions) Start(ctx context.Context, wg *sync.WaitGroup) error {
	b, err := startBackups(ctx, wg, s.o.Log)
	if err != nil {
		return err
	}
	s.backups = b
	for _, in := range s.integrations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n, err := s.once(ctx, in)
				pause := time.Duration(0)
				switch {
				case err != nil && ctx.Err() == nil:
					s.o.Log.Error("simulated solution", "solution", in.Solution, "error", err.Error())
					pause = time.Second
				case n == 0 && s.o.Wait == 0:
					pause = 50 * time.Millisecond // short polls: do not spin
				}
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}()
	}
	return nil
}

// BackupURL is the base of the backup links the simulated Payroll hands over.
func (s *Solutions) BackupURL() string { return s.backups.url }

// envelope is an event as an EventBridge rule's SQS target receives it.
type envelope struct {
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// command is a TeardownCommand's detail, as far as an integration needs it.
type command struct {
	CollaborationID string `json:"collaborationId"`
	CompanyID       string `json:"companyId"`
	Solution        string `json:"solution"`
	Step            string `json:"step"`
	Attempt         int    `json:"attempt"`
	AcknowledgePath string `json:"acknowledgePath"`
}

// factsRequest is a FactsRequested's detail.
type factsRequest struct {
	CompanyID string `json:"companyId"`
	Solution  string `json:"solution"`
	Reason    string `json:"reason"`
}

// once receives one batch from in's queue and answers every message in it, each after the
// delay, at the same time. It returns how many messages it received.
func (s *Solutions) once(ctx context.Context, in Integration) (int, error) {
	got, err := s.o.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(in.QueueURL),
		MaxNumberOfMessages: 10, WaitTimeSeconds: s.o.Wait})
	if err != nil {
		return 0, fmt.Errorf("receive from %s: %w", in.QueueURL, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(got.Messages))
	for i, m := range got.Messages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.handle(ctx, in, m)
		}()
	}
	wg.Wait()
	return len(got.Messages), errors.Join(errs...)
}

// handle answers one message and deletes it once answered; a message the API did not take comes
// back after Options.RetryAfter.
func (s *Solutions) handle(ctx context.Context, in Integration, m sqstypes.Message) error {
	if s.o.Delay > 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.o.Delay):
		}
	}
	done, attrs := s.answer(ctx, in, aws.ToString(m.Body))
	s.o.Log.Info("simulated solution", append([]any{"solution", in.Solution}, attrs...)...)
	if !done {
		_, err := s.o.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(in.QueueURL),
			ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(s.o.RetryAfter.Seconds())})
		return err
	}
	_, err := s.o.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(in.QueueURL), ReceiptHandle: m.ReceiptHandle})
	return err
}

// answer does what the message asks and reports whether it is done with, and what to log: ids,
// the step and the API's answer, nothing personal.
func (s *Solutions) answer(ctx context.Context, in Integration, body string) (bool, []any) {
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return true, []any{"dropped", "not an EventBridge event"}
	}
	mode := s.ModeOf(in.Solution)
	switch e.DetailType {
	case teardownCommand:
		var c command
		if err := json.Unmarshal(e.Detail, &c); err != nil || c.AcknowledgePath == "" {
			return true, []any{"command", e.DetailType, "dropped", "no acknowledgePath"}
		}
		attrs := []any{"command", e.DetailType, "collaboration_id", c.CollaborationID, "step", c.Step, "attempt", c.Attempt, "mode", mode}
		if mode == Silent {
			return true, append(attrs, "answered", false)
		}
		status, code := s.send(ctx, in, http.MethodPost, c.AcknowledgePath, s.acknowledgement(c, mode))
		return status/100 == 2 || status == http.StatusConflict && code == "step_not_pending",
			append(attrs, "status", status, "code", code)
	case factsRequested:
		var f factsRequest
		json.Unmarshal(e.Detail, &f)
		attrs := []any{"command", e.DetailType, "company_id", f.CompanyID, "reason", f.Reason, "mode", mode}
		if mode == Silent || f.CompanyID == "" {
			return true, append(attrs, "answered", false)
		}
		status, code := s.send(ctx, in, http.MethodPut, "/companies/"+f.CompanyID+"/solutions/"+string(in.Solution)+"/status", s.facts(in.Solution))
		return status/100 == 2, append(attrs, "status", status, "code", code)
	}
	return true, []any{"command", e.DetailType, "dropped", "not a detail type for solutions"}
}

// acknowledgement is the answer to command c: done (Payroll's handover with its backup, an
// export with its link), or failed in mode Fail.
func (s *Solutions) acknowledgement(c command, mode Mode) any {
	type backup struct {
		URL            string `json:"url"`
		AvailableUntil string `json:"availableUntil"`
	}
	type ack struct {
		Result string  `json:"result"`
		Reason string  `json:"reason,omitempty"`
		Backup *backup `json:"backup,omitempty"`
		Export *backup `json:"export,omitempty"`
	}
	if mode == Fail {
		return ack{Result: "failed", Reason: "the simulated " + c.Solution + " integration was told to fail (local stack)"}
	}
	a := ack{Result: "done"}
	until := s.o.Now().Add(BackupDays * 24 * time.Hour).UTC().Truncate(time.Second)
	switch c.Step {
	case handOverBackup:
		a.Backup = &backup{URL: s.backups.add(c.CollaborationID, c.CompanyID, s.o.Now()), AvailableUntil: until.Format(time.RFC3339)}
	case string(collab.StepExportData): // the export downloads from the same local server
		a.Export = &backup{URL: s.backups.add(c.CollaborationID, c.CompanyID, s.o.Now()), AvailableUntil: until.Format(time.RFC3339)}
	}
	return a
}

// facts are what a solution reports so that an end may go ahead: Payroll's customer is a
// Payroll user synchronised after the last change, Travel & Expenses has nothing unsubmitted,
// the others report nothing.
func (s *Solutions) facts(solution collab.Solution) any {
	now := s.o.Now().UTC().Truncate(time.Second)
	switch solution {
	case "payroll":
		return map[string]any{"customerIsPayrollUser": true, "lastSyncAt": now.Format(time.RFC3339),
			"lastChangeAt": now.Add(-time.Hour).Format(time.RFC3339)}
	case "travel-expenses":
		return map[string]any{"unsubmittedReports": 0, "usersWithUnsubmittedExpenses": []string{}}
	}
	return map[string]any{}
}

// send calls the API signed as in's integration and returns the status and the error code of
// its answer (0 when the API could not be reached).
func (s *Solutions) send(ctx context.Context, in Integration, method, path string, v any) (int, string) {
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(s.o.API, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, "request_invalid"
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := s.signer.SignHTTP(ctx, in.Credentials, req, hex.EncodeToString(sum[:]), "execute-api", s.o.Region, time.Now()); err != nil {
		return 0, "signing_failed"
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "unreachable"
	}
	defer resp.Body.Close()
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code
}
