package rawport

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"go.bug.st/serial"
)

// DialFunc opens a connection to a device. A [Port] closes the connection
// to abandon a request that timed out or whose context ended, so closing
// must unblock a pending Read or Write.
type DialFunc func(ctx context.Context) (io.ReadWriteCloser, error)

// DialTCP returns a DialFunc for a device's raw TCP port at address
// (host:port, usually port 9100 for a printer).
func DialTCP(address string) DialFunc {
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", address)
		if err != nil {
			return nil, fmt.Errorf("dialing %s: %w", address, err)
		}
		return c, nil
	}
}

// DialSerial returns a DialFunc for a device on the serial port at path
// (such as /dev/ttyUSB0) with the given mode; a nil mode means 9600 baud,
// 8 data bits, no parity, one stop bit. Bytes left in the port's input
// buffer from an earlier connection are discarded when it opens.
func DialSerial(path string, mode *serial.Mode) DialFunc {
	if mode == nil {
		mode = &serial.Mode{BaudRate: 9600}
	}
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		p, err := serial.Open(path, mode)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		if err := p.ResetInputBuffer(); err != nil {
			p.Close()
			return nil, fmt.Errorf("flushing %s: %w", path, err)
		}
		return p, nil
	}
}

// isSerialPath reports whether address names a serial port rather than a
// TCP host:port.
func isSerialPath(address string) bool {
	return strings.HasPrefix(address, "/") || strings.HasPrefix(strings.ToUpper(address), "COM")
}
