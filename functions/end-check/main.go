// Command end-check is the Lambda function behind GET /collaborations/{id}/end-check.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoadWith(config.Extras{Bus: bus.New}), "EndCheck"))
}
