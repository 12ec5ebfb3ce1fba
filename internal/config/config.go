// Package config wires a function from its environment: it reads the settings, builds the AWS
// clients once per cold start, and returns the actions service every handler calls.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/logs"
	"github.com/spiris/collab/internal/metrics"
	"github.com/spiris/collab/internal/queue"
)

// Settings are the environment variables a function reads.
type Settings struct {
	Table            string        // TABLE_NAME
	TeardownQueueURL string        // TEARDOWN_QUEUE_URL
	EmailQueueURL    string        // EMAIL_QUEUE_URL
	EventBus         string        // EVENT_BUS_NAME: the EventBridge bus the workers publish the jobs' events on
	TokenKeySecret   string        // TOKEN_KEY_SECRET: the Secrets Manager secret holding the invitation-token key; set only for the functions that mint links
	InvitationTTL    time.Duration // INVITATION_TTL, e.g. 720h; default 30 days
	Sender           string        // SENDER_EMAIL: the verified SES identity e-mails come from
	BaseURL          string        // BASE_URL: where e-mail links point
	AnswerURL        string        // ANSWER_URL: where the invitation page's answers go; empty for this API's own (local runner)
	UserPool         string        // USER_POOL_ID: the user pool the service creates people in; empty with an external identity provider
	SignInURL        string        // SIGN_IN_URL: the sign-in page a first sign-in link leads to
	MetricsNamespace string        // METRICS_NAMESPACE: the CloudWatch namespace of the business metrics
	Timing           port.Timing   // REMINDER_DAYS: days before an agreement period ends its reminder goes out (14)
	// Timing.InvitationReminderLead is INVITATION_REMINDER_DAYS: days before an invitation expires
	// the company's administrators are reminded (3; 0 for no reminder), less than INVITATION_TTL.
	// Timing.FactsMaxAge is FACTS_MAX_AGE_MINUTES: how old a solution's facts may be to decide an
	// end (60). Timing.CommandSends is COMMAND_SENDS: sends of an unanswered teardown command
	// before it is raised to the operators (5). Timing.GracePeriod is GRACE_DAYS: days an end
	// that deletes or archives a company's data waits before the data goes (30).
	// Integrations is INTEGRATION_ROLES: solution=role name pairs, comma-separated, naming the
	// IAM role each solution's integration signs with (a role may be named for several
	// solutions); default <solution id>-integration for every solution.
	Integrations actions.Integrations
	// IntegrationAccount is INTEGRATION_ACCOUNT_ID: the account of those roles; empty for any.
	IntegrationAccount string

	// FirstSignIn is FIRST_SIGN_IN_DAYS: how long a first sign-in code works (the user pool's
	// TemporaryPasswordValidityDays), which its link states; actions.DefaultFirstSignInValidity when unset.
	FirstSignIn time.Duration
}

// FromEnv reads the settings.
func FromEnv() (Settings, error) {
	s := Settings{
		Table:            os.Getenv("TABLE_NAME"),
		TeardownQueueURL: os.Getenv("TEARDOWN_QUEUE_URL"),
		EmailQueueURL:    os.Getenv("EMAIL_QUEUE_URL"),
		EventBus:         os.Getenv("EVENT_BUS_NAME"),
		InvitationTTL:    actions.DefaultInvitationTTL,
		Sender:           os.Getenv("SENDER_EMAIL"),
		BaseURL:          os.Getenv("BASE_URL"),
		AnswerURL:        os.Getenv("ANSWER_URL"),
		UserPool:         os.Getenv("USER_POOL_ID"),
		SignInURL:        os.Getenv("SIGN_IN_URL"),
		MetricsNamespace: os.Getenv("METRICS_NAMESPACE"),
		Timing:           port.DefaultTiming,
	}
	if s.Table == "" {
		return s, fmt.Errorf("config: TABLE_NAME is not set")
	}
	s.TokenKeySecret = os.Getenv("TOKEN_KEY_SECRET")
	var err error
	if v := os.Getenv("INVITATION_TTL"); v != "" {
		if s.InvitationTTL, err = time.ParseDuration(v); err != nil || s.InvitationTTL <= 0 {
			return s, fmt.Errorf("config: INVITATION_TTL %q is not a positive duration", v)
		}
	}
	if s.FirstSignIn, err = firstSignInDays(); err != nil {
		return s, err
	}
	if v := os.Getenv("REMINDER_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 365 {
			return s, fmt.Errorf("config: REMINDER_DAYS %q is not a number of days from 1 to 365", v)
		}
		s.Timing.ReminderLead = time.Duration(days) * 24 * time.Hour
	}
	if v := os.Getenv("INVITATION_REMINDER_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if s.Timing.InvitationReminderLead = time.Duration(days) * 24 * time.Hour; err != nil || days < 0 || s.Timing.InvitationReminderLead >= s.InvitationTTL {
			return s, fmt.Errorf("config: INVITATION_REMINDER_DAYS %q is not a number of days from 0 to less than INVITATION_TTL", v)
		}
	}
	if err := teardownTiming(&s.Timing); err != nil {
		return s, err
	}
	s.IntegrationAccount = os.Getenv("INTEGRATION_ACCOUNT_ID")
	if s.Integrations, err = ParseIntegrations(os.Getenv("INTEGRATION_ROLES")); err != nil {
		return s, err
	}
	return s, nil
}

// teardownTiming reads the teardown's settings into t: FACTS_MAX_AGE_MINUTES, COMMAND_SENDS and
// GRACE_DAYS.
func teardownTiming(t *port.Timing) error {
	for _, v := range []struct {
		name     string
		min, max int
		set      func(int)
	}{
		{"FACTS_MAX_AGE_MINUTES", 1, 100000, func(n int) { t.FactsMaxAge = time.Duration(n) * time.Minute }},
		{"COMMAND_SENDS", 1, 1000, func(n int) { t.CommandSends = n }},
		{"GRACE_DAYS", 0, 365, func(n int) { t.GracePeriod = time.Duration(n) * 24 * time.Hour }},
	} {
		raw := os.Getenv(v.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < v.min || n > v.max {
			return fmt.Errorf("config: %s %q is not a number from %d to %d", v.name, raw, v.min, v.max)
		}
		v.set(n)
	}
	return nil
}

// ParseIntegrations reads INTEGRATION_ROLES: solution=role name pairs, comma-separated; empty
// gives actions.DefaultIntegrations.
func ParseIntegrations(v string) (actions.Integrations, error) {
	if strings.TrimSpace(v) == "" {
		return actions.DefaultIntegrations(), nil
	}
	in := actions.Integrations{}
	for _, pair := range strings.Split(v, ",") {
		solution, role, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if _, err := collab.Rules(collab.Solution(solution)); !ok || err != nil || role == "" || strings.ContainsAny(role, "/: ") {
			return nil, fmt.Errorf("config: INTEGRATION_ROLES entry %q is not <solution id>=<IAM role name>", pair)
		}
		in[role] = append(in[role], collab.Solution(solution))
	}
	return in, nil
}

// firstSignInDays reads FIRST_SIGN_IN_DAYS (1 to 365; 0 when unset).
func firstSignInDays() (time.Duration, error) {
	v := os.Getenv("FIRST_SIGN_IN_DAYS")
	if v == "" {
		return 0, nil
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 1 || days > 365 {
		return 0, fmt.Errorf("config: FIRST_SIGN_IN_DAYS %q is not a number of days from 1 to 365", v)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// Service builds the actions service from settings and the AWS configuration: the one
// constructor of the functions, the local runner, the tests and the benchmarks, which then set
// what they do differently (their clock, their log, the mailer and the token keys they use). It
// has no Mailer and no TokenKeys: only the functions that send e-mail or mint links get them
// (MustLoadWith's Extras), so the others do not initialize those SDK clients at cold start.
func Service(s Settings, cfg aws.Config) *actions.Service {
	if s.Integrations == nil {
		s.Integrations = actions.DefaultIntegrations()
	}
	return &actions.Service{
		Store: dynamo.New(dynamodb.NewFromConfig(cfg), s.Table, s.Timing),
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URLs: map[string]string{
			actions.TeardownQueue: s.TeardownQueueURL, actions.EmailQueue: s.EmailQueueURL}},
		BaseURL:       s.BaseURL,
		AnswerURL:     s.AnswerURL,
		SignInURL:     s.SignInURL,
		Log:           logs.New(os.Stdout),
		Metrics:       metrics.New(os.Stdout, s.MetricsNamespace),
		Now:           time.Now,
		NewID:         actions.NewID,
		InvitationTTL: s.InvitationTTL,
		Integrations:  s.Integrations,

		IntegrationAccount: s.IntegrationAccount,

		FirstSignInValidity: s.FirstSignIn,
	}
}

// Extras are the adapters a function needs beyond the store and the queues. Each is named by
// the functions that need it, so only they link its SDK client and pay for its package init.
type Extras struct {
	// Mailer builds the e-mail sender from the sender address (SENDER_EMAIL).
	Mailer func(cfg aws.Config, sender string) actions.Mailer
	// TokenKeys builds the invitation-token key's reader from its secret (TOKEN_KEY_SECRET).
	TokenKeys func(cfg aws.Config, secretID string) actions.TokenKeys
	// Bus builds the event publisher from the bus's name (EVENT_BUS_NAME), for the workers.
	Bus func(cfg aws.Config, name string) actions.Bus
	// Identity builds the identity provider from the user pool's id (USER_POOL_ID), for the
	// functions that create people or send their first sign-in links; with an external provider
	// (no USER_POOL_ID) the service has none.
	Identity func(cfg aws.Config, poolID string) actions.Identity
}

// MustLoad reads the environment and builds the service, panicking at cold start if the
// function is misconfigured (Lambda reports the failed init; no request is served wrongly).
func MustLoad() *actions.Service { return MustLoadWith(Extras{}) }

// MustLoadWith is MustLoad for a function that needs extras: the e-mail worker sends e-mail, and
// Activate, Resend and the e-mail worker mint invitation links. Nothing is read from an extra's
// service at cold start.
func MustLoadWith(x Extras) *actions.Service {
	s, err := FromEnv()
	if err != nil {
		panic(err)
	}
	cfg, err := awsenv.Config()
	if err != nil {
		panic(err)
	}
	svc := Service(s, cfg)
	if x.Mailer != nil {
		svc.Mailer = x.Mailer(cfg, s.Sender)
	}
	if x.Bus != nil {
		if s.EventBus == "" {
			panic("config: EVENT_BUS_NAME is not set")
		}
		svc.Bus = x.Bus(cfg, s.EventBus)
	}
	if x.Identity != nil && s.UserPool != "" {
		svc.Identity = x.Identity(cfg, s.UserPool)
	}
	if x.TokenKeys != nil {
		if s.TokenKeySecret == "" {
			panic("config: TOKEN_KEY_SECRET is not set")
		}
		svc.TokenKeys = x.TokenKeys(cfg, s.TokenKeySecret)
	}
	return svc
}
