package api

import (
	"bufio"
	"context"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
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
	addr := ln.Addr().String()

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
	switch status, body, err := over.get("/healthz"); {
	case err != nil:
		// Closed before the answer could be read: refused as well.
	case status != http.StatusServiceUnavailable || !strings.Contains(body, "too many connections"):
		t.Fatalf("connection %d from 127.0.0.1: %d %s, want 503 too many connections", limit+1, status, body)
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
