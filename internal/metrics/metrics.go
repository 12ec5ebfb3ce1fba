// Package metrics counts business events as CloudWatch embedded metric format (EMF) log lines:
// CloudWatch Logs turns each line into a metric, so counting costs no SDK call, no client at cold
// start and no latency. Each line also carries the ids of its context (internal/logs), so a
// metric's data point can be followed to the request that made it.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/spiris/collab/internal/logs"
)

// The metrics the service counts, with their dimensions (docs/deploy.md, Dashboard).
const (
	Activations        = "Activations" // Scenario
	Accepts            = "Accepts"
	Declines           = "Declines"
	Withdrawals        = "Withdrawals"
	Expiries           = "Expiries"
	Ends               = "Ends"                       // Solution, Outcome
	TeardownFailures   = "TeardownFailures"           // Solution
	CommandsFailed     = "TeardownCommandsFailed"     // Solution: a solution answered a teardown command failed
	CommandsUnanswered = "TeardownCommandsUnanswered" // Solution: a command sent CommandSends times is still unanswered
	EmailsSent         = "EmailsSent"
	EmailsRejected     = "EmailsRejected"
	InvitationViews    = "InvitationViews"
)

// EMF writes metrics as EMF lines to W under Namespace. A nil *EMF counts nothing.
type EMF struct {
	W         io.Writer
	Namespace string
	Now       func() time.Time

	mu sync.Mutex
}

// New returns an EMF writer; namespace "" is "CollaborationService".
func New(w io.Writer, namespace string) *EMF {
	if namespace == "" {
		namespace = "CollaborationService"
	}
	return &EMF{W: w, Namespace: namespace, Now: time.Now}
}

// Dim is one dimension of a data point.
type Dim struct{ Name, Value string }

// Count adds n to the metric name with the dimensions dims.
func (m *EMF) Count(ctx context.Context, name string, n int, dims ...Dim) {
	if m == nil || n == 0 {
		return
	}
	names := make([]string, len(dims))
	line := map[string]any{name: n}
	for i, d := range dims {
		names[i] = d.Name
		line[d.Name] = d.Value
	}
	for _, a := range logs.Attrs(ctx) {
		line[a.Key] = a.Value.Any()
	}
	line["_aws"] = map[string]any{
		"Timestamp": m.Now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  m.Namespace,
			"Dimensions": [][]string{names},
			"Metrics":    []map[string]string{{"Name": name, "Unit": "Count"}},
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.W.Write(append(b, '\n'))
}
