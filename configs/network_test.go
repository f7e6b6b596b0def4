package configs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// TestParseNetwork checks a site's network section: the example's, one that leaves out what it
// may, and a file without one.
func TestParseNetwork(t *testing.T) {
	data, err := os.ReadFile("examples/site-porto.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hubKey := publicKey(t, "BhAmvjWZV/Zp8yyH0/cd8Advg+4pMe0asgdMipmo8q4=")
	tests := []struct {
		name                 string
		data                 string
		site, url, user, env string
		ca, key, keyFile     string
		line, brokerLine     int
	}{
		{
			name: "example", data: string(data),
			site: "porto", url: "ssl://broker.north-atlantic.example:8883", user: "porto", env: "CELLFORGE_NETWORK_MQTT_PASSWORD",
			ca: "/etc/cellforge/network-ca.pem", key: "/var/lib/cellforge/network.key", keyFile: "/var/lib/cellforge/network.key",
			line: 11, brokerLine: 14,
		},
		{
			name: "defaults",
			data: "site: lisbon\nnetwork:\n  broker: {url: \"tcp://127.0.0.1:1883\"}\n  hub_key: \"ed25519:BhAmvjWZV/Zp8yyH0/cd8Advg+4pMe0asgdMipmo8q4=\"\n" + minimal[len("site: tiny\n"):],
			site: "lisbon", url: "tcp://127.0.0.1:1883", keyFile: filepath.Join("/data", configs.DefaultKeyFile),
			line: 2, brokerLine: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := configs.Parse(tc.name+".yaml", []byte(tc.data), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			n := f.Network
			if n == nil {
				t.Fatal("no network section")
			}
			b := n.Broker
			if n.Site != tc.site || b.URL != tc.url || b.Username != tc.user || b.PasswordEnv != tc.env || b.PasswordFile != "" || b.CAFile != tc.ca {
				t.Errorf("network %+v, broker %+v", n, b)
			}
			if n.Key != tc.key || n.KeyFile("/data") != tc.keyFile || n.Line != tc.line || b.Line != tc.brokerLine {
				t.Errorf("key %q, key file %q, line %d, broker line %d", n.Key, n.KeyFile("/data"), n.Line, b.Line)
			}
			if !hubKey.Equal(n.HubKey) {
				t.Errorf("hub key %x, want %x", n.HubKey, hubKey)
			}
			if err := checkInvariants(f); err != nil {
				t.Error(err)
			}
		})
	}
	f, err := configs.Parse("minimal.yaml", []byte(minimal), builtin(t))
	if err != nil {
		t.Fatal(err)
	}
	if f.Network != nil {
		t.Errorf("a file without a network section has one: %+v", f.Network)
	}
}
