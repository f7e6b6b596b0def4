package escpos

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/cellforge/cellforge/firmware-sim/stream"
)

// DefaultColumns is the line width of a 58 mm printer with font A.
const DefaultColumns = 32

// Config configures a [Printer].
type Config struct {
	// Logger receives the printer's logs; nil discards them.
	Logger *slog.Logger
	// Columns is the number of width-1 characters on a line before it
	// wraps; 0 means DefaultColumns, a negative value never wraps.
	Columns int
}

// Faults are the conditions a [Printer] simulates, set at run time with
// [Printer.SetFaults]. The zero value is a healthy printer.
type Faults struct {
	// PaperOut: the roll is empty; printing stops and status says paper end.
	PaperOut bool
	// NearEnd: the roll is nearly empty; printing goes on.
	NearEnd bool
	// CoverOpen: the cover is open; printing stops.
	CoverOpen bool
	// Offline: the printer is offline; printing stops.
	Offline bool
	// Silent: real-time status requests get no answer.
	Silent bool
}

// Printer is a simulated ESC/POS printer. Its methods are safe for
// concurrent use.
type Printer struct {
	log     *slog.Logger
	columns int

	mu      sync.Mutex
	faults  Faults
	tickets []Ticket
	dropped int
}

// New returns a healthy printer that has printed nothing.
func New(cfg Config) *Printer {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cols := cfg.Columns
	switch {
	case cols == 0:
		cols = DefaultColumns
	case cols < 0:
		cols = 0
	}
	return &Printer{log: log, columns: cols}
}

// SetFaults replaces the simulated faults; they apply from the next bytes
// received.
func (p *Printer) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Faults returns the simulated faults.
func (p *Printer) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Tickets returns the tickets printed so far, oldest first.
func (p *Printer) Tickets() []Ticket {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.tickets)
}

// Dropped returns the number of lines, QR codes and cuts not printed
// because printing was stopped by a fault.
func (p *Printer) Dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// handle feeds b to s and returns the status answers to send.
func (p *Printer) handle(s *parser, b []byte) []byte {
	s.feed(b, p.Faults())
	return p.collect(s)
}

// collect moves the results of s into the printer and returns the answers
// s produced.
func (p *Printer) collect(s *parser) []byte {
	out := s.out
	s.out = nil
	if len(s.done) > 0 || s.dropped > 0 {
		p.mu.Lock()
		p.tickets = append(p.tickets, s.done...)
		p.dropped += s.dropped
		p.mu.Unlock()
		for _, t := range s.done {
			p.log.Debug("ticket printed", "lines", len(t.Lines), "qr_codes", len(t.QRCodes), "cut", t.Cut.String())
		}
		s.done, s.dropped = nil, 0
	}
	return out
}

// server serves p's connections, each with a session of its own.
func (p *Printer) server() *stream.Server {
	return &stream.Server{Name: "escpos", Logger: p.log, NewSession: func() stream.Session {
		return &session{p: p, s: newParser(p.columns)}
	}}
}

// session is one connection's parser, its results collected into the
// printer as they come.
type session struct {
	p *Printer
	s *parser
}

// Feed parses b and returns the status answers to send.
func (c *session) Feed(b []byte) []byte { return c.p.handle(c.s, b) }

// End keeps a ticket left uncut when the connection ends.
func (c *session) End() {
	c.s.end()
	c.p.collect(c.s)
}

// Serve prints what the connections accepted from l send, several at a
// time, each with its own parser. It blocks until ctx is cancelled, then
// closes l and every connection, waits for its goroutines and returns nil.
// It returns an error, after the same cleanup, when accepting fails
// otherwise.
func (p *Printer) Serve(ctx context.Context, l net.Listener) error {
	return p.server().Serve(ctx, l)
}

// ServePort prints what port sends and answers its status requests, as a
// printer on a serial line. It blocks until ctx is cancelled, then returns
// nil, or until reading or writing port fails, which is returned (io.EOF
// included).
//
// To notice the cancellation while a read is blocked, ServePort sets a read
// deadline in the past if port has SetReadDeadline (an *os.File such as a
// pseudo-terminal master, a net.Conn), else polls if port has
// SetReadTimeout (a go.bug.st/serial port), else closes port if it is an
// io.Closer. Otherwise port stays the caller's and is not closed.
func (p *Printer) ServePort(ctx context.Context, port io.ReadWriter) error {
	return p.server().ServePort(ctx, port)
}
