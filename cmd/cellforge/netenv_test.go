package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/telemetry/link"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// This file starts TestNetwork's network: a real PostgreSQL for the hub's book, a real
// Mosquitto with a user for each daemon and an ACL giving each its own topics, a TCP proxy
// between each site and the broker (to cut one site off), the hub and the three site
// daemons, each with files written into the test's directory from testdata/net.

// netHubToken is the hub planner's token in testdata/net/hub.yaml.
const netHubToken = "hub-planner-token-000001"

// netNetwork is the network under test.
type netNetwork struct {
	dir     string
	broker  *peertest.Mosquitto
	proxies map[string]*peertest.Proxy
	sites   map[string]*daemon
	hub     *daemon
	// hubConfig and hubData are the hub's file and data directory, kept to start it again.
	hubConfig, hubData string
}

// startNetwork starts the network: peers first, then the hub, then the sites at netSimSpeed.
func startNetwork(t *testing.T) *netNetwork {
	t.Helper()
	n := &netNetwork{dir: t.TempDir(), proxies: map[string]*peertest.Proxy{}, sites: map[string]*daemon{}}
	ids := make([]string, len(netSites))
	users := map[string]string{"hub": randomSecret(t)}
	for i, s := range netSites {
		ids[i] = s.id
		users[s.id] = randomSecret(t)
	}
	for user, password := range users {
		writeSecret(t, n.path(user+".mqtt"), password)
		writeSecret(t, n.path(user+".key"), readFile(t, "testdata/net/keys/"+user+".key"))
	}
	n.broker = peertest.StartMosquitto(t, peertest.MosquittoOptions{Users: users, ACL: netACL(ids...)})
	n.hubConfig, n.hubData = n.writeHubFile(t, pgtest.URL(t)), n.path("hub-data")
	n.startHub(t)
	hubKey, err := link.LoadKey(n.path("hub.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range netSites {
		n.proxies[s.id] = peertest.StartProxy(t, n.broker.Addr())
		config := n.writeSiteFile(t, s, configs.FormatPublicKey(hubKey.Public().(ed25519.PublicKey)))
		d := startDaemon(t, config, n.path(s.id+"-data"), "--sim-speed", netSimSpeed)
		d.reader = s.planner
		n.sites[s.id] = d
	}
	return n
}

// path returns name in the network's directory.
func (n *netNetwork) path(name string) string { return filepath.Join(n.dir, name) }

// startHub starts the hub on its file and data directory, again after a kill.
func (n *netNetwork) startHub(t *testing.T) {
	t.Helper()
	n.hub = startCommand(t, "hub", "--config", n.hubConfig, "--data", n.hubData, "--listen", "127.0.0.1:0")
	n.hub.reader = netHubToken
}

var (
	storeLine  = regexp.MustCompile(`(?m)^store: .*$`)
	brokerLine = regexp.MustCompile(`(?m)^broker: .*$`)
	keyLine    = regexp.MustCompile(`(?m)^key: .*$`)
)

// writeHubFile writes testdata/net/hub.yaml with the test's database, broker and key, checks
// that it parses and places the sites where netPlaces says, and returns its name.
func (n *netNetwork) writeHubFile(t *testing.T, database string) string {
	t.Helper()
	text := readFile(t, "testdata/net/hub.yaml")
	for _, r := range []struct {
		re   *regexp.Regexp
		line string
	}{
		{storeLine, fmt.Sprintf("store: {postgres: %q}", database)},
		{brokerLine, fmt.Sprintf("broker: {url: %q, username: hub, password_file: %q}", n.broker.URL(), n.path("hub.mqtt"))},
		{keyLine, fmt.Sprintf("key: %q", n.path("hub.key"))},
	} {
		if len(r.re.FindAllString(text, -1)) != 1 {
			t.Fatalf("testdata/net/hub.yaml: want one line matching %s", r.re)
		}
		text = r.re.ReplaceAllLiteralString(text, r.line)
	}
	file := n.path("hub.yaml")
	writeSecret(t, file, text)
	hub, err := configs.ParseHub(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(hub.Sites) != len(netPlaces) {
		t.Fatalf("%s has %d sites, the test expects %d", file, len(hub.Sites), len(netPlaces))
	}
	for _, s := range hub.Sites {
		if p, ok := netPlaces[s.ID]; !ok || p.Lat != s.Location.Lat || p.Lon != s.Location.Lon {
			t.Fatalf("%s: site %s at %v; the test's expectation places it at %v", file, s.ID, s.Location, p)
		}
	}
	return file
}

// writeSiteFile writes the site's factory file of testdata/net with a network section that
// reaches the broker through the site's proxy, and returns its name.
func (n *netNetwork) writeSiteFile(t *testing.T, s netSite, hubKey string) string {
	t.Helper()
	text := readFile(t, s.config()) + fmt.Sprintf(`
network:
  broker: {url: "tcp://%s", username: %s, password_file: %q}
  key: %q
  hub_key: %q
`, n.proxies[s.id].Addr(), s.id, n.path(s.id+".mqtt"), n.path(s.id+".key"), hubKey)
	file := n.path(s.id + ".yaml")
	writeSecret(t, file, text)
	if f, err := loadConfig(file); err != nil || f.Network == nil || f.Network.Site != s.id {
		t.Fatalf("%s: %v (network section: %+v)", file, err, f)
	}
	return file
}

// randomSecret returns a password for the broker.
func randomSecret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeSecret writes a file of mode 0600, as the daemons want their keys and passwords.
func writeSecret(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
