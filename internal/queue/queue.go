// Package queue sends the service's queued messages to SQS.
package queue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/internal/dynamo"
)

// SQS sends messages to the queue their Queue names.
type SQS struct {
	Client *sqs.Client
	URLs   map[string]string // logical queue name → queue URL
}

// Send sends one message; its body carries its id, which consumers deduplicate on.
func (q *SQS) Send(ctx context.Context, m dynamo.Message) error {
	url, ok := q.URLs[m.Queue]
	if !ok {
		return fmt.Errorf("send %s: no URL for queue %q", m.ID, m.Queue)
	}
	if _, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.Body)}); err != nil {
		return fmt.Errorf("send %s to %s: %w", m.ID, m.Queue, err)
	}
	return nil
}
