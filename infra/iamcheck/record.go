// Package iamcheck proves each function's IAM policy from what the function does: a Recorder
// sits in the AWS SDK's middleware stack while the tests drive the functions and notes every IAM
// action each function needs, on which resource; Check compares that with the function's
// policy in template.yaml, both ways. The emulator does not enforce IAM, so without this a
// missing grant is found only after the first deploy, and a grant nobody uses is never found.
//
// A function is known by the Lambda context of the call (lambdacontext.FromContext): its
// InvokedFunctionArn ends in the function's logical ID in the tests, as the Lambda runtime
// hands every invocation its function's ARN in AWS. Calls without a Lambda context (seeding,
// reading the emulator back) belong to no function and are not recorded.
package iamcheck

import (
	"context"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// Use is one IAM action a function needed on one resource. Resources are named as the
// template names them: a logical ID ("Table", "EmailQueue", "TokenKeySecret"), an index of a
// table ("Table/index/GSI1"), or the SES identity the functions send as
// ("identity/${SenderIdentity}").
type Use struct {
	Function string // logical ID, e.g. "ActivateFunction"
	Action   string // e.g. "dynamodb:UpdateItem"
	Resource string
}

func (u Use) String() string { return u.Action + " on " + u.Resource }

// Recorder collects Uses. Its zero value is not ready: use NewRecorder.
type Recorder struct {
	// Logical turns a physical resource name (a table name, the last path element of a queue
	// URL, a secret's name) into the template's logical ID.
	Logical func(physical string) string

	mu   sync.Mutex
	uses map[Use]int
}

// NewRecorder returns a recorder naming resources with logical.
func NewRecorder(logical func(physical string) string) *Recorder {
	return &Recorder{Logical: logical, uses: map[Use]int{}}
}

// SESIdentity is the resource every SES send is recorded on: the functions send as the one
// identity the SenderIdentity parameter names.
const SESIdentity = "identity/${SenderIdentity}"

// UserPool is the user pool's logical ID, the resource of every Cognito operation the service
// makes: the template has one pool, which locally is the one provisioned for the test.
const UserPool = "UserPool"

// Attach adds the recorder to cfg, so every client built from it afterwards is recorded.
func (r *Recorder) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("iamcheck.Record",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if fn := FunctionOf(ctx); fn != "" {
					r.add(fn, r.uses0(ctx, in.Parameters))
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// FunctionOf returns the logical ID of the function whose invocation ctx belongs to, or "".
func FunctionOf(ctx context.Context) string {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return ""
	}
	_, fn, _ := strings.Cut(lc.InvokedFunctionArn, ":function:")
	fn, _, _ = strings.Cut(fn, ":") // no alias or version
	return fn
}

func (r *Recorder) add(fn string, uses []Use) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range uses {
		u.Function = fn
		r.uses[u]++
	}
}

// Uses returns every recorded use, sorted by function, action and resource.
func (r *Recorder) Uses() []Use {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Use, 0, len(r.uses))
	for u := range r.uses {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		return a.Resource < b.Resource
	})
	return out
}

// uses0 returns the IAM actions one SDK operation needs. A transaction or batch needs one
// action per operation inside it, on each table it touches, as IAM authorizes each on its own.
func (r *Recorder) uses0(ctx context.Context, params any) []Use {
	table := func(action string, name *string, index *string) Use {
		res := r.Logical(aws.ToString(name))
		if index != nil {
			res += "/index/" + aws.ToString(index)
		}
		return Use{Action: "dynamodb:" + action, Resource: res}
	}
	queue := func(action string, u *string) Use {
		return Use{Action: "sqs:" + action, Resource: r.Logical(queueName(aws.ToString(u)))}
	}
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return []Use{table("GetItem", in.TableName, nil)}
	case *dynamodb.PutItemInput:
		return []Use{table("PutItem", in.TableName, nil)}
	case *dynamodb.UpdateItemInput:
		return []Use{table("UpdateItem", in.TableName, nil)}
	case *dynamodb.DeleteItemInput:
		return []Use{table("DeleteItem", in.TableName, nil)}
	case *dynamodb.QueryInput:
		return []Use{table("Query", in.TableName, in.IndexName)}
	case *dynamodb.ScanInput:
		return []Use{table("Scan", in.TableName, in.IndexName)}
	case *dynamodb.BatchGetItemInput:
		var out []Use
		for name := range in.RequestItems {
			out = append(out, table("BatchGetItem", aws.String(name), nil))
		}
		return out
	case *dynamodb.BatchWriteItemInput:
		var out []Use
		for name, reqs := range in.RequestItems {
			for _, w := range reqs {
				if w.PutRequest != nil {
					out = append(out, table("BatchWriteItem", aws.String(name), nil), table("PutItem", aws.String(name), nil))
				}
				if w.DeleteRequest != nil {
					out = append(out, table("BatchWriteItem", aws.String(name), nil), table("DeleteItem", aws.String(name), nil))
				}
			}
		}
		return out
	case *dynamodb.TransactWriteItemsInput:
		var out []Use
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, table("PutItem", it.Put.TableName, nil))
			case it.Update != nil:
				out = append(out, table("UpdateItem", it.Update.TableName, nil))
			case it.Delete != nil:
				out = append(out, table("DeleteItem", it.Delete.TableName, nil))
			case it.ConditionCheck != nil:
				out = append(out, table("ConditionCheckItem", it.ConditionCheck.TableName, nil))
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		var out []Use
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, table("GetItem", it.Get.TableName, nil))
			}
		}
		return out
	case *sqs.SendMessageInput:
		return []Use{queue("SendMessage", in.QueueUrl)}
	case *sqs.SendMessageBatchInput:
		return []Use{queue("SendMessage", in.QueueUrl)}
	case *sqs.ReceiveMessageInput:
		return []Use{queue("ReceiveMessage", in.QueueUrl)}
	case *sqs.DeleteMessageInput:
		return []Use{queue("DeleteMessage", in.QueueUrl)}
	case *sqs.ChangeMessageVisibilityInput:
		return []Use{queue("ChangeMessageVisibility", in.QueueUrl)}
	case *ses.SendEmailInput, *ses.SendRawEmailInput:
		return []Use{{Action: "ses:" + awsmiddleware.GetOperationName(ctx), Resource: SESIdentity}}
	case *secretsmanager.GetSecretValueInput:
		return []Use{{Action: "secretsmanager:GetSecretValue", Resource: r.Logical(secretName(aws.ToString(in.SecretId)))}}
	case *cip.AdminCreateUserInput, *cip.AdminGetUserInput, *cip.AdminSetUserPasswordInput, *cip.AdminUpdateUserAttributesInput, *cip.ListUsersInput:
		return []Use{{Action: "cognito-idp:" + awsmiddleware.GetOperationName(ctx), Resource: UserPool}}
	case *eventbridge.PutEventsInput:
		var out []Use
		for _, e := range in.Entries {
			out = append(out, Use{Action: "events:PutEvents", Resource: r.Logical(aws.ToString(e.EventBusName))})
		}
		return out
	}
	return []Use{other(ctx)}
}

// other names an operation of a service the switch above does not know by its IAM prefix and
// operation name, on "*": Check then finds it granted nowhere, and the switch learns it.
func other(ctx context.Context) Use {
	prefix := map[string]string{"Secrets Manager": "secretsmanager", "EventBridge": "events", "Cognito Identity Provider": "cognito-idp"}
	svc := awsmiddleware.GetServiceID(ctx)
	p, ok := prefix[svc]
	if !ok {
		p = strings.ToLower(strings.ReplaceAll(svc, " ", ""))
	}
	return Use{Action: p + ":" + awsmiddleware.GetOperationName(ctx), Resource: "*"}
}

// secretName returns the name in a secret's ARN (arn:...:secret:<name>-<6 random>), or id.
func secretName(id string) string {
	if _, rest, ok := strings.Cut(id, ":secret:"); ok {
		if i := strings.LastIndex(rest, "-"); i > 0 && len(rest)-i == 7 {
			return rest[:i]
		}
		return rest
	}
	return id
}

// queueName returns a queue's name from its URL.
func queueName(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return path.Base(p.Path)
	}
	return u
}
