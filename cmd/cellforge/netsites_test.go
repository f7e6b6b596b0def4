package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// netSimSpeed is the --sim-speed of the network's site daemons. Their floors' work is a few
// simulated minutes a unit, so at this speed the looms' own time for 120 orders is a couple of
// seconds of wall time; the rest is the daemon's (a loom's status polled every 250 ms, the
// book's writes, the next job sent), which a higher speed does not shorten. On 2 cores at a
// load average of 20 to 26, 120 orders took 29 s at porto and 28 s at madrid, 100 orders 23 to
// 29 s.
const netSimSpeed = "4000"

// netSite is one site factory file of testdata/net.
type netSite struct {
	id      string
	planner string   // the planner's token
	skus    []string // what it makes in net-drop, in its file's order
}

// netSites are the network test's sites: porto and lisbon make every SKU of net-drop, madrid
// all but the coaster.
var netSites = []netSite{
	{id: "porto", planner: "porto-planner-token-0001", skus: []string{"NET-COASTER", "NET-TAG", "NET-BOOKMARK"}},
	{id: "lisbon", planner: "lisbon-planner-token-001", skus: []string{"NET-COASTER", "NET-TAG", "NET-BOOKMARK"}},
	{id: "madrid", planner: "madrid-planner-token-001", skus: []string{"NET-TAG", "NET-BOOKMARK"}},
}

// netSteps is the number of routing steps of each SKU of net-drop.
var netSteps = map[string]int{"NET-COASTER": 2, "NET-TAG": 1, "NET-BOOKMARK": 1}

// config returns the site's factory file, relative to the package directory.
func (s netSite) config() string { return "testdata/net/" + s.id + ".yaml" }

// batch returns a CSV batch of n orders of the site's SKUs in turn, 1 to 3 units each, their
// ids prefixed with the site's id, and the quantity of each order by id.
func (s netSite) batch(n int) (string, map[string]int) {
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity\n")
	want := make(map[string]int, n)
	for i := range n {
		id := fmt.Sprintf("%s-%03d", s.id, i)
		want[id] = 1 + i%3
		fmt.Fprintf(&csv, "%s,%s,%d\n", id, s.skus[i%len(s.skus)], want[id])
	}
	return csv.String(), want
}

// TestNetSiteMakesABatch starts each site daemon of the network test on its simulated floor at
// netSimSpeed, imports a batch of 12 orders of net-drop through its API and waits until the
// floor has made every unit of every one: the fixtures work on their own, apart from the hub
// (TestNetwork makes 300 orders across them). It also checks that madrid refuses the SKU it
// does not make (the coaster).
func TestNetSiteMakesABatch(t *testing.T) {
	for _, site := range netSites {
		t.Run(site.id, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, site.config(), t.TempDir(), "--sim-speed", netSimSpeed)
			d.reader = site.planner
			csv, want := site.batch(12)
			began := time.Now()
			importNetBatch(t, d, site, csv, "net-batch-1", http.StatusCreated)
			wos := waitAllDone(t, d, len(want))
			t.Logf("%s made %d orders in %v of wall time at --sim-speed %s", site.id, len(wos), time.Since(began).Round(100*time.Millisecond), netSimSpeed)
			checkNetOrders(t, d, wos, want)
			if len(site.skus) < len(netSteps) {
				importNetBatch(t, d, site, "order_id,sku,quantity\n"+site.id+"-x,NET-COASTER,1\n", "net-batch-2", http.StatusUnprocessableEntity)
			}
		})
	}
}

// importNetBatch sends a CSV batch to net-drop at d and fails the test unless the daemon answers
// code.
func importNetBatch(t *testing.T, d *daemon, site netSite, csv, key string, code int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "POST", d.url+"/api/v1/drops/net-drop/orders", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+site.planner)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: import %s: %v", site.id, key, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != code {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		t.Fatalf("%s: import %s answered %s %s, want %d", site.id, key, resp.Status, b, code)
	}
}

// waitAllDone waits until the book of d holds n work orders, every one done, and returns them.
// The deadline is where the test gives up, not a measure of speed.
func waitAllDone(t *testing.T, d *daemon, n int) []book.WorkOrder {
	t.Helper()
	var wos []book.WorkOrder
	deadline := time.Now().Add(5 * time.Minute)
	for {
		wos = listWorkOrders(t, d)
		done := 0
		for _, wo := range wos {
			if wo.State == book.WorkDone {
				done++
			}
		}
		if len(wos) == n && done == n {
			return wos
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 minutes %d of %d work orders are done (%d in the book)\n%s", done, n, len(wos), tail(d.logs(), 4000))
		}
		daemonAlive(t, d)
		time.Sleep(200 * time.Millisecond)
	}
}

// checkNetOrders checks that the work orders are the orders of want, one each, every operation
// of the SKU's routing done with the order's quantity.
func checkNetOrders(t *testing.T, d *daemon, wos []book.WorkOrder, want map[string]int) {
	t.Helper()
	seen := map[string]bool{}
	for _, wo := range wos {
		if q, ok := want[wo.OrderID]; !ok || seen[wo.OrderID] || wo.Quantity != q {
			t.Errorf("work order %d: order %q of %d units: not one of the batch's, twice, or another quantity (want %d)", wo.ID, wo.OrderID, wo.Quantity, q)
		}
		seen[wo.OrderID] = true
		var detail book.WorkOrderDetail
		d.get(t, "/api/v1/work-orders/"+strconv.FormatInt(wo.ID, 10), &detail)
		if len(detail.Operations) != netSteps[wo.SKU] {
			t.Errorf("order %s (%s): %d operations, want %d", wo.OrderID, wo.SKU, len(detail.Operations), netSteps[wo.SKU])
		}
		for _, op := range detail.Operations {
			if op.State != book.Done || op.UnitsDone != wo.Quantity {
				t.Errorf("order %s: operation %d (%s) is %s with %d units done, want done with %d", wo.OrderID, op.ID, op.Capability, op.State, op.UnitsDone, wo.Quantity)
			}
		}
	}
}

// TestNetHubFileAgreesWithTheSites parses testdata/net/hub.yaml as the hub does and checks it
// against the site files and the test keys: the same sites by id and name, each with the
// public key of its keys/<site>.key, the hub's key file a key, and net-drop on the sites' date
// selling every SKU a site makes, each made by a site.
func TestNetHubFileAgreesWithTheSites(t *testing.T) {
	const file = "testdata/net/hub.yaml"
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := configs.ParseHub(file, raw)
	if err != nil {
		t.Fatal(err)
	}
	if hub.Key != "keys/hub.key" {
		t.Errorf("the hub's key is %q, want keys/hub.key", hub.Key)
	}
	if want := "ed25519:" + base64.StdEncoding.EncodeToString(netTestKey(t, "hub")); !strings.Contains(string(raw), "# sites' network sections, is "+want+".") {
		t.Errorf("the hub file's comment does not give keys/hub.key's public key %s", want)
	}
	if len(hub.Sites) != len(netSites) || len(hub.Drops) != 1 || hub.Drops[0].ID != "net-drop" {
		t.Fatalf("the hub file has %d sites and drops %+v; want the %d sites and net-drop alone", len(hub.Sites), hub.Drops, len(netSites))
	}
	made := map[string]bool{}
	for n, site := range netSites {
		f, err := loadConfig(site.config())
		if err != nil {
			t.Fatal(err)
		}
		hs := hub.Sites[n]
		if hs.ID != f.Site || hs.Name != f.Name {
			t.Errorf("the hub's site %d is %q %q; want %q %q", n, hs.ID, hs.Name, f.Site, f.Name)
		}
		if key := netTestKey(t, site.id); !key.Equal(hs.Key) {
			t.Errorf("the hub's key for %s is not keys/%s.key's", site.id, site.id)
		}
		drop, ok := f.Drop("net-drop")
		if !ok || !drop.Date.Equal(hub.Drops[0].Date) {
			t.Errorf("%s: net-drop on %v (found: %v), the hub's on %v", site.config(), drop.Date, ok, hub.Drops[0].Date)
		}
		var skus []string
		for _, p := range f.Products {
			skus = append(skus, p.SKU)
			made[p.SKU] = true
		}
		if strings.Join(skus, ",") != strings.Join(site.skus, ",") {
			t.Errorf("%s makes %v, the test expects %v", site.config(), skus, site.skus)
		}
	}
	for _, sku := range hub.Drops[0].SKUs {
		if !made[sku] {
			t.Errorf("net-drop sells %s, which no site makes", sku)
		}
		delete(made, sku)
	}
	for sku := range made {
		t.Errorf("a site makes %s, which net-drop does not sell", sku)
	}
}

// netTestKey reads testdata/net/keys/<name>.key, an Ed25519 private key in PKCS #8 PEM, and
// returns its public key.
func netTestKey(t *testing.T, name string) ed25519.PublicKey {
	t.Helper()
	file := "testdata/net/keys/" + name + ".key"
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("%s: not a PEM private key", file)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("%s: a %T, want an Ed25519 key", file, key)
	}
	return priv.Public().(ed25519.PublicKey)
}
