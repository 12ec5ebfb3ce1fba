// Package awsenv builds the AWS SDK configuration from the process environment alone.
//
// Lambda hands every function its region and credentials as environment variables, and the local
// runner and the tests do the same, so the service does not need config.LoadDefaultConfig: that
// loader reads shared config files and pulls in SSO, STS and IMDS code, which costs cold-start
// time and binary size. AWS_ENDPOINT_URL points every client at an emulator (moto, LocalStack).
package awsenv

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config returns the SDK configuration described by the environment: AWS_REGION (or
// AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and, when set,
// AWS_ENDPOINT_URL. Credentials are read on every signing, so rotated environment values apply.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("awsenv: AWS_REGION is not set")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		return aws.Config{}, errors.New("awsenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.CredentialsProviderFunc(fromEnv),
	}
	if url := os.Getenv("AWS_ENDPOINT_URL"); url != "" {
		cfg.BaseEndpoint = aws.String(url)
	}
	return cfg, nil
}

func fromEnv(context.Context) (aws.Credentials, error) {
	return aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "awsenv",
	}, nil
}
