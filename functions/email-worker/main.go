// Command email-worker consumes the e-mail queue: it sends each job's e-mails through SES, once
// per recipient (actions.Deliver), reporting failed messages for retry.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/identity/cognito"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/secrets"
	"github.com/spiris/collab/internal/worker"
)

func main() {
	svc := config.MustLoadWith(config.Extras{
		Mailer: func(cfg aws.Config, sender string) actions.Mailer {
			return &sesmail.Mailer{Client: ses.NewFromConfig(cfg), From: sender}
		},
		TokenKeys: func(cfg aws.Config, secret string) actions.TokenKeys { return secrets.FromConfig(cfg, secret) },
		Bus:       bus.New,
		Identity:  func(cfg aws.Config, pool string) actions.Identity { return cognito.New(cfg, pool) },
	})
	lambda.Start(worker.Handler(svc.Log, svc.Deliver))
}
