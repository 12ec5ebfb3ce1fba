// Package samtemplate reads the DynamoDB tables, SQS queues, event buses and their rules declared in the SAM template, so
// that template.yaml stays the one source of truth: the emulator bootstrap (infra/localaws)
// provisions exactly what CloudFormation deploys, and the local runner (infra/devstack) serves the
// functions' routes with the HTTP API's CORS configuration.
//
// Only what local provisioning needs is read. The template is parsed as a yaml.Node tree, so
// CloudFormation short tags (!Ref, !GetAtt, !Sub) anywhere in the file do not break decoding. A
// property that provisioning reads must be a literal, except a dead-letter target, which is
// !GetAtt <Queue>.Arn; a value only known at deploy time there (a !Ref to a parameter, say) is an
// error that names the resource and the property. The one exception is an HTTP API's
// CorsConfiguration, whose values may be a !Ref to a parameter: it takes the parameter's Default,
// the value a deploy without overrides gets.
package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the SAM template at the repository root.
const FileName = "template.yaml"

// Template holds the resources of a SAM template that local provisioning creates, in the order
// they appear in the file.
type Template struct {
	Tables    []Table
	Queues    []Queue
	Functions []Function
	HTTPAPIs  []HTTPAPI
	Secrets   []Secret
	Buses     []string // the logical IDs of the AWS::Events::EventBus resources
	Rules     []Rule
	UserPools []UserPool
}

// Rule is an AWS::Events::Rule that routes events of one of the template's buses to queues of
// the template: what a subscriber of the bus (a solution's integration) receives.
type Rule struct {
	LogicalID string
	Bus       string // logical ID of the bus, from !Ref; empty for the account's default bus
	Pattern   string // the EventPattern, as JSON
	Targets   []RuleTarget
}

// RuleTarget is an SQS queue a rule delivers to.
type RuleTarget struct {
	ID              string
	Queue           string // logical ID, from !GetAtt X.Arn
	DeadLetterQueue string // logical ID of the DeadLetterConfig's queue; empty without one
}

// UserPool is an AWS::Cognito::UserPool with the logical IDs of its AWS::Cognito::UserPoolClient
// resources.
type UserPool struct {
	LogicalID string
	Clients   []string
}

// Secret is an AWS::SecretsManager::Secret whose value Secrets Manager generates
// (GenerateSecretString): locally, provisioning generates one of the same length.
type Secret struct {
	LogicalID string
	Length    int // GenerateSecretString.PasswordLength; 32 when not given, as in AWS
}

// HTTPAPI is an AWS::Serverless::HttpApi.
type HTTPAPI struct {
	LogicalID string
	CORS      *CORS // nil without a CorsConfiguration
}

// CORS is an HTTP API's CorsConfiguration: what API Gateway answers a preflight with, and adds to
// the responses to an allowed origin.
type CORS struct {
	AllowOrigins     []string // "*" allows every origin
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           int // seconds; 0 when not set
}

// Function is an AWS::Serverless::Function with the events that invoke it.
type Function struct {
	LogicalID string
	Routes    []Route     // HttpApi events
	Queues    []QueueFeed // SQS events
	Schedules []string    // Schedule or ScheduleV2 expressions
}

// Route is an HttpApi event: the method and path that invoke a function, and its authorizer
// ("" for the API's default, "NONE", "AWS_IAM").
type Route struct {
	Method, Path, Authorizer string
}

// QueueFeed is an SQS event: the queue a function consumes and how.
type QueueFeed struct {
	Queue                string // logical id, from !GetAtt X.Arn
	BatchSize            int
	ReportBatchFailures  bool
	MaxBatchingWindowSec int
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID    string
	PartitionKey string // attribute name of the HASH key
	SortKey      string // attribute name of the RANGE key; empty when the table has none
	Attributes   []Attribute
	GSIs         []GSI
	TTLAttribute string // empty when time to live is not enabled
	BillingMode  string // PAY_PER_REQUEST or PROVISIONED
}

// Attribute is one entry of a table's AttributeDefinitions.
type Attribute struct {
	Name string
	Type string // S, N or B
}

// GSI is a global secondary index of a table.
type GSI struct {
	Name             string
	PartitionKey     string
	SortKey          string   // empty when the index has no sort key
	Projection       string   // ALL, KEYS_ONLY or INCLUDE
	NonKeyAttributes []string // projected attributes when Projection is INCLUDE
}

// Queue is an AWS::SQS::Queue. Zero numbers mean the property is not set and SQS applies its
// default.
type Queue struct {
	LogicalID                 string
	FIFO                      bool
	ContentBasedDeduplication bool
	VisibilityTimeout         int    // seconds
	MessageRetentionPeriod    int    // seconds
	DeadLetterTarget          string // logical ID of the dead-letter queue; empty without a RedrivePolicy
	MaxReceiveCount           int
}

// Table returns the table with the given logical ID.
func (t *Template) Table(logicalID string) (Table, bool) {
	for _, tb := range t.Tables {
		if tb.LogicalID == logicalID {
			return tb, true
		}
	}
	return Table{}, false
}

// Queue returns the queue with the given logical ID.
func (t *Template) Queue(logicalID string) (Queue, bool) {
	for _, q := range t.Queues {
		if q.LogicalID == logicalID {
			return q, true
		}
	}
	return Queue{}, false
}

// Find walks up from the directory start to the first directory that holds template.yaml and
// returns the file's path. Tests run in their package directory, so they find the template at
// the repository root this way.
func Find(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("samtemplate.Find: %w", err)
	}
	for {
		path := filepath.Join(dir, FileName)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("samtemplate.Find: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("samtemplate.Find: no %s in %s or any parent directory", FileName, start)
		}
		dir = parent
	}
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate.Load: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("samtemplate.Load %s: %w", path, err)
	}
	return t, nil
}

// LoadFrom finds template.yaml from the directory start upwards (Find) and loads it, returning
// it with its path.
func LoadFrom(start string) (*Template, string, error) {
	path, err := Find(start)
	if err != nil {
		return nil, "", err
	}
	t, err := Load(path)
	return t, path, err
}

// Parse reads the tables and queues of a template. Resources of other types are skipped. It
// fails when a queue's dead-letter target is not a queue of the same template.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("parse: empty template")
	}
	resources := lookup(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("parse: no Resources mapping")
	}
	params := parameters(lookup(doc.Content[0], "Parameters"))
	t := &Template{}
	clients := map[string]*yaml.Node{} // user pool client → its UserPoolId
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		var head struct {
			Type       string    `yaml:"Type"`
			Properties yaml.Node `yaml:"Properties"`
		}
		if err := res.Decode(&head); err != nil {
			return nil, fmt.Errorf("parse resource %s: %w", id, err)
		}
		switch head.Type {
		case "AWS::DynamoDB::Table":
			tb, err := parseTable(id, &head.Properties)
			if err != nil {
				return nil, fmt.Errorf("parse resource %s: %w", id, err)
			}
			t.Tables = append(t.Tables, tb)
		case "AWS::Serverless::Function":
			f, err := parseFunction(id, &head.Properties)
			if err != nil {
				return nil, fmt.Errorf("parse resource %s: %w", id, err)
			}
			t.Functions = append(t.Functions, f)
		case "AWS::SecretsManager::Secret":
			sec := Secret{LogicalID: id, Length: 32}
			if n := lookup(lookup(&head.Properties, "GenerateSecretString"), "PasswordLength"); n != nil {
				v, err := number(n)
				if err != nil {
					return nil, fmt.Errorf("parse resource %s: %w", id, err)
				}
				sec.Length = v
			}
			t.Secrets = append(t.Secrets, sec)
		case "AWS::Events::EventBus":
			t.Buses = append(t.Buses, id)
		case "AWS::Events::Rule":
			r, err := parseRule(id, &head.Properties)
			if err != nil {
				return nil, fmt.Errorf("parse resource %s: %w", id, err)
			}
			t.Rules = append(t.Rules, r)
		case "AWS::Cognito::UserPool":
			t.UserPools = append(t.UserPools, UserPool{LogicalID: id})
		case "AWS::Cognito::UserPoolClient":
			clients[id] = lookup(&head.Properties, "UserPoolId")
		case "AWS::SQS::Queue":
			q, err := parseQueue(id, &head.Properties)
			if err != nil {
				return nil, fmt.Errorf("parse resource %s: %w", id, err)
			}
			t.Queues = append(t.Queues, q)
		case "AWS::Serverless::HttpApi":
			a, err := parseHTTPAPI(id, &head.Properties, params)
			if err != nil {
				return nil, fmt.Errorf("parse resource %s: %w", id, err)
			}
			t.HTTPAPIs = append(t.HTTPAPIs, a)
		}
	}
	if err := t.attachClients(clients); err != nil {
		return nil, err
	}
	for _, q := range t.Queues {
		if q.DeadLetterTarget == "" {
			continue
		}
		if _, ok := t.Queue(q.DeadLetterTarget); !ok {
			return nil, fmt.Errorf("parse resource %s: dead-letter target %s is not a queue of the template", q.LogicalID, q.DeadLetterTarget)
		}
	}
	if err := t.checkRules(); err != nil {
		return nil, err
	}
	return t, nil
}

// parseRule reads a rule's bus, its EventPattern (a mapping, or JSON in a string, as
// CloudFormation takes both) and its targets, each of which must be !GetAtt <Queue>.Arn.
func parseRule(id string, props *yaml.Node) (Rule, error) {
	r := Rule{LogicalID: id}
	if bus := lookup(props, "EventBusName"); bus != nil {
		if bus.Tag != "!Ref" {
			return r, fmt.Errorf("EventBusName: want !Ref <EventBus>, got line %d", bus.Line)
		}
		r.Bus = bus.Value
	}
	p := lookup(props, "EventPattern")
	if p == nil {
		return r, errors.New("no EventPattern: only rules that match events are read")
	}
	if err := literalTree(p); err != nil {
		return r, fmt.Errorf("EventPattern: %w", err)
	}
	var pattern any
	if p.Kind == yaml.ScalarNode {
		if err := json.Unmarshal([]byte(p.Value), &pattern); err != nil {
			return r, fmt.Errorf("EventPattern: %w", err)
		}
	} else if err := p.Decode(&pattern); err != nil {
		return r, fmt.Errorf("EventPattern: %w", err)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep {"numeric": [">", 0]} readable
	if err := enc.Encode(pattern); err != nil {
		return r, fmt.Errorf("EventPattern: %w", err)
	}
	r.Pattern = strings.TrimSuffix(b.String(), "\n")
	var err error
	targets := lookup(props, "Targets")
	if targets == nil || targets.Kind != yaml.SequenceNode {
		return r, errors.New("Targets: want a list")
	}
	for i, tn := range targets.Content {
		tg := RuleTarget{}
		if n := lookup(tn, "Id"); n != nil {
			tg.ID = n.Value
		}
		if tg.Queue, err = arnOf(lookup(tn, "Arn")); err != nil {
			return r, fmt.Errorf("Targets[%d].Arn: %w", i, err)
		}
		if dl := lookup(lookup(tn, "DeadLetterConfig"), "Arn"); dl != nil {
			if tg.DeadLetterQueue, err = arnOf(dl); err != nil {
				return r, fmt.Errorf("Targets[%d].DeadLetterConfig.Arn: %w", i, err)
			}
		}
		r.Targets = append(r.Targets, tg)
	}
	return r, nil
}

// literalTree fails on any intrinsic function (a tag such as !Sub) in n: an event pattern is
// read as it is written.
func literalTree(n *yaml.Node) error {
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		return fmt.Errorf("line %d: want literal values, got %s", n.Line, n.Tag)
	}
	for _, c := range n.Content {
		if err := literalTree(c); err != nil {
			return err
		}
	}
	return nil
}

// checkRules fails when a rule is on a bus, or delivers to a queue, that the template does not
// declare.
func (t *Template) checkRules() error {
	for _, r := range t.Rules {
		if r.Bus != "" && !slices.Contains(t.Buses, r.Bus) {
			return fmt.Errorf("parse resource %s: EventBusName %s is not an event bus of the template", r.LogicalID, r.Bus)
		}
		for _, tg := range r.Targets {
			for _, q := range []string{tg.Queue, tg.DeadLetterQueue} {
				if _, ok := t.Queue(q); q != "" && !ok {
					return fmt.Errorf("parse resource %s: target %s is not a queue of the template", r.LogicalID, q)
				}
			}
		}
	}
	return nil
}

// literal is a string property that must be written out in the template: decoding it from an
// intrinsic function (!Ref Param) fails, where a plain string would silently take "Param".
type literal string

// UnmarshalYAML accepts a scalar with no tag or a standard YAML tag (!!str) only.
func (l *literal) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || !strings.HasPrefix(n.Tag, "!!") {
		return fmt.Errorf("line %d: want a literal string, got %s", n.Line, n.Tag)
	}
	*l = literal(n.Value)
	return nil
}

type keyElement struct {
	AttributeName literal `yaml:"AttributeName"`
	KeyType       literal `yaml:"KeyType"`
}

func parseTable(id string, props *yaml.Node) (Table, error) {
	var p struct {
		BillingMode          literal `yaml:"BillingMode"`
		AttributeDefinitions []struct {
			AttributeName literal `yaml:"AttributeName"`
			AttributeType literal `yaml:"AttributeType"`
		} `yaml:"AttributeDefinitions"`
		KeySchema              []keyElement `yaml:"KeySchema"`
		GlobalSecondaryIndexes []struct {
			IndexName  literal      `yaml:"IndexName"`
			KeySchema  []keyElement `yaml:"KeySchema"`
			Projection struct {
				ProjectionType   literal   `yaml:"ProjectionType"`
				NonKeyAttributes []literal `yaml:"NonKeyAttributes"`
			} `yaml:"Projection"`
		} `yaml:"GlobalSecondaryIndexes"`
		TimeToLiveSpecification struct {
			AttributeName literal `yaml:"AttributeName"`
			Enabled       bool    `yaml:"Enabled"`
		} `yaml:"TimeToLiveSpecification"`
	}
	if err := props.Decode(&p); err != nil {
		return Table{}, err
	}
	t := Table{LogicalID: id, BillingMode: string(p.BillingMode)}
	if t.BillingMode == "" {
		t.BillingMode = "PROVISIONED" // the CloudFormation default
	}
	var err error
	if t.PartitionKey, t.SortKey, err = keys(p.KeySchema); err != nil {
		return Table{}, fmt.Errorf("KeySchema: %w", err)
	}
	for _, a := range p.AttributeDefinitions {
		t.Attributes = append(t.Attributes, Attribute{Name: string(a.AttributeName), Type: string(a.AttributeType)})
	}
	for _, g := range p.GlobalSecondaryIndexes {
		gsi := GSI{Name: string(g.IndexName), Projection: string(g.Projection.ProjectionType)}
		for _, a := range g.Projection.NonKeyAttributes {
			gsi.NonKeyAttributes = append(gsi.NonKeyAttributes, string(a))
		}
		if gsi.PartitionKey, gsi.SortKey, err = keys(g.KeySchema); err != nil {
			return Table{}, fmt.Errorf("index %s: KeySchema: %w", g.IndexName, err)
		}
		t.GSIs = append(t.GSIs, gsi)
	}
	if p.TimeToLiveSpecification.Enabled {
		t.TTLAttribute = string(p.TimeToLiveSpecification.AttributeName)
	}
	return t, nil
}

func keys(schema []keyElement) (hash, rng string, err error) {
	for _, k := range schema {
		switch k.KeyType {
		case "HASH":
			hash = string(k.AttributeName)
		case "RANGE":
			rng = string(k.AttributeName)
		default:
			return "", "", fmt.Errorf("key type %q of %s is neither HASH nor RANGE", k.KeyType, k.AttributeName)
		}
	}
	if hash == "" {
		return "", "", errors.New("no HASH key")
	}
	return hash, rng, nil
}

func parseQueue(id string, props *yaml.Node) (Queue, error) {
	var p struct {
		FifoQueue                 bool      `yaml:"FifoQueue"`
		ContentBasedDeduplication bool      `yaml:"ContentBasedDeduplication"`
		VisibilityTimeout         yaml.Node `yaml:"VisibilityTimeout"`
		MessageRetentionPeriod    yaml.Node `yaml:"MessageRetentionPeriod"`
		RedrivePolicy             yaml.Node `yaml:"RedrivePolicy"`
	}
	if err := props.Decode(&p); err != nil {
		return Queue{}, err
	}
	q := Queue{LogicalID: id, FIFO: p.FifoQueue, ContentBasedDeduplication: p.ContentBasedDeduplication}
	var err error
	if q.VisibilityTimeout, err = number(&p.VisibilityTimeout); err != nil {
		return Queue{}, fmt.Errorf("VisibilityTimeout: %w", err)
	}
	if q.MessageRetentionPeriod, err = number(&p.MessageRetentionPeriod); err != nil {
		return Queue{}, fmt.Errorf("MessageRetentionPeriod: %w", err)
	}
	if p.RedrivePolicy.Kind == 0 {
		return q, nil
	}
	if p.RedrivePolicy.Kind != yaml.MappingNode {
		return Queue{}, errors.New("RedrivePolicy: only a mapping is supported")
	}
	target := lookup(&p.RedrivePolicy, "deadLetterTargetArn")
	if target == nil {
		return Queue{}, errors.New("RedrivePolicy: no deadLetterTargetArn")
	}
	if q.DeadLetterTarget, err = arnOf(target); err != nil {
		return Queue{}, fmt.Errorf("RedrivePolicy.deadLetterTargetArn: %w", err)
	}
	if q.MaxReceiveCount, err = number(lookup(&p.RedrivePolicy, "maxReceiveCount")); err != nil {
		return Queue{}, fmt.Errorf("RedrivePolicy.maxReceiveCount: %w", err)
	}
	if q.MaxReceiveCount <= 0 {
		return Queue{}, errors.New("RedrivePolicy: maxReceiveCount must be positive")
	}
	return q, nil
}

// arnOf returns the logical ID X of the queue named by !GetAtt X.Arn, !GetAtt [X, Arn] or their
// long forms {Fn::GetAtt: ...}.
func arnOf(n *yaml.Node) (string, error) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Fn::GetAtt" {
		n = n.Content[1]
	} else if n.Tag != "!GetAtt" {
		return "", fmt.Errorf("want !GetAtt <Queue>.Arn, got %s %q", n.Tag, n.Value)
	}
	var id, attr string
	switch n.Kind {
	case yaml.ScalarNode:
		id, attr, _ = strings.Cut(n.Value, ".")
	case yaml.SequenceNode:
		if len(n.Content) == 2 {
			id, attr = n.Content[0].Value, n.Content[1].Value
		}
	}
	if id == "" || attr != "Arn" {
		return "", fmt.Errorf("want !GetAtt <Queue>.Arn, got line %d", n.Line)
	}
	return id, nil
}

// number reads an integer written plain (180) or quoted ("180"), as CloudFormation accepts
// both; a missing node is 0.
func number(n *yaml.Node) (int, error) {
	if n == nil || n.Kind == 0 {
		return 0, nil
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!str") {
		return 0, fmt.Errorf("want a literal integer at line %d, got %s", n.Line, n.Tag)
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, fmt.Errorf("want a literal integer at line %d: %w", n.Line, err)
	}
	return v, nil
}

// Lookup returns the value of key in a mapping node of a template, or nil, for readers of parts of
// the template this package does not model (infra/iamcheck reads the policies).
func Lookup(m *yaml.Node, key string) *yaml.Node { return lookup(m, key) }

// lookup returns the value of key in a mapping node, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func parseFunction(id string, props *yaml.Node) (Function, error) {
	f := Function{LogicalID: id}
	events := lookup(props, "Events")
	if events == nil {
		return f, nil
	}
	for i := 0; i+1 < len(events.Content); i += 2 {
		ev := events.Content[i+1]
		typ, p := lookup(ev, "Type"), lookup(ev, "Properties")
		if typ == nil {
			continue
		}
		switch typ.Value {
		case "HttpApi":
			r := Route{}
			if m := lookup(p, "Method"); m != nil {
				r.Method = strings.ToUpper(m.Value)
			}
			if pa := lookup(p, "Path"); pa != nil {
				r.Path = pa.Value
			}
			if a := lookup(lookup(p, "Auth"), "Authorizer"); a != nil {
				r.Authorizer = a.Value
			}
			f.Routes = append(f.Routes, r)
		case "SQS":
			q, err := arnOf(lookup(p, "Queue"))
			if err != nil {
				return f, fmt.Errorf("event %s: %w", events.Content[i].Value, err)
			}
			feed := QueueFeed{Queue: q}
			if feed.BatchSize, err = number(lookup(p, "BatchSize")); err != nil {
				return f, err
			}
			if feed.MaxBatchingWindowSec, err = number(lookup(p, "MaximumBatchingWindowInSeconds")); err != nil {
				return f, err
			}
			if types := lookup(p, "FunctionResponseTypes"); types != nil {
				for _, t := range types.Content {
					feed.ReportBatchFailures = feed.ReportBatchFailures || t.Value == "ReportBatchItemFailures"
				}
			}
			f.Queues = append(f.Queues, feed)
		case "Schedule", "ScheduleV2":
			if e := lookup(p, "ScheduleExpression"); e != nil {
				f.Schedules = append(f.Schedules, e.Value)
			} else if e := lookup(p, "Schedule"); e != nil {
				f.Schedules = append(f.Schedules, e.Value)
			}
		}
	}
	return f, nil
}

// parameter is a template parameter, as far as resolving a !Ref to it needs.
type parameter struct {
	Type    string
	Default *yaml.Node // nil without a Default
}

// parameters reads the template's Parameters section.
func parameters(section *yaml.Node) map[string]parameter {
	out := map[string]parameter{}
	if section == nil || section.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(section.Content); i += 2 {
		p := parameter{Default: lookup(section.Content[i+1], "Default")}
		if typ := lookup(section.Content[i+1], "Type"); typ != nil {
			p.Type = typ.Value
		}
		out[section.Content[i].Value] = p
	}
	return out
}

// ref returns the parameter a !Ref node (or {Ref: X}) names, or ok false when n is no reference.
// A reference to anything but a parameter with a Default is an error.
func ref(n *yaml.Node, params map[string]parameter) (name string, p parameter, ok bool, err error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!Ref":
		name = n.Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref":
		name = n.Content[1].Value
	default:
		return "", parameter{}, false, nil
	}
	p, found := params[name]
	if !found {
		return name, p, true, fmt.Errorf("line %d: !Ref %s names no parameter of the template", n.Line, name)
	}
	if p.Default == nil || p.Default.Kind != yaml.ScalarNode {
		return name, p, true, fmt.Errorf("line %d: parameter %s has no Default, so its value is known only at deploy time", n.Line, name)
	}
	return name, p, true, nil
}

// scalarValue reads a literal scalar or a !Ref to a parameter's Default.
func scalarValue(n *yaml.Node, params map[string]parameter) (string, error) {
	if _, p, ok, err := ref(n, params); ok {
		if err != nil {
			return "", err
		}
		return p.Default.Value, nil
	}
	if n.Kind != yaml.ScalarNode || !strings.HasPrefix(n.Tag, "!!") {
		return "", fmt.Errorf("line %d: want a literal or a !Ref to a parameter, got %s", n.Line, n.Tag)
	}
	return n.Value, nil
}

// listValue reads a list of literals or parameter references, or a !Ref to a list parameter
// (CommaDelimitedList, List<…>), whose Default is split at commas as CloudFormation does.
func listValue(n *yaml.Node, params map[string]parameter) ([]string, error) {
	if name, p, ok, err := ref(n, params); ok {
		if err != nil {
			return nil, err
		}
		if p.Type != "CommaDelimitedList" && !strings.HasPrefix(p.Type, "List<") {
			return []string{p.Default.Value}, nil
		}
		var out []string
		for _, v := range strings.Split(p.Default.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("line %d: parameter %s has an empty Default", n.Line, name)
		}
		return out, nil
	}
	if n.Kind == yaml.ScalarNode {
		v, err := scalarValue(n, params)
		return []string{v}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: want a list", n.Line)
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		v, err := scalarValue(item, params)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseHTTPAPI reads an HTTP API's CorsConfiguration: a mapping, an origin as a string, or true
// (every origin), as SAM accepts.
func parseHTTPAPI(id string, props *yaml.Node, params map[string]parameter) (HTTPAPI, error) {
	a := HTTPAPI{LogicalID: id}
	n := lookup(props, "CorsConfiguration")
	if n == nil {
		return a, nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if n.Value == "true" {
			a.CORS = &CORS{AllowOrigins: []string{"*"}}
		}
		return a, nil
	}
	if n.Kind != yaml.MappingNode {
		v, err := scalarValue(n, params)
		if err != nil {
			return a, fmt.Errorf("CorsConfiguration: %w", err)
		}
		a.CORS = &CORS{AllowOrigins: []string{v}}
		return a, nil
	}
	c := &CORS{}
	lists := []struct {
		key string
		to  *[]string
	}{{"AllowOrigins", &c.AllowOrigins}, {"AllowMethods", &c.AllowMethods}, {"AllowHeaders", &c.AllowHeaders}, {"ExposeHeaders", &c.ExposeHeaders}}
	for _, l := range lists {
		if v := lookup(n, l.key); v != nil {
			var err error
			if *l.to, err = listValue(v, params); err != nil {
				return a, fmt.Errorf("CorsConfiguration.%s: %w", l.key, err)
			}
		}
	}
	if v := lookup(n, "AllowCredentials"); v != nil {
		s, err := scalarValue(v, params)
		if err != nil {
			return a, fmt.Errorf("CorsConfiguration.AllowCredentials: %w", err)
		}
		c.AllowCredentials = s == "true"
	}
	if v := lookup(n, "MaxAge"); v != nil {
		s, err := scalarValue(v, params)
		if err == nil {
			c.MaxAge, err = strconv.Atoi(s)
		}
		if err != nil {
			return a, fmt.Errorf("CorsConfiguration.MaxAge: %w", err)
		}
	}
	a.CORS = c
	return a, nil
}

// attachClients adds each user pool client to the pool its UserPoolId refers to (!Ref).
func (t *Template) attachClients(clients map[string]*yaml.Node) error {
	for id, ref := range clients {
		i := -1
		if ref != nil && ref.Tag == "!Ref" {
			i = slices.IndexFunc(t.UserPools, func(p UserPool) bool { return p.LogicalID == ref.Value })
		}
		if i < 0 {
			return fmt.Errorf("parse resource %s: UserPoolId is not a !Ref to a user pool of the template", id)
		}
		t.UserPools[i].Clients = append(t.UserPools[i].Clients, id)
	}
	return nil
}
