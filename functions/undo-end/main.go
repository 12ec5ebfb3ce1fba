// Command undo-end is the Lambda function behind POST /collaborations/{id}/undo-end: an
// administrator of the company undoes an end before its grace period's deadline (actions.UndoEnd).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "UndoEnd"))
}
