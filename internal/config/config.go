// Package config wires a function from its environment: it reads the settings, builds the AWS
// clients once per cold start, and returns the actions service every handler calls.
package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/queue"
)

// Settings are the environment variables a function reads.
type Settings struct {
	Table            string        // TABLE_NAME
	TeardownQueueURL string        // TEARDOWN_QUEUE_URL
	EmailQueueURL    string        // EMAIL_QUEUE_URL
	TokenKey         []byte        // TOKEN_KEY, base64, at least 32 bytes
	InvitationTTL    time.Duration // INVITATION_TTL, e.g. 720h; default 30 days
	Sender           string        // SENDER_EMAIL: the verified SES identity e-mails come from
	BaseURL          string        // BASE_URL: where e-mail links point
	Timing           dynamo.Timing // REMINDER_DAYS: days before an agreement period ends its reminder goes out (14)
}

// FromEnv reads the settings.
func FromEnv() (Settings, error) {
	s := Settings{
		Table:            os.Getenv("TABLE_NAME"),
		TeardownQueueURL: os.Getenv("TEARDOWN_QUEUE_URL"),
		EmailQueueURL:    os.Getenv("EMAIL_QUEUE_URL"),
		InvitationTTL:    actions.DefaultInvitationTTL,
		Sender:           os.Getenv("SENDER_EMAIL"),
		BaseURL:          os.Getenv("BASE_URL"),
		Timing:           dynamo.DefaultTiming,
	}
	if s.Table == "" {
		return s, fmt.Errorf("config: TABLE_NAME is not set")
	}
	key, err := base64.StdEncoding.DecodeString(os.Getenv("TOKEN_KEY"))
	if err != nil || len(key) < 32 {
		return s, fmt.Errorf("config: TOKEN_KEY must be at least 32 bytes, base64-encoded")
	}
	s.TokenKey = key
	if v := os.Getenv("INVITATION_TTL"); v != "" {
		if s.InvitationTTL, err = time.ParseDuration(v); err != nil || s.InvitationTTL <= 0 {
			return s, fmt.Errorf("config: INVITATION_TTL %q is not a positive duration", v)
		}
	}
	if v := os.Getenv("REMINDER_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 365 {
			return s, fmt.Errorf("config: REMINDER_DAYS %q is not a number of days from 1 to 365", v)
		}
		s.Timing.ReminderLead = time.Duration(days) * 24 * time.Hour
	}
	return s, nil
}

// Service builds the actions service from settings and the AWS configuration. It has no Mailer:
// only the e-mail worker sends e-mail (MustLoadMailing), so the other functions do not
// initialize the SES client package at cold start.
func Service(s Settings, cfg aws.Config) *actions.Service {
	return &actions.Service{
		Store: dynamo.New(dynamodb.NewFromConfig(cfg), s.Table, s.Timing),
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URLs: map[string]string{
			actions.TeardownQueue: s.TeardownQueueURL, actions.EmailQueue: s.EmailQueueURL}},
		BaseURL:       s.BaseURL,
		AnswerURL:     os.Getenv("ANSWER_URL"),
		Log:           slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		Now:           time.Now,
		NewID:         actions.NewID,
		TokenKey:      s.TokenKey,
		InvitationTTL: s.InvitationTTL,
	}
}

// MustLoad reads the environment and builds the service, panicking at cold start if the
// function is misconfigured (Lambda reports the failed init; no request is served wrongly).
func MustLoad() *actions.Service { return mustLoad(nil) }

// MustLoadMailing is MustLoad for the e-mail worker: the service sends through the Mailer that
// newMailer builds from the AWS configuration and the sender (SENDER_EMAIL).
func MustLoadMailing(newMailer func(cfg aws.Config, sender string) actions.Mailer) *actions.Service {
	return mustLoad(newMailer)
}

func mustLoad(newMailer func(aws.Config, string) actions.Mailer) *actions.Service {
	s, err := FromEnv()
	if err != nil {
		panic(err)
	}
	cfg, err := awsenv.Config()
	if err != nil {
		panic(err)
	}
	svc := Service(s, cfg)
	if newMailer != nil {
		svc.Mailer = newMailer(cfg, s.Sender)
	}
	return svc
}
