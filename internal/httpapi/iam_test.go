package httpapi_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spiris/collab/infra/iamcheck"
	"github.com/spiris/collab/infra/samtemplate"
)

// wholeRun reports whether every test of the package ran: only then is a grant that no test
// used a finding rather than a test that was filtered out.
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

// checkPolicies compares every AWS operation the functions performed in this run (each
// operation inside a transaction or batch counted as its own IAM action) with their policies in
// template.yaml, both ways, and returns the exit code: 1 when a function uses what its policy
// does not grant, its policy grants what no test saw it use (without a "# unused-grant: <why>"
// beside it), or a function was never driven. The uses go to iam-uses.txt in go test's -outputdir (make test: test-output/).
func checkPolicies() int {
	path, err := samtemplate.Find(".")
	if err == nil {
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			var functions []string
			var grants []iamcheck.Grant
			if functions, grants, err = iamcheck.Policies(data); err == nil {
				uses := recorder.Uses()
				writeUses(uses)
				problems := iamcheck.Check(functions, grants, uses)
				if len(problems) == 0 {
					fmt.Printf("iam: the policies of %d functions grant exactly the %d actions on resources the tests saw them use\n", len(functions), len(uses))
					return 0
				}
				fmt.Fprintf(os.Stderr, "FAIL: iam: %d problems with the policies in template.yaml:\n  %s\n", len(problems), strings.Join(problems, "\n  "))
				return 1
			}
		}
	}
	fmt.Fprintln(os.Stderr, "FAIL: iam:", err)
	return 1
}

// writeUses writes the recorded uses under the output directory (go test -outputdir), for
// reading beside a failure.
func writeUses(uses []iamcheck.Use) {
	f := flag.Lookup("test.outputdir")
	if f == nil || f.Value.String() == "" {
		return
	}
	dir := f.Value.String()
	var b strings.Builder
	for _, u := range uses {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", u.Function, u.Action, u.Resource)
	}
	os.WriteFile(filepath.Join(dir, "iam-uses.txt"), []byte(b.String()), 0o644)
}
