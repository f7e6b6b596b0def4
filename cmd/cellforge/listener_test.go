package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestServeGuardsItsDoor: the daemon serve starts refuses a Host it does not serve and holds a
// client address to --max-conns-per-client connections.
func TestServeGuardsItsDoor(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--max-conns-per-client", "1")
	u, err := url.Parse(d.url)
	if err != nil {
		t.Fatal(err)
	}
	get := func(conn net.Conn, r *bufio.Reader, host string) (int, string) {
		t.Helper()
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("GET /healthz with Host %s: %v", host, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if status, body := get(conn, r, "rebound.example"); status != http.StatusMisdirectedRequest || !strings.Contains(body, "hosts:") {
		t.Errorf("Host rebound.example: %d %s, want 421 naming the hosts: setting", status, body)
	}
	if status, body := get(conn, r, u.Host); status != http.StatusOK {
		t.Fatalf("Host %s: %d %s, want 200", u.Host, status, body)
	}
	// conn stays open: a second connection from the same address is one too many.
	second, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	fmt.Fprintf(second, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", u.Host)
	if err := second.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	switch resp, err := http.ReadResponse(bufio.NewReader(second), nil); {
	case err != nil:
		t.Errorf("a second connection with --max-conns-per-client 1: %v, want its 503", err)
	case resp.StatusCode != http.StatusServiceUnavailable:
		t.Errorf("a second connection with --max-conns-per-client 1: %d, want 503", resp.StatusCode)
	}
}

func TestServeRefusesANegativeConnectionLimit(t *testing.T) {
	for _, flag := range []string{"--max-conns-per-client", "--max-conns"} {
		t.Run(flag, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0", "--data", t.TempDir(), flag, "-1"}
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), flag+" -1: want 0 (no limit) or more") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and the flag's range", code, stderr.String())
			}
		})
	}
}
