//go:build unix && !linux

package pgtest

import "syscall"

// procAttr runs a process as cred when it is set. The kernel has no parent-death signal here:
// a server outlives a test binary killed before its cleanups, and the next start leaves its
// directory alone while the server runs (see stale.go).
func procAttr(cred *credential, server bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred.sys()}
}
