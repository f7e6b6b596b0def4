package api

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// hostGuard serves only the requests addressed to the daemon by a name it knows, so that a page
// of another site whose name was pointed at the daemon's address (DNS rebinding) cannot read
// the API or sign in with a person's browser. A browser always sends the name it connected to in
// the Host header, and pages of one name cannot read the answers of another; an IP address in
// the Host header is never the doing of DNS.
type hostGuard struct {
	// names are the factory's hosts, canonical (configs.Factory.Hosts).
	names   map[string]bool
	next    http.Handler
	refused func() // counts a refusal
}

func newHostGuard(hosts []string, next http.Handler, refused func()) *hostGuard {
	g := &hostGuard{names: make(map[string]bool, len(hosts)), next: next, refused: refused}
	for _, h := range hosts {
		g.names[h] = true
	}
	return g
}

func (g *hostGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.allowed(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	g.refused()
	msg := fmt.Sprintf("this daemon does not serve the host %q: it answers localhost, 127.0.0.1 and [::1], "+
		"the address it was reached at, and the names listed under hosts: in its factory config", r.Host)
	if r.Host == "" {
		msg = "the request names no host: send a Host header"
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p := r.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMisdirectedRequest)
		_ = json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: codeUnknownHost, Message: msg}})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusMisdirectedRequest)
	fmt.Fprintln(w, msg)
}

// allowed reports whether the request's Host names a loopback address, the address the request
// came in on, or one of the factory's hosts; the port does not matter.
func (g *hostGuard) allowed(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return g.names[host]
	}
	if ip.IsLoopback() {
		return true
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok && local.IP.Equal(ip) {
		return true
	}
	return g.names[ip.String()]
}
