package session

import (
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestDial: a tcp:// broker's connection is read through the buffer, whole, however small the
// reads (the client library reads a byte at a time); a URL of another scheme is refused,
// naming it.
func TestDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sent := []byte{0x20, 0x02, 0x00, 0x00, 0x30, 0x03, 0x00, 0x01, 'a'}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(sent)
	}()
	conn, err := dial(&url.URL{Scheme: "tcp", Host: ln.Addr().String()}, *paho.NewClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := conn.(*bufferedConn); !ok {
		t.Fatalf("dial returned a %T, want a *bufferedConn", conn)
	}
	var got []byte
	b := make([]byte, 1)
	for {
		n, err := conn.Read(b)
		got = append(got, b[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != string(sent) {
		t.Fatalf("read % x, want % x", got, sent)
	}

	_, err = dial(&url.URL{Scheme: "ws", Host: ln.Addr().String()}, *paho.NewClientOptions())
	if err == nil || !strings.Contains(err.Error(), "ws://") {
		t.Fatalf("dial of a ws:// URL: %v, want it refused naming the URL", err)
	}
}
