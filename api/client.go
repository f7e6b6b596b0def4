package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// Client is where a request came from, as far as the daemon can trust it.
type Client struct {
	// Addr is the client's IP address: the connection's, or, when the connection comes from a
	// trusted proxy, the nearest address in X-Forwarded-For that is not a trusted proxy.
	Addr string
	// HTTPS is true when the request reached the daemon over TLS: its own, or that of a
	// trusted proxy that says so in X-Forwarded-Proto.
	HTTPS bool
}

type clientKeyType struct{}

// ClientOf returns the client of a request the Server handles (the web pages' requests
// included, through Mount). A request that did not come through a Server is taken at its
// connection: its RemoteAddr and TLS, whatever its headers say.
func ClientOf(r *http.Request) Client {
	if c, ok := r.Context().Value(clientKeyType{}).(Client); ok {
		return c
	}
	return directClient(r)
}

func directClient(r *http.Request) Client {
	return Client{Addr: clientKey(r.RemoteAddr, oneAddress), HTTPS: r.TLS != nil}
}

// addrScope says how much of an IP address stands for one client.
type addrScope int

const (
	// oneAddress is the address itself. A person's failed sign-ins and the address they last
	// signed in from are kept by it: on one IPv6 network every tablet has an address in the
	// same /64 (and in fe80::/64), and one tablet's failures must lock no one out at another,
	// nor make a stranger pass for the tablet a person last signed in at.
	oneAddress addrScope = iota
	// oneHost is an IPv4 address, or the /64 an IPv6 address belongs to: one host usually holds
	// a whole /64 and may pick any address in it. What a host could escape by walking through
	// its addresses is counted by it: its sign-in attempts over every person, its open
	// connections.
	oneHost
)

// clientKey is the one rule of what a client address is counted by: addr (an IP address,
// perhaps with a port, as a connection's remote address is written) as scope says. An IPv4
// address mapped into IPv6 is the IPv4 address; what is not an IP address is its own key.
func clientKey(addr string, scope addrScope) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if scope == oneHost && ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// proxies are the addresses of the reverse proxies whose forwarded headers are believed.
type proxies []netip.Prefix

func (p proxies) trust(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, pr := range p {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// client returns the client of a request. Forwarded headers are read only from a connection of
// a trusted proxy: anyone else could write them to pass for another address.
func (p proxies) client(r *http.Request) Client {
	c := directClient(r)
	if !p.trust(c.Addr) {
		return c
	}
	// Each proxy appends the address it got the request from: read from the nearest, right to
	// left, past the trusted proxies. What a hop wrote before (left of) an untrusted address
	// is the client's own say, and not believed.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := hopAddr(hops[i])
		if !ok {
			break // the proxies' record ends here: the nearest address seen stands
		}
		c.Addr = ip.String()
		if !p.trust(c.Addr) {
			break
		}
	}
	// The scheme is the one the nearest proxy set: the last element, over every line.
	if protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ","); strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https") {
		c.HTTPS = true
	}
	return c
}

// hopAddr parses an address of X-Forwarded-For: an IP address, perhaps in brackets or with a
// port.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// resolveClient works out every request's client once, for the API's handlers (c.RealIP) and
// for the web pages (ClientOf).
func (s *Server) resolveClient(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), clientKeyType{}, s.proxies.client(r))))
		return next(c)
	}
}
