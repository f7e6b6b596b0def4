// Package pty opens pseudo-terminal pairs so that a simulated serial device
// can serve one end while a driver opens the other by path, exactly as it
// would open a USB-RS485 adapter. It replaces `socat pty,raw pty,raw` for
// the simulator's own RTU lines.
//
// Being part of the simulator, it imports only the standard library.
package pty

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Pair is an open pseudo-terminal: the simulator reads and writes Master;
// drivers open the terminal at Path.
type Pair struct {
	Master *os.File
	Path   string
	// slave is kept open so that the master never sees a hang-up while no
	// driver has the terminal open.
	slave *os.File
}

// Open allocates a pseudo-terminal, puts its terminal end in raw mode
// (no echo, no line editing, no character translation: 8 data bits pass
// unchanged) and returns it.
func Open() (*Pair, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	var unlock int32
	if err := ioctl(m, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		m.Close()
		return nil, fmt.Errorf("unlocking pseudo-terminal: %w", err)
	}
	var n uint32
	if err := ioctl(m, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		m.Close()
		return nil, fmt.Errorf("reading pseudo-terminal number: %w", err)
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	s, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := makeRaw(s); err != nil {
		s.Close()
		m.Close()
		return nil, fmt.Errorf("setting %s raw: %w", path, err)
	}
	return &Pair{Master: m, Path: path, slave: s}, nil
}

// Close closes both ends. Reads blocked on Master return an error.
func (p *Pair) Close() error {
	err := p.Master.Close()
	if err2 := p.slave.Close(); err == nil {
		err = err2
	}
	return err
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// makeRaw clears the terminal's input, output and line processing the way
// cfmakeraw(3) does.
func makeRaw(f *os.File) error {
	var t syscall.Termios
	if err := ioctl(f, syscall.TCGETS, unsafe.Pointer(&t)); err != nil {
		return err
	}
	t.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP |
		syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
	t.Oflag &^= syscall.OPOST
	t.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	t.Cflag &^= syscall.CSIZE | syscall.PARENB
	t.Cflag |= syscall.CS8
	t.Cc[syscall.VMIN] = 1
	t.Cc[syscall.VTIME] = 0
	return ioctl(f, syscall.TCSETS, unsafe.Pointer(&t))
}
