//go:build unix && !linux

package localaws

import (
	"os"
	"syscall"
)

// sysProcAttr puts moto in its own process group, so Stop can kill it with anything it spawns.
// There is no parent-death signal outside Linux.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group that p leads.
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}
