// Package filelock takes exclusive, advisory locks on open files, the same way on every
// platform the daemon builds for: flock(2) on Unix, LockFileEx on Windows. A lock is held by
// the open file that took it and is let go when that file is closed or its process ends, even
// by kill -9, so a lock file says whether the process that took it still runs.
//
// It imports only the standard library and golang.org/x/sys.
package filelock

import (
	"errors"
	"os"
)

// ErrLocked is returned by TryLock when another open file, of this process or another, holds
// the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock takes the exclusive lock of f without waiting: it fails with ErrLocked when the lock
// is held through another open file. The lock lasts until f is closed.
func TryLock(f *os.File) error {
	if err := tryLock(f); err != nil {
		if errors.Is(err, ErrLocked) {
			return ErrLocked
		}
		return &os.PathError{Op: "lock", Path: f.Name(), Err: err}
	}
	return nil
}
