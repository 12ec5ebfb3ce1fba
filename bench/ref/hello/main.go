// Command hello is the floor of the cold-start benchmark: an aws-lambda-go bootstrap that
// imports nothing else and answers every event with a fixed string.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
