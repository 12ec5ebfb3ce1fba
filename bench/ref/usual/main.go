// Command usual is the reference for the usual way to write a Go Lambda with the AWS SDK: the
// hello-world bootstrap plus config.LoadDefaultConfig and the DynamoDB, SQS and SES clients,
// created once at cold start. The service builds its configuration from the environment instead
// (internal/awsenv); this shows what that choice is measured against. It only lives under bench/.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// clients keeps the clients reachable, as a real function's handler would.
type clients struct {
	db   *dynamodb.Client
	sqs  *sqs.Client
	mail *ses.Client
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	c := clients{db: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), mail: ses.NewFromConfig(cfg)}
	lambda.Start(func(context.Context, json.RawMessage) (string, error) {
		if c.db == nil || c.sqs == nil || c.mail == nil {
			return "", nil
		}
		return "hello", nil
	})
}
