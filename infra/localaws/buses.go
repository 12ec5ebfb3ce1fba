package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/spiris/collab/infra/samtemplate"
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

// RuleName returns the name of the rule declared as logicalID.
func (r *Resources) RuleName(logicalID string) string {
	rule, ok := r.rules[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no rule %q", logicalID))
	}
	return rule.name
}

// rule is a rule Provision created, on a bus ("" for the default bus).
type rule struct{ name, bus string }

// createRules creates each rule as <prefix>-<LogicalID> on its bus, with its pattern and its
// SQS targets (and their dead-letter queues), after the buses and queues it names exist. PutRule
// and PutTargets replace what exists under the same name and ids, so it is idempotent.
func (r *Resources) createRules(ctx context.Context, rules []samtemplate.Rule) error {
	eb := eventbridge.NewFromConfig(r.cfg)
	if r.rules == nil {
		r.rules = map[string]rule{}
	}
	for _, rl := range rules {
		name := r.Prefix + "-" + rl.LogicalID
		var bus *string
		if rl.Bus != "" {
			bus = aws.String(r.BusName(rl.Bus))
		}
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: bus,
			EventPattern: aws.String(rl.Pattern), State: ebtypes.RuleStateEnabled}); err != nil {
			return fmt.Errorf("localaws.Provision rule %s: %w", rl.LogicalID, err)
		}
		r.rules[rl.LogicalID] = rule{name: name, bus: aws.ToString(bus)}
		targets := make([]ebtypes.Target, len(rl.Targets))
		for i, t := range rl.Targets {
			targets[i] = ebtypes.Target{Id: aws.String(t.ID), Arn: aws.String(r.QueueARN(t.Queue))}
			if t.DeadLetterQueue != "" {
				targets[i].DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(r.QueueARN(t.DeadLetterQueue))}
			}
		}
		out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: bus, Targets: targets})
		if err == nil && out.FailedEntryCount > 0 {
			err = fmt.Errorf("%d targets refused: %s", out.FailedEntryCount, aws.ToString(out.FailedEntries[0].ErrorMessage))
		}
		if err != nil {
			return fmt.Errorf("localaws.Provision rule %s targets: %w", rl.LogicalID, err)
		}
	}
	return nil
}

// deleteRules deletes the rules Provision created, their targets first, as EventBridge requires.
func (r *Resources) deleteRules(ctx context.Context) error {
	eb := eventbridge.NewFromConfig(r.cfg)
	var errs []error
	for id, rl := range r.rules {
		var bus *string
		if rl.bus != "" {
			bus = aws.String(rl.bus)
		}
		targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rl.name), EventBusName: bus})
		if err == nil && len(targets.Targets) > 0 {
			ids := make([]string, len(targets.Targets))
			for i, t := range targets.Targets {
				ids[i] = aws.ToString(t.Id)
			}
			_, err = eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(rl.name), EventBusName: bus, Ids: ids})
		}
		if err == nil {
			_, err = eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rl.name), EventBusName: bus})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("localaws.Delete rule %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
