// Package eventsource does locally what a Lambda event source mapping does in AWS: it polls an SQS
// queue and feeds the messages to a function's batch handler (Poller). The local runner, the
// tests and the benchmarks run the workers through it; no Lambda links it.
package eventsource

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// BatchHandler is a Lambda handler for SQS events with partial batch responses.
type BatchHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Poller feeds a queue's messages to a batch handler the way a Lambda event source mapping with
// ReportBatchItemFailures does: it receives up to BatchSize messages, calls the handler, deletes
// the messages that succeeded and leaves the failed ones to come back after their visibility
// timeout, so the queue's redrive policy dead-letters a message that keeps failing. The local
// runner and the tests use it; in AWS, Lambda polls.
type Poller struct {
	SQS       *sqs.Client
	QueueURL  string
	QueueARN  string
	BatchSize int32
	Handler   BatchHandler
	// Wait is the long-poll time of one receive, in seconds (0 returns at once).
	Wait int32
	// RetryAfter, when set, makes failed messages visible again after this long instead of
	// after the queue's visibility timeout (tests and the local runner retry sooner).
	RetryAfter *time.Duration
}

// Once receives one batch and handles it. It returns how many messages it received.
func (p *Poller) Once(ctx context.Context) (int, error) {
	got, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.QueueURL),
		MaxNumberOfMessages:         max(p.BatchSize, 1),
		WaitTimeSeconds:             p.Wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return 0, fmt.Errorf("receive from %s: %w", p.QueueURL, err)
	}
	if len(got.Messages) == 0 {
		return 0, nil
	}
	e := events.SQSEvent{Records: make([]events.SQSMessage, len(got.Messages))}
	for i, m := range got.Messages {
		e.Records[i] = events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: p.QueueARN}
	}
	resp, err := p.Handler(ctx, e)
	failed := map[string]bool{}
	if err != nil { // the whole batch failed, as Lambda treats a handler error
		for _, m := range got.Messages {
			failed[aws.ToString(m.MessageId)] = true
		}
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var done []types.DeleteMessageBatchRequestEntry
	for _, m := range got.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			done = append(done, types.DeleteMessageBatchRequestEntry{Id: m.MessageId, ReceiptHandle: m.ReceiptHandle})
			continue
		}
		if p.RetryAfter != nil {
			p.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(p.QueueURL),
				ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(p.RetryAfter.Seconds())})
		}
	}
	if len(done) > 0 {
		if _, err := p.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: done}); err != nil {
			return len(got.Messages), fmt.Errorf("delete from %s: %w", p.QueueURL, err)
		}
	}
	return len(got.Messages), nil
}

// Run polls until ctx ends, pausing briefly after an error.
func (p *Poller) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}
