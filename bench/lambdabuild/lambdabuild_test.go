package lambdabuild_test

import (
	"slices"
	"testing"

	"github.com/spiris/collab/bench/lambdabuild"
)

func TestDirNameFollowsTheMakefile(t *testing.T) {
	for id, want := range map[string]string{
		"AcceptFunction":                   "accept",
		"ListOfficeCollaborationsFunction": "list-office-collaborations",
		"EmailWorkerFunction":              "email-worker",
	} {
		if got := lambdabuild.DirName(id); got != want {
			t.Errorf("DirName(%s) = %s, want %s", id, got, want)
		}
	}
}

func TestFunctionsAreTheTemplatesWithWhatInvokesThem(t *testing.T) {
	fns, kinds, err := lambdabuild.Functions("../..")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.Name
	}
	for name, kind := range map[string]lambdabuild.Kind{"accept": lambdabuild.HTTP, "teardown-worker": lambdabuild.Queue, "cleanup": lambdabuild.Schedule} {
		if !slices.Contains(names, name) {
			t.Errorf("%s missing from %v", name, names)
		}
		if kinds[name] != kind {
			t.Errorf("%s is invoked by %q, want %q", name, kinds[name], kind)
		}
	}
}

func TestFlagsAreTheMakefiles(t *testing.T) {
	got := lambdabuild.Options{GOARCH: "arm64"}.Flags("out")
	want := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", "out"}
	if !slices.Equal(got, want) {
		t.Errorf("flags %q, want %q", got, want)
	}
}
