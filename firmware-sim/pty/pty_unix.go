//go:build linux || darwin

package pty

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Supported reports whether this platform has pseudo-terminals.
const Supported = true

// Open allocates a pseudo-terminal, puts its terminal end in raw mode
// (no echo, no line editing, no character translation: 8 data bits pass
// unchanged) and returns it.
func Open() (*Pair, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	var path string
	if err := control(m, func(fd int) (err error) { path, err = unlock(fd); return err }); err != nil {
		m.Close()
		return nil, err
	}
	s, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := control(s, makeRaw); err != nil {
		s.Close()
		m.Close()
		return nil, fmt.Errorf("setting %s raw: %w", path, err)
	}
	return &Pair{Master: m, Path: path, slave: s}, nil
}

// control runs fn on f's descriptor, which stays valid meanwhile.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fnErr error
	if err := rc.Control(func(fd uintptr) { fnErr = fn(int(fd)) }); err != nil {
		return err
	}
	return fnErr
}

// makeRaw clears the terminal's input, output and line processing the way
// cfmakeraw(3) does.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP |
		unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, setTermios, t)
}
