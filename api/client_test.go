package api

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
)

func TestClientBehindProxies(t *testing.T) {
	trusted := proxies{netip.MustParsePrefix("10.0.0.5/32"), netip.MustParsePrefix("192.168.7.0/24"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		proxies proxies
		remote  string
		xff     []string // X-Forwarded-For lines
		proto   []string // X-Forwarded-Proto lines
		tls     bool
		want    Client
	}{
		{name: "direct", proxies: trusted, remote: "203.0.113.9:5000", want: Client{Addr: "203.0.113.9"}},
		{name: "direct over TLS", proxies: trusted, remote: "203.0.113.9:5000", tls: true, want: Client{Addr: "203.0.113.9", HTTPS: true}},
		{name: "forged by a client", proxies: trusted, remote: "203.0.113.9:5000", xff: []string{"10.9.9.9"}, proto: []string{"https"},
			want: Client{Addr: "203.0.113.9"}},
		{name: "no proxies trusted", remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"}, proto: []string{"https"}, want: Client{Addr: "10.0.0.5"}},
		{name: "through a trusted proxy", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"}, proto: []string{"https"},
			want: Client{Addr: "198.51.100.7", HTTPS: true}},
		{name: "a forged hop before the proxy's", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"10.9.9.9, 198.51.100.7"},
			want: Client{Addr: "198.51.100.7"}},
		{name: "two trusted proxies", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7", "192.168.7.20"},
			want: Client{Addr: "198.51.100.7"}},
		{name: "a trusted address forged behind an untrusted one", proxies: trusted, remote: "10.0.0.5:5000",
			xff: []string{"192.168.7.3, 198.51.100.7"}, want: Client{Addr: "198.51.100.7"}},
		{name: "every hop trusted", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"192.168.7.3"}, want: Client{Addr: "192.168.7.3"}},
		{name: "garbage where the proxy's hop ends", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7, nonsense"},
			want: Client{Addr: "10.0.0.5"}},
		{name: "ports and brackets", proxies: trusted, remote: "[::1]:5000", xff: []string{"[2001:db8::7]:4711"}, want: Client{Addr: "2001:db8::7"}},
		{name: "IPv4 mapped", proxies: trusted, remote: "[::ffff:10.0.0.5]:5000", xff: []string{"198.51.100.7"}, want: Client{Addr: "198.51.100.7"}},
		{name: "http behind the proxy", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"}, proto: []string{"http"},
			want: Client{Addr: "198.51.100.7"}},
		{name: "the nearest proxy's scheme", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"}, proto: []string{"https, http"},
			want: Client{Addr: "198.51.100.7"}},
		{name: "the nearest proxy's scheme on a line of its own", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"},
			proto: []string{"https", "http"}, want: Client{Addr: "198.51.100.7"}},
		{name: "https from the nearest proxy after a line the client wrote", proxies: trusted, remote: "10.0.0.5:5000", xff: []string{"198.51.100.7"},
			proto: []string{"http", "https"}, want: Client{Addr: "198.51.100.7", HTTPS: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/cells", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tt.proto {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := tt.proxies.client(r); got != tt.want {
				t.Errorf("client = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSignInLimitsBehindATrustedProxy: behind a trusted proxy each client forwarded for has
// its own limits; a client that writes X-Forwarded-For itself gets none of another's.
func TestSignInLimitsBehindATrustedProxy(t *testing.T) {
	behind := newTestServerConfig(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	direct := newTestServer(t)
	signIn := func(ts *testServer, pin, forwardedFor string) int {
		return ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"`+pin+`"}`,
			"X-Forwarded-For", forwardedFor).status
	}
	for _, ts := range []*testServer{behind, direct} {
		for i := range addressFailures {
			if s := signIn(ts, "000"+strconv.Itoa(i), "198.51.100.1"); s != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d", i, s)
			}
		}
	}
	if s := signIn(behind, "1234", "198.51.100.1"); s != http.StatusTooManyRequests {
		t.Errorf("behind the proxy, the address that guessed: %d, want 429", s)
	}
	if s := signIn(behind, "1234", "198.51.100.2"); s != http.StatusOK {
		t.Errorf("behind the proxy, another address: %d, want 200", s)
	}
	if s := signIn(direct, "1234", "198.51.100.2"); s != http.StatusTooManyRequests {
		t.Errorf("with no proxy trusted, a forged X-Forwarded-For: %d, want 429", s)
	}
}
