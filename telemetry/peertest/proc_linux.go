//go:build linux

package peertest

import "syscall"

// sysProcAttr makes the kernel kill a peer when the test binary dies, so a crashed or killed
// test run leaves no broker or database behind holding its port. Pdeathsig follows the thread
// that started the process; the Go runtime does not end its threads while goroutines that are
// not locked to them run, so the test binary's exit is what triggers it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
