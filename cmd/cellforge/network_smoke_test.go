package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres/netstore"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/telemetry/link"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// netPasswords are the broker users of the network test: one per daemon.
var netPasswords = map[string]string{"hub": "hub-broker-pw-1", "porto": "porto-broker-pw-1", "lisbon": "lisbon-broker-pw-1"}

// netACL gives the hub every site's inbox to write and its own to read, and each site exactly
// its two topics: its inbox from the hub to read, the hub's inbox from it to write.
func netACL(sites ...string) string {
	var b strings.Builder
	b.WriteString("user hub\ntopic read cellforge/net/v1/to/hub/from/+\ntopic write cellforge/net/v1/to/+/from/hub\n")
	for _, s := range sites {
		fmt.Fprintf(&b, "\nuser %s\ntopic read cellforge/net/v1/to/%s/from/hub\ntopic write cellforge/net/v1/to/hub/from/%s\n", s, s, s)
	}
	return b.String()
}

// netFixture is the network test's peers and files: a PostgreSQL database for the hub's book,
// a Mosquitto over TLS with a user per daemon and the ACL, and the files the daemons read.
type netFixture struct {
	dir, pg, ca string
	broker      *peertest.Mosquitto
}

// newNetFixture starts the peers and writes the broker passwords, one file per user.
func newNetFixture(t *testing.T) *netFixture {
	t.Helper()
	fx := &netFixture{dir: t.TempDir(), pg: pgtest.URL(t)}
	var cert, key string
	fx.ca, cert, key = writeBrokerTLS(t, fx.dir)
	fx.broker = peertest.StartMosquitto(t, peertest.MosquittoOptions{
		Users: netPasswords, ACL: netACL("porto", "lisbon"), CertFile: cert, KeyFile: key,
	})
	if !strings.HasPrefix(fx.broker.URL(), "ssl://") {
		t.Fatalf("the broker's URL is %s, want ssl://", fx.broker.URL())
	}
	for user, pw := range netPasswords {
		fx.write(t, user+".mqtt", pw+"\n")
	}
	return fx
}

// write writes a file in the fixture's directory, mode 0600, and returns its path.
func (fx *netFixture) write(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(fx.dir, name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// brokerLine is a file's broker section for user, over TLS with the test's CA.
func (fx *netFixture) brokerLine(user string) string {
	return fmt.Sprintf(`{url: %q, username: %s, password_file: %q, ca_file: %q}`,
		fx.broker.URL(), user, filepath.Join(fx.dir, user+".mqtt"), fx.ca)
}

// copyKey copies testdata/net/keys/<name>.key to the fixture's directory, mode 0600.
func (fx *netFixture) copyKey(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/net/keys/" + name + ".key")
	if err != nil {
		t.Fatal(err)
	}
	return fx.write(t, name+".key", string(raw))
}

// hubFile writes testdata/net/hub.yaml with the fixture's database and broker, and without its
// key line: the hub makes its key in its data directory at its first start.
func (fx *netFixture) hubFile(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/net/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, r := range []struct{ key, value string }{
		{"store", fmt.Sprintf(`{postgres: %q}`, fx.pg)},
		{"broker", fx.brokerLine("hub")},
		{"key", ""},
	} {
		re := regexp.MustCompile(`(?m)^` + r.key + `: .*\n`)
		if !re.MatchString(s) {
			t.Fatalf("testdata/net/hub.yaml has no %s line", r.key)
		}
		line := ""
		if r.value != "" {
			line = r.key + ": " + r.value + "\n"
		}
		s = re.ReplaceAllLiteralString(s, line)
	}
	return fx.write(t, "hub.yaml", s)
}

// siteFile writes testdata/net/<site>.yaml with a network section for the fixture's broker, the
// site's test key and the hub's public key.
func (fx *netFixture) siteFile(t *testing.T, site string, hubKey ed25519.PublicKey) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/net/" + site + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	section := fmt.Sprintf("network:\n  broker: %s\n  key: %q\n  hub_key: %q\n",
		fx.brokerLine(site), fx.copyKey(t, site), configs.FormatPublicKey(hubKey))
	return fx.write(t, site+".yaml", string(raw)+section)
}

// TestNetworkHubAndSite runs the hub and the site porto as daemons of the built binary, joined
// by a real Mosquitto over TLS (a user each, the ACL giving porto only its two topics), the hub's
// book on a real PostgreSQL: 10 orders imported through the hub's API are routed to porto, made on its
// simulated floor and reported done at the hub. Then a site with a key the hub does not know
// for it speaks as lisbon: its messages are refused as badly signed, and the hub's book is
// unchanged.
func TestNetworkHubAndSite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub, a site daemon, Mosquitto and PostgreSQL")
	}
	fx := newNetFixture(t)
	hubData := filepath.Join(fx.dir, "hub-data")
	hub := startCommand(t, "hub", "--config", fx.hubFile(t), "--data", hubData, "--listen", "127.0.0.1:0")
	hubKey := madeHubKey(t, hub, hubData)
	site := startDaemon(t, fx.siteFile(t, "porto", hubKey), filepath.Join(fx.dir, "porto-data"), "--sim-speed", netSimSpeed)
	site.reader = netSites[0].planner

	var health struct{ Status string }
	if code, err := request(context.Background(), http.MethodGet, hub.url+"/healthz", "", "", nil, &health); err != nil || code != http.StatusOK || health.Status != "ok" {
		t.Fatalf("GET /healthz of the hub: %d %+v, %v", code, health, err)
	}
	st, err := netstore.Open(context.Background(), fx.pg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	waitNet(t, hub, site, "porto's hello at the hub", func() (bool, error) {
		s, ok, err := hubSite(st, "porto")
		return ok && !s.LastWord.IsZero() && len(s.Makes["net-drop"]) == 3, err
	})

	want := importAtHub(t, hub, 10)
	waitNet(t, hub, site, "the 10 orders done at the hub", func() (bool, error) {
		orders, err := hubOrders(st)
		return len(orders) == len(want) && allDoneAt(orders, "porto", want), err
	})
	wos := waitAllDone(t, site, len(want))
	checkNetOrders(t, site, wos, want)

	refusedBefore := hubHealthOf(t, hub).Link.Refused[link.RefusedSignature]
	speakWithWrongKey(t, fx, hub, site)
	s, _, err := hubSite(st, "lisbon")
	if err != nil {
		t.Fatal(err)
	}
	if !s.LastWord.IsZero() || len(s.Makes) > 0 {
		t.Errorf("the hub took lisbon's word from a wrong key: last word %v, makes %v", s.LastWord, s.Makes)
	}
	if got := hubHealthOf(t, hub).Link.Refused[link.RefusedSignature]; got <= refusedBefore {
		t.Errorf("the hub counts %d messages refused for a bad signature, want more than %d", got, refusedBefore)
	}
	orders, err := hubOrders(st)
	if err != nil || len(orders) != len(want) || !allDoneAt(orders, "porto", want) {
		t.Errorf("the hub's orders changed after lisbon's forged messages (%v): %+v", err, orders)
	}
	stopNetDaemon(t, site, "serve")
	stopNetDaemon(t, hub, "hub")
}

// madeHubKey returns the public key of the key the hub made in its data directory at its first
// start, and checks that the hub logged it.
func madeHubKey(t *testing.T, hub *daemon, data string) ed25519.PublicKey {
	t.Helper()
	key, err := link.LoadKey(filepath.Join(data, configs.DefaultKeyFile))
	if err != nil {
		t.Fatalf("the hub's key made at its first start: %v", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if logged := configs.FormatPublicKey(pub); !strings.Contains(hub.logs(), "made a new network key") || !strings.Contains(hub.logs(), logged) {
		t.Errorf("the hub did not log the key it made (%s):\n%s", logged, tail(hub.logs(), 2000))
	}
	return pub
}

// stopNetDaemon sends d SIGTERM and waits until it exits 0, every part stopped.
func stopNetDaemon(t *testing.T, d *daemon, name string) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		d.done <- nil
		if err != nil {
			t.Fatalf("%s exited with %v after SIGTERM\n%s", name, err, tail(d.logs(), 4000))
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop on SIGTERM\n%s", name, tail(d.logs(), 4000))
	}
	if logs := d.logs(); !strings.Contains(logs, "msg=stopped") || strings.Contains(logs, "did not stop within its bound") {
		t.Errorf("%s did not stop every part within its bound:\n%s", name, tail(logs, 4000))
	}
}

// hubPlanner is the planner's token of testdata/net/hub.yaml.
const hubPlanner = "hub-planner-token-000001"

// importAtHub sends a CSV batch of n orders of net-drop, each with its customer's place near
// Porto, to the hub's API as its planner, and returns their quantities by order id. The hub
// routes them on its next round.
func importAtHub(t *testing.T, hub *daemon, n int) map[string]int {
	t.Helper()
	skus := netSites[0].skus
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity,lat,lon\n")
	want := make(map[string]int, n)
	for i := range n {
		id := fmt.Sprintf("hub-%03d", i)
		want[id] = 1 + i%2
		fmt.Fprintf(&csv, "%s,%s,%d,41.%d,-8.6\n", id, skus[i%len(skus)], want[id], 100+i)
	}
	var res network.ImportResult
	code, err := request(context.Background(), http.MethodPost, hub.url+"/api/v1/network/drops/net-drop/orders", hubPlanner, "text/csv", []byte(csv.String()), &res)
	if err != nil || code != http.StatusCreated || res.Created != n {
		t.Fatalf("importing %d orders at the hub: %d %+v, %v\n%s", n, code, res, err, tail(hub.logs(), 2000))
	}
	return want
}

// speakWithWrongKey runs a link as lisbon, through lisbon's broker user, with a key of its own
// rather than the one the hub's file has for lisbon, sends the hub a hello and waits until the
// hub counts it refused for its signature.
func speakWithWrongKey(t *testing.T, fx *netFixture, hub, site *daemon) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(fx.ca); err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("reading the test's CA: %v", err)
	}
	lk, err := link.Open(link.Config{
		Self: "lisbon", Key: key, Peers: map[string]ed25519.PublicKey{network.Hub: netTestKey(t, "hub")},
		Broker: fx.broker.URL(), Username: "lisbon", Password: netPasswords["lisbon"],
		TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	before := hubHealthOf(t, hub).Link.Refused[link.RefusedSignature]
	if err := lk.Send(network.Hub, network.KindHello, network.Hello{Makes: map[string][]string{"net-drop": {"NET-TAG"}}, Cells: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lk.Run(ctx, func(context.Context, link.Message) error { return nil }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lisbon's link: %v", err)
		}
	}()
	waitNet(t, hub, site, "the forged hello refused at the hub", func() (bool, error) {
		return hubHealthOf(t, hub).Link.Refused[link.RefusedSignature] > before, nil
	})
}

// hubSite reads a site of the hub's book.
func hubSite(st network.Store, id string) (s network.Site, ok bool, err error) {
	err = st.Read(context.Background(), func(tx network.ReadTx) error {
		s, ok, err = tx.Site(id)
		return err
	})
	return s, ok, err
}

// hubOrders reads the orders of the hub's book.
func hubOrders(st network.Store) (orders []network.Order, err error) {
	err = st.Read(context.Background(), func(tx network.ReadTx) error {
		orders, err = tx.Orders(network.OrderFilter{})
		return err
	})
	return orders, err
}

// allDoneAt reports whether every order is one of want, done at site with every unit made.
func allDoneAt(orders []network.Order, site string, want map[string]int) bool {
	for _, o := range orders {
		if o.State != network.Done || o.Site != site || o.Made != want[o.OrderID] || o.Quantity != want[o.OrderID] {
			return false
		}
	}
	return true
}

// hubHealthOf reads the hub's /healthz/link, the state of its link to the sites, which must be
// connected.
func hubHealthOf(t *testing.T, hub *daemon) linkStatus {
	t.Helper()
	var h linkStatus
	code, err := request(context.Background(), http.MethodGet, hub.url+"/healthz/link", "", "", nil, &h)
	if err != nil || code != http.StatusOK || h.Status != "ok" || !h.Link.Connected {
		t.Fatalf("GET /healthz/link of the hub: %d %+v, %v", code, h, err)
	}
	return h
}

// waitNet polls cond until it holds, failing the test with both daemons' logs when it has not
// after 3 minutes (where the test gives up, not a measure of speed) or when a daemon exited.
func waitNet(t *testing.T, hub, site *daemon, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not after 3 minutes (last error: %v)\nhub:\n%s\nsite:\n%s", what, err, tail(hub.logs(), 4000), tail(site.logs(), 4000))
		}
		daemonAlive(t, hub)
		daemonAlive(t, site)
		time.Sleep(200 * time.Millisecond)
	}
}

// writeBrokerTLS makes a CA and a certificate of it for 127.0.0.1, and writes the CA's
// certificate and the broker's certificate and key as PEM files in dir.
func writeBrokerTLS(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cellforge network test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "broker.pem"), filepath.Join(dir, "broker.key")
	for file, block := range map[string]*pem.Block{
		ca: {Type: "CERTIFICATE", Bytes: caDER}, cert: {Type: "CERTIFICATE", Bytes: srvDER}, key: {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ca, cert, key
}
