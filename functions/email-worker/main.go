// Command email-worker consumes the e-mail queue: it sends each job's e-mails through SES, once
// per recipient (actions.Deliver), reporting failed messages for retry.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/worker"
)

func main() {
	svc := config.MustLoad()
	lambda.Start(worker.Handler(svc.Log, svc.Deliver))
}
