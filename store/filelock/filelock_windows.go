//go:build windows

package filelock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock locks the file's first byte with LockFileEx. Windows byte-range locks belong to the
// handle and are let go when it is closed. The byte may lie past the end of the file (lock
// files are empty), which Windows allows; a locked byte cannot be read through another handle,
// which no lock file's user does.
func tryLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		ol := new(windows.Overlapped)
		lockErr = windows.LockFileEx(windows.Handle(fd),
			windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	}); err != nil {
		return err
	}
	if errors.Is(lockErr, windows.ERROR_LOCK_VIOLATION) {
		return ErrLocked
	}
	return lockErr
}
