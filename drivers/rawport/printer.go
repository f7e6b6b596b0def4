package rawport

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cellforge/cellforge/drivers/health"
)

// Job is what a printer prints: a ticket, a label.
type Job interface {
	// Validate reports a job that cannot be printed.
	Validate() error
}

// Jobs is what a [Printer] needs of the jobs of type J that a driver
// prints, besides the session's [Dialect].
type Jobs[J Job] struct {
	// Render returns the bytes that print a valid job.
	Render func(j J) []byte
	// Name names j in errors (`label "S-1"`).
	Name func(j J) string
	// Printed logs j once the printer confirmed it.
	Printed func(log *slog.Logger, j J)
}

// Printer is a printer of jobs of type J whose status requests answer an S:
// a [Session] that renders what it prints. It keeps one connection open
// between requests and opens a new one after a failure. Its methods are
// safe for concurrent use; requests are sent one at a time, and the
// requests of one job are not interleaved with others.
type Printer[S Status, J Job] struct {
	session *Session[S]
	jobs    Jobs[J]
}

// NewPrinter returns a printer cfg describes, speaking proto and dialect
// and printing jobs; it connects on the first request.
func NewPrinter[S Status, J Job](proto Protocol, dialect Dialect[S], jobs Jobs[J], cfg Config) (*Printer[S, J], error) {
	if jobs.Render == nil || jobs.Name == nil {
		return nil, fmt.Errorf("%s printer: no rendering of its jobs", proto.Name)
	}
	s, err := NewSession(proto, dialect, cfg)
	if err != nil {
		return nil, err
	}
	return &Printer[S, J]{session: s, jobs: jobs}, nil
}

// Name returns the printer's name, as it appears in health metrics and logs.
func (p *Printer[S, J]) Name() string { return p.session.Name() }

// Logger returns the printer's logger.
func (p *Printer[S, J]) Logger() *slog.Logger { return p.session.Logger() }

// Health returns the printer's connection health as reported to package
// health.
func (p *Printer[S, J]) Health() health.Snapshot { return p.session.Health() }

// Close closes the connection, if one is open. The printer may be used
// again: the next request reconnects.
func (p *Printer[S, J]) Close() error { return p.session.Close() }

// Status asks the printer for its status. A status that keeps the printer
// from printing is returned without error; its Err says why.
func (p *Printer[S, J]) Status(ctx context.Context) (S, error) {
	st, err := p.session.Status(ctx)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("%s of %s: %w", p.session.dialect.Request, p.session.Name(), err)
	}
	return st, nil
}

// Print prints j. It checks the status first and refuses, with the
// status's fault (a [*FaultError], as the drivers make it), when the
// printer cannot print; it then sends the job and checks the status again,
// returning the fault if one appeared. A printer that does not answer a
// status request within the timeout fails with its protocol's NoAnswer
// error.
func (p *Printer[S, J]) Print(ctx context.Context, j J) error {
	if err := j.Validate(); err != nil {
		return fmt.Errorf("printing %s: %w", p.jobs.Name(j), err)
	}
	if err := p.session.Print(ctx, p.jobs.Render(j)); err != nil {
		return fmt.Errorf("printing %s on %s: %w", p.jobs.Name(j), p.session.Name(), err)
	}
	if p.jobs.Printed != nil {
		p.jobs.Printed(p.session.Logger(), j)
	}
	return nil
}
