package secrets_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/secrets"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var ctx = context.Background()

// client returns a Secrets Manager client and the number of calls it has made.
func client(t testing.TB) (*secretsmanager.Client, *atomic.Int32) {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			calls.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	})
	return secretsmanager.NewFromConfig(cfg), &calls
}

func TestTheKeyIsReadOnceAndEveryVersionStaysReadable(t *testing.T) {
	sm, calls := client(t)
	arn := res.SecretARN("TokenKeySecret")
	keys := secrets.New(sm, arn)
	v1, k1, err := keys.Current(ctx)
	if err != nil || len(k1) < secrets.MinKeyBytes {
		t.Fatalf("current: %q %v", k1, err)
	}
	if v, k, _ := keys.Current(ctx); v != v1 || string(k) != string(k1) || calls.Load() != 1 {
		t.Fatalf("second read: version %s, %d calls, want %s from the first read's 1", v, calls.Load(), v1)
	}

	rotated := localaws.RandomSecret(64)
	out, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(rotated)})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(out.VersionId)
	if v, _, _ := keys.Current(ctx); v != v1 {
		t.Errorf("a warm environment mints with the version it read first (%s), got %s", v1, v)
	}
	if k, err := keys.Version(ctx, v2); err != nil || string(k) != rotated {
		t.Errorf("version %s: %v", v2, err)
	}
	if k, err := keys.Version(ctx, v1); err != nil || string(k) != string(k1) {
		t.Errorf("version %s: %v", v1, err)
	}
	if calls.Load() != 3 { // the first read, then v2 once (v1 was kept)
		t.Errorf("%d calls, want 3", calls.Load())
	}
	if v, _, _ := secrets.New(sm, arn).Current(ctx); v != v2 {
		t.Errorf("a new environment mints with the rotated version %s, got %s", v2, v)
	}
}

func TestAKeyShorterThan32BytesIsRefused(t *testing.T) {
	sm, _ := client(t)
	name := res.Prefix + "-short"
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("too short")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: out.ARN, ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	if _, _, err := secrets.New(sm, aws.ToString(out.ARN)).Current(ctx); !errors.Is(err, secrets.ErrKeyTooShort) {
		t.Errorf("got %v, want ErrKeyTooShort", err)
	}
}

func TestAMissingSecretIsAnErrorNotAKey(t *testing.T) {
	sm, _ := client(t)
	_, key, err := secrets.New(sm, res.Prefix+"-no-such-secret").Current(ctx)
	if err == nil || key != nil || !strings.Contains(err.Error(), "read the token key") {
		t.Errorf("got %q, %v", key, err)
	}
}

// BenchmarkFirstRead is what an execution environment's first invitation pays once: one
// GetSecretValue (here to moto on loopback; in AWS, a call within the region).
func BenchmarkFirstRead(b *testing.B) {
	sm, _ := client(b)
	arn := res.SecretARN("TokenKeySecret")
	for b.Loop() {
		if _, _, err := secrets.New(sm, arn).Current(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
