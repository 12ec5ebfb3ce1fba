// Command cancel-end is the Lambda function behind POST /collaborations/{id}/cancel-end.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "CancelEnd"))
}
