//go:build !linux

package peertest

import "syscall"

// sysProcAttr has nothing to add where the kernel cannot kill a child with its parent; a peer
// then outlives a test binary that dies without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	return nil
}
