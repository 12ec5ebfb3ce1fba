// Package shape checks the shape the code keeps (docs/architecture.md): short functions, use
// cases that know neither HTTP nor DynamoDB, and domain error codes defined in the domain only.
// Each check lists what does not keep it yet, so the list can only shrink: a listed exception
// that now keeps the rule fails the test until it is deleted from the list.
package shape

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// maxLines is the longest a function in internal/ may be.
const maxLines = 60

// root is the repository root, from this package's directory.
var root = filepath.Join("..", "..")

// parseInternal parses every non-test Go file under internal/.
func parseInternal(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, files
}

// checkList fails for each finding not in known and each known entry no longer found.
func checkList(t *testing.T, rule string, found []string, known map[string]bool) {
	t.Helper()
	sort.Strings(found)
	seen := map[string]bool{}
	for _, f := range found {
		seen[f] = true
		if !known[f] {
			t.Errorf("%s: %s", rule, f)
		}
	}
	for k := range known {
		if !seen[k] {
			t.Errorf("%s: %s keeps the rule now; delete it from the list of exceptions", rule, k)
		}
	}
}

// longFunctions are the functions over maxLines lines today (file: function). Delete an entry
// when its function is split.
var longFunctions = map[string]bool{}

func TestNoFunctionInInternalIsLongerThan60Lines(t *testing.T) {
	fset, files := parseInternal(t)
	var found []string
	for name, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxLines {
				found = append(found, name+": "+funcName(fn))
			}
		}
	}
	checkList(t, "longer than 60 lines", found, longFunctions)
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	switch r := fn.Recv.List[0].Type.(type) {
	case *ast.StarExpr:
		if id, ok := r.X.(*ast.Ident); ok {
			return "(*" + id.Name + ")." + fn.Name.Name
		}
	case *ast.Ident:
		return r.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// useCaseImports are what internal/actions still imports of what it must not (net/http, the
// DynamoDB adapter). Delete an entry when the import goes.
var useCaseImports = map[string]bool{}

func TestTheUseCasesImportNeitherHTTPNorTheDynamoDBAdapter(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "github.com/spiris/collab/internal/actions").Output()
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, imp := range strings.Fields(string(out)) {
		if imp == "net/http" || strings.HasSuffix(imp, "/internal/dynamo") {
			found = append(found, imp)
		}
	}
	checkList(t, "internal/actions imports", found, useCaseImports)
}

// codesOutsideTheDomain are the places outside internal/collab that define a domain error
// (collab.Errorf, collab.Invalid or a collab.Error literal) today (file: code). The HTTP
// adapter's own errors are about a request's form (its JSON, its size, its Idempotency-Key
// header), not the domain, and stay in internal/httpapi.
var codesOutsideTheDomain = map[string]bool{}

func TestDomainErrorCodesAreDefinedInTheDomainOnly(t *testing.T) {
	_, files := parseInternal(t)
	var found []string
	for name, f := range files {
		if strings.HasPrefix(name, "internal/collab/") || strings.HasPrefix(name, "internal/httpapi/") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch e := n.(type) {
			case *ast.CallExpr:
				if sel, ok := e.Fun.(*ast.SelectorExpr); ok && isCollab(sel.X) && (sel.Sel.Name == "Errorf" || sel.Sel.Name == "Invalid") {
					found = append(found, name+": "+codeOf(e.Args, sel.Sel.Name))
				}
			case *ast.CompositeLit:
				if sel, ok := e.Type.(*ast.SelectorExpr); ok && isCollab(sel.X) && sel.Sel.Name == "Error" {
					found = append(found, name+": collab.Error literal")
				}
			}
			return true
		})
	}
	checkList(t, "domain error defined outside internal/collab", found, codesOutsideTheDomain)
}

func isCollab(x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == "collab"
}

// codeOf returns the error code argument of collab.Errorf(kind, code, …) or
// collab.Invalid(field, code, …).
func codeOf(args []ast.Expr, fn string) string {
	if len(args) > 1 {
		if lit, ok := args[1].(*ast.BasicLit); ok {
			return strings.Trim(lit.Value, `"`)
		}
	}
	return fn + "(…)"
}
