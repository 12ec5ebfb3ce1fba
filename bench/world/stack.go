// Package world gives the benchmarks what the service runs on and what it works with: the
// emulator with template.yaml's resources (Stack), the actions service on clients that count
// their AWS calls (Env), seeded offices and companies (World), and requests shaped as API
// Gateway delivers them (Env.Call).
package world

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spiris/collab/bench/awscount"
	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/bus"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/config"
	"github.com/spiris/collab/internal/dynamo"
	"github.com/spiris/collab/internal/mail/sesmail"
	"github.com/spiris/collab/internal/secrets"
)

// Stack is the emulator (moto on loopback, started by infra/localaws, or the one
// AWS_ENDPOINT_URL names) and the template its resources come from.
type Stack struct {
	Emulator *localaws.Emulator
	Template *samtemplate.Template
	// Root is the module's root directory (where template.yaml is).
	Root string
}

// StartStack starts the emulator and reads template.yaml, found from dir upwards.
func StartStack(ctx context.Context, dir string) (*Stack, error) {
	tpl, path, err := samtemplate.LoadFrom(dir)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	emu, err := localaws.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	return &Stack{Emulator: emu, Template: tpl, Root: filepath.Dir(path)}, nil
}

// Provision creates a fresh copy of the template's tables and queues: moto's queries and
// transactions cost time in proportion to the whole table, so each measurement gets its own.
func (s *Stack) Provision(ctx context.Context) (*localaws.Resources, error) {
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	return localaws.Provision(ctx, cfg, s.Template, localaws.NewPrefix())
}

// Stop stops the emulator if this process started it, and then forgets its endpoint
// (AWS_ENDPOINT_URL), so the next StartStack starts a fresh one.
func (s *Stack) Stop() error {
	if s.Emulator.External() {
		return nil
	}
	err := s.Emulator.Stop()
	os.Unsetenv("AWS_ENDPOINT_URL")
	return err
}

// Clock is a settable clock for the service's Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Start is where every Env's clock starts: a fixed day, so activations may start in 2027-04.
var Start = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// Env is the actions service on one provisioned copy of the resources, built by internal/config
// as the functions build it, on clients that report every call to Counter, with a clock the
// benchmark moves and a queue that remembers what it sent.
type Env struct {
	Res     *localaws.Resources
	Svc     *actions.Service
	Store   *dynamo.Store
	Counter *awscount.Counter
	Clock   *Clock
	// Sent records the jobs the service queued, so a benchmark can follow an invitation link.
	Sent *Recorder
	// SQS is a client that counts nothing, for reading the queues.
	SQS    *sqs.Client
	Sender string
}

// NewEnv builds the service on res with counted clients and a verified SES sender.
func NewEnv(ctx context.Context, res *localaws.Resources, log *slog.Logger) (*Env, error) {
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	e := &Env{Res: res, Counter: &awscount.Counter{}, Clock: NewClock(Start),
		SQS: sqs.NewFromConfig(cfg), Sender: "no-reply+" + res.Prefix + "@collab.test"}
	if err := localaws.VerifySender(ctx, cfg, e.Sender); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	counted := cfg.Copy()
	counted.APIOptions = append(counted.APIOptions, e.Counter.Register)
	e.Svc = config.Service(config.Settings{
		Table: res.TableName("Table"), TeardownQueueURL: res.QueueURL("TeardownQueue"), EmailQueueURL: res.QueueURL("EmailQueue"),
		TokenKeySecret: res.SecretARN("TokenKeySecret"), InvitationTTL: actions.DefaultInvitationTTL, Sender: e.Sender, BaseURL: "https://collab.test",
		Timing: port.DefaultTiming,
	}, counted)
	e.Store = dynamo.New(dynamodb.NewFromConfig(counted), res.TableName("Table"), port.DefaultTiming)
	e.Sent = &Recorder{Queue: e.Svc.Queue}
	e.Svc.Queue, e.Svc.Log, e.Svc.Now = e.Sent, log, e.Clock.Now
	e.Svc.Mailer = &sesmail.Mailer{Client: ses.NewFromConfig(counted), From: e.Sender}
	e.Svc.Bus = bus.New(counted, res.BusName("EventBus"))
	e.Svc.Integrations["solutions-integration"] = collab.SolutionIDs()
	e.Svc.TokenKeys = secrets.FromConfig(counted, res.SecretARN("TokenKeySecret"))
	return e, nil
}

// Recorder is the service's queue: it sends through the real SQS sender and remembers each job.
type Recorder struct {
	Queue actions.Queue
	mu    sync.Mutex
	jobs  []port.Message
}

// Send sends m and records it.
func (r *Recorder) Send(ctx context.Context, m port.Message) error {
	r.mu.Lock()
	r.jobs = append(r.jobs, m)
	r.mu.Unlock()
	return r.Queue.Send(ctx, m)
}

// Jobs returns the jobs sent so far.
func (r *Recorder) Jobs() []port.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]port.Message(nil), r.jobs...)
}

// Discard is a logger that drops everything (the benchmarks' expected refusals are not news).
var Discard = slog.New(slog.DiscardHandler)
