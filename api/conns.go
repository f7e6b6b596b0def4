package api

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// DefaultMaxConnsPerClient is how many connections one client may hold open at once by
// default. A browser opens at most six to one host (each open tablet or dashboard page holds
// one for its live updates), so a few browsers on one machine stay well within it.
const DefaultMaxConnsPerClient = 64

// DefaultMaxConns is how many connections the daemon holds open at once, from every client
// together, by default. Each is a file descriptor, and the daemon needs its own too (the
// store, the devices, the telemetry queues): a floor of a hundred tablets and a few dashboards
// holds a few hundred at most.
const DefaultMaxConns = 1024

// connLimit is a listener that holds at most total connections open at once, and lets each
// client (an IPv4 address, or an IPv6 /64, which one host holds whole) hold at most perClient
// of them: past either, a new connection gets a 503 answer and is closed, and the connections
// already open go on. A limit of 0 is none.
type connLimit struct {
	net.Listener
	perClient int
	total     int
	refused   func(total bool) // counts a connection refused, over the total or its client's limit

	mu   sync.Mutex
	open map[string]int // by client
	all  int
	// refusing counts the refused connections still being answered, each by a goroutine of
	// its own (a client slow to go away must not hold up the next Accept); Close waits until
	// none is left (answered), and once closed no more are started.
	refusing int
	answered *sync.Cond // on mu
	closed   bool
}

func newConnLimit(ln net.Listener, perClient, total int, refused func(total bool)) *connLimit {
	l := &connLimit{Listener: ln, perClient: perClient, total: total, refused: refused, open: make(map[string]int)}
	l.answered = sync.NewCond(&l.mu)
	return l
}

// Accept returns the next connection within the limits.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientKey(c.RemoteAddr().String(), oneHost)
		l.mu.Lock()
		overTotal := l.total > 0 && l.all >= l.total
		overClient := !overTotal && l.perClient > 0 && l.open[client] >= l.perClient
		if !overTotal && !overClient {
			l.open[client]++
			l.all++
		}
		l.mu.Unlock()
		switch {
		case overTotal:
			l.refuse(c, true, fmt.Sprintf("the daemon holds as many connections as it may (%d at once): try again in a moment\n", l.total))
		case overClient:
			l.refuse(c, false, fmt.Sprintf("too many connections from your address (at most %d at once): close some and try again\n", l.perClient))
		default:
			return &countedConn{Conn: c, release: func() { l.release(client) }}, nil
		}
	}
}

func (l *connLimit) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all--
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// How a refused connection is told: the answer is written at once (a fresh connection's send
// buffer takes it, unless the client is not there to take it), then the connection is half
// closed and what the client sent meanwhile, its request, is read and dropped until the client
// closes its side. Closing a socket with unread data sends a reset instead, after which a
// client's network stack may drop the answer it had not read yet. Both steps are bounded: a
// client that neither reads nor closes holds a refused connection for refuseLinger at most,
// and at most maxRefusing of them are answered at once (past them, a refused connection is
// closed after the answer is written, as it would be without the drain).
const (
	refuseWrite  = 100 * time.Millisecond
	refuseLinger = 500 * time.Millisecond
	refuseDrain  = 64 << 10
	maxRefusing  = 64
)

// refuse answers a connection over a limit with a 503 and closes it.
func (l *connLimit) refuse(c net.Conn, total bool, msg string) {
	l.refused(total)
	_ = c.SetWriteDeadline(time.Now().Add(refuseWrite))
	_, err := fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	hc, halfCloses := c.(interface{ CloseWrite() error })
	l.mu.Lock()
	linger := err == nil && halfCloses && !l.closed && l.refusing < maxRefusing
	if linger {
		l.refusing++
	}
	l.mu.Unlock()
	if !linger {
		_ = c.Close()
		return
	}
	go func() {
		_ = hc.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(refuseLinger))
		_, _ = io.Copy(io.Discard, io.LimitReader(c, refuseDrain))
		_ = c.Close()
		l.mu.Lock()
		if l.refusing--; l.refusing == 0 {
			l.answered.Broadcast()
		}
		l.mu.Unlock()
	}()
}

// Close stops the listener and waits for the refused connections still being answered, each
// for refuseLinger at most.
func (l *connLimit) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for l.refusing > 0 {
		l.answered.Wait()
	}
	return err
}

// countedConn is a connection counted against the limits until it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
