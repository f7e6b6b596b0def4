package pgtest

import (
	"os"
	"syscall"
)

// procAttr has nothing to set on Windows: a test never runs as root there (os.Geteuid is -1,
// so cred is nil), and no parent-death signal exists.
func procAttr(cred *credential, server bool) *syscall.SysProcAttr { return nil }

// processAlive reports whether a process pid exists: FindProcess opens it on Windows.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
