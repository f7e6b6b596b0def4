package link_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/telemetry/link"
)

func TestOpenRefusesBadConfig(t *testing.T) {
	hubPub, hubKey, _ := ed25519.GenerateKey(nil)
	portoPub, portoKey, _ := ed25519.GenerateKey(nil)
	site := func() link.Config {
		return link.Config{Self: "porto", Key: portoKey, Peers: map[string]ed25519.PublicKey{"hub": hubPub},
			Broker: "tcp://127.0.0.1:1883", Dir: t.TempDir()}
	}
	tests := []struct {
		name   string
		change func(*link.Config)
		want   string
	}{
		{name: "no self", change: func(c *link.Config) { c.Self = "" }, want: `Self ""`},
		{name: "self with a slash", change: func(c *link.Config) { c.Self = "porto/x" }, want: `Self "porto/x"`},
		{name: "wildcard self", change: func(c *link.Config) { c.Self = "+" }, want: `Self "+"`},
		{name: "no key", change: func(c *link.Config) { c.Key = nil }, want: "Key: not an Ed25519 private key"},
		{name: "no peers", change: func(c *link.Config) { c.Peers = nil }, want: "Peers: none"},
		{name: "site peer of a site", change: func(c *link.Config) { c.Peers["lisbon"] = portoPub }, want: `Peers: "lisbon": a site's only peer is "hub"`},
		{name: "self a peer", change: func(c *link.Config) {
			c.Self, c.Key, c.Peers = "hub", hubKey, map[string]ed25519.PublicKey{"hub": hubPub}
		}, want: `Peers: "hub" is Self`},
		{name: "short peer key", change: func(c *link.Config) { c.Peers["hub"] = hubPub[:8] }, want: `Peers: "hub": public key of 8 bytes`},
		{name: "bad peer id", change: func(c *link.Config) {
			c.Self, c.Key, c.Peers = "hub", hubKey, map[string]ed25519.PublicKey{"Porto": portoPub}
		}, want: `Peers: "Porto"`},
		{name: "no broker", change: func(c *link.Config) { c.Broker = "" }, want: `Broker ""`},
		{name: "websocket broker", change: func(c *link.Config) { c.Broker = "ws://127.0.0.1:9001" }, want: `Broker "ws://127.0.0.1:9001": want tcp://`},
		{name: "no host", change: func(c *link.Config) { c.Broker = "tcp://" }, want: "no host"},
		{name: "no dir", change: func(c *link.Config) { c.Dir = "" }, want: "Dir: empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := site()
			tc.change(&cfg)
			l, err := link.Open(cfg)
			if err == nil {
				l.Close()
				t.Fatalf("Open accepted the config; want an error saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v; want an error saying %q", err, tc.want)
			}
		})
	}
	hub := link.Config{Self: "hub", Key: hubKey, Peers: map[string]ed25519.PublicKey{"porto": portoPub, "lisbon": portoPub},
		Broker: "ssl://127.0.0.1:8883", Dir: t.TempDir()}
	for _, cfg := range []link.Config{site(), hub} {
		l, err := link.Open(cfg)
		if err != nil {
			t.Fatalf("Open of a good config for %s: %v", cfg.Self, err)
		}
		l.Close()
	}
}
