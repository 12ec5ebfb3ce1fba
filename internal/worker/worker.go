// Package worker turns SQS batches (Lambda event source mappings with ReportBatchItemFailures)
// into calls of an action per message, reporting the messages that failed so that only those
// are retried and, after the queue's maxReceiveCount, dead-lettered.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/logs"
)

// ErrMalformed marks a message whose body is not a job; it can never succeed, so it is reported
// failed until the queue dead-letters it, where an operator sees it.
var ErrMalformed = errors.New("worker: message is not a job")

// Handler returns the batch handler running do for each message's job, concurrently. It never
// returns an error and never panics: a failing or panicking message is reported in
// BatchItemFailures and the others succeed.
func Handler(log *slog.Logger, do func(context.Context, actions.Job) error) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		ctx = logs.Invocation(ctx)
		var mu sync.Mutex
		var resp events.SQSEventResponse
		var wg sync.WaitGroup
		for _, m := range e.Records {
			wg.Add(1)
			go func() {
				defer wg.Done()
				began := time.Now()
				ctx, err := run(ctx, m, do)
				if err == nil {
					log.InfoContext(ctx, "message done", "message", m.MessageId, "receives",
						m.Attributes["ApproximateReceiveCount"], "duration_ms", time.Since(began).Milliseconds())
				} else {
					log.ErrorContext(ctx, "message failed", "message", m.MessageId, "receives",
						m.Attributes["ApproximateReceiveCount"], "error", err.Error())
					mu.Lock()
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return resp, nil
	}
}

// run runs do for the message's job, returning the context of its log lines: the job's
// collaboration and the trace of the request that queued it.
func run(ctx context.Context, m events.SQSMessage, do func(context.Context, actions.Job) error) (out context.Context, err error) {
	out = ctx
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	var j actions.Job
	// A job names its collaboration, its task (a task change in steps) or its user (a company's
	// e-mail to its user).
	if err := json.Unmarshal([]byte(m.Body), &j); err != nil || j.ID == "" || j.CollaborationID == "" && j.Task == nil && j.UserID == "" {
		return ctx, ErrMalformed
	}
	out = logs.WithCollaboration(ctx, j.CollaborationID)
	if trace := m.Attributes["AWSTraceHeader"]; trace != "" {
		out = logs.WithTrace(out, trace) // the request that queued the job
	}
	return out, do(out, j)
}
