package api

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostHeader: the daemon answers the loopback names, its own address and the factory's
// hosts, with any port, and refuses any other name (a page of another site rebound to the
// daemon's address by DNS) with 421 before anything is read or done, sign-in included.
func TestHostHeader(t *testing.T) {
	ts := newTestServer(t, func(s *Server) {
		s.Mount(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "a page") }))
	})
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	signIn := `{"person":"ana","pin":"1234"}`
	tests := []struct {
		name, host, method, path, body string
		want                           int
	}{
		{name: "the address connected to", host: "127.0.0.1:" + port, path: "/healthz", want: http.StatusOK},
		{name: "localhost", host: "localhost:" + port, path: "/healthz", want: http.StatusOK},
		{name: "localhost in capitals, another port", host: "LOCALHOST:8080", path: "/healthz", want: http.StatusOK},
		{name: "localhost with the root's dot", host: "localhost.", path: "/healthz", want: http.StatusOK},
		{name: "IPv6 loopback", host: "[::1]:" + port, path: "/healthz", want: http.StatusOK},
		{name: "another loopback address", host: "127.0.0.2", path: "/healthz", want: http.StatusOK},
		{name: "a configured name", host: "floor.studio.lan:8080", path: "/healthz", want: http.StatusOK},
		{name: "a configured name in capitals", host: "Floor.Studio.LAN", path: "/api/v1/cells", want: http.StatusOK},
		{name: "a configured address", host: "192.168.1.20:80", path: "/", want: http.StatusOK},
		{name: "sign-in by a configured name", host: "floor.studio.lan", method: "POST", path: "/api/v1/auth/signin", body: signIn, want: http.StatusOK},
		{name: "another name", host: "evil.example:" + port, path: "/healthz", want: http.StatusMisdirectedRequest},
		{name: "sign-in by another name", host: "evil.example:" + port, method: "POST", path: "/api/v1/auth/signin", body: signIn, want: http.StatusMisdirectedRequest},
		{name: "a page by another name", host: "evil.example", path: "/", want: http.StatusMisdirectedRequest},
		{name: "metrics by another name", host: "evil.example", path: "/metrics", want: http.StatusMisdirectedRequest},
		{name: "a name starting with localhost", host: "localhost.evil.example", path: "/healthz", want: http.StatusMisdirectedRequest},
		{name: "a name starting with a loopback address", host: "127.0.0.1.evil.example", path: "/healthz", want: http.StatusMisdirectedRequest},
		{name: "a name ending with a configured one", host: "evil.floor.studio.lan", path: "/healthz", want: http.StatusMisdirectedRequest},
		{name: "an address that is not the daemon's", host: "192.168.1.21", path: "/healthz", want: http.StatusMisdirectedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			req, err := http.NewRequest(method, ts.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			req.Header.Set("Authorization", "Bearer "+plannerToken)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s with Host %q: %d %s, want %d", method, tc.path, tc.host, resp.StatusCode, body, tc.want)
			}
			if tc.want != http.StatusMisdirectedRequest {
				return
			}
			if !strings.Contains(body, "hosts:") || !strings.Contains(body, tc.host) {
				t.Errorf("refusal %q does not name the host and the hosts: setting", body)
			}
			if strings.HasPrefix(tc.path, "/api/") {
				r := response{status: resp.StatusCode, body: []byte(body)}
				if code := r.errorCode(t); code != codeUnknownHost {
					t.Errorf("error code %q, want %q", code, codeUnknownHost)
				}
			}
			if strings.Contains(body, `"token"`) {
				t.Errorf("a refused sign-in answered a session: %s", body)
			}
		})
	}
	t.Run("no Host at all", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /healthz HTTP/1.0\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(body, "Host") {
			t.Errorf("HTTP/1.0 without Host: %d %s, want 421 asking for a Host", resp.StatusCode, body)
		}
	})
}

// TestHostHeaderOwnAddress: a daemon listening on every interface answers requests addressed
// to the interface's address they came in on, not to another one.
func TestHostHeaderOwnAddress(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	g := newHostGuard(nil, next, func() {})
	local := &net.TCPAddr{IP: net.ParseIP("192.0.2.2"), Port: 8080}
	tests := []struct {
		host string
		want int
	}{
		{host: "192.0.2.2:8080", want: http.StatusOK},
		{host: "192.0.2.2", want: http.StatusOK},
		{host: "[::ffff:192.0.2.2]:8080", want: http.StatusOK},
		{host: "192.0.2.3:8080", want: http.StatusMisdirectedRequest},
		{host: "studio.lan", want: http.StatusMisdirectedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = tc.host
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("Host %q on a connection to %s: %d, want %d", tc.host, local, w.Code, tc.want)
			}
		})
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
