// Command activate is the Lambda function behind POST /offices/{officeId}/collaborations.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/identity/cognito"
	"github.com/spiris/collab/internal/secrets"
)

func main() {
	svc := config.MustLoadWith(config.Extras{
		TokenKeys: func(cfg aws.Config, secret string) actions.TokenKeys { return secrets.FromConfig(cfg, secret) },
		Identity:  func(cfg aws.Config, pool string) actions.Identity { return cognito.New(cfg, pool) },
	})
	lambda.Start(httpapi.Lambda(svc, "Activate"))
}
