package api

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultMaxConnsPerClient is how many connections one client address may hold open at once
// by default. A browser opens at most six to one host (each open tablet or dashboard page holds
// one for its live updates), so a few browsers on one machine stay well within it.
const DefaultMaxConnsPerClient = 64

// clientLimit is a listener that lets each client address hold at most max connections: past
// it, a new connection gets a 503 answer and is closed at once, and the client's other
// connections go on.
type clientLimit struct {
	net.Listener
	max     int
	refused func() // counts a connection refused

	mu   sync.Mutex
	open map[string]int // by client address
}

func newClientLimit(ln net.Listener, max int, refused func()) *clientLimit {
	return &clientLimit{Listener: ln, max: max, refused: refused, open: make(map[string]int)}
}

// Accept returns the next connection whose client is within its limit.
func (l *clientLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientAddr(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[client] < l.max
		if ok {
			l.open[client]++
		}
		l.mu.Unlock()
		if ok {
			return &countedConn{Conn: c, release: func() { l.release(client) }}, nil
		}
		l.refuse(c)
	}
}

func (l *clientLimit) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// refuseWrite bounds the time spent telling a refused client why: a fresh connection's send
// buffer takes the short answer at once, unless the client is not there to take it.
const refuseWrite = 100 * time.Millisecond

// refuse answers a connection over the limit with a 503 and closes it.
func (l *clientLimit) refuse(c net.Conn) {
	l.refused()
	msg := fmt.Sprintf("too many connections from your address (at most %d at once): close some and try again\n", l.max)
	_ = c.SetWriteDeadline(time.Now().Add(refuseWrite))
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	_ = c.Close()
}

// clientAddr is the address a connection's client is counted by: its IP address.
func clientAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	return a.String()
}

// countedConn is a connection counted against its client's limit until it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
