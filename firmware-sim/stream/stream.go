package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Session is a device's side of one connection. A Server calls its methods
// from one goroutine at a time.
type Session interface {
	// Feed takes the bytes of one read and returns the answer to write
	// back, if any.
	Feed(b []byte) []byte
	// End is called once, when the connection has ended for whatever
	// reason.
	End()
}

// Server serves a simulated device's connections.
type Server struct {
	// Name is the protocol in errors and logs, such as "zpl".
	Name string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// NewSession returns the session of a new connection.
	NewSession func() Session
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// serveStream feeds what rw sends to a new session and writes its answers
// back until reading fails or, when rw's reads time out, ctx is done.
func (s *Server) serveStream(ctx context.Context, rw io.ReadWriter) error {
	sess := s.NewSession()
	defer sess.End()
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			if out := sess.Feed(buf[:n]); len(out) > 0 {
				if _, werr := rw.Write(out); werr != nil {
					return fmt.Errorf("writing answer: %w", werr)
				}
			}
		}
		if err != nil {
			return err
		}
		if n == 0 && ctx.Err() != nil {
			return nil
		}
	}
}

// Serve serves the connections accepted from l, several at a time, each
// with its own session. It blocks until ctx is cancelled, then closes l and
// every connection, waits for its goroutines and returns nil. It returns an
// error, after the same cleanup, when accepting fails otherwise.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	var err error
	for {
		c, aerr := l.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("accepting %s connection: %w", s.Name, aerr)
			}
			break
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := s.logger().With("remote", c.RemoteAddr().String())
			log.Debug(s.Name + " connection opened")
			if err := s.serveStream(ctx, c); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
				log.Debug(s.Name+" connection ended", "err", err)
			}
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	cancel()
	wg.Wait()
	return err
}

// ServePort serves port as one connection, as a device on a serial line
// does. It blocks until ctx is cancelled, then returns nil, or until
// reading or writing port fails, which is returned (io.EOF included).
//
// To notice the cancellation while a read is blocked, ServePort sets a read
// deadline in the past if port has SetReadDeadline (an *os.File such as a
// pseudo-terminal master, a net.Conn), else polls if port has
// SetReadTimeout (a go.bug.st/serial port), else closes port if it is an
// io.Closer. Otherwise port stays the caller's and is not closed.
func (s *Server) ServePort(ctx context.Context, port io.ReadWriter) error {
	stop := unblockOnDone(ctx, port)
	defer stop()
	err := s.serveStream(ctx, port)
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("serving %s port: %w", s.Name, err)
}

// pollInterval bounds a blocked read on a port that can only time out.
const pollInterval = 50 * time.Millisecond

type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

type readTimeouter interface {
	SetReadTimeout(time.Duration) error
}

// unblockOnDone arranges for a read blocked on port to return once ctx is
// done; the returned function cancels the arrangement.
func unblockOnDone(ctx context.Context, port io.ReadWriter) func() {
	if d, ok := port.(readDeadliner); ok && d.SetReadDeadline(time.Time{}) == nil {
		stop := context.AfterFunc(ctx, func() { d.SetReadDeadline(time.Unix(1, 0)) })
		return func() { stop() }
	}
	if t, ok := port.(readTimeouter); ok && t.SetReadTimeout(pollInterval) == nil {
		return func() {}
	}
	if c, ok := port.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		return func() { stop() }
	}
	return func() {}
}
