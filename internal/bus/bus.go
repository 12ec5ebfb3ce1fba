// Package bus publishes the service's events on its Amazon EventBridge bus.
package bus

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/events"
)

// maxEntries is how many entries one PutEvents call takes.
const maxEntries = 10

// PutEventsAPI is the part of the EventBridge client the bus uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge publishes on the bus named Name.
type EventBridge struct {
	Client PutEventsAPI
	Name   string
}

// New returns the publisher on the bus named name.
func New(cfg aws.Config, name string) actions.Bus {
	return &EventBridge{Client: eventbridge.NewFromConfig(cfg), Name: name}
}

// Publish sends the events, ten a call, and returns an error when EventBridge refused any: the
// caller publishes them all again, and consumers drop the ones they saw by their ids.
func (b *EventBridge) Publish(ctx context.Context, es []events.Event) error {
	for len(es) > 0 {
		n := min(len(es), maxEntries)
		entries := make([]types.PutEventsRequestEntry, n)
		for i, e := range es[:n] {
			entries[i] = types.PutEventsRequestEntry{EventBusName: aws.String(b.Name), Source: aws.String(events.Source),
				DetailType: aws.String(e.DetailType), Detail: aws.String(string(e.Detail))}
		}
		out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put events: %w", err)
		}
		if out.FailedEntryCount > 0 {
			return fmt.Errorf("put events: %d of %d refused (%s)", out.FailedEntryCount, n, firstFailure(out.Entries))
		}
		es = es[n:]
	}
	return nil
}

func firstFailure(rs []types.PutEventsResultEntry) string {
	for _, r := range rs {
		if r.ErrorCode != nil {
			return aws.ToString(r.ErrorCode)
		}
	}
	return "no error code"
}
