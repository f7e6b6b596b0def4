package configs

import (
	"net"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The hosts section lists the names a studio reaches the daemon by, such as
//
//	hosts: [cellforge.local, floor.loom-lantern.lan]
//
// The daemon's web server answers only requests whose Host header names one of them, a
// loopback name (localhost, 127.0.0.1, [::1]) or the address the request came in on, so that a
// page of another site whose name was pointed at the daemon's address (DNS rebinding) gets
// nothing. Names are compared without their port and case.

// Limits of the hosts section.
const (
	maxHosts     = 100
	maxHostLen   = 253 // a DNS name's limit
	maxLabelLen  = 63
	hostNameRule = "want a host name of dot-separated labels of a-z, 0-9, '-' and '_', each 1 to 63 long, or an IP address"
)

// hosts decodes and checks the optional hosts section: every entry becomes its canonical form,
// a lower-case name or an IP address as net.IP.String writes it. The value is nil when the
// section is absent.
func (d *decoder) hosts(m *mapping, key string) value[[]string] {
	e, ok := m.Entries[key]
	if !ok {
		return value[[]string]{}
	}
	const object = "hosts"
	v := value[[]string]{Line: e.Key.Line}
	switch {
	case e.Val.Kind == yaml.SequenceNode && len(e.Val.Content) == 0, yamlfile.IsNull(e.Val):
		d.Add(v.Line, "", key, "must list at least one host name (leave hosts out to serve the loopback names only)")
		v.Bad = true
		return v
	case e.Val.Kind != yaml.SequenceNode:
		d.Add(v.Line, "", key, "expected a list of host names, got %s", yamlfile.Describe(e.Val))
		v.Bad = true
		return v
	case len(e.Val.Content) > maxHosts:
		d.Add(v.Line, "", key, "lists %d host names, at most %d are allowed", len(e.Val.Content), maxHosts)
		v.Bad = true
		return v
	}
	first := map[string]int{}
	for _, n := range e.Val.Content {
		s, bad := d.Scalar(n, "", key, "a host name")
		if bad {
			v.Bad = true
			continue
		}
		host, problem := canonicalHost(s)
		if problem != "" {
			d.Add(n.Line, "", key, "%s", problem)
			v.Bad = true
			continue
		}
		if !d.Unique(first, value[string]{V: host, Line: n.Line}, "", key, "duplicate host %s (first at line %d)") {
			v.Bad = true
			continue
		}
		v.V = append(v.V, host)
	}
	return v
}

// canonicalHost returns the canonical form of a host name or IP address written in the hosts
// section, or why it is not one.
func canonicalHost(s string) (host, problem string) {
	switch {
	case s == "":
		return "", "empty host name"
	case strings.Contains(s, "://"):
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			return "", "invalid host " + yamlfile.Quote(s) + ": write the host name alone, not a URL: " + yamlfile.Quote(u.Hostname())
		}
		return "", "invalid host " + yamlfile.Quote(s) + ": write the host name alone, not a URL"
	case strings.Contains(s, "*"):
		return "", "invalid host " + yamlfile.Quote(s) + ": wildcards are not supported; list every name"
	}
	if h, ok := strings.CutPrefix(s, "["); ok {
		if h, ok = strings.CutSuffix(h, "]"); ok && strings.Contains(h, ":") {
			if ip := net.ParseIP(h); ip != nil {
				return canonicalIP(s, ip)
			}
		}
	}
	if ip := net.ParseIP(s); ip != nil {
		return canonicalIP(s, ip)
	}
	if h, port, err := net.SplitHostPort(s); err == nil && port != "" {
		return "", "invalid host " + yamlfile.Quote(s) + ": write it without the port, " + yamlfile.Quote(strings.Trim(h, "[]")) +
			" (the daemon serves the port it listens on, --listen)"
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return "", "invalid host " + yamlfile.Quote(s) + ": write an international name in its ASCII form (xn--...), as browsers send it"
		}
	}
	name := strings.ToLower(s)
	if len(name) > maxHostLen {
		return "", "invalid host " + yamlfile.Quote(s) + ": longer than 253 characters"
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if !isHostLabel(label) {
			return "", "invalid host " + yamlfile.Quote(s) + " (" + hostNameRule + ")"
		}
	}
	// Browsers read a name ending in a number as an IPv4 address, in forms (octal, fewer
	// parts) no one means to write.
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return "", "invalid host " + yamlfile.Quote(s) + ": not an IP address (write IPv4 as four numbers from 0 to 255 without leading zeros)"
	}
	return name, ""
}

func canonicalIP(written string, ip net.IP) (string, string) {
	if ip.IsUnspecified() {
		return "", "invalid host " + yamlfile.Quote(written) + ": the unspecified address names no host a browser can reach; write the address or name the studio uses"
	}
	return ip.String(), ""
}

// isHostLabel reports whether s is one label of a host name: 1 to 63 of a-z, 0-9, '-' and '_'
// (some local names hold one), neither first nor last a '-'.
func isHostLabel(s string) bool {
	if s == "" || len(s) > maxLabelLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !yamlfile.IsLower(c) && !yamlfile.IsDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
