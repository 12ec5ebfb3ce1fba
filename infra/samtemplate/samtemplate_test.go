package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spiris/collab/infra/samtemplate"
)

// load reads the repository's real template.yaml.
func load(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, _, err := samtemplate.LoadFrom(".")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestLoad_table(t *testing.T) {
	tpl := load(t)
	if got, want := len(tpl.Tables), 1; got != want {
		t.Fatalf("tables: got %d, want %d", got, want)
	}
	tb, ok := tpl.Table("Table")
	if !ok {
		t.Fatal("no table with logical ID Table")
	}
	if got, want := tb.PartitionKey+"/"+tb.SortKey, "PK/SK"; got != want {
		t.Errorf("key schema: got %s, want %s", got, want)
	}
	if got, want := tb.BillingMode, "PAY_PER_REQUEST"; got != want {
		t.Errorf("billing mode: got %s, want %s", got, want)
	}
	if got, want := tb.TTLAttribute, "ExpiresAt"; got != want {
		t.Errorf("TTL attribute: got %s, want %s", got, want)
	}
	wantGSIs := []samtemplate.GSI{
		{Name: "GSI1", PartitionKey: "GSI1PK", SortKey: "GSI1SK", Projection: "ALL"},
		{Name: "GSI2", PartitionKey: "GSI2PK", SortKey: "GSI2SK", Projection: "ALL"},
		{Name: "GSI3", PartitionKey: "GSI3PK", SortKey: "GSI3SK", Projection: "ALL"},
		{Name: "GSI4", PartitionKey: "GSI4PK", SortKey: "GSI4SK", Projection: "ALL"},
		{Name: "Due", PartitionKey: "DuePK", SortKey: "DueAt", Projection: "ALL"},
	}
	if !reflect.DeepEqual(tb.GSIs, wantGSIs) {
		t.Errorf("GSIs:\n got %+v\nwant %+v", tb.GSIs, wantGSIs)
	}
	// Every key attribute of the table and its indexes is declared, as a string.
	declared := map[string]string{}
	for _, a := range tb.Attributes {
		declared[a.Name] = a.Type
	}
	keys := []string{tb.PartitionKey, tb.SortKey}
	for _, g := range tb.GSIs {
		keys = append(keys, g.PartitionKey, g.SortKey)
	}
	for _, k := range keys {
		if got, want := declared[k], "S"; got != want {
			t.Errorf("attribute %s: got type %q, want %q", k, got, want)
		}
	}
	if got, want := len(declared), len(keys); got != want {
		t.Errorf("attribute definitions: got %d, want one per key attribute (%d)", got, want)
	}
}

func TestLoad_queues(t *testing.T) {
	tpl := load(t)
	want := []samtemplate.Queue{
		{LogicalID: "TeardownQueue", VisibilityTimeout: 180, DeadLetterTarget: "TeardownDLQ", MaxReceiveCount: 5},
		{LogicalID: "TeardownDLQ", MessageRetentionPeriod: 1209600},
		{LogicalID: "EmailQueue", VisibilityTimeout: 180, DeadLetterTarget: "EmailDLQ", MaxReceiveCount: 5},
		{LogicalID: "EmailDLQ", MessageRetentionPeriod: 1209600},
	}
	for _, name := range solutionQueues {
		want = append(want, samtemplate.Queue{LogicalID: name + "Commands", VisibilityTimeout: 60, MessageRetentionPeriod: 1209600,
			DeadLetterTarget: "SolutionCommandsDLQ", MaxReceiveCount: 5})
	}
	want = append(want, samtemplate.Queue{LogicalID: "SolutionCommandsDLQ", MessageRetentionPeriod: 1209600})
	if !reflect.DeepEqual(tpl.Queues, want) {
		t.Errorf("queues:\n got %+v\nwant %+v", tpl.Queues, want)
	}
}

// solutionQueues are the solutions' command queues without their Commands suffix, in the
// template's order.
var solutionQueues = []string{"Bookkeeping", "FinancialOverview", "Scanner", "TaxAnnual", "Consolidated", "TravelExpenses", "Payroll"}

func TestLoad_rules_route_each_solutions_commands_to_its_queue(t *testing.T) {
	tpl := load(t)
	if got, want := len(tpl.Rules), len(solutionQueues); got != want {
		t.Fatalf("rules: got %d, want %d", got, want)
	}
	for i, r := range tpl.Rules {
		q := solutionQueues[i] + "Commands"
		want := samtemplate.Rule{LogicalID: q + "Rule", Bus: "EventBus", Pattern: r.Pattern,
			Targets: []samtemplate.RuleTarget{{ID: q, Queue: q, DeadLetterQueue: "SolutionCommandsDLQ"}}}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("rule:\n got %+v\nwant %+v", r, want)
		}
		var p struct {
			Source     []string            `json:"source"`
			DetailType []string            `json:"detail-type"`
			Detail     map[string][]string `json:"detail"`
		}
		if err := json.Unmarshal([]byte(r.Pattern), &p); err != nil {
			t.Fatalf("%s: pattern %s: %v", r.LogicalID, r.Pattern, err)
		}
		if got, want := fmt.Sprint(p.Source, p.DetailType, len(p.Detail["solution"])), "[spiris.collaboration] [TeardownCommand FactsRequested] 1"; got != want {
			t.Errorf("%s: pattern %s, want %s and one solution", r.LogicalID, r.Pattern, want)
		}
	}
}

func TestParse_rule(t *testing.T) {
	const head = `
Resources:
  Bus:
    Type: AWS::Events::EventBus
  Q:
    Type: AWS::SQS::Queue
  DLQ:
    Type: AWS::SQS::Queue
  R:
    Type: AWS::Events::Rule
    Properties:
`
	tests := []struct {
		name, props, want, err string
	}{
		{name: "a_mapping_pattern_is_read_as_json", props: `
      EventBusName: !Ref Bus
      EventPattern: {source: [a], detail: {n: [{numeric: [">", 0]}]}}
      Targets: [{Id: t, Arn: !GetAtt Q.Arn, DeadLetterConfig: {Arn: !GetAtt DLQ.Arn}}]`,
			want: `{R Bus {"detail":{"n":[{"numeric":[">",0]}]},"source":["a"]} [{t Q DLQ}]}`},
		{name: "a_json_string_pattern_is_read_too", props: `
      EventPattern: '{"source":["a"]}'
      Targets: [{Id: t, Arn: !GetAtt Q.Arn}]`,
			want: `{R  {"source":["a"]} [{t Q }]}`},
		{name: "a_pattern_with_an_intrinsic_function_is_refused", props: `
      EventPattern: {source: [!Ref AWS::StackName]}
      Targets: [{Id: t, Arn: !GetAtt Q.Arn}]`, err: "want literal values"},
		{name: "a_target_that_is_not_a_queue_of_the_template_is_refused", props: `
      EventPattern: {source: [a]}
      Targets: [{Id: t, Arn: !GetAtt Fn.Arn}]`, err: "Fn is not a queue"},
		{name: "a_bus_that_is_not_in_the_template_is_refused", props: `
      EventBusName: !Ref Other
      EventPattern: {source: [a]}
      Targets: [{Id: t, Arn: !GetAtt Q.Arn}]`, err: "Other is not an event bus"},
		{name: "a_schedule_rule_is_refused", props: `
      ScheduleExpression: rate(1 minute)
      Targets: [{Id: t, Arn: !GetAtt Q.Arn}]`, err: "no EventPattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := samtemplate.Parse([]byte(head + strings.TrimPrefix(tt.props, "\n")))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(tpl.Rules[0]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFind_walks_up_from_a_subdirectory(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, samtemplate.FileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := samtemplate.Find(sub)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, samtemplate.FileName); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestFind_fails_without_a_template(t *testing.T) {
	if _, err := samtemplate.Find(t.TempDir()); err == nil {
		t.Error("want an error, got none")
	}
}

func TestParse_dead_letter_target(t *testing.T) {
	const dlq = `
  DLQ:
    Type: AWS::SQS::Queue
`
	for _, tc := range []struct {
		name    string
		target  string
		want    string // logical ID; empty when an error is wanted
		wantErr string
	}{
		{name: "short_form_with_dot", target: `!GetAtt DLQ.Arn`, want: "DLQ"},
		{name: "short_form_as_list", target: `!GetAtt [DLQ, Arn]`, want: "DLQ"},
		{name: "long_form", target: `{"Fn::GetAtt": [DLQ, Arn]}`, want: "DLQ"},
		{name: "long_form_with_dot", target: `{"Fn::GetAtt": DLQ.Arn}`, want: "DLQ"},
		{name: "refused_as_a_literal_arn", target: `arn:aws:sqs:eu-north-1:1:x`, wantErr: "deadLetterTargetArn"},
		{name: "refused_for_another_attribute", target: `!GetAtt DLQ.QueueName`, wantErr: "deadLetterTargetArn"},
		{name: "refused_for_an_unknown_queue", target: `!GetAtt Nope.Arn`, wantErr: "not a queue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `
Resources:
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: ` + tc.target + `
        maxReceiveCount: "3"
` + dlq
			tpl, err := samtemplate.Parse([]byte(src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q, _ := tpl.Queue("Work")
			if got := q.DeadLetterTarget; got != tc.want {
				t.Errorf("dead-letter target: got %q, want %q", got, tc.want)
			}
			if got, want := q.MaxReceiveCount, 3; got != want {
				t.Errorf("max receive count: got %d, want %d", got, want)
			}
		})
	}
}

func TestParse_refuses_values_known_only_at_deploy_time(t *testing.T) {
	for _, tc := range []struct {
		name, src, wantErr string
	}{
		{
			name:    "visibility_timeout_from_a_parameter",
			src:     "Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: !Ref Timeout\n",
			wantErr: "VisibilityTimeout",
		},
		{
			name:    "billing_mode_from_a_parameter",
			src:     "T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: !Ref Mode\n      KeySchema: [{AttributeName: PK, KeyType: HASH}]\n",
			wantErr: "want a literal string",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := samtemplate.Parse([]byte("Resources:\n  " + tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestParse_skips_tags_and_function_properties_it_does_not_read(t *testing.T) {
	src := `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE: !Ref T
          URL: !Sub "https://${AWS::Region}.example"
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      Tags:
        - Key: stage
          Value: !Ref Stage
`
	tpl, err := samtemplate.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &samtemplate.Template{Tables: []samtemplate.Table{{
		LogicalID:    "T",
		PartitionKey: "PK",
		Attributes:   []samtemplate.Attribute{{Name: "PK", Type: "S"}},
		BillingMode:  "PROVISIONED",
	}}, Functions: []samtemplate.Function{{LogicalID: "Fn"}}}
	if !reflect.DeepEqual(tpl, want) {
		t.Errorf("\n got %+v\nwant %+v", tpl, want)
	}
}

func TestLoad_functions_and_their_routes(t *testing.T) {
	tpl := load(t)
	routes := map[string]samtemplate.Route{}
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			routes[f.LogicalID] = r
		}
	}
	if got := routes["ActivateFunction"]; got.Method != "POST" || got.Path != "/offices/{officeId}/collaborations" || got.Authorizer != "" {
		t.Errorf("ActivateFunction route %+v", got)
	}
	if got := routes["ShowInvitationFunction"]; got.Authorizer != "NONE" {
		t.Errorf("ShowInvitationFunction authorizer %q, want NONE", got.Authorizer)
	}
	if got := routes["ReportFactsFunction"]; got.Authorizer != "AWS_IAM" {
		t.Errorf("ReportFactsFunction authorizer %q, want AWS_IAM", got.Authorizer)
	}
}

func TestLoad_http_api_cors(t *testing.T) {
	tpl := load(t)
	if got, want := len(tpl.HTTPAPIs), 1; got != want {
		t.Fatalf("HTTP APIs: got %d, want %d", got, want)
	}
	c := tpl.HTTPAPIs[0].CORS
	if c == nil {
		t.Fatal("the HTTP API has no CORS configuration")
	}
	// The origins are the CorsOrigins parameter's default, not the text "CorsOrigins".
	for _, o := range c.AllowOrigins {
		if !strings.HasPrefix(o, "https://") {
			t.Errorf("allowed origin %q is not an https origin", o)
		}
	}
	if len(c.AllowOrigins) == 0 || len(c.AllowMethods) == 0 || len(c.AllowHeaders) == 0 || c.MaxAge <= 0 {
		t.Errorf("CORS configuration %+v lacks origins, methods, headers or a max age", c)
	}
}

func TestParse_http_api_cors(t *testing.T) {
	const params = `
Parameters:
  Origins:
    Type: CommaDelimitedList
    Default: "https://a.example, https://b.example"
  One:
    Type: String
    Default: https://c.example
  Age:
    Type: Number
    Default: 300
  Secret:
    Type: String
`
	for _, tc := range []struct {
		name, cors string
		want       *samtemplate.CORS
		wantErr    string
	}{
		{name: "origins_from_a_comma_delimited_list_parameter", cors: `
        AllowOrigins: !Ref Origins
        AllowMethods: [GET, POST]
        AllowHeaders: [Authorization]
        ExposeHeaders: [X-Replayed]
        AllowCredentials: true
        MaxAge: 600`,
			want: &samtemplate.CORS{AllowOrigins: []string{"https://a.example", "https://b.example"}, AllowMethods: []string{"GET", "POST"},
				AllowHeaders: []string{"Authorization"}, ExposeHeaders: []string{"X-Replayed"}, AllowCredentials: true, MaxAge: 600}},
		{name: "list_items_and_max_age_from_parameters", cors: `
        AllowOrigins: [!Ref One, "https://d.example"]
        MaxAge: !Ref Age`,
			want: &samtemplate.CORS{AllowOrigins: []string{"https://c.example", "https://d.example"}, MaxAge: 300}},
		{name: "one_origin_as_a_string", cors: ` https://e.example`, want: &samtemplate.CORS{AllowOrigins: []string{"https://e.example"}}},
		{name: "every_origin_as_true", cors: ` true`, want: &samtemplate.CORS{AllowOrigins: []string{"*"}}},
		{name: "refused_for_a_parameter_without_default", cors: "\n        AllowOrigins: !Ref Secret", wantErr: "no Default"},
		{name: "refused_for_an_unknown_parameter", cors: "\n        AllowOrigins: !Ref Nope", wantErr: "names no parameter"},
		{name: "refused_for_a_condition", cors: "\n        AllowOrigins: !If [Prod, [a], [b]]", wantErr: "AllowOrigins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := params + `
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:` + tc.cors + "\n"
			tpl, err := samtemplate.Parse([]byte(src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.HTTPAPIs; len(got) != 1 || got[0].LogicalID != "Api" || !reflect.DeepEqual(got[0].CORS, tc.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
