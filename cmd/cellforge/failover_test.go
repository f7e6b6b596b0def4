package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/firmware-sim/plant"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// twinFloorConfig is the floor of the failover test: four looms, each a cell of its own on a
// loopback TCP port of a `cellforge sim`, which lives on while a daemon is killed, and a
// lease of 2 s, the shortest the file takes.
const twinFloorConfig = `site: twin-floor
store:
  lease: 2s
cells:
  - {id: weave-1, capabilities: [weave], devices: [{id: loom-1, kind: loom, address: "127.0.0.1:%d"}]}
  - {id: weave-2, capabilities: [weave], devices: [{id: loom-2, kind: loom, address: "127.0.0.1:%d"}]}
  - {id: weave-3, capabilities: [weave], devices: [{id: loom-3, kind: loom, address: "127.0.0.1:%d"}]}
  - {id: weave-4, capabilities: [weave], devices: [{id: loom-4, kind: loom, address: "127.0.0.1:%d"}]}
products:
  - sku: SCARF
    routing: [{capability: weave, unit_time: 20m, params: {pattern: 7}}]
drops:
  - id: winter
    date: 2027-01-10
    windows: {SCARF: 1000}
tokens:
  - {name: planner, role: planner, token: "twin-planner-token-00001"}
`

const (
	twinPlanner = "twin-planner-token-00001"
	twinLease   = 2 * time.Second
	twinCells   = 4
	// twinOrders orders of twinUnits scarves: a loom weaves a unit in a sixth of a second at
	// the simulator's speed, an order in two seconds, about the lease's time.
	twinOrders = 8
	twinUnits  = 12
)

// twins are two daemons on one PostgreSQL database driving one simulated floor. They share
// what the database does not hold, as the daemon's doc says two daemons must (see twin.go):
// the signing key and the photos (B's data directory links them to A's); each keeps its own
// telemetry queues.
type twins struct {
	control string // the simulator's control API
	store   string // the database's URL
	a, b    *daemon
	// aCells are the cells A drives until it is killed; B drives the others.
	aCells []string
}

// twinOptions are what a test adds to the twins' floor: an MQTT broker both publish their
// telemetry to (each with a client id of its own), and the cells B drives from its start.
type twinOptions struct {
	mqtt   string
	bCells []string
}

// startTwins starts the simulator and daemon A, then daemon B once A drives the floor.
func startTwins(tb testing.TB, opts twinOptions) *twins {
	tb.Helper()
	dir := tb.TempDir()
	ports := make([]any, twinCells)
	for i := range ports {
		ports[i] = freePort(tb)
	}
	config := func(name, clientID string) string {
		path := filepath.Join(dir, name)
		text := fmt.Sprintf(twinFloorConfig, ports...)
		if opts.mqtt != "" {
			text += fmt.Sprintf("telemetry:\n  interval: 200ms\n  mqtt: {broker: %s, client_id: %s}\n  buffer: {sync_every: 50ms}\n", opts.mqtt, clientID)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		return path
	}
	configA, configB := config("floor-a.yaml", "twin-a"), config("floor-b.yaml", "twin-b")
	tw := &twins{control: startSim(tb, configA, 7200), store: pgtest.URL(tb)}
	store := tw.store
	dataA, dataB := filepath.Join(dir, "data-a"), filepath.Join(dir, "data-b")
	for i := range twinCells {
		if cell := fmt.Sprintf("weave-%d", i+1); !slices.Contains(opts.bCells, cell) {
			tw.aCells = append(tw.aCells, cell)
		}
	}
	if len(opts.bCells) > 0 {
		handLeases(tb, store, dataB, opts.bCells)
	}
	tw.a = startDaemon(tb, configA, dataA, "--store", store)
	tw.a.reader = twinPlanner
	if err := os.MkdirAll(dataB, 0o750); err != nil {
		tb.Fatal(err)
	}
	for _, shared := range []string{keysDir, photosDir} {
		if err := os.Symlink(filepath.Join(dataA, shared), filepath.Join(dataB, shared)); err != nil {
			tb.Fatal(err)
		}
	}
	tw.b = startDaemon(tb, configB, dataB, "--store", store)
	tw.b.reader = twinPlanner
	return tw
}

// drives returns the cells d drives and those it says another daemon drives.
func (d *daemon) drives(tb testing.TB) (mine, elsewhere []string) {
	tb.Helper()
	var cs []struct {
		ID     string `json:"id"`
		Status struct {
			Elsewhere bool `json:"elsewhere"`
		} `json:"status"`
	}
	d.get(tb, "/api/v1/cells", &cs)
	for _, c := range cs {
		if c.Status.Elsewhere {
			elsewhere = append(elsewhere, c.ID)
		} else {
			mine = append(mine, c.ID)
		}
	}
	return mine, elsewhere
}

// looms returns what the simulator's looms counted, by device: jobs given, units woven.
func (tw *twins) looms(tb testing.TB) map[string][2]int {
	tb.Helper()
	var st []plant.DeviceStatus
	if code, err := request(context.Background(), "GET", "http://"+tw.control+"/devices", "", "", nil, &st); err != nil || code != 200 {
		tb.Fatalf("reading the simulator's devices: %d %v", code, err)
	}
	out := map[string][2]int{}
	for _, d := range st {
		out[d.ID] = [2]int{int(d.Machine["jobs"]), int(d.Machine["made"])}
	}
	return out
}

// importOrders imports twinOrders orders of twinUnits scarves through d.
func (tw *twins) importOrders(tb testing.TB, d *daemon) {
	tb.Helper()
	csv := "order_id,sku,quantity\n"
	for i := range twinOrders {
		csv += fmt.Sprintf("T%d,SCARF,%d\n", i, twinUnits)
	}
	if code, err := request(context.Background(), "POST", d.url+"/api/v1/drops/winter/orders", twinPlanner, "text/csv", []byte(csv), nil); err != nil || code != 201 {
		tb.Fatalf("import: %d %v\n%s", code, err, d.logs())
	}
}

// operations returns the weaving operation of every order, as d reads the book.
func (tw *twins) operations(tb testing.TB, d *daemon) []book.Operation {
	tb.Helper()
	var out []book.Operation
	for i := range twinOrders {
		var o struct {
			WorkOrder struct {
				ID int64 `json:"id"`
			} `json:"work_order"`
		}
		d.get(tb, fmt.Sprintf("/api/v1/orders/T%d", i), &o)
		var wo book.WorkOrderDetail
		d.get(tb, fmt.Sprintf("/api/v1/work-orders/%d", o.WorkOrder.ID), &wo)
		out = append(out, wo.Operations[0])
	}
	return out
}

// poll polls cond every 20 ms until it holds, or fails the test at the deadline.
func poll(tb testing.TB, within time.Duration, what string, logs func() string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s\n%s", within, what, tail(logs(), 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killWhileWeaving waits until A drives its cells (aCells) and the looms weave, checks that B
// drives the others, kills A with SIGKILL and returns when it did.
func (tw *twins) killWhileWeaving(tb testing.TB) time.Time {
	tb.Helper()
	poll(tb, 30*time.Second, "A to drive its cells", tw.a.logs, func() bool {
		mine, _ := tw.a.drives(tb)
		return slices.Equal(mine, tw.aCells)
	})
	if mine, elsewhere := tw.b.drives(tb); len(mine) != twinCells-len(tw.aCells) || !slices.Equal(elsewhere, tw.aCells) {
		tb.Fatalf("while A drives %v, B drives %v and says %v are driven elsewhere", tw.aCells, mine, elsewhere)
	}
	poll(tb, 30*time.Second, "the looms to weave", tw.a.logs, func() bool {
		for _, op := range tw.operations(tb, tw.a) {
			if op.State == book.Running && op.UnitsDone > 0 {
				return true
			}
		}
		return false
	})
	tw.a.kill()
	return time.Now()
}

// takeoverBound is how long B may take to drive every cell after A's death: A's last renewal
// lasts the lease, B asks every third of it, and a controller starts within a few seconds.
const takeoverBound = twinLease + twinLease/3 + 10*time.Second

// TestFailoverAfterKill9: daemons A and B share one PostgreSQL database and one simulated floor,
// and publish their telemetry to one MQTT broker. A drives weave-1 and weave-2 and holds the
// site; B drives weave-3 and weave-4 (their leases handed to it before the start). Each
// publishes the device values of the cells it drives. A is killed with SIGKILL while the looms
// weave. B takes A's cells and the site over within a bound derived from the lease, goes on
// publishing the book's events from where A stopped (every unit made after A's last step is
// published), and the work finishes: every order's units are made exactly once (the book
// counts each order's quantity, the looms wove the quantities and no more) and no job was sent
// twice to a loom.
func TestFailoverAfterKill9(t *testing.T) {
	t.Parallel()
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	w := watchTelemetry(t, mq.URL())
	tw := startTwins(t, twinOptions{mqtt: mq.URL(), bCells: []string{"weave-3", "weave-4"}})
	st := openTwinStore(t, tw.store)
	both := func() string { return "A:\n" + tail(tw.a.logs(), 3000) + "\nB:\n" + tw.b.logs() }
	keyID := regexp.MustCompile(`msg="signing key" key_id=(\S+)`)
	ka, kb := keyID.FindStringSubmatch(tw.a.logs()), keyID.FindStringSubmatch(tw.b.logs())
	if ka == nil || kb == nil || ka[1] != kb[1] {
		t.Fatalf("the daemons sign with different keys: %v and %v", ka, kb)
	}
	started := time.Now()
	tw.importOrders(t, tw.b) // through B: A's controllers hear of it through the database
	tw.checkDevicesPublished(t, w, started, both)
	killed := tw.killWhileWeaving(t)
	from := telemetryCursorOf(t, st) // A's last: B cannot hold the site before A's lease ends
	poll(t, takeoverBound, "B to drive every cell", tw.b.logs, func() bool {
		mine, _ := tw.b.drives(t)
		return len(mine) == twinCells
	})
	t.Logf("B drove every cell %s after A was killed (lease %s)", time.Since(killed).Round(time.Millisecond), twinLease)
	tw.checkDevicesPublished(t, w, time.Now(), tw.b.logs)

	poll(t, 60*time.Second, "every order to be woven", tw.b.logs, func() bool {
		for _, op := range tw.operations(t, tw.b) {
			if op.State != book.Done {
				return false
			}
		}
		return true
	})
	ops := tw.operations(t, tw.b)
	perLoom := map[string][2]int{} // jobs, units wanted
	for _, op := range ops {
		if op.UnitsDone != twinUnits || op.Scrapped != 0 {
			t.Errorf("operation %d done with %d units (%d scrapped), want %d", op.ID, op.UnitsDone, op.Scrapped, twinUnits)
		}
		loom := "loom-" + strings.TrimPrefix(op.Cell, "weave-")
		w := perLoom[loom]
		perLoom[loom] = [2]int{w[0] + 1, w[1] + twinUnits}
	}
	got := tw.looms(t)
	for loom, want := range perLoom {
		if got[loom] != want {
			t.Errorf("%s was given %d jobs and wove %d units, want %d jobs of %d units in all",
				loom, got[loom][0], got[loom][1], want[0], want[1])
		}
	}
	checkGapPublished(t, w, st, from, tw.b.logs)
	if bad := w.undecoded(); len(bad) > 0 {
		t.Errorf("telemetry the broker carried does not decode: %v", bad)
	}
	if t.Failed() {
		t.Logf("B's log:\n%s", tail(tw.b.logs(), 6000))
	}
}

// BenchmarkTakeover measures a failover: daemons A and B on one PostgreSQL database and one
// simulated floor of four looms, A driving every cell while the looms weave; A is killed with
// SIGKILL, and the time from the kill to B driving every cell (its /api/v1/cells, polled every
// 20 ms) is the metric takeover-s, beside the lease's time (lease-s). Each run starts afresh.
func BenchmarkTakeover(b *testing.B) {
	var total time.Duration
	for range b.N {
		tw := startTwins(b, twinOptions{})
		tw.importOrders(b, tw.b)
		killed := tw.killWhileWeaving(b)
		poll(b, takeoverBound, "B to drive every cell", tw.b.logs, func() bool {
			mine, _ := tw.b.drives(b)
			return len(mine) == twinCells
		})
		total += time.Since(killed)
		tw.b.kill()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "takeover-s")
	b.ReportMetric(twinLease.Seconds(), "lease-s")
}
