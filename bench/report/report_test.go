package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spiris/collab/bench/coldstart"
	"github.com/spiris/collab/bench/report"
)

func TestWriteMarksTargetsAgainstTheReferences(t *testing.T) {
	starts := func(next, resp time.Duration) []coldstart.Sample {
		return []coldstart.Sample{{ToNext: next, ToResponse: resp}}
	}
	ms := time.Millisecond
	r := &report.Report{
		Settings: report.Settings{Sections: []string{"coldstart", "size"}, Starts: 1},
		ColdStarts: []report.ColdStart{
			{Name: report.Floor, Kind: "reference", Samples: starts(20*ms, 21*ms)},
			{Name: report.Usual, Kind: "reference", Samples: starts(40*ms, 41*ms)},
			{Name: "accept", Kind: "http", Samples: starts(25*ms, 50*ms), Answer: "HTTP 200"},
			{Name: "end", Kind: "http", Samples: starts(35*ms, 60*ms), Answer: "HTTP 202"},
		},
		Sizes: []report.Size{{Name: report.Usual, Bytes: 8_000_000}, {Name: "accept", Bytes: 9_000_000}, {Name: "end", Bytes: 12_000_000}},
	}
	var b strings.Builder
	if err := report.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"worst 1.75× (end); 1 of 2 over | ❌",         // cold start: 35/20
		"| accept | http | 25.0 | 1.25 | 0.62 |",     // ratios to (a) and (b)
		"largest 12.00 MB = 1.50× (end); 1 over | ❌", // size
		"missed by 1 of 2 functions: end (1.75×)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
