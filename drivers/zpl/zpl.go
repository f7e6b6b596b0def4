package zpl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/cellforge/cellforge/drivers/health"
	"github.com/cellforge/cellforge/drivers/rawport"
)

// DefaultTimeout bounds each request when the config gives no timeout.
const DefaultTimeout = rawport.DefaultTimeout

// Config configures a [Printer]: its name, its address or dial func, the
// timeout of each request (the status query, or sending a label), and
// where its health and logs go. See [rawport.Config] for the fields.
type Config = rawport.Config

// DialFunc opens a connection to a printer; see [rawport.DialFunc].
type DialFunc = rawport.DialFunc

// DialTCP returns a DialFunc for a printer's raw TCP port at address
// (host:port, usually port 9100).
func DialTCP(address string) DialFunc { return rawport.DialTCP(address) }

// DialSerial returns a DialFunc for a printer on the serial port at path
// (such as /dev/ttyUSB0) with the given mode; a nil mode means 9600 baud,
// 8 data bits, no parity, one stop bit.
func DialSerial(path string, mode *serial.Mode) DialFunc { return rawport.DialSerial(path, mode) }

// Printer is a ZPL label printer. It keeps one connection open between
// requests and opens a new one after a failure. Its methods are safe for
// concurrent use; requests are sent one at a time, and the requests of one
// label are not interleaved with others.
type Printer struct {
	port *rawport.Port

	mu sync.Mutex // held across the status checks and the label of one print
}

// New returns a driver for the printer cfg describes; it connects on the
// first request.
func New(cfg Config) (*Printer, error) {
	port, err := rawport.New(rawport.Protocol{Name: "zpl", NoAnswer: ErrNoAnswer, BadAnswer: ErrBadAnswer}, cfg)
	if err != nil {
		return nil, err
	}
	return &Printer{port: port}, nil
}

// Close closes the connection, if one is open. The printer may be used
// again: the next request reconnects.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.port.Close()
}

// Health returns the printer's connection health as reported to package
// health.
func (p *Printer) Health() health.Snapshot {
	return p.port.Health().Snapshot()
}

// Status asks the printer for its host status (~HS).
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, rtt, err := p.status(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("host status of %s: %w", p.port.Name(), err)
	}
	if ferr := st.Err(); ferr != nil {
		// It answers but cannot print: its health says why, as a print's check would.
		p.port.Health().Failure(health.KindDevice, ferr)
	} else {
		p.port.Health().Success(rtt)
	}
	return st, nil
}

// Print prints l. It checks the host status first and refuses, with a
// *FaultError that errors.Is matches to ErrPaperOut, ErrHeadOpen or
// ErrPaused, when the printer cannot print; it then sends the label and
// checks the status again, returning a *FaultError if a fault appeared.
// A printer that does not answer a status request within the timeout
// fails with ErrNoAnswer.
func (p *Printer) Print(ctx context.Context, l Label) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("printing label %q: %w", l.Serial, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	name := p.port.Name()
	if err := p.checkReady(ctx); err != nil {
		return fmt.Errorf("printing label %q on %s: before sending: %w", l.Serial, name, err)
	}
	if err := p.send(ctx, Render(l)); err != nil {
		return fmt.Errorf("printing label %q on %s: %w", l.Serial, name, err)
	}
	if err := p.checkReady(ctx); err != nil {
		return fmt.Errorf("printing label %q on %s: after sending: %w", l.Serial, name, err)
	}
	p.port.Logger().Debug("label printed", "serial", l.Serial, "sku", l.SKU)
	return nil
}

// checkReady queries the status and reports the round trip, counting a
// printer fault as a device failure; p.mu is held.
func (p *Printer) checkReady(ctx context.Context) error {
	st, rtt, err := p.status(ctx)
	if err != nil {
		return err
	}
	if err := st.Err(); err != nil {
		p.port.Health().Failure(health.KindDevice, err)
		return err
	}
	p.port.Health().Success(rtt)
	return nil
}

// status runs one ~HS round trip. Failures, a malformed answer included,
// are reported to health by the port; success is left to the caller, which
// knows whether the status is a fault. p.mu is held.
func (p *Printer) status(ctx context.Context) (Status, time.Duration, error) {
	var st Status
	rtt, err := p.port.Do(ctx, func(w io.Writer, r *bufio.Reader) error {
		if _, err := w.Write([]byte("~HS")); err != nil {
			return fmt.Errorf("sending ~HS: %w", err)
		}
		raw, err := readHostStatus(r)
		if err != nil {
			return fmt.Errorf("reading host status: %w", err)
		}
		st, err = parseHostStatus(raw)
		return err
	})
	if err != nil {
		return Status{}, rtt, err
	}
	return st, rtt, nil
}

// send writes a label; p.mu is held.
func (p *Printer) send(ctx context.Context, b []byte) error {
	_, err := p.port.Do(ctx, func(w io.Writer, _ *bufio.Reader) error {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("sending label: %w", err)
		}
		return nil
	})
	return err
}
