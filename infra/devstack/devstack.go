// Package devstack runs the whole service on one machine: an AWS emulator (moto, or the one
// AWS_ENDPOINT_URL names), the table and queues of template.yaml, demo data, the HTTP API on the
// routes template.yaml declares (calling the same handlers as the Lambdas, with API Gateway v2
// events, validating JWTs like the HTTP API's authorizer, answering CORS as its CorsConfiguration
// says, JSON for unmatched routes, one log line per request), the queue workers polling like event
// source mappings, the cleanup on its schedule, and a simulated integration per solution that
// answers the commands the bus routes to it (infra/solutions). `make dev` runs it; the browser
// test starts it in-process.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/infra/eventsource"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/infra/seed"
	"github.com/spiris/collab/infra/solutions"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/secrets"
	"github.com/spiris/collab/internal/worker"
)

// Sender is the address the local stack's e-mails come from.
const Sender = "no-reply@collab.local"

// Options configure a stack; zero values give make dev's defaults.
type Options struct {
	Addr     string    // listen address; default 127.0.0.1:3000 (use 127.0.0.1:0 for a free port)
	Prefix   string    // resource name prefix; default "dev"
	Root     string    // repository root (template.yaml, .local/); default found from the working directory
	SeedFile string    // seed data; default infra/seed/demo.json; "-" for none
	StateDir string    // keys and dev.json; default <Root>/.local
	Log      io.Writer // default os.Stderr
	// CorsOrigins are origins allowed besides the template's CorsOrigins and the runner's own
	// (make dev reads them from DEV_CORS_ORIGINS), such as a web client's development server.
	CorsOrigins []string
	// SolutionDelay is how long each simulated solution takes before it answers a command or a
	// fact request (make dev reads SIM_SOLUTION_DELAY); default 2 s, negative for no delay.
	SolutionDelay time.Duration
	// SolutionModes switch simulated solutions to answer failed or never to answer (make dev
	// reads SIM_SOLUTION_MODES); Stack.Solutions.SetMode switches them while running.
	SolutionModes map[collab.Solution]solutions.Mode
	// NoGrace runs the stack without grace periods: an end that deletes or archives a company's
	// data does so at once, for tests of everything else (the default is the 30 days of
	// port.DefaultTiming; move the stack's clock to pass a deadline).
	NoGrace bool
}

// OpenAPIFile is the OpenAPI document under the repository root, served at GET /openapi.yaml.
const OpenAPIFile = "docs/openapi.yaml"

// Stack is a running local service.
type Stack struct {
	URL     string
	Service *actions.Service
	// Store is the service's table, for the seed and for tests to read back.
	Store     *dynamo.Store
	Resources *localaws.Resources
	People    []seed.Person
	// Identity is the emulator's user pool: tokens, sign-in and the seeded people's passwords.
	Identity *Identity
	// Integrations are the simulated solutions' credentials, which the routes behind the IAM
	// authorizer take signatures by (sigv4.go).
	Integrations []Integration
	// Solutions are the simulated solutions' integrations, answering the commands the bus routes
	// to their queues (infra/solutions).
	Solutions *solutions.Solutions

	server   *http.Server
	emulator *localaws.Emulator
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	log      *slog.Logger
	cleanup  time.Duration
	clock    Clock
	// signatures verifies the requests to the routes behind the IAM authorizer.
	signatures sigV4
	// mailCopies keeps what the local mailbox shows besides what the emulator keeps.
	mailCopies *mailCopies
}

// State is what a running stack writes to .local/dev.json, so make seed and make token find it.
type State struct {
	URL      string `json:"url"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Table    string `json:"table"`
	Issuer   string `json:"issuer"`
	UserPool string `json:"userPool"`
	Client   string `json:"client"`
	// Integrations are the simulated solutions' access keys, to sign requests to the IAM routes
	// with by hand (service execute-api, region Region).
	Integrations []Integration `json:"integrations"`
}

// Start starts everything and returns once the API answers.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:3000"
	}
	if o.Prefix == "" {
		o.Prefix = "dev"
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Root == "" {
		path, err := samtemplate.Find(".")
		if err != nil {
			return nil, err
		}
		o.Root = filepath.Dir(path)
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.Root, ".local")
	}
	if o.SeedFile == "" {
		o.SeedFile = filepath.Join(o.Root, "infra", "seed", "demo.json")
	}
	s := &Stack{log: slog.New(slog.NewTextHandler(o.Log, nil))}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	emu, err := localaws.Start(ctx)
	if err != nil {
		return nil, err
	}
	s.emulator = emu
	tpl, err := samtemplate.Load(filepath.Join(o.Root, samtemplate.FileName))
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	if s.Resources, err = localaws.Provision(ctx, cfg, tpl, o.Prefix); err != nil {
		return nil, err
	}
	if err := localaws.VerifySender(ctx, cfg, Sender); err != nil {
		return nil, err
	}
	s.Integrations = newIntegrations()
	s.signatures = sigV4{keys: s.Integrations, region: cfg.Region, now: time.Now}
	s.Identity = NewIdentity(cfg, emu.Endpoint, s.Resources.UserPoolID("UserPool"), s.Resources.UserPoolClientID("UserPoolClient"))

	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	s.URL = "http://" + l.Addr().String()

	sqsClient := sqs.NewFromConfig(cfg)
	timing := port.DefaultTiming
	if o.NoGrace {
		timing.GracePeriod = 0
	}
	s.Service = config.Service(config.Settings{Table: s.Resources.TableName("Table"),
		TeardownQueueURL: s.Resources.QueueURL("TeardownQueue"), EmailQueueURL: s.Resources.QueueURL("EmailQueue"),
		BaseURL: s.URL, InvitationTTL: actions.DefaultInvitationTTL, Timing: timing}, cfg)
	s.mailCopies = &mailCopies{next: &sesmail.Mailer{Client: ses.NewFromConfig(cfg), From: Sender}, now: s.clock.Now}
	s.Service.Mailer = s.mailCopies
	s.Service.Bus = bus.New(cfg, s.Resources.BusName("EventBus"))
	s.Service.Log, s.Service.Metrics, s.Service.Now = s.log, nil, s.clock.Now
	s.Service.TokenKeys = secrets.FromConfig(cfg, s.Resources.SecretARN("TokenKeySecret"))
	s.Service.Identity, s.Service.SignInURL = s.Identity.Pool, s.URL+"/_local/login"
	s.Store = dynamo.New(dynamodb.NewFromConfig(cfg), s.Resources.TableName("Table"), timing)

	if o.SeedFile != "-" {
		f, err := os.Open(o.SeedFile)
		if err != nil {
			return nil, err
		}
		data, err := seed.Parse(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if err := seed.Load(ctx, s.Store, data, time.Now()); err != nil {
			return nil, err
		}
		s.People = data.People()
		if err := s.Identity.Seed(ctx, s.People); err != nil {
			return nil, err
		}
	}

	// Read from the checkout at start (not embedded: go:embed cannot reach docs/ from here, and the
	// runner reads template.yaml and the seed from the checkout too), so a missing file fails the
	// start and the document served is the one beside the template it serves.
	openapi, err := os.ReadFile(filepath.Join(o.Root, filepath.FromSlash(OpenAPIFile)))
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	handler, err := s.routes(tpl, append([]string{s.URL}, o.CorsOrigins...), openapi)
	if err != nil {
		return nil, err
	}
	run, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("local API stopped", "error", err.Error())
		}
	}()
	if err := s.startWorkers(run, tpl, sqsClient); err != nil {
		return nil, err
	}
	if err := s.startSolutions(run, tpl, sqsClient, cfg.Region, o); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return nil, err
	}
	state, _ := json.MarshalIndent(State{URL: s.URL, Endpoint: emu.Endpoint, Region: cfg.Region,
		Table: s.Resources.TableName("Table"), Issuer: s.Identity.Issuer, UserPool: s.Identity.Pool.ID, Client: s.Identity.ClientID,
		Integrations: s.Integrations}, "", "  ")
	if err := os.WriteFile(filepath.Join(o.StateDir, "dev.json"), state, 0o600); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// startWorkers starts a poller per SQS event of the template's functions, and the cleanup on the
// template's schedule.
func (s *Stack) startWorkers(ctx context.Context, tpl *samtemplate.Template, client *sqs.Client) error {
	handlers := map[string]func(context.Context, actions.Job) error{
		"TeardownWorkerFunction": s.Service.Teardown,
		"EmailWorkerFunction":    s.Service.Deliver,
	}
	retry := 5 * time.Second
	for _, f := range tpl.Functions {
		for _, feed := range f.Queues {
			do, ok := handlers[f.LogicalID]
			if !ok {
				return fmt.Errorf("devstack: no worker for %s", f.LogicalID)
			}
			p := &eventsource.Poller{SQS: client, QueueURL: s.Resources.QueueURL(feed.Queue), QueueARN: s.Resources.QueueARN(feed.Queue),
				BatchSize: int32(feed.BatchSize), Handler: worker.Handler(s.log, do), Wait: 1, RetryAfter: &retry}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); p.Run(ctx) }()
		}
		for _, expr := range f.Schedules {
			every, err := rate(expr)
			if err != nil {
				return err
			}
			s.cleanup = every
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				t := time.NewTicker(every)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						s.RunCleanup(ctx)
					}
				}
			}()
		}
	}
	return nil
}

// startSolutions starts a simulated integration per solution on the queue the template's rule
// for that solution delivers to, signing with the solution's access key.
func (s *Stack) startSolutions(ctx context.Context, tpl *samtemplate.Template, client *sqs.Client, region string, o Options) error {
	delay := o.SolutionDelay
	switch {
	case delay == 0:
		delay = 2 * time.Second
	case delay < 0:
		delay = 0
	}
	var in []solutions.Integration
	for _, i := range s.Integrations {
		q, err := solutions.QueueOf(tpl, i.Solution)
		if err != nil {
			return err
		}
		in = append(in, solutions.Integration{Solution: i.Solution, QueueURL: s.Resources.QueueURL(q), Credentials: i.Credentials()})
	}
	s.Solutions = solutions.New(solutions.Options{API: s.URL, Region: region, SQS: client, Delay: delay,
		Modes: o.SolutionModes, Now: s.clock.Now, Log: s.log, Wait: 1}, in)
	return s.Solutions.Start(ctx, &s.wg)
}

// rate reads an EventBridge rate expression, "rate(5 minutes)"; a parameter reference (the
// template's !Ref CleanupSchedule) runs at the template's default, every 5 minutes.
func rate(expr string) (time.Duration, error) {
	if !strings.HasPrefix(expr, "rate(") {
		return 5 * time.Minute, nil
	}
	var n int
	var unit string
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(expr, "rate("), ")"), "%d %s", &n, &unit); err != nil || n <= 0 {
		return 0, fmt.Errorf("devstack: schedule %q is not rate(N unit)", expr)
	}
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		return time.Duration(n) * time.Minute, nil
	case "hour":
		return time.Duration(n) * time.Hour, nil
	case "day":
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("devstack: schedule %q has an unknown unit", expr)
}

// RunCleanup runs the cleanup once, as the schedule does, and logs what it did.
func (s *Stack) RunCleanup(ctx context.Context) actions.CleanupReport {
	rep, err := s.Service.Cleanup(ctx)
	attrs := []any{"read", rep.Read, "invitationsExpired", rep.InvitationsDead, "reminders", rep.RemindersSent,
		"agreementsEnded", rep.AgreementsEnded, "teardownsRedriven", rep.TeardownsRedrive, "resent", rep.MessagesResent}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	s.log.Info("cleanup", attrs...)
	return rep
}

// Token returns an access token of the emulator's user pool for a user (Identity.Token), valid
// for an hour.
func (s *Stack) Token(userID string) (string, error) {
	return s.Identity.Token(context.Background(), userID)
}

// Close stops the API, the workers and the emulator it started.
func (s *Stack) Close() {
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.server.Shutdown(ctx)
		cancel()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.emulator != nil {
		s.emulator.Stop()
	}
}
