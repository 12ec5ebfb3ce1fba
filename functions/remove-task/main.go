// Command remove-task is the Lambda function behind DELETE /offices/{officeId}/tasks/{taskId}.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "RemoveTask"))
}
