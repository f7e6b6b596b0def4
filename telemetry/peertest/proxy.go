package peertest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// dialTimeout bounds how long the proxy waits for its target to accept a connection.
const dialTimeout = 5 * time.Second

// Proxy forwards TCP connections from a loopback port to a target address, and can cut the path
// as a network outage would: every connection through it closed and new ones refused, until it
// is restored. Put it between a client and a peer (an MQTT client and Mosquitto, a daemon and
// PostgreSQL) to cut one client off while the others keep their connections.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu       sync.Mutex
	cut      bool
	closed   bool
	conns    map[net.Conn]struct{}
	accepted int
	refused  int
}

// StartProxy listens on a free loopback port and forwards each connection to target
// (host:port), dialled when the connection arrives. The proxy is closed when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peertest: proxy to %s: %v", target, err)
	}
	p := &Proxy{target: target, ln: ln, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port, 127.0.0.1:PORT, to give clients in place of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection through the proxy, both its ends, and refuses new ones: the
// proxy accepts them and closes them at once, so a client sees its connection end before a
// byte reaches the target. Cutting a cut proxy does nothing.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.closeConnsLocked()
}

// Restore forwards new connections again. Connections closed by Cut stay closed: clients
// reconnect.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Accepted returns how many connections the proxy has forwarded to the target so far, not
// counting those it refused while cut or could not forward; a test polls it to see a client
// reconnect after Restore.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Refused returns how many connections the proxy has refused while cut so far; a test polls it
// to see a client try again during an outage.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Close stops listening, closes every connection and waits until the proxy's goroutines have
// ended. Closing a closed proxy does nothing.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		_ = p.ln.Close()
		p.closeConnsLocked()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) closeConnsLocked() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// serve accepts connections until the listener is closed.
func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (too many open files): try again shortly.
			time.Sleep(pollInterval)
			continue
		}
		p.mu.Lock()
		refuse := p.cut || p.closed
		if refuse {
			p.refused++
		}
		p.mu.Unlock()
		if refuse {
			_ = client.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(client)
	}
}

// forward dials the target for client and copies bytes both ways until both directions have
// ended or the proxy closes the connection.
func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	target, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		// As a refused connection to the target itself looks to its client.
		_ = client.Close()
		return
	}
	p.mu.Lock()
	if p.cut || p.closed {
		// Cut while the target was being dialled.
		p.refused++
		p.mu.Unlock()
		_ = client.Close()
		_ = target.Close()
		return
	}
	p.conns[client], p.conns[target] = struct{}{}, struct{}{}
	p.accepted++
	p.mu.Unlock()

	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); pipe(target, client) }()
	go func() { defer both.Done(); pipe(client, target) }()
	both.Wait()

	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, target)
	p.mu.Unlock()
	_ = client.Close()
	_ = target.Close()
}

// pipe copies src to dst until src ends, then passes the end on as a half close of dst, as
// TCP does, so that a client that shuts its writing side still reads the peer's answer. An
// error on either side closes both, which ends the other direction too.
func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err != nil {
		_ = dst.Close()
		_ = src.Close()
		return
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = dst.Close()
}
