package pty

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The requests that read and write a terminal's attributes.
const (
	getTermios = unix.TCGETS
	setTermios = unix.TCSETS
)

// unlock does what unlockpt(3) and ptsname(3) do with the master at fd: it unlocks the
// terminal end and returns its path.
func unlock(fd int) (string, error) {
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return "", fmt.Errorf("unlocking pseudo-terminal: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		return "", fmt.Errorf("reading pseudo-terminal number: %w", err)
	}
	return fmt.Sprintf("/dev/pts/%d", n), nil
}
