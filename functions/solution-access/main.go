// Command solution-access is the Lambda function behind GET /solutions/{solution}/companies/{companyId}/access:
// a solution's integration reads who may use it in a company (actions.SolutionAccess).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
)

func main() {
	lambda.Start(httpapi.Lambda(config.MustLoad(), "SolutionAccess"))
}
