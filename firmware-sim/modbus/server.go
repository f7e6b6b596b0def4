package modbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Config configures a [Server].
type Config struct {
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// UnknownUnitException makes the TCP server answer a request for a
	// unit id it has no bank for with exception 0x0B (gateway target device
	// failed to respond). The default is no answer, as a gateway without that
	// device behaves once its own timeout is short enough to be unnoticed:
	// the master times out. RTU never answers for other addresses, since
	// other devices share the line.
	UnknownUnitException bool
}

// Faults are the faults a [Server] injects into its answers, set at run time
// with [Server.SetFaults]. The zero value injects none.
type Faults struct {
	// Delay holds each answer back this long.
	Delay time.Duration
	// Drop sends no answer at all, so the master times out. Writes are
	// still applied, as when a reply is lost on the wire.
	Drop bool
	// Exception, when not zero, answers every request with this exception
	// code instead of handling it.
	Exception Exception
	// CorruptCRC sends RTU answers with a wrong CRC. TCP ignores it.
	CorruptCRC bool
	// CloseConn closes a TCP connection when a request arrives on it,
	// without answering. RTU ignores it.
	CloseConn bool
}

// Server serves the banks of several unit ids over Modbus TCP ([Server.Serve])
// and Modbus RTU ([Server.ServeRTU]); one server may do both at once.
type Server struct {
	log       *slog.Logger
	unknownEx bool
	mu        sync.RWMutex
	banks     map[byte]*Bank
	faults    Faults
	unitFault map[byte]Faults
}

// New returns a server with no units.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{log: log, unknownEx: cfg.UnknownUnitException, banks: map[byte]*Bank{}}
}

// AddUnit serves bank under unit id. Unit id 0 is the RTU broadcast address
// and cannot be added; adding an id twice is an error.
func (s *Server) AddUnit(id byte, bank *Bank) error {
	if id == 0 {
		return errors.New("adding unit 0: unit id 0 is the broadcast address")
	}
	if bank == nil {
		return fmt.Errorf("adding unit %d: nil bank", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.banks[id]; ok {
		return fmt.Errorf("adding unit %d: unit id already served", id)
	}
	s.banks[id] = bank
	return nil
}

// Unit returns the bank served under unit id, or nil.
func (s *Server) Unit(id byte) *Bank {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.banks[id]
}

// SetFaults replaces the injected faults; it takes effect from the next
// request.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the faults being injected.
func (s *Server) Faults() Faults {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults
}

// SetUnitFaults replaces the faults injected into the answers of one unit,
// so that one device on a shared RTU line can misbehave while the others
// answer; they take precedence over the server's faults for that unit.
// SetUnitFaults(id, Faults{}) makes the unit answer normally.
// ClearUnitFaults returns the unit to the server's faults.
func (s *Server) SetUnitFaults(id byte, f Faults) {
	s.mu.Lock()
	if s.unitFault == nil {
		s.unitFault = map[byte]Faults{}
	}
	s.unitFault[id] = f
	s.mu.Unlock()
}

// ClearUnitFaults makes the unit follow the server's faults again.
func (s *Server) ClearUnitFaults(id byte) {
	s.mu.Lock()
	delete(s.unitFault, id)
	s.mu.Unlock()
}

// FaultsFor returns the faults injected into the answers of unit id.
func (s *Server) FaultsFor(id byte) Faults {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f, ok := s.unitFault[id]; ok {
		return f
	}
	return s.faults
}

// answer handles pdu for a known bank, honouring the exception fault.
func answer(bank *Bank, pdu []byte, f Faults) []byte {
	if f.Exception != 0 && len(pdu) > 0 {
		return exceptionPDU(pdu[0], f.Exception)
	}
	return bank.Handle(pdu)
}

// wait holds an answer back by d, or until ctx is done; it reports whether
// the answer should still be sent.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeAll writes b to w; io.Writer already promises a short write returns
// an error, so one call suffices.
func writeAll(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}
