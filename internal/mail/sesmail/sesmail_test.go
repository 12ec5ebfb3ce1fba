package sesmail_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/mail"
	"github.com/spiris/collab/internal/mail/sesmail"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var ctx = context.Background()

var message = mail.Rendered{Subject: "Inbjudan", Text: "Hej", HTML: "<p>Hej</p>"}

// sesAnswers answers every SES request with one error, as SES puts it on the wire.
type sesAnswers struct {
	status        int
	code, message string
}

func (a sesAnswers) Do(r *http.Request) (*http.Response, error) {
	var msg strings.Builder
	xml.EscapeText(&msg, []byte(a.message))
	body := `<ErrorResponse><Error><Type>Sender</Type><Code>` + a.code + `</Code><Message>` + msg.String() +
		`</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// kind names the sentinel an error wraps.
func kind(err error) string {
	switch {
	case err == nil:
		return "sent"
	case errors.Is(err, mail.ErrRejected) && errors.Is(err, mail.ErrSenderUnavailable):
		return "both"
	case errors.Is(err, mail.ErrRejected):
		return "recipient"
	case errors.Is(err, mail.ErrSenderUnavailable):
		return "sender"
	}
	return "retry"
}

// noAddress fails the test when an error's text names an e-mail address.
func noAddress(t *testing.T, err error, addresses ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, a := range addresses {
		if strings.Contains(err.Error(), a) {
			t.Errorf("error names %s: %v", a, err)
		}
	}
}

func TestSendClassifiesWhatSESAnswers(t *testing.T) {
	const from, to = "no-reply@collab.test", "anna.andersson@customer.test"
	for _, c := range []struct {
		name          string
		from          string // the sender, when not from
		status        int
		code, message string
		want          string // sender (retried until fixed), recipient (recorded), retry (unknown: retried)
	}{
		{"sender_identity_not_verified", "", 400, "MessageRejected", "Email address is not verified. The following identities failed the check in region EU-NORTH-1: " + from, "sender"},
		{"recipient_not_verified_in_the_sandbox", "", 400, "MessageRejected", "Email address is not verified. The following identities failed the check in region EU-NORTH-1: " + to, "sender"},
		{"moto_sender_not_verified", "", 400, "MessageRejected", "Email address not verified " + from, "sender"},
		{"mail_from_domain_not_verified", "", 400, "MailFromDomainNotVerifiedException", "Could not read the MX record of the MAIL FROM domain", "sender"},
		{"configuration_set_missing", "", 400, "ConfigurationSetDoesNotExist", "Configuration set <collab> does not exist.", "sender"},
		{"account_sending_paused", "", 400, "AccountSendingPausedException", "Sending is paused for this account.", "sender"},
		{"configuration_set_sending_paused", "", 400, "ConfigurationSetSendingPausedException", "Sending is paused for this configuration set.", "sender"},
		{"legacy_sending_suspended", "", 400, "MessageRejected", "Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account.", "sender"},
		{"daily_quota_exceeded", "", 400, "Throttling", "Daily message quota exceeded.", "sender"},
		{"sending_rate_exceeded", "", 400, "Throttling", "Maximum sending rate exceeded.", "sender"},
		{"recipient_missing_domain", "", 400, "InvalidParameterValue", "Missing final '@domain'", "recipient"},
		{"moto_recipient_missing_domain", "", 400, "InvalidParameterValue", "Missing domain", "recipient"},
		{"recipient_illegal_address", "", 400, "InvalidParameterValue", "Illegal address", "recipient"},
		{"recipient_local_part_with_whitespace", "", 400, "InvalidParameterValue", "Local address contains control or whitespace", "recipient"},
		{"recipient_domain_with_illegal_character", "", 400, "MessageRejected", "Domain contains illegal character", "recipient"},
		{"recipient_on_the_blacklist", "", 400, "MessageRejected", "Address blacklisted.", "recipient"},
		{"sender_address_malformed", "no-reply", 400, "InvalidParameterValue", "Missing final '@domain'", "sender"},
		{"sender_with_name_malformed", "Spiris <no-reply@>", 400, "InvalidParameterValue", "Missing final '@domain'", "sender"},
		{"sender_with_name_and_recipient_malformed", "Spiris <" + from + ">", 400, "InvalidParameterValue", "Missing final '@domain'", "recipient"},
		{"other_throttling", "", 400, "Throttling", "Rate exceeded", "retry"},
		{"content_rejected", "", 400, "MessageRejected", "Message length is more than 10485760 bytes long.", "retry"},
		{"other_invalid_parameter", "", 400, "InvalidParameterValue", "The subject must be specified.", "retry"},
		{"service_unavailable", "", 503, "ServiceUnavailable", "Service is unavailable.", "retry"},
		{"unknown_code", "", 400, "SomethingNew", "Something about " + to, "retry"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sender := from
			if c.from != "" {
				sender = c.from
			}
			m := &sesmail.Mailer{From: sender, Client: ses.New(ses.Options{Region: "eu-north-1", Credentials: aws.AnonymousCredentials{},
				HTTPClient: sesAnswers{c.status, c.code, c.message}, Retryer: aws.NopRetryer{}})}
			err := m.Send(ctx, to, message)
			if got := kind(err); got != c.want {
				t.Fatalf("%s %q is %s, want %s (%v)", c.code, c.message, got, c.want, err)
			}
			if !strings.Contains(err.Error(), c.code) {
				t.Errorf("error does not name SES's code: %v", err)
			}
			noAddress(t, err, from, to)
		})
	}
}

func TestSendThroughTheEmulator(t *testing.T) {
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	from, to := "no-reply+"+res.Prefix+"@collab.test", "anna+"+res.Prefix+"@customer.test"
	m := &sesmail.Mailer{Client: ses.NewFromConfig(cfg), From: from}

	err = m.Send(ctx, to, message)
	if got := kind(err); got != "sender" {
		t.Fatalf("from an unverified sender: %s (%v), want sender", got, err)
	}
	noAddress(t, err, from, to)

	if err := localaws.VerifySender(ctx, cfg, from); err != nil {
		t.Fatal(err)
	}
	err = m.Send(ctx, "anna+"+res.Prefix, message) // no domain
	if got := kind(err); got != "recipient" {
		t.Fatalf("to an address without a domain: %s (%v), want recipient", got, err)
	}
	noAddress(t, err, from)

	if err := m.Send(ctx, to, message); err != nil {
		t.Fatalf("from a verified sender: %v", err)
	}
	sent, err := localaws.SentEmails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range sent {
		if s.From == from {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the emulator holds %d e-mails from the sender, want 1", n)
	}
}
