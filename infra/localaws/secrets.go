package localaws

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/spiris/collab/infra/samtemplate"
)

// SecretARN returns the ARN of the secret declared as logicalID.
func (r *Resources) SecretARN(logicalID string) string {
	arn, ok := r.secrets[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no secret %q", logicalID))
	}
	return arn
}

// createSecrets creates each secret as <prefix>-<LogicalID> with a random value of its length,
// as GenerateSecretString would; a secret that exists is reused with its value.
func (r *Resources) createSecrets(ctx context.Context, secrets []samtemplate.Secret) error {
	sm := secretsmanager.NewFromConfig(r.cfg)
	for _, s := range secrets {
		name := r.Prefix + "-" + s.LogicalID
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(RandomSecret(s.Length))})
		var exists *smtypes.ResourceExistsException
		if errors.As(err, &exists) {
			d, derr := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
			if derr != nil {
				return fmt.Errorf("localaws.Provision secret %s: %w", s.LogicalID, derr)
			}
			r.secrets[s.LogicalID] = aws.ToString(d.ARN)
			continue
		}
		if err != nil {
			return fmt.Errorf("localaws.Provision secret %s: %w", s.LogicalID, err)
		}
		r.secrets[s.LogicalID] = aws.ToString(out.ARN)
	}
	return nil
}

func (r *Resources) deleteSecrets(ctx context.Context) error {
	sm := secretsmanager.NewFromConfig(r.cfg)
	var errs []error
	for id, arn := range r.secrets {
		if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
			errs = append(errs, fmt.Errorf("localaws.Delete secret %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// RandomSecret returns n random letters and digits, as GenerateSecretString with
// ExcludePunctuation makes them.
func RandomSecret(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
