// Command dev runs the collaboration service locally (make dev), and talks to a running one:
//
//	dev              start the stack, print what runs where, stop it all on Ctrl-C
//	                 (DEV_ADDR: listen address; DEV_CORS_ORIGINS: more origins CORS allows, comma-separated;
//	                 SIM_SOLUTION_DELAY: how long the simulated solutions take to answer, a Go duration,
//	                 default 2s; SIM_SOLUTION_MODES: solution=answer|fail|silent, comma-separated)
//	dev seed FILE    load a seed file into the running stack (make seed FILE=...)
//	dev token SUB    print a bearer token for user SUB that the local API accepts (make token SUB=...)
//	dev cleanup      run the cleanup now, instead of waiting for its schedule
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/spiris/collab/infra/devstack"
	"github.com/spiris/collab/infra/samtemplate"
	"github.com/spiris/collab/infra/seed"
	"github.com/spiris/collab/infra/solutions"
	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	path, err := samtemplate.Find(".")
	if err != nil {
		return err
	}
	root := filepath.Dir(path)
	if len(args) == 0 {
		return serve(root)
	}
	switch {
	case args[0] == "seed" && len(args) == 2:
		return seedFile(root, args[1])
	case args[0] == "token" && len(args) == 2:
		return token(root, args[1])
	case args[0] == "cleanup" && len(args) == 1:
		return cleanup(root)
	}
	return fmt.Errorf("usage: dev [seed FILE | token SUB | cleanup]")
}

func serve(root string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("Starting the collaboration service locally…")
	delay, modes, err := simulation()
	if err != nil {
		return err
	}
	s, err := devstack.Start(ctx, devstack.Options{Root: root, Addr: os.Getenv("DEV_ADDR"),
		CorsOrigins: strings.Split(os.Getenv("DEV_CORS_ORIGINS"), ","), SolutionDelay: delay, SolutionModes: modes})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf(`
  API              %[1]s   (routes from template.yaml, JWTs checked like the HTTP API's authorizer)
  CORS             the template's CorsOrigins, %[1]s and DEV_CORS_ORIGINS (%[4]s)
  OpenAPI          %[1]s/openapi.yaml
  Mailbox          %[1]s/_local/mail
  Sign in          %[1]s/_local/login   (e-mail and password; the demo users' password is %[5]s)
  AWS emulator     %[2]s   (table %[3]s, queues with dead-letter queues, user pool %[6]s)
  Workers          teardown and e-mail queues, polled like event source mappings
  Cleanup          on the template's schedule; now: make cleanup
  Solutions        simulated integrations on their command queues, answering after %[7]s (SIM_SOLUTION_DELAY);
                   their access keys for signed requests are in .local/dev.json; Payroll's backups at %[8]s

Seeded users (make token SUB=<id>):
`, s.URL, os.Getenv("AWS_ENDPOINT_URL"), s.Resources.TableName("Table"), cmp.Or(os.Getenv("DEV_CORS_ORIGINS"), "none"),
		devstack.DemoPassword, s.Identity.Pool.ID, cmp.Or(os.Getenv("SIM_SOLUTION_DELAY"), "2s"), s.Solutions.BackupURL())
	for _, p := range s.People {
		fmt.Printf("  %-10s %-16s %-28s %-32s %s\n", p.UserID, p.Name, p.Email, p.Role, p.Org)
	}
	fmt.Println("\nCtrl-C stops everything.")
	<-ctx.Done()
	fmt.Println("\nStopping…")
	return nil
}

// simulation reads how the simulated solutions answer: SIM_SOLUTION_DELAY, a Go duration ("0"
// for none), and SIM_SOLUTION_MODES, such as payroll=fail,scanner=silent.
func simulation() (time.Duration, map[collab.Solution]solutions.Mode, error) {
	var delay time.Duration
	if v := os.Getenv("SIM_SOLUTION_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, nil, fmt.Errorf("SIM_SOLUTION_DELAY=%q is not a Go duration such as 2s or 0", v)
		}
		delay = cmp.Or(d, -1) // 0 means none; the stack's zero means its default
	}
	modes := map[collab.Solution]solutions.Mode{}
	for _, pair := range strings.Split(os.Getenv("SIM_SOLUTION_MODES"), ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		id, mode, _ := strings.Cut(pair, "=")
		if _, err := collab.Rules(collab.Solution(id)); err != nil {
			return 0, nil, fmt.Errorf("SIM_SOLUTION_MODES: %w", err)
		}
		m, err := solutions.ParseMode(mode)
		if err != nil {
			return 0, nil, fmt.Errorf("SIM_SOLUTION_MODES: %w", err)
		}
		modes[collab.Solution(id)] = m
	}
	return delay, modes, nil
}

func state(root string) (devstack.State, error) {
	var st devstack.State
	b, err := os.ReadFile(filepath.Join(root, ".local", "dev.json"))
	if err != nil {
		return st, fmt.Errorf("no running stack found (.local/dev.json); start one with make dev: %w", err)
	}
	return st, json.Unmarshal(b, &st)
}

// emulator points the AWS configuration at the running stack's emulator.
func emulator(st devstack.State) (aws.Config, error) {
	os.Setenv("AWS_ENDPOINT_URL", st.Endpoint)
	os.Setenv("AWS_REGION", st.Region)
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		os.Setenv("AWS_ACCESS_KEY_ID", "test")
		os.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	}
	return awsenv.Config()
}

func seedFile(root, file string) error {
	st, err := state(root)
	if err != nil {
		return err
	}
	cfg, err := emulator(st)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := seed.Parse(f)
	if err != nil {
		return err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), st.Table, port.DefaultTiming)
	if err := seed.Load(context.Background(), store, data, time.Now()); err != nil {
		return err
	}
	if err := devstack.NewIdentity(cfg, st.Endpoint, st.UserPool, st.Client).Seed(context.Background(), data.People()); err != nil {
		return err
	}
	for _, p := range data.People() {
		fmt.Printf("  %-10s %-16s %s (%s)\n", p.UserID, p.Name, p.Role, p.Org)
	}
	return nil
}

func token(root, sub string) error {
	st, err := state(root)
	if err != nil {
		return err
	}
	cfg, err := emulator(st)
	if err != nil {
		return err
	}
	t, err := devstack.NewIdentity(cfg, st.Endpoint, st.UserPool, st.Client).Token(context.Background(), sub)
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}

func cleanup(root string) error {
	st, err := state(root)
	if err != nil {
		return err
	}
	resp, err := http.Post(st.URL+"/_local/cleanup", "application/json", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(os.Stdout, resp.Body)
	return err
}
