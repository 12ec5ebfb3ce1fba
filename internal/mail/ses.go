package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
)

// ErrRejected marks a send SES refused for good (bad address, unverified sender, content):
// retrying cannot help, so the worker records it and moves on.
var ErrRejected = errors.New("mail: rejected")

// SES sends e-mail through Amazon SES from one verified sender.
type SES struct {
	Client *ses.Client
	From   string
}

// Send sends one e-mail to one address. It returns an error wrapping ErrRejected for a permanent
// refusal; any other error (throttling, a transient failure the SDK's retries did not outlast)
// is worth retrying.
func (s *SES) Send(ctx context.Context, to string, m Rendered) error {
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
			return fmt.Errorf("send e-mail: %w: %s", ErrRejected, api.ErrorCode())
		}
	}
	return fmt.Errorf("send e-mail: %w", err)
}
