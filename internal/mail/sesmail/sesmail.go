// Package sesmail sends the service's e-mails through Amazon SES. Only the e-mail worker (and the
// local runner) import it, so the other functions do not initialize the SES client package at
// cold start.
package sesmail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/spiris/collab/internal/mail"
)

// Mailer sends e-mail through Amazon SES from one verified sender.
type Mailer struct {
	Client *ses.Client
	From   string
}

// Send sends one e-mail to one address. It returns an error wrapping mail.ErrRejected for a permanent
// refusal; any other error (throttling, a transient failure the SDK's retries did not outlast)
// is worth retrying.
func (s *Mailer) Send(ctx context.Context, to string, m mail.Rendered) error {
	_, err := s.Client.SendEmail(ctx, &ses.SendEmailInput{
		Source:      aws.String(s.From),
		Destination: &types.Destination{ToAddresses: []string{to}},
		Message: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
			},
		},
	})
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "MessageRejected", "MailFromDomainNotVerifiedException", "ConfigurationSetDoesNotExist", "InvalidParameterValue":
			return fmt.Errorf("send e-mail: %w: %s", mail.ErrRejected, api.ErrorCode())
		}
	}
	return fmt.Errorf("send e-mail: %w", err)
}
