package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
)

// upper is a device that answers every byte with its upper case and
// counts the sessions that ended.
type upper struct {
	ended atomic.Int32
}

func (u *upper) server() *Server {
	return &Server{Name: "upper", NewSession: func() Session { return session{u} }}
}

type session struct{ u *upper }

func (s session) Feed(b []byte) []byte { return bytes.ToUpper(b) }
func (s session) End()                 { s.u.ended.Add(1) }

func roundTrip(t *testing.T, rw io.ReadWriter, q string) string {
	t.Helper()
	if _, err := io.WriteString(rw, q); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(q))
	if _, err := io.ReadFull(rw, b); err != nil {
		t.Fatalf("reading the answer to %q: %v", q, err)
	}
	return string(b)
}

// serveResult runs f in a goroutine and returns the channel of its result.
func serveResult(f func() error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	return errc
}

func wait(t *testing.T, what string, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

func TestServeSeveralConnections(t *testing.T) {
	u := &upper{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := serveResult(func() error { return u.server().Serve(ctx, l) })

	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		conns = append(conns, c)
	}
	// Answers go back on the connection that asked, while all are open.
	for i, q := range []string{"abc", "def", "ghi"} {
		if a := roundTrip(t, conns[i], q); a != string(bytes.ToUpper([]byte(q))) {
			t.Fatalf("connection %d answered %q to %q", i, a, q)
		}
	}
	conns[0].Close()
	streamtest.Eventually(t, "the closed connection's session to end", func() bool { return u.ended.Load() == 1 })

	// Cancelling ctx ends Serve, closing the connections still open.
	cancel()
	if err := wait(t, "Serve", errc); err != nil {
		t.Fatalf("Serve returned %v after cancel, want nil", err)
	}
	if n := u.ended.Load(); n != 3 {
		t.Fatalf("%d sessions ended, want 3", n)
	}
	if _, err := conns[1].Read(make([]byte, 1)); err == nil {
		t.Fatal("a connection is still open after Serve returned")
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Fatal("the listener still accepts after Serve returned")
	}
}

// failingListener fails to accept.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("too many open files") }

func TestServeReturnsAcceptError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = (&upper{}).server().Serve(t.Context(), failingListener{l})
	if err == nil || err.Error() != "accepting upper connection: too many open files" {
		t.Fatalf("Serve error %v, want the accept error", err)
	}
}

// closerOnly is a port that can only be closed to unblock its reads.
type closerOnly struct{ c net.Conn }

func (p closerOnly) Read(b []byte) (int, error)  { return p.c.Read(b) }
func (p closerOnly) Write(b []byte) (int, error) { return p.c.Write(b) }
func (p closerOnly) Close() error                { return p.c.Close() }

// timeouter is a port that only has a read timeout, like a
// go.bug.st/serial port: a read that times out returns 0 bytes and no error.
type timeouter struct {
	c       net.Conn
	mu      sync.Mutex
	timeout time.Duration
}

func (p *timeouter) SetReadTimeout(d time.Duration) error {
	p.mu.Lock()
	p.timeout = d
	p.mu.Unlock()
	return nil
}

func (p *timeouter) Read(b []byte) (int, error) {
	p.mu.Lock()
	d := p.timeout
	p.mu.Unlock()
	if d > 0 {
		p.c.SetReadDeadline(time.Now().Add(d))
	}
	n, err := p.c.Read(b)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return n, nil
	}
	return n, err
}

func (p *timeouter) Write(b []byte) (int, error) { return p.c.Write(b) }

func TestServePortEndsWithContext(t *testing.T) {
	tests := []struct {
		name string
		port func(net.Conn) io.ReadWriter
	}{
		{name: "read deadline", port: func(c net.Conn) io.ReadWriter { return c }},
		{name: "read timeout", port: func(c net.Conn) io.ReadWriter { return &timeouter{c: c} }},
		{name: "closer", port: func(c net.Conn) io.ReadWriter { return closerOnly{c} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			device, term := net.Pipe()
			defer device.Close()
			defer term.Close()
			term.SetDeadline(time.Now().Add(5 * time.Second))
			u := &upper{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := serveResult(func() error { return u.server().ServePort(ctx, tt.port(device)) })
			if a := roundTrip(t, term, "serial"); a != "SERIAL" {
				t.Fatalf("answer %q, want SERIAL", a)
			}
			cancel()
			if err := wait(t, "ServePort", errc); err != nil {
				t.Fatalf("ServePort returned %v after cancel, want nil", err)
			}
			if n := u.ended.Load(); n != 1 {
				t.Fatalf("%d sessions ended, want 1", n)
			}
		})
	}
}

func TestServePortReturnsReadError(t *testing.T) {
	device, term := net.Pipe()
	defer device.Close()
	u := &upper{}
	errc := serveResult(func() error { return u.server().ServePort(t.Context(), device) })
	term.Close()
	err := wait(t, "ServePort", errc)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("ServePort error %v, want io.EOF", err)
	}
	if n := u.ended.Load(); n != 1 {
		t.Fatalf("%d sessions ended, want 1", n)
	}
}
