// Command cleanup runs on a schedule: it does the time-driven work that is due (actions.Cleanup).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/logs"
)

func main() {
	svc := config.MustLoad()
	lambda.Start(func(ctx context.Context) (actions.CleanupReport, error) { return svc.Cleanup(logs.Invocation(ctx)) })
}
