package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// BusName returns the name of the event bus declared as logicalID.
func (r *Resources) BusName(logicalID string) string {
	name, ok := r.buses[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no event bus %q", logicalID))
	}
	return name
}

// createBuses creates each event bus as <prefix>-<LogicalID>; a bus that exists is reused.
func (r *Resources) createBuses(ctx context.Context, ids []string) error {
	eb := eventbridge.NewFromConfig(r.cfg)
	if r.buses == nil {
		r.buses = map[string]string{}
	}
	for _, id := range ids {
		name := r.Prefix + "-" + id
		_, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
		var exists *ebtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("localaws.Provision event bus %s: %w", id, err)
		}
		r.buses[id] = name
	}
	return nil
}

// deleteBuses deletes the event buses Provision created, with the rules on them.
func (r *Resources) deleteBuses(ctx context.Context) error {
	eb := eventbridge.NewFromConfig(r.cfg)
	var errs []error
	for id, name := range r.buses {
		rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(name)})
		if err == nil {
			for _, rule := range rules.Rules {
				targets, _ := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rule.Name, EventBusName: aws.String(name)})
				if targets != nil && len(targets.Targets) > 0 {
					ids := make([]string, len(targets.Targets))
					for i, t := range targets.Targets {
						ids[i] = aws.ToString(t.Id)
					}
					eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: rule.Name, EventBusName: aws.String(name), Ids: ids})
				}
				eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: rule.Name, EventBusName: aws.String(name)})
			}
		}
		if _, err := eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)}); err != nil {
			errs = append(errs, fmt.Errorf("localaws.Delete event bus %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
