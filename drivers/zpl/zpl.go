package zpl

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"go.bug.st/serial"

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
//
// Its Close, Health, Name and Logger are those of its [rawport.Session]:
// Close closes the connection, and the next request reconnects; Health
// returns its connection health as reported to package health.
type Printer struct {
	*session // Close, Health, Name and Logger are the session's
}

type session = rawport.Session[Status]

// New returns a driver for the printer cfg describes; it connects on the
// first request.
func New(cfg Config) (*Printer, error) {
	s, err := rawport.NewSession(rawport.Protocol{Name: "zpl", NoAnswer: ErrNoAnswer, BadAnswer: ErrBadAnswer}, dialect, cfg)
	if err != nil {
		return nil, err
	}
	return &Printer{s}, nil
}

// Status asks the printer for its host status (~HS).
func (p *Printer) Status(ctx context.Context) (Status, error) {
	st, err := p.session.Status(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("host status of %s: %w", p.session.Name(), err)
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
	if err := p.session.Print(ctx, Render(l)); err != nil {
		return fmt.Errorf("printing label %q on %s: %w", l.Serial, p.session.Name(), err)
	}
	p.session.Logger().Debug("label printed", "serial", l.Serial, "sku", l.SKU)
	return nil
}

// dialect is what the session needs of ZPL: the ~HS round trip.
var dialect = rawport.Dialect[Status]{
	Query: func(w io.Writer, r *bufio.Reader) (Status, error) {
		if _, err := w.Write([]byte("~HS")); err != nil {
			return Status{}, fmt.Errorf("sending ~HS: %w", err)
		}
		raw, err := readHostStatus(r)
		if err != nil {
			return Status{}, fmt.Errorf("reading host status: %w", err)
		}
		return parseHostStatus(raw)
	},
	Noun: "label",
}
