package iamcheck

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const template = `
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  WriterFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:BatchGetItem, dynamodb:PutItem]
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: [dynamodb:Query]
              Resource: !Sub '${Table.Arn}/index/*'
            # unused-grant: read by the runbook's re-drive, which no test runs
            - Effect: Allow
              Action: [sqs:SendMessage]
              Resource: !GetAtt EmailQueue.Arn
            - Effect: Allow
              Action: [ses:SendEmail]
              Resource: !Sub 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderIdentity}'
  IdleFunction:
    Type: AWS::Serverless::Function
`

func TestPoliciesReadsStatementsInTheLogicalFormOfUses(t *testing.T) {
	functions, grants, err := Policies([]byte(template))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"WriterFunction", "IdleFunction"}; !slices.Equal(functions, want) {
		t.Errorf("functions %v, want %v", functions, want)
	}
	var got []string
	for _, g := range grants {
		s := g.Function + " " + g.String()
		if g.Unused != "" {
			s += " (unused: " + g.Unused + ")"
		}
		got = append(got, s)
	}
	want := []string{
		"WriterFunction dynamodb:BatchGetItem on Table",
		"WriterFunction dynamodb:PutItem on Table",
		"WriterFunction dynamodb:Query on Table/index/*",
		"WriterFunction sqs:SendMessage on EmailQueue (unused: read by the runbook's re-drive, which no test runs)",
		"WriterFunction ses:SendEmail on identity/${SenderIdentity}",
	}
	if !slices.Equal(got, want) {
		t.Errorf("grants\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPoliciesRefusesWhatItCannotProve(t *testing.T) {
	for name, policy := range map[string]string{
		"a_sam_policy_template": "        - DynamoDBCrudPolicy: {TableName: !Ref Table}",
		"a_deny":                "        - Statement:\n            - {Effect: Deny, Action: [s3:GetObject], Resource: '*'}",
		"a_condition":           "        - Statement:\n            - {Effect: Allow, Action: [s3:GetObject], Resource: '*', Condition: {Bool: {a: b}}}",
		"a_join":                "        - Statement:\n            - {Effect: Allow, Action: [s3:GetObject], Resource: !Join ['', [a, b]]}",
	} {
		t.Run(name, func(t *testing.T) {
			tpl := "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n" + policy + "\n"
			if _, _, err := Policies([]byte(tpl)); err == nil {
				t.Error("read without error")
			}
		})
	}
}

func TestCheckFindsEachWayAPolicyDiffersFromTheCode(t *testing.T) {
	functions, grants, err := Policies([]byte(template))
	if err != nil {
		t.Fatal(err)
	}
	uses := []Use{
		{"WriterFunction", "dynamodb:BatchGetItem", "Table"},
		{"WriterFunction", "dynamodb:UpdateItem", "Table"},       // not granted
		{"WriterFunction", "dynamodb:Query", "Table/index/GSI1"}, // granted by the wildcard
		{"WriterFunction", "dynamodb:Query", "Table"},            // the index grant is not the table
		{"WriterFunction", "ses:SendEmail", SESIdentity},
		{"StrayFunction", "sqs:SendMessage", "EmailQueue"},
	}
	got := Check(functions, grants, uses)
	want := []string{
		"IdleFunction: no test drove it, so its policy is not proven",
		"StrayFunction uses sqs:SendMessage on EmailQueue, which its policy does not grant: AWS would refuse it",
		"StrayFunction: the tests drove it, but template.yaml declares no such function",
		"WriterFunction uses dynamodb:Query on Table, which its policy does not grant: AWS would refuse it",
		"WriterFunction uses dynamodb:UpdateItem on Table, which its policy does not grant: AWS would refuse it",
		"WriterFunction's policy grants dynamodb:PutItem on Table (template.yaml line 10), which no test saw it use: remove it, or say why beside it (# unused-grant: <why>)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A transaction is authorized operation by operation, so the recorder counts each one.
func TestRecorderCountsEachOperationOfATransactionAsItsOwnAction(t *testing.T) {
	r := NewRecorder(func(p string) string { return strings.TrimPrefix(p, "t0-") })
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:eu-north-1:123456789012:function:ActivateFunction"})
	tx := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t0-Table")}},
		{Update: &types.Update{TableName: aws.String("t0-Table")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("t0-Table")}},
		{Delete: &types.Delete{TableName: aws.String("t0-Table")}},
	}}
	r.add(FunctionOf(ctx), r.uses0(ctx, tx))
	r.add(FunctionOf(ctx), r.uses0(ctx, &dynamodb.QueryInput{TableName: aws.String("t0-Table"), IndexName: aws.String("Due")}))
	var got []string
	for _, u := range r.Uses() {
		got = append(got, u.Function+" "+u.String())
	}
	want := []string{
		"ActivateFunction dynamodb:ConditionCheckItem on Table",
		"ActivateFunction dynamodb:DeleteItem on Table",
		"ActivateFunction dynamodb:PutItem on Table",
		"ActivateFunction dynamodb:Query on Table/index/Due",
		"ActivateFunction dynamodb:UpdateItem on Table",
	}
	if !slices.Equal(got, want) {
		t.Errorf("uses\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
