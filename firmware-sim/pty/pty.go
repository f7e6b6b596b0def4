// Package pty opens pseudo-terminal pairs so that a simulated serial device
// can serve one end while a driver opens the other by path, exactly as it
// would open a USB-RS485 adapter. It replaces `socat pty,raw pty,raw` for
// the simulator's own RTU lines.
//
// Pseudo-terminals exist on Linux and macOS; elsewhere (Windows) Supported is
// false and Open fails with errors.ErrUnsupported.
//
// Being part of the simulator, it imports only the standard library and
// golang.org/x/sys.
package pty

import "os"

// Pair is an open pseudo-terminal: the simulator reads and writes Master;
// drivers open the terminal at Path.
type Pair struct {
	Master *os.File
	Path   string
	// slave is kept open so that the master never sees a hang-up while no
	// driver has the terminal open.
	slave *os.File
}

// Close closes both ends. Reads blocked on Master return an error.
func (p *Pair) Close() error {
	err := p.Master.Close()
	if err2 := p.slave.Close(); err == nil {
		err = err2
	}
	return err
}
