// Command teardown-worker consumes the teardown queue: it runs the teardown plan of each ending
// collaboration (actions.Teardown) and publishes the events jobs carry, reporting failed messages for retry.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/worker"
)

func main() {
	svc := config.MustLoadWith(config.Extras{Bus: bus.New})
	lambda.Start(worker.Handler(svc.Log, svc.Teardown))
}
