//go:build unix

package pgtest

import (
	"errors"
	"syscall"
)

// sys is cred as the system takes it, nil for none.
func (c *credential) sys() *syscall.Credential {
	if c == nil {
		return nil
	}
	return &syscall.Credential{Uid: c.uid, Gid: c.gid}
}

// processAlive reports whether a process pid exists, whoever's it is.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
