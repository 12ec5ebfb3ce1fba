//go:build !unix

package localaws

import (
	"os"
	"syscall"
)

// sysProcAttr sets nothing: process groups and parent-death signals are Unix features.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p.
func killGroup(p *os.Process) { p.Kill() }
