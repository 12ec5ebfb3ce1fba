package binsize_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spiris/collab/bench/binsize"
)

func TestPackageOfASymbol(t *testing.T) {
	for sym, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/dynamodb.(*Client).Query":            "github.com/aws/aws-sdk-go-v2/service/dynamodb",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas.init.0":             "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas",
		"type:*github.com/aws/aws-sdk-go-v2/service/dynamodb/types.AttributeValue": "github.com/aws/aws-sdk-go-v2/service/dynamodb/types",
		"crypto/tls.(*Conn).readRecordOrCCS":                                       "crypto/tls",
		"go:func.*":                                                                binsize.Metadata,
		"runtime.mallocgc":                                                         "runtime",
	} {
		if got := binsize.Package(sym); got != want {
			t.Errorf("Package(%q) = %q, want %q", sym, got, want)
		}
	}
}

func TestModuleGroupsSDKServices(t *testing.T) {
	if got := binsize.Module("github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas"); !strings.HasPrefix(got, "github.com/aws/aws-sdk-go-v2/service/dynamodb ") {
		t.Errorf("got %q", got)
	}
	if got := binsize.Module("net/http"); got != "standard library" {
		t.Errorf("got %q", got)
	}
}

func TestExplainSumsTheStoredSymbols(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hello")
	if out, err := exec.Command("go", "build", "-o", bin, "../ref/hello").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	b, err := binsize.Explain(bin)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(bin)
	if b.Symbols <= 0 || b.Symbols > st.Size() {
		t.Errorf("symbols %d bytes in a %d-byte file", b.Symbols, st.Size())
	}
	if len(b.Modules) == 0 || len(b.Sections) == 0 {
		t.Fatalf("empty breakdown %+v", b)
	}
}
