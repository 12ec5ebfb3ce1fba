// Package awscount counts the AWS calls code makes, with middleware on the SDK clients: every
// operation by service and name, every HTTP attempt (retries included), and for DynamoDB the
// capacity the service reports (it asks for it by setting ReturnConsumedCapacity=TOTAL on each
// input) next to an estimate from DynamoDB's published sizing rules applied to the items in the
// requests and responses, for emulators that report no real figure.
//
// Add a Counter's Register to aws.Config.APIOptions before building the clients.
package awscount

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Counter collects counts from every client it is registered on; it is safe for concurrent use.
type Counter struct {
	mu sync.Mutex
	c  Counts
}

// Counts is what a Counter saw since its last Reset.
type Counts struct {
	// Calls is operations by "Service.Operation", such as "DynamoDB.GetItem" or "SQS.SendMessage".
	Calls map[string]int
	// Attempts is HTTP requests sent, retries included.
	Attempts int
	// Reported is the capacity units DynamoDB said the calls consumed, and ReportedCalls how many
	// responses carried a figure.
	Reported      float64
	ReportedCalls int
	// Read and Write are estimated read and write capacity units of the table; IndexWrite the
	// estimated write units of keeping the global secondary indexes (all projected ALL).
	Read, Write, IndexWrite float64
}

// Service sums the calls to one service ("DynamoDB", "SQS", "SES").
func (c Counts) Service(name string) int {
	n := 0
	for k, v := range c.Calls {
		if strings.HasPrefix(k, name+".") {
			n += v
		}
	}
	return n
}

// Operations lists one service's calls as "GetItem×2, Query" in name order.
func (c Counts) Operations(service string) string {
	var parts []string
	for _, k := range slicesSorted(c.Calls) {
		op, ok := strings.CutPrefix(k, service+".")
		if !ok {
			continue
		}
		if n := c.Calls[k]; n > 1 {
			op += fmt.Sprintf("×%d", n)
		}
		parts = append(parts, op)
	}
	return strings.Join(parts, ", ")
}

func slicesSorted(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reset forgets everything counted so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.c = Counts{}
	c.mu.Unlock()
}

// Snapshot returns a copy of the counts.
func (c *Counter) Snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.c
	s.Calls = maps.Clone(c.c.Calls)
	if s.Calls == nil {
		s.Calls = map[string]int{}
	}
	return s
}

// Register adds the counting middleware to a client's stack; use it as an aws.Config APIOptions
// entry.
func (c *Counter) Register(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("bench/awscount.call", c.call), middleware.After); err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("bench/awscount.attempt", c.attempt), middleware.Before)
}

// call runs once per operation: it asks DynamoDB for its consumed capacity, then counts the
// operation and its capacity.
func (c *Counter) call(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service, op := middleware.GetServiceID(ctx), middleware.GetOperationName(ctx)
	if service == dynamodb.ServiceID {
		askCapacity(in.Parameters)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c.Calls == nil {
		c.c.Calls = map[string]int{}
	}
	c.c.Calls[service+"."+op]++
	if service == dynamodb.ServiceID && err == nil {
		if units, ok := reported(out.Result); ok {
			c.c.Reported += units
			c.c.ReportedCalls++
		}
		e := estimate(in.Parameters, out.Result)
		c.c.Read += e.read
		c.c.Write += e.write
		c.c.IndexWrite += e.index
	}
	return out, md, err
}

// attempt runs once per HTTP request, so retries count.
func (c *Counter) attempt(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	c.mu.Lock()
	c.c.Attempts++
	c.mu.Unlock()
	return next.HandleDeserialize(ctx, in)
}

// askCapacity sets ReturnConsumedCapacity=TOTAL on the DynamoDB inputs that take it.
func askCapacity(params any) {
	const total = types.ReturnConsumedCapacityTotal
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.ScanInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		in.ReturnConsumedCapacity = total
	}
}

// reported sums the capacity units a DynamoDB output carries.
func reported(result any) (float64, bool) {
	one := func(c *types.ConsumedCapacity) (float64, bool) {
		if c == nil || c.CapacityUnits == nil {
			return 0, false
		}
		return *c.CapacityUnits, true
	}
	many := func(cs []types.ConsumedCapacity) (float64, bool) {
		sum, any := 0.0, false
		for i := range cs {
			if u, ok := one(&cs[i]); ok {
				sum, any = sum+u, true
			}
		}
		return sum, any
	}
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.PutItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		return many(out.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		return many(out.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		return many(out.ConsumedCapacity)
	case *dynamodb.TransactGetItemsOutput:
		return many(out.ConsumedCapacity)
	}
	return 0, false
}
