// Command put-task is the Lambda function behind PUT /offices/{officeId}/tasks/{taskId}.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "PutTask"))
}
