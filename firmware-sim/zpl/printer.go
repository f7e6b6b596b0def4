package zpl

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/cellforge/cellforge/firmware-sim/stream"
)

// DefaultLabelLength is the label length reported by ~HS when the config
// gives none: 3 inches at 203 dpi.
const DefaultLabelLength = 609

// Config configures a [Printer].
type Config struct {
	// Logger receives the printer's logs; nil discards them.
	Logger *slog.Logger
	// LabelLength is the label length in dots reported by ~HS (default
	// DefaultLabelLength).
	LabelLength int
}

// Faults are the conditions a [Printer] simulates, set at run time with
// [Printer.SetFaults]. The zero value is a healthy printer.
type Faults struct {
	// PaperOut: the media is out; formats are held, ~HS says paper out.
	PaperOut bool
	// HeadOpen: the print head is up; formats are held, ~HS says head up.
	HeadOpen bool
	// Paused: the printer is paused; formats are held, ~HS says paused.
	// ~PP sets it and ~PS clears it.
	Paused bool
	// Silent: ~HS gets no answer at all.
	Silent bool
}

// held reports whether formats are held back rather than printed.
func (f Faults) held() bool { return f.PaperOut || f.HeadOpen || f.Paused }

// Stats count what the printer ignored.
type Stats struct {
	// Garbage is the number of bytes ignored: outside formats and not part
	// of a command that acts there, or inside a format and after no command.
	Garbage int
	// Malformed is the number of formats discarded: reopened by ^XA before
	// ^XZ, too long, or left open when their connection ended.
	Malformed int
	// Cancelled is the number of held formats dropped by ~JA.
	Cancelled int
}

// Printer is a simulated ZPL label printer. Its methods are safe for
// concurrent use.
type Printer struct {
	log         *slog.Logger
	labelLength int

	mu      sync.Mutex
	faults  Faults
	labels  []Label
	pending []Label
	stats   Stats
}

// New returns a healthy printer that has printed nothing.
func New(cfg Config) *Printer {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ll := cfg.LabelLength
	if ll <= 0 {
		ll = DefaultLabelLength
	}
	return &Printer{log: log, labelLength: min(ll, 9999)}
}

// SetFaults replaces the simulated faults. When none of paper out, head
// open and pause remains, the held labels are printed.
func (p *Printer) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.release()
	p.mu.Unlock()
}

// Faults returns the simulated faults.
func (p *Printer) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Labels returns the labels printed so far, oldest first.
func (p *Printer) Labels() []Label {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.labels)
}

// Pending returns the labels received while a fault held printing back,
// oldest first.
func (p *Printer) Pending() []Label {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pending)
}

// Stats returns the counts of ignored input.
func (p *Printer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// release prints the held labels if nothing holds them; p.mu is held.
func (p *Printer) release() {
	if p.faults.held() || len(p.pending) == 0 {
		return
	}
	p.labels = append(p.labels, p.pending...)
	p.pending = nil
}

func (p *Printer) printLabel(l Label) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.faults.held() {
		p.pending = append(p.pending, l)
		p.log.Debug("label held", "fields", len(l.Fields))
		return
	}
	p.labels = append(p.labels, l)
	p.log.Debug("label printed", "fields", len(l.Fields), "quantity", l.Quantity)
}

func (p *Printer) tilde(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch code {
	case "~PP":
		p.faults.Paused = true
	case "~PS":
		p.faults.Paused = false
		p.release()
	case "~JA":
		p.stats.Cancelled += len(p.pending)
		p.pending = nil
	}
}

func (p *Printer) count(garbage, malformed int) {
	p.mu.Lock()
	p.stats.Garbage += garbage
	p.stats.Malformed += malformed
	p.mu.Unlock()
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hostStatus returns the answer to ~HS, or nil when silent. partial says
// whether the asking connection has a format open.
func (p *Printer) hostStatus(partial bool) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	if f.Silent {
		return nil
	}
	remaining := 0
	for _, l := range p.pending {
		remaining += l.Quantity
	}
	return fmt.Appendf(nil,
		"\x02030,%d,%d,%04d,%03d,0,0,%d,000,0,0,0\x03\r\n"+
			"\x02000,0,%d,0,0,2,6,0,%08d,1,000\x03\r\n"+
			"\x021234,0\x03\r\n",
		flag(f.PaperOut), flag(f.Paused), p.labelLength, min(len(p.pending), 999), flag(partial),
		flag(f.HeadOpen), min(remaining, 99999999))
}

// server serves p's connections, each with a parser of its own.
func (p *Printer) server() *stream.Server {
	return &stream.Server{Name: "zpl", Logger: p.log, NewSession: func() stream.Session {
		return session{newParser(p)}
	}}
}

// session is one connection's parser; it acts on the printer as it goes.
type session struct{ s *parser }

// Feed parses b and returns the ~HS answers to send.
func (c session) Feed(b []byte) []byte {
	c.s.feed(b)
	out := c.s.out
	c.s.out = nil
	return out
}

// End discards a format left open when the connection ends.
func (c session) End() { c.s.end() }

// Serve prints the formats the connections accepted from l send, several
// at a time, each with its own parser. It blocks until ctx is cancelled,
// then closes l and every connection, waits for its goroutines and returns
// nil. It returns an error, after the same cleanup, when accepting fails
// otherwise.
func (p *Printer) Serve(ctx context.Context, l net.Listener) error {
	return p.server().Serve(ctx, l)
}

// ServePort prints the formats port sends and answers its status requests,
// as a printer on a serial line. It blocks until ctx is cancelled, then
// returns nil, or until reading or writing port fails, which is returned
// (io.EOF included).
//
// To notice the cancellation while a read is blocked, ServePort sets a read
// deadline in the past if port has SetReadDeadline (an *os.File such as a
// pseudo-terminal master, a net.Conn), else polls if port has
// SetReadTimeout (a go.bug.st/serial port), else closes port if it is an
// io.Closer. Otherwise port stays the caller's and is not closed.
func (p *Printer) ServePort(ctx context.Context, port io.ReadWriter) error {
	return p.server().ServePort(ctx, port)
}
