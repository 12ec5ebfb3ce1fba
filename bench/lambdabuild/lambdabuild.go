// Package lambdabuild builds Lambda bootstraps exactly as `make build-<Function>` does (static,
// -tags lambda.norpc, -trimpath, -ldflags "-s -w"), for any architecture, and lists the
// functions template.yaml declares with the directory of each one's main package.
package lambdabuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spiris/collab/infra/samtemplate"
)

// Function is one function of the template.
type Function struct {
	LogicalID string // AcceptFunction
	Name      string // accept: the directory under functions/ and the sample event under events/
}

// Package is the function's main package, relative to the module root.
func (f Function) Package() string { return "./functions/" + f.Name }

// Event is the function's sample event, relative to the module root.
func (f Function) Event() string { return "events/" + f.Name + ".json" }

// Kind says what invokes the function: "http", "queue" or "schedule".
type Kind string

// What invokes a function.
const (
	HTTP     Kind = "http"
	Queue    Kind = "queue"
	Schedule Kind = "schedule"
)

// Functions lists the template's functions in its order, with what invokes each.
func Functions(root string) ([]Function, map[string]Kind, error) {
	tpl, err := samtemplate.Load(filepath.Join(root, samtemplate.FileName))
	if err != nil {
		return nil, nil, fmt.Errorf("lambdabuild.Functions: %w", err)
	}
	var out []Function
	kinds := map[string]Kind{}
	for _, f := range tpl.Functions {
		fn := Function{LogicalID: f.LogicalID, Name: DirName(f.LogicalID)}
		out = append(out, fn)
		switch {
		case len(f.Queues) > 0:
			kinds[fn.Name] = Queue
		case len(f.Schedules) > 0:
			kinds[fn.Name] = Schedule
		default:
			kinds[fn.Name] = HTTP
		}
	}
	return out, kinds, nil
}

var wordStart = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// DirName maps a logical id to its directory name as the Makefile's fn_dir does:
// ListOfficeCollaborationsFunction → list-office-collaborations.
func DirName(logicalID string) string {
	s := strings.TrimSuffix(logicalID, "Function")
	return strings.ToLower(wordStart.ReplaceAllString(s, "${1}-${2}"))
}

// Options choose the target and whether to keep symbols.
type Options struct {
	GOARCH string // arm64 for Lambda; runtime.GOARCH to run the bootstrap here
	// Symbols keeps the symbol table and DWARF (no -s -w), for size analysis with go tool nm.
	Symbols bool
}

// Flags returns the go build arguments the Makefile's build-% target uses (with -s -w unless
// Symbols), ending before the package.
func (o Options) Flags(out string) []string {
	ldflags := "-s -w"
	if o.Symbols {
		ldflags = ""
	}
	return buildArgs(ldflags, out)
}

// buildArgs are the Makefile's go build arguments with the linker flags given.
func buildArgs(ldflags, out string) []string {
	return []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", ldflags, "-o", out}
}

// Env returns the environment of the build: the process's own with GOOS=linux, GOARCH and
// CGO_ENABLED=0, as in the Makefile.
func (o Options) Env() []string {
	return append(os.Environ(), "GOOS=linux", "GOARCH="+o.GOARCH, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
}

// Build compiles the main package pkg (relative to root, such as ./functions/accept) into out.
func Build(ctx context.Context, root, pkg, out string, o Options) error {
	cmd := exec.CommandContext(ctx, "go", append(o.Flags(out), pkg)...)
	cmd.Dir, cmd.Env = root, o.Env()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lambdabuild: go build %s (GOARCH=%s): %w\n%s", pkg, o.GOARCH, err, stderr.String())
	}
	return nil
}

// ReflectMethodCallers builds pkg with the linker's -dumpdep and returns the functions outside
// package reflect that it marks <ReflectMethod>: code that may call methods by name through
// reflection, which makes the linker keep every exported method of every reachable type.
func ReflectMethodCallers(ctx context.Context, root, pkg string, o Options) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", append(buildArgs("-dumpdep", os.DevNull), pkg)...)
	cmd.Dir, cmd.Env = root, o.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("lambdabuild: go build -ldflags=-dumpdep %s: %w", pkg, err)
	}
	seen := map[string]bool{}
	var callers []string
	for _, line := range strings.Split(out.String(), "\n") {
		caller, _, ok := strings.Cut(line, " <ReflectMethod> ->")
		if ok && !seen[caller] && !strings.HasPrefix(caller, "reflect.") && !strings.HasPrefix(caller, "type:") {
			seen[caller] = true
			callers = append(callers, caller)
		}
	}
	return callers, nil
}
