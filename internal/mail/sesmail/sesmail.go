// Package sesmail sends the service's e-mails through Amazon SES. Only the e-mail worker (and the
// local runner) import it, so the other functions do not initialize the SES client package at
// cold start.
package sesmail

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/spiris/collab/internal/logs"
	"github.com/spiris/collab/internal/mail"
)

// Mailer sends e-mail through Amazon SES from one verified sender.
type Mailer struct {
	Client *ses.Client
	From   string
}

// Send sends one e-mail to one address. Its error wraps mail.ErrRejected when SES refuses the
// recipient for good, mail.ErrSenderUnavailable when SES will not send from this sender until
// an operator acts or the quota allows, and neither for any other failure (worth retrying too).
// No error it returns names an e-mail address.
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
		kind := classify(api.ErrorCode(), api.ErrorMessage(), s.From)
		text := "SES " + api.ErrorCode() + ": " + logs.Redact(api.ErrorMessage())
		if kind != nil {
			text = kind.Error() + " (" + text + ")"
		}
		return &sendError{text: "send e-mail: " + text, kind: kind, cause: err}
	}
	return &sendError{text: "send e-mail: " + logs.Redact(err.Error()), cause: err}
}

// sendError is a failed send as the worker logs and stores it: its text is redacted, and it
// unwraps to its kind (a mail sentinel, or nil) and to the SDK's error.
type sendError struct {
	text        string
	kind, cause error
}

func (e *sendError) Error() string { return e.text }

func (e *sendError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// senderCodes are the SendEmail errors that say the sender cannot send, whatever the message.
var senderCodes = map[string]bool{
	"MailFromDomainNotVerifiedException":     true,
	"ConfigurationSetDoesNotExist":           true,
	"ConfigurationSetSendingPausedException": true,
	"AccountSendingPausedException":          true,
}

// addressTexts are what SES (and moto, "Missing domain") answer, as MessageRejected or
// InvalidParameterValue, about an address it cannot deliver to; the legacy blacklist and the
// suppression list refuse a recipient too.
var addressTexts = []string{
	"missing final '@domain'", "missing domain", "illegal address", "local address contains",
	"domain contains", "domain ends with dot", "domain starts with dot", "domain name is empty",
	"missing local name", "address blacklisted", "suppression list",
}

// classify says whose fault a SendEmail error is: mail.ErrSenderUnavailable for the sender's,
// mail.ErrRejected for the recipient's, nil when it cannot tell (retried, the safe default).
// from is the sender's address: an address error while the sender's own address is malformed
// is the sender's.
func classify(code, message, from string) error {
	msg := strings.ToLower(message)
	switch {
	case senderCodes[code]:
		return mail.ErrSenderUnavailable
	case code == "Throttling" && (strings.Contains(msg, "daily message quota exceeded") || strings.Contains(msg, "maximum sending rate exceeded")):
		return mail.ErrSenderUnavailable
	case code == "MessageRejected" && (strings.Contains(msg, "not verified") || strings.Contains(msg, "sending suspended") || strings.Contains(msg, "sending paused")):
		// "Email address is not verified. The following identities failed the check in
		// region …": the sender's identity, or (in the SES sandbox) the recipient, which
		// only an operator can fix by leaving the sandbox.
		return mail.ErrSenderUnavailable
	case code != "MessageRejected" && code != "InvalidParameterValue":
		return nil
	}
	for _, t := range addressTexts {
		if strings.Contains(msg, t) {
			if !wellFormed(from) {
				return mail.ErrSenderUnavailable
			}
			return mail.ErrRejected
		}
	}
	return nil
}

// wellFormed reports whether a sender ("a@b.example" or "Name <a@b.example>") has an address
// with a local part and a domain, and no white space in it.
func wellFormed(from string) bool {
	if i := strings.LastIndexByte(from, '<'); i >= 0 && strings.HasSuffix(from, ">") {
		from = from[i+1 : len(from)-1]
	}
	at := strings.LastIndexByte(from, '@')
	return at > 0 && at < len(from)-1 && !strings.ContainsAny(from, " \t\r\n") &&
		!strings.HasPrefix(from[at+1:], ".") && !strings.HasSuffix(from, ".")
}
