package rawport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
)

// Status is a printer's answer to a status request: Err is nil when the
// printer can print, else the fault that stops it.
type Status interface {
	Err() error
}

// Dialect is what a [Session] needs of a printer's protocol: how to ask
// for its status and what it sends. The rest of a print (the checks before
// and after, health and logging) is the session's.
type Dialect[S Status] struct {
	// Query runs one status request: it writes the request to w and reads
	// and parses the answer from r. A malformed answer wraps the
	// protocol's BadAnswer error.
	Query func(w io.Writer, r *bufio.Reader) (S, error)
	// Ready, when set, sees each status a print's check accepts (to warn
	// of a paper roll near its end, say).
	Ready func(st S, log *slog.Logger)
	// Noun names what a print sends ("ticket", "label") in its errors.
	Noun string
	// Request names the status request in errors ("status", "host
	// status"); "status" when empty.
	Request string
}

// Session is a printer's side of a [Port]: status requests and prints that
// check the status, send, and check again, with the outcome reported to
// its health. Its methods are safe for concurrent use; the requests of one
// print are not interleaved with others.
type Session[S Status] struct {
	port    *Port
	dialect Dialect[S]

	mu sync.Mutex // held across the status checks and the data of one print
}

// NewSession returns a session with the printer cfg describes, speaking
// proto and dialect; it connects on the first request.
func NewSession[S Status](proto Protocol, dialect Dialect[S], cfg Config) (*Session[S], error) {
	if dialect.Query == nil {
		return nil, fmt.Errorf("%s printer: no status query", proto.Name)
	}
	if dialect.Request == "" {
		dialect.Request = "status"
	}
	port, err := New(proto, cfg)
	if err != nil {
		return nil, err
	}
	return &Session[S]{port: port, dialect: dialect}, nil
}

// Name returns the printer's name, as it appears in health metrics and logs.
func (s *Session[S]) Name() string { return s.port.Name() }

// Logger returns the printer's logger.
func (s *Session[S]) Logger() *slog.Logger { return s.port.Logger() }

// Health returns the printer's connection health as reported to package
// health.
func (s *Session[S]) Health() health.Snapshot { return s.port.Health().Snapshot() }

// Close closes the connection, if one is open. The session may be used
// again: the next request reconnects.
func (s *Session[S]) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port.Close()
}

// Status asks the printer for its status. A status that is a fault is
// returned without error and counted in health as a device failure, as a
// print's check would count it.
func (s *Session[S]) Status(ctx context.Context) (S, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, rtt, err := s.query(ctx)
	if err != nil {
		var zero S
		return zero, err
	}
	if ferr := st.Err(); ferr != nil {
		s.port.Health().Failure(health.KindDevice, ferr)
	} else {
		s.port.Health().Success(rtt)
	}
	return st, nil
}

// Print checks the status, refusing with the status's fault when the
// printer cannot print, sends b, and checks the status again. The error of
// a check says whether it came before or after sending.
func (s *Session[S]) Print(ctx context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkReady(ctx); err != nil {
		return fmt.Errorf("before sending: %w", err)
	}
	if err := s.send(ctx, b); err != nil {
		return err
	}
	if err := s.checkReady(ctx); err != nil {
		return fmt.Errorf("after sending: %w", err)
	}
	return nil
}

// checkReady queries the status and reports the round trip, counting a
// printer fault as a device failure; s.mu is held.
func (s *Session[S]) checkReady(ctx context.Context) error {
	st, rtt, err := s.query(ctx)
	if err != nil {
		return err
	}
	if err := st.Err(); err != nil {
		s.port.Health().Failure(health.KindDevice, err)
		return err
	}
	if s.dialect.Ready != nil {
		s.dialect.Ready(st, s.port.Logger())
	}
	s.port.Health().Success(rtt)
	return nil
}

// query runs one status round trip. Failures, a malformed answer
// included, are reported to health by the port; success is left to the
// caller, which knows whether the status is a fault. s.mu is held.
func (s *Session[S]) query(ctx context.Context) (S, time.Duration, error) {
	var st S
	rtt, err := s.port.Do(ctx, func(w io.Writer, r *bufio.Reader) error {
		var err error
		st, err = s.dialect.Query(w, r)
		return err
	})
	if err != nil {
		var zero S
		return zero, rtt, err
	}
	return st, rtt, nil
}

// send writes the data of one print; s.mu is held.
func (s *Session[S]) send(ctx context.Context, b []byte) error {
	_, err := s.port.Do(ctx, func(w io.Writer, _ *bufio.Reader) error {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("sending %s: %w", s.dialect.Noun, err)
		}
		return nil
	})
	return err
}
