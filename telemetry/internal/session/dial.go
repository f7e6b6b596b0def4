package session

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/net/proxy"
)

// dial opens the connection to the broker at uri as the client library would (TCP for tcp://
// and mqtt://, TLS with the options' config for ssl://, tls:// and mqtts://, through the proxy
// all_proxy names when it is set), and has what the library reads from it come through a
// buffer. The library reads each packet's fixed header a byte at a time, each a system call
// on a bare TCP connection: with the buffer, one read brings many packets. (A TLS connection
// reads whole records already.)
func dial(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	viaProxy := os.Getenv("all_proxy") != ""
	var tcp proxy.Dialer = d
	if viaProxy {
		tcp = proxy.FromEnvironment()
	}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = tcp.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts":
		if !viaProxy {
			conn, err = tls.DialWithDialer(d, "tcp", uri.Host, o.TLSConfig)
			break
		}
		if conn, err = tcp.Dial("tcp", uri.Host); err == nil {
			tc := tls.Client(conn, o.TLSConfig)
			if err = tc.Handshake(); err != nil {
				conn.Close()
			}
			conn = tc
		}
	default:
		return nil, fmt.Errorf("connecting to %s: not a broker URL (want tcp://, ssl:// or mqtts://)", uri.Redacted())
	}
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}, nil
}

// bufferedConn is a connection whose reads come through a buffer. Only the client library's
// reading goroutine reads it.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
