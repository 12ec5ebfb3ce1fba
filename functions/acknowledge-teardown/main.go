// Command acknowledge-teardown is the Lambda function behind POST /collaborations/{id}/teardown/{step}:
// a solution's integration answers a teardown command (actions.AcknowledgeTeardown).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "AcknowledgeTeardown"))
}
