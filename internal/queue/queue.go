// Package queue sends the service's queued messages to SQS.
package queue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spiris/collab/internal/actions/port"
)

// SQS sends messages to the queue their Queue names.
type SQS struct {
	Client *sqs.Client
	URLs   map[string]string // logical queue name → queue URL
}

// Send sends one message; its body carries its id, which consumers deduplicate on, and its
// trace header goes as the AWSTraceHeader system attribute.
func (q *SQS) Send(ctx context.Context, m port.Message) error {
	url, ok := q.URLs[m.Queue]
	if !ok {
		return fmt.Errorf("send %s: no URL for queue %q", m.ID, m.Queue)
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.Body)}
	if m.Trace != "" { // X-Ray links the consuming function's trace to the request's
		in.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(m.Trace)}}
	}
	if _, err := q.Client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send %s to %s: %w", m.ID, m.Queue, err)
	}
	return nil
}
