// Command remove-employee is the Lambda function behind DELETE /offices/{officeId}/employees/{userId}.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "RemoveEmployee"))
}
