package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/spiris/collab/bench/report"
	"github.com/spiris/collab/bench/world"
)

// machine describes this machine from /proc and the Go toolchain.
func machine() report.Machine {
	m := report.Machine{Cores: runtime.NumCPU(), CPU: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				m.MemoryGB = kb * 1024 / 1e9
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	return m
}

// emulatorName names the emulator: moto with its version, or the external endpoint.
func emulatorName(s *world.Stack) string {
	if s.Emulator.External() {
		return "the emulator at " + s.Emulator.Endpoint
	}
	for _, python := range []string{"python3", "python"} {
		out, err := exec.Command(python, "-c", "import moto; print(moto.__version__)").Output()
		if v := strings.TrimSpace(string(out)); err == nil && v != "" {
			return "moto " + v
		}
	}
	return "moto"
}
