// Package secrets reads the invitation-token key from AWS Secrets Manager. Only the functions
// that mint invitation links (Activate, Resend and the e-mail worker, which rebuilds the link
// from the job's nonce) import it, and only they may read the secret.
//
// Nothing is read at cold start: the key is read on the first invitation an execution
// environment mints or sends, and kept for the environment's life, so a slow or failing Secrets
// Manager never delays or fails a start, and costs one call per environment, not per request.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// MinKeyBytes is the shortest key accepted: 256 bits.
const MinKeyBytes = 32

// TokenKeys is the invitation-token key in one secret, by version. The secret's value
// (SecretString) is the key's bytes. It is safe for concurrent use.
type TokenKeys struct {
	Client   *secretsmanager.Client
	SecretID string // the secret's ARN or name

	mu       sync.Mutex
	current  string            // version id of the current key, once read
	versions map[string][]byte // version id → key
}

// New returns the token keys of the secret named secretID.
func New(client *secretsmanager.Client, secretID string) *TokenKeys {
	return &TokenKeys{Client: client, SecretID: secretID}
}

// Current returns the key to mint new links with and its version id. The first call in an
// environment reads the secret's AWSCURRENT version; later calls return the same key, so a
// rotation reaches a warm environment only when it is recycled. That is safe: a link minted
// with an older version works as long as its invitation does (only the link's hash is stored),
// and the e-mail worker rebuilds it with the version the job names.
func (k *TokenKeys) Current(ctx context.Context) (version string, key []byte, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current != "" {
		return k.current, k.versions[k.current], nil
	}
	version, key, err = k.read(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.SecretID)})
	if err != nil {
		return "", nil, err
	}
	k.current = version
	return version, key, nil
}

// Version returns the key of one version, read once per environment; "" is the current one.
func (k *TokenKeys) Version(ctx context.Context, version string) ([]byte, error) {
	if version == "" {
		_, key, err := k.Current(ctx)
		return key, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.versions[version]; ok {
		return key, nil
	}
	_, key, err := k.read(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.SecretID), VersionId: aws.String(version)})
	return key, err
}

// ErrKeyTooShort is returned for a secret whose value is shorter than MinKeyBytes.
var ErrKeyTooShort = errors.New("secrets: the token key is shorter than 32 bytes")

// read reads one version of the secret and keeps it; k.mu is held.
func (k *TokenKeys) read(ctx context.Context, in *secretsmanager.GetSecretValueInput) (string, []byte, error) {
	out, err := k.Client.GetSecretValue(ctx, in)
	if err != nil {
		return "", nil, fmt.Errorf("secrets: read the token key: %w", err)
	}
	key := []byte(aws.ToString(out.SecretString))
	if len(key) < MinKeyBytes {
		return "", nil, ErrKeyTooShort
	}
	version := aws.ToString(out.VersionId)
	if k.versions == nil {
		k.versions = map[string][]byte{}
	}
	k.versions[version] = key
	return version, key, nil
}

// FromConfig returns the token keys of the secret named secretID, read with a Secrets Manager
// client built from cfg.
func FromConfig(cfg aws.Config, secretID string) *TokenKeys {
	return New(secretsmanager.NewFromConfig(cfg), secretID)
}
