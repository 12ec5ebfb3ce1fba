// Package binsize explains a Go binary's size: from a build with symbols (no -s -w) it sums the
// sizes of the symbols stored in the file (what go tool nm -size lists, less the .bss symbols,
// which take memory but no bytes in the file) by Go package and by module, and lists the ELF
// sections, so the biggest contributors to a stripped bootstrap can be named.
package binsize

import (
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// Part is one package's, module's or section's share of a binary.
type Part struct {
	Name  string
	Bytes int64
}

// Breakdown is a binary's stored symbols summed by package and by module, largest first, and
// its loaded sections.
type Breakdown struct {
	Symbols  int64 // bytes of the symbols attributed
	Packages []Part
	Modules  []Part
	Sections []Part // loaded sections with bytes in the file (.text, .rodata, .gopclntab, …)
}

// Explain reads bin's symbol table.
func Explain(bin string) (Breakdown, error) {
	var b Breakdown
	f, err := elf.Open(bin)
	if err != nil {
		return b, fmt.Errorf("binsize: %w", err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return b, fmt.Errorf("binsize: %s has no symbols (build it without -s -w): %w", bin, err)
	}
	stored := map[elf.SectionIndex]bool{}
	for i, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOBITS {
			stored[elf.SectionIndex(i)] = true
			b.Sections = append(b.Sections, Part{s.Name, int64(s.Size)})
		}
	}
	pkgs, mods := map[string]int64{}, map[string]int64{}
	for _, s := range syms {
		if s.Size == 0 || !stored[s.Section] {
			continue
		}
		pkg := Package(s.Name)
		b.Symbols += int64(s.Size)
		pkgs[pkg] += int64(s.Size)
		mods[Module(pkg)] += int64(s.Size)
	}
	b.Packages, b.Modules = sorted(pkgs), sorted(mods)
	sort.Slice(b.Sections, func(i, j int) bool { return b.Sections[i].Bytes > b.Sections[j].Bytes })
	return b, nil
}

func sorted(m map[string]int64) []Part {
	out := make([]Part, 0, len(m))
	for k, v := range m {
		out = append(out, Part{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Runtime metadata that belongs to no package.
const Metadata = "Go runtime metadata (go:…, type links)"

// Package returns the Go package a symbol belongs to: "github.com/aws/aws-sdk-go-v2/service/
// dynamodb" for "github.com/aws/aws-sdk-go-v2/service/dynamodb.(*Client).Query", and the package
// of the type for a type descriptor ("type:*github.com/…/types.Item").
func Package(symbol string) string {
	name := symbol
	if rest, ok := strings.CutPrefix(name, "type:"); ok {
		name = strings.TrimLeft(rest, "*[]0123456789.")
		if strings.HasPrefix(name, "eq.") || !strings.Contains(name, ".") {
			name = strings.TrimLeft(strings.TrimPrefix(name, "eq."), "*[]0123456789")
		}
		if !strings.Contains(name, ".") || strings.HasPrefix(name, "map[") || strings.HasPrefix(name, "func(") ||
			strings.HasPrefix(name, "struct") || strings.HasPrefix(name, "interface") || strings.HasPrefix(name, "chan ") {
			return Metadata
		}
	}
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "runtime.") && strings.Contains(name, "link") {
		return Metadata
	}
	if i := strings.IndexByte(name, '['); i > 0 { // a generic instantiation: the package is before it
		name = name[:i]
	}
	slash := max(strings.LastIndexByte(name, '/'), 0)
	if dot := strings.IndexByte(name[slash:], '.'); dot >= 0 {
		return name[:slash+dot]
	}
	return name
}

// Module groups a package: the project, each AWS SDK service (with its internal packages),
// the SDK's core, other modules, the standard library, runtime metadata.
func Module(pkg string) string {
	parts := strings.Split(pkg, "/")
	switch {
	case pkg == Metadata:
		return Metadata
	case strings.HasPrefix(pkg, "github.com/spiris/collab/"):
		return "github.com/spiris/collab (this project)"
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/internal/"), strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/feature/"):
		return strings.Join(parts[:min(6, len(parts))], "/")
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/"):
		return strings.Join(parts[:min(5, len(parts))], "/") + " (with its schemas, types, endpoints)"
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2"):
		return "github.com/aws/aws-sdk-go-v2 (core, credentials, config)"
	case strings.HasPrefix(pkg, "github.com/"), strings.HasPrefix(pkg, "gopkg.in/"):
		return strings.Join(parts[:min(3, len(parts))], "/")
	}
	return "standard library"
}

// Operations is what a binary's code for the operations of the SDK clients weighs: every
// symbol of a service package whose name carries an operation's name (the client method, its
// middleware stack, serializer, deserializer and input validator) is counted under the longest
// operation name it carries, as used or unused.
type Operations struct {
	Kept          int            // operations whose client method is in the binary
	Unused        int            // of those, operations the service never calls
	UsedBytes     int64          // code and data of the operations it calls
	UnusedBytes   int64          // code and data of the others
	UnusedByPkg   map[string]int // unused operations per service package
	ExampleUnused string         // one unused operation, as evidence
}

// OperationCode measures the operation code in bin for the services named (package paths such
// as github.com/aws/aws-sdk-go-v2/service/ses); used holds "ses.SendEmail"-style names of the
// operations the service calls.
func OperationCode(bin string, services []string, used map[string]bool) (Operations, error) {
	o := Operations{UnusedByPkg: map[string]int{}}
	f, err := elf.Open(bin)
	if err != nil {
		return o, fmt.Errorf("binsize: %w", err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return o, fmt.Errorf("binsize: %w", err)
	}
	ops := map[string][]string{} // service package → operation names
	for _, s := range syms {
		for _, svc := range services {
			if op, ok := strings.CutPrefix(s.Name, svc+".(*Client)."); ok && op != "" && op[0] >= 'A' && op[0] <= 'Z' && !strings.Contains(op, ".") {
				ops[svc] = append(ops[svc], op)
			}
		}
	}
	for svc, names := range ops {
		short := svc[strings.LastIndexByte(svc, '/')+1:]
		o.Kept += len(names)
		for _, n := range names {
			if !used[short+"."+n] {
				o.Unused++
				o.UnusedByPkg[short]++
				if o.ExampleUnused == "" || n < o.ExampleUnused {
					o.ExampleUnused = short + "." + n
				}
			}
		}
	}
	for _, s := range syms {
		if s.Size == 0 {
			continue
		}
		for svc, names := range ops {
			if !strings.HasPrefix(s.Name, svc) {
				continue
			}
			longest := ""
			for _, n := range names {
				if len(n) > len(longest) && strings.Contains(s.Name, n) {
					longest = n
				}
			}
			if longest == "" {
				continue
			}
			if used[svc[strings.LastIndexByte(svc, '/')+1:]+"."+longest] {
				o.UsedBytes += int64(s.Size)
			} else {
				o.UnusedBytes += int64(s.Size)
			}
		}
	}
	return o, nil
}
