package pty

import (
	"bytes"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The requests that read and write a terminal's attributes.
const (
	getTermios = unix.TIOCGETA
	setTermios = unix.TIOCSETA
)

// unlock does what grantpt(3), unlockpt(3) and ptsname(3) do with the master at fd, with the
// ioctls macOS's libc implements them with: it grants and unlocks the terminal end and returns
// its path.
func unlock(fd int) (string, error) {
	if err := unix.IoctlSetInt(fd, unix.TIOCPTYGRANT, 0); err != nil {
		return "", fmt.Errorf("granting pseudo-terminal: %w", err)
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCPTYUNLK, 0); err != nil {
		return "", fmt.Errorf("unlocking pseudo-terminal: %w", err)
	}
	// TIOCPTYGNAME fills a buffer of 128 bytes (its size is in the request) with the path.
	var name [128]byte
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCPTYGNAME,
		uintptr(unsafe.Pointer(&name[0]))); errno != 0 {
		return "", fmt.Errorf("reading pseudo-terminal name: %w", errno)
	}
	n := bytes.IndexByte(name[:], 0)
	if n <= 0 {
		return "", fmt.Errorf("reading pseudo-terminal name: no name returned")
	}
	return string(name[:n]), nil
}
