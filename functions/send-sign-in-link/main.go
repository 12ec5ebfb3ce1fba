// Command send-sign-in-link is the Lambda function behind
// POST /companies/{companyId}/users/{userId}/sign-in-link.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/identity/cognito"
)

func main() {
	svc := config.MustLoadWith(config.Extras{
		Identity: func(cfg aws.Config, pool string) actions.Identity { return cognito.New(cfg, pool) },
	})
	lambda.Start(httpapi.Lambda(svc, "SendSignInLink"))
}
