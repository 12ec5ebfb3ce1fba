// Package throughput measures the teardown and e-mail workers end to end against the emulator:
// real jobs queued by real activations, acceptances and ends, fed to the workers by
// eventsource.Poller in batches of 10 as the Lambda event source mapping would, with a CPU profile of
// the run so the emulator's share is told apart from the service's.
package throughput

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/spiris/collab/bench/cpuprofile"
	"github.com/spiris/collab/bench/world"
	"github.com/spiris/collab/infra/eventsource"
	"github.com/spiris/collab/internal/worker"
)

// BatchSize is the event source mappings' batch size in template.yaml.
const BatchSize = 10

// Result is one worker's run.
type Result struct {
	Worker   string // teardown-worker or email-worker
	Messages int    // messages handled successfully
	Retried  int    // messages that failed and came back
	Batches  int
	Split    cpuprofile.Split
}

// PerSecond is messages handled per second of wall time.
func (r Result) PerSecond() float64 {
	if r.Split.Wall <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Split.Wall.Seconds()
}

// Run prepares n collaborations and measures, in order: the e-mail worker on their n invitation
// e-mails; then, after they are accepted and ended, the teardown worker on their 4n teardown
// messages (the first stage and its command, then, once the solution acknowledged both, the
// second command and the last stage); then the e-mail worker on the access-granted and ended
// e-mails that followed (2n). Each result covers both of its worker's runs. tmp holds the CPU
// profiles.
func Run(ctx context.Context, e *world.Env, n int, tmp string) ([]Result, error) {
	worlds := make([]world.World, n)
	ids := make([]string, n)
	for i := range n {
		w, err := e.Seed(ctx)
		if err != nil {
			return nil, err
		}
		if ids[i], err = e.Activate(ctx, w, "1001", "bookkeeping", ""); err != nil {
			return nil, err
		}
		worlds[i] = w
	}
	invitations, err := drain(ctx, e, "EmailQueue", tmp)
	if err != nil {
		return nil, err
	}
	for i, w := range worlds {
		token, err := e.Token(ids[i])
		if err != nil {
			return nil, err
		}
		if _, err := e.Expect(ctx, 200, world.User(w.CA), "POST", "/invitations/"+token+"/accept", ""); err != nil {
			return nil, err
		}
		if _, err := e.Expect(ctx, 202, world.User(w.CA), "POST", "/collaborations/"+ids[i]+"/end", `{"outcome":"continue"}`); err != nil {
			return nil, err
		}
	}
	teardown, err := drain(ctx, e, "TeardownQueue", tmp) // the first stages and their commands
	if err != nil {
		return nil, err
	}
	for _, id := range ids { // the solution carries out both commands of a continue
		for _, step := range []string{"revoke_office_access", "transfer_billing"} {
			if _, err := e.Expect(ctx, 200, world.Integration, "POST", "/collaborations/"+id+"/teardown/"+step, `{"result":"done"}`); err != nil {
				return nil, err
			}
		}
	}
	last, err := drain(ctx, e, "TeardownQueue", tmp) // the second commands and the last stages
	if err != nil {
		return nil, err
	}
	teardown = merge(teardown, last)
	after, err := drain(ctx, e, "EmailQueue", tmp)
	if err != nil {
		return nil, err
	}
	return []Result{teardown, merge(invitations, after)}, nil
}

// merge adds two runs of the same worker, weighting the profile shares by samples.
func merge(a, b Result) Result {
	out := Result{Worker: a.Worker, Messages: a.Messages + b.Messages, Retried: a.Retried + b.Retried, Batches: a.Batches + b.Batches}
	s := &out.Split
	s.Wall, s.CPU, s.EmulatorCPU = a.Split.Wall+b.Split.Wall, a.Split.CPU+b.Split.CPU, a.Split.EmulatorCPU+b.Split.EmulatorCPU
	s.Samples = a.Split.Samples + b.Split.Samples
	s.Self = map[string]float64{}
	if s.Samples == 0 {
		return out
	}
	wa, wb := float64(a.Split.Samples)/float64(s.Samples), float64(b.Split.Samples)/float64(s.Samples)
	for _, k := range cpuprofile.Owners {
		s.Self[k] = a.Split.Self[k]*wa + b.Split.Self[k]*wb
	}
	s.InProject = a.Split.InProject*wa + b.Split.InProject*wb
	return out
}

// maxEmptyPolls is how many empty receives in a row end a drain (moto may return an empty
// batch while messages are in flight).
const maxEmptyPolls = 3

// drain runs a queue's worker until the queue is empty, under a CPU profile.
func drain(ctx context.Context, e *world.Env, queueID, tmp string) (Result, error) {
	do, name := e.Svc.Teardown, "teardown-worker"
	if queueID == "EmailQueue" {
		do, name = e.Svc.Deliver, "email-worker"
	}
	r := Result{Worker: name}
	retryNow := time.Duration(0)
	handler := worker.Handler(e.Svc.Log, do)
	p := &eventsource.Poller{SQS: e.SQS, QueueURL: e.Res.QueueURL(queueID), QueueARN: e.Res.QueueARN(queueID),
		BatchSize: BatchSize, RetryAfter: &retryNow,
		Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			resp, err := handler(ctx, ev)
			r.Messages += len(ev.Records) - len(resp.BatchItemFailures)
			r.Retried += len(resp.BatchItemFailures)
			return resp, err
		}}
	var err error
	r.Split, err = cpuprofile.Measure(ctx, tmp, func() error {
		for empty := 0; empty < maxEmptyPolls; {
			got, err := p.Once(ctx)
			if err != nil {
				return fmt.Errorf("throughput: %s: %w", name, err)
			}
			if got == 0 {
				empty++
				continue
			}
			empty = 0
			r.Batches++
		}
		return nil
	})
	return r, err
}
