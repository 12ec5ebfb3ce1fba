// Command cleanup runs on a schedule: it does the time-driven work that is due (actions.Cleanup).
// An operator invokes it to re-drive one collaboration's teardown (actions.Redrive).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/logs"
)

// Input is what the function is invoked with: nothing from its schedule, or an operator's
// {"redrive": "<collaboration id>"} (docs/deploy.md, Teardown commands).
type Input struct {
	Redrive string `json:"redrive"`
}

func main() {
	svc := config.MustLoadWith(config.Extras{Bus: bus.New}) // a scheduled end's end-check asks for missing facts
	lambda.Start(func(ctx context.Context, in Input) (any, error) {
		ctx = logs.Invocation(ctx)
		if in.Redrive != "" {
			return svc.Redrive(ctx, in.Redrive)
		}
		return svc.Cleanup(ctx)
	})
}
