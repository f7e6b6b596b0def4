package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConnectionsPerClient: a client address holding its limit of connections gets no more
// (503, closed) while another address still gets in, and gets one again once it closes one.
func TestConnectionsPerClient(t *testing.T) {
	const limit = 2
	ts := newTestServerConfig(t, func(c *Config) { c.MaxConnsPerClient = limit })
	addr := serve(t, ts, nil)

	var held []*client
	for range limit {
		c := dialFrom(t, "127.0.0.1", addr)
		held = append(held, c)
		if status, body, err := c.get("/healthz"); err != nil || status != http.StatusOK {
			t.Fatalf("connection %d of %d from 127.0.0.1: %d %s %v, want 200", len(held), limit, status, body, err)
		}
	}
	// Every connection still works after the others opened: the limit counts open ones.
	for i, c := range held {
		if status, _, err := c.get("/healthz"); err != nil || status != http.StatusOK {
			t.Fatalf("held connection %d: %d %v, want 200", i+1, status, err)
		}
	}
	over := dialFrom(t, "127.0.0.1", addr)
	if status, body, err := over.get("/healthz"); err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "too many connections") {
		t.Fatalf("connection %d from 127.0.0.1: %d %s %v, want 503 too many connections", limit+1, status, body, err)
	}
	other := dialFrom(t, "127.0.0.2", addr)
	if status, body, err := other.get("/healthz"); err != nil || status != http.StatusOK {
		t.Fatalf("a connection from 127.0.0.2 while 127.0.0.1 is at its limit: %d %s %v, want 200", status, body, err)
	}
	status, metrics, err := other.get("/metrics")
	if err != nil || status != http.StatusOK || !strings.Contains(metrics, `cellforge_http_refused_total{reason="connections"} 1`) {
		t.Errorf("metrics (%d, %v) do not count the refused connection:\n%s", status, err, grepLines(metrics, "refused"))
	}

	// Once 127.0.0.1 closes a connection, it may open another.
	held[0].conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dialFrom(t, "127.0.0.1", addr)
		status, _, err := c.get("/healthz")
		c.conn.Close()
		if err == nil && status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("127.0.0.1 closed a connection, but a new one still gets %d %v", status, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConnectionsPerIPv6Host: the connections of an IPv6 client count by its /64, which one
// host holds whole: a host cannot take more by dialling from another of its addresses.
func TestConnectionsPerIPv6Host(t *testing.T) {
	const limit = 2
	ts := newTestServerConfig(t, func(c *Config) { c.MaxConnsPerClient = limit })
	// Loopback has one IPv6 address: the connections come from 127.0.0.1, and the listener
	// tells the server the address each one stands for.
	from := make(chan string, 1)
	addr := serve(t, ts, from)
	dial := func(as string) *client {
		t.Helper()
		from <- as
		return dialFrom(t, "127.0.0.1", addr)
	}
	for _, as := range []string{"2001:db8::1", "2001:db8::2"} {
		if status, body, err := dial(as).get("/healthz"); err != nil || status != http.StatusOK {
			t.Fatalf("a connection from %s: %d %s %v, want 200", as, status, body, err)
		}
	}
	if status, body, err := dial("2001:db8::3").get("/healthz"); err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "too many connections") {
		t.Errorf("a third connection from the /64, from 2001:db8::3: %d %s %v, want 503 too many connections", status, body, err)
	}
	if status, body, err := dial("2001:db8:0:1::1").get("/healthz"); err != nil || status != http.StatusOK {
		t.Errorf("a connection from another /64: %d %s %v, want 200", status, body, err)
	}
}

// TestConnectionsInAll: past its limit of connections in all, the daemon answers a new one 503,
// whoever it comes from, and takes one again once another closes.
func TestConnectionsInAll(t *testing.T) {
	const limit = 3
	ts := newTestServerConfig(t, func(c *Config) { c.MaxConns = limit; c.MaxConnsPerClient = -1 })
	addr := serve(t, ts, nil)
	var held []*client
	for i := range limit {
		c := dialFrom(t, fmt.Sprintf("127.0.0.%d", i+1), addr)
		held = append(held, c)
		if status, body, err := c.get("/healthz"); err != nil || status != http.StatusOK {
			t.Fatalf("connection %d of %d: %d %s %v, want 200", i+1, limit, status, body, err)
		}
	}
	over := dialFrom(t, "127.0.0.9", addr)
	if status, body, err := over.get("/healthz"); err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "as many connections as it may") {
		t.Fatalf("connection %d, from a new address: %d %s %v, want 503", limit+1, status, body, err)
	}
	if status, metrics, err := held[0].get("/metrics"); err != nil || !strings.Contains(metrics, `cellforge_http_refused_total{reason="capacity"} 1`) {
		t.Errorf("metrics (%d, %v) do not count the refused connection:\n%s", status, err, grepLines(metrics, "refused"))
	}
	held[0].conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dialFrom(t, "127.0.0.9", addr)
		status, _, err := c.get("/healthz")
		c.conn.Close()
		if err == nil && status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a connection closed, but a new one still gets %d %v", status, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefusedConnectionEndsCleanly: a refused connection whose request came before the refusal
// gets its answer and then the end of the stream, not a reset, after which a client's network
// stack may drop an answer it had not read yet.
func TestRefusedConnectionEndsCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnLimit(ln, 1, 0, func(bool) {})
	dialFrom(t, "127.0.0.1", ln.Addr().String())
	held, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	second := dialFrom(t, "127.0.0.1", ln.Addr().String())
	// The request is there before the listener looks at the connection.
	if _, err := fmt.Fprint(second.conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept() // refuses the second, then waits for a third until l is closed
		if err == nil {
			c.Close()
			err = fmt.Errorf("accepted %v", c.RemoteAddr())
		}
		accepted <- err
	}()
	defer func() {
		second.conn.Close() // the refusal is over once the client goes
		l.Close()
		if err := <-accepted; !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept: %v, want it closed", err)
		}
	}()
	if err := second.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(second.r, nil)
	if err != nil {
		t.Fatalf("reading the refusal: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("refusal: %d %s %v, want 503", resp.StatusCode, body, err)
	}
	if n, err := second.r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the refusal: %d bytes, %v; want the end of the stream (io.EOF)", n, err)
	}
}

// serve serves ts on a listener of its own until the test ends and returns its address. With
// from, each connection stands for the address received from it, whatever it came from.
func serve(t *testing.T, ts *testServer, from <-chan string) string {
	t.Helper()
	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if from != nil {
		ln = &standInListener{Listener: ln, from: from}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.api.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return addr
}

// standInListener gives each connection it accepts the remote address received from from:
// the addresses a test cannot dial from.
type standInListener struct {
	net.Listener
	from <-chan string
}

func (l *standInListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &standInConn{Conn: c, remote: &net.TCPAddr{IP: net.ParseIP(<-l.from), Port: 40000}}, nil
}

type standInConn struct {
	net.Conn
	remote net.Addr
}

func (c *standInConn) RemoteAddr() net.Addr { return c.remote }

func (c *standInConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// client is one HTTP/1.1 connection kept open between requests.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialFrom connects to addr from the local address from (any loopback address works on Linux).
func dialFrom(t *testing.T, from, addr string) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{conn: conn, r: bufio.NewReader(conn)}
}

// get sends a GET on the connection and returns the answer's status and body.
func (c *client) get(path string) (int, string, error) {
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, "", err
	}
	if _, err := fmt.Fprintf(c.conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(body), nil
}
