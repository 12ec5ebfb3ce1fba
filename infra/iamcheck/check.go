package iamcheck

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spiris/collab/infra/samtemplate"
)

// Grant is one action a function's policy allows on one resource pattern, as template.yaml
// writes it.
type Grant struct {
	Function string
	Action   string
	Resource string // logical form, as Use.Resource; may end in a wildcard ("Table/index/*")
	Line     int    // in template.yaml
	// Unused is the reason written beside the statement ("# unused-grant: <why>") for granting
	// what no test sees the function use; empty when there is none.
	Unused string
}

func (g Grant) String() string { return g.Action + " on " + g.Resource }

// covers reports whether the grant allows u.
func (g Grant) covers(u Use) bool {
	if g.Function != u.Function || !match(g.Action, u.Action) {
		return false
	}
	return g.Resource == "*" || match(g.Resource, u.Resource)
}

func match(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// unusedMarker starts the comment that allows a grant no test uses.
const unusedMarker = "unused-grant:"

// Policies reads every AWS::Serverless::Function's inline policy statements from a template.
// It fails on policy forms it cannot prove (SAM policy templates, managed policy names,
// Deny, NotAction, conditions on the resource it cannot read): a check that skipped them would
// pass without knowing.
func Policies(template []byte) (functions []string, grants []Grant, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, nil, fmt.Errorf("iamcheck: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil, errors.New("iamcheck: empty template")
	}
	resources := samtemplate.Lookup(doc.Content[0], "Resources")
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if t := samtemplate.Lookup(res, "Type"); t == nil || t.Value != "AWS::Serverless::Function" {
			continue
		}
		functions = append(functions, id)
		policies := samtemplate.Lookup(samtemplate.Lookup(res, "Properties"), "Policies")
		if policies == nil {
			continue
		}
		for _, p := range policies.Content {
			stmts := samtemplate.Lookup(p, "Statement")
			if stmts == nil {
				return nil, nil, fmt.Errorf("iamcheck: %s line %d: only inline Statement policies can be checked", id, p.Line)
			}
			for _, st := range stmts.Content {
				g, err := statement(id, st)
				if err != nil {
					return nil, nil, err
				}
				grants = append(grants, g...)
			}
		}
	}
	return functions, grants, nil
}

func statement(fn string, st *yaml.Node) ([]Grant, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("iamcheck: %s line %d: %s", fn, st.Line, fmt.Sprintf(format, a...))
	}
	if e := samtemplate.Lookup(st, "Effect"); e == nil || e.Value != "Allow" {
		return nil, fail("only Effect: Allow statements can be checked")
	}
	for _, k := range []string{"NotAction", "NotResource", "Condition"} {
		if samtemplate.Lookup(st, k) != nil {
			return nil, fail("%s cannot be checked", k)
		}
	}
	actions, resources := scalars(samtemplate.Lookup(st, "Action")), samtemplate.Lookup(st, "Resource")
	if len(actions) == 0 || resources == nil {
		return nil, fail("a statement needs Action and Resource")
	}
	var names []string
	items := []*yaml.Node{resources}
	if resources.Kind == yaml.SequenceNode {
		items = resources.Content
	}
	for _, r := range items {
		name, err := resourceName(r)
		if err != nil {
			return nil, fail("%v", err)
		}
		names = append(names, name)
	}
	reason := unusedReason(st)
	var out []Grant
	for _, a := range actions {
		for _, r := range names {
			out = append(out, Grant{Function: fn, Action: a, Resource: r, Line: st.Line, Unused: reason})
		}
	}
	return out, nil
}

// arnPrefix is how a !Sub ARN of this account and region starts; what follows it is the
// resource's logical form (identity/${SenderIdentity}).
var arnPrefix = regexp.MustCompile(`^arn:\$\{AWS::Partition\}:[a-z0-9-]+:\$\{AWS::Region\}:\$\{AWS::AccountId\}:`)

var arnRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\.Arn\}`)

// resourceName returns a policy resource in the logical form Use.Resource has: !GetAtt X.Arn
// and !Ref X are "X", !Sub '${X.Arn}/index/*' is "X/index/*", and a !Sub ARN of this account
// is what follows its account id.
func resourceName(n *yaml.Node) (string, error) {
	switch {
	case n.Tag == "!GetAtt" && n.Kind == yaml.ScalarNode && strings.HasSuffix(n.Value, ".Arn"):
		return strings.TrimSuffix(n.Value, ".Arn"), nil
	case n.Tag == "!Ref" && n.Kind == yaml.ScalarNode:
		return n.Value, nil
	case n.Tag == "!Sub" && n.Kind == yaml.ScalarNode:
		s := arnRef.ReplaceAllString(n.Value, "$1")
		return arnPrefix.ReplaceAllString(s, ""), nil
	case n.Kind == yaml.ScalarNode && n.Value == "*":
		return "*", nil
	}
	return "", fmt.Errorf("resource at line %d is not !GetAtt X.Arn, !Ref X, !Sub or *", n.Line)
}

func unusedReason(n *yaml.Node) string {
	for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
		if _, why, ok := strings.Cut(c, unusedMarker); ok {
			if why = strings.TrimSpace(strings.SplitN(why, "\n", 2)[0]); why != "" {
				return why
			}
		}
	}
	for _, c := range n.Content {
		if why := unusedReason(c); why != "" {
			return why
		}
	}
	return ""
}

func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return out
}

// Check compares what the functions were seen to do with what their policies grant, both ways.
// It returns one line per problem, sorted: a use no grant covers (the deployed function would
// be refused), a grant no use needs and no comment explains (more access than the code needs),
// and a function the tests never drove (nothing about its policy is proven).
func Check(functions []string, grants []Grant, uses []Use) []string {
	var problems []string
	byFn := map[string]bool{}
	for _, u := range uses {
		byFn[u.Function] = true
		covered := false
		for _, g := range grants {
			if g.covers(u) {
				covered = true
				break
			}
		}
		if !covered {
			problems = append(problems, fmt.Sprintf("%s uses %s, which its policy does not grant: AWS would refuse it", u.Function, u))
		}
	}
	declared := map[string]bool{}
	for _, fn := range functions {
		declared[fn] = true
		if !byFn[fn] {
			problems = append(problems, fmt.Sprintf("%s: no test drove it, so its policy is not proven", fn))
		}
	}
	for fn := range byFn {
		if !declared[fn] {
			problems = append(problems, fmt.Sprintf("%s: the tests drove it, but template.yaml declares no such function", fn))
		}
	}
	for _, g := range grants {
		if g.Unused != "" || !byFn[g.Function] {
			continue
		}
		used := false
		for _, u := range uses {
			if g.covers(u) {
				used = true
				break
			}
		}
		if !used {
			problems = append(problems, fmt.Sprintf("%s's policy grants %s (template.yaml line %d), which no test saw it use: remove it, or say why beside it (# %s <why>)",
				g.Function, g, g.Line, unusedMarker))
		}
	}
	sort.Strings(problems)
	return problems
}
