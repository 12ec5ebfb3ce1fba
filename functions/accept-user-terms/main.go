// Command accept-user-terms is the Lambda function behind PUT /users/{userId}/user-terms.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "AcceptUserTerms"))
}
