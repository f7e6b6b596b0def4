package network_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/cells/uplink"
	"github.com/cellforge/cellforge/store/postgres/netstore"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/telemetry/link"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// The network of the benchmarks: ten sites, each making two of five SKUs of one drop (so that
// every SKU is made at four sites and each site is asked about two fifths of a batch), spread
// over the Iberian peninsula, and customers around them.
const (
	nbDrop  = "net-bench"
	nbSites = 10
)

var nbSKUs = []string{"BENCH-A", "BENCH-B", "BENCH-C", "BENCH-D", "BENCH-E"}

// nbDue is the drop's date: far enough ahead that every site can make its share on time.
var nbDue = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 3, 0)

// nbSiteSpec is a site of the benchmark network: its id, place and the SKUs it makes.
type nbSiteSpec struct {
	id    string
	at    network.Point
	makes []string
}

func nbSpecs() []nbSiteSpec {
	specs := make([]nbSiteSpec, nbSites)
	for i := range specs {
		specs[i] = nbSiteSpec{
			id:    fmt.Sprintf("site-%02d", i),
			at:    network.Point{Lat: 37 + float64(i%5)*1.5, Lon: -9 + float64(i/5)*4},
			makes: []string{nbSKUs[i%len(nbSKUs)], nbSKUs[(i+1)%len(nbSKUs)]},
		}
	}
	return specs
}

// nbFactory writes the factory file of a site and returns its path: two weaving cells and a
// packing cell, and the drop's windows large enough for any batch of the benchmarks.
func nbFactory(tb testing.TB, s nbSiteSpec) string {
	tb.Helper()
	var f strings.Builder
	fmt.Fprintf(&f, "site: %s\ncells:\n", s.id)
	fmt.Fprintf(&f, "  - {id: weave-1, capabilities: [weave]}\n  - {id: weave-2, capabilities: [weave]}\n")
	fmt.Fprintf(&f, "  - {id: pack-1, capabilities: [pack]}\nproducts:\n")
	for i, sku := range s.makes {
		fmt.Fprintf(&f, "  - sku: %s\n    routing:\n", sku)
		fmt.Fprintf(&f, "      - {capability: weave, unit_time: %dm}\n      - {capability: pack, unit_time: 1m}\n", 2+i)
	}
	fmt.Fprintf(&f, "drops:\n  - id: %s\n    date: %s\n    windows: {", nbDrop, nbDue.Format(time.DateOnly))
	for i, sku := range s.makes {
		if i > 0 {
			f.WriteString(", ")
		}
		fmt.Fprintf(&f, "%s: 1000000", sku)
	}
	f.WriteString("}\npeople:\n  - {id: ana, role: operator, pin: \"1234\"}\n")
	path := filepath.Join(tb.TempDir(), s.id+".yaml")
	if err := os.WriteFile(path, []byte(f.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// nbBook is a site's real book (booktest's store: SQLite unless the tests are told otherwise)
// on the real clock, with its planner.
type nbBook struct {
	spec    nbSiteSpec
	book    *book.Book
	planner *planner.Planner
}

func nbOpenBook(tb testing.TB, s nbSiteSpec) *nbBook {
	tb.Helper()
	f := booktest.Factory(tb, nbFactory(tb, s))
	st, _ := booktest.Store(tb, s.id+".db")
	b := book.New(book.Config{Store: st, Factory: f, Now: time.Now})
	p := planner.New(planner.Config{Book: b, Factory: f, Now: time.Now, Search: 100 * time.Millisecond, Seed: 1})
	b.UsePlan(p)
	return &nbBook{spec: s, book: b, planner: p}
}

// nbOrder is an order of a benchmark batch.
type nbOrder struct {
	id, sku string
	at      network.Point
}

// nbBatch returns n orders with ids prefixed by prefix, their SKUs in turn and their customers
// scattered over the sites' region (the same for the same seed).
func nbBatch(prefix string, n int, seed uint64) []nbOrder {
	r := rand.New(rand.NewPCG(seed, 19))
	out := make([]nbOrder, n)
	for i := range out {
		out[i] = nbOrder{id: fmt.Sprintf("%s%05d", prefix, i), sku: nbSKUs[i%len(nbSKUs)],
			at: network.Point{Lat: 36.5 + r.Float64()*7, Lon: -9.5 + r.Float64()*6}}
	}
	return out
}

// nbCSV is a batch as CSV, with the customers' places when located is set (the hub's batch).
func nbCSV(orders []nbOrder, located bool) string {
	var s strings.Builder
	s.WriteString("order_id,sku,quantity,customer")
	if located {
		s.WriteString(",lat,lon")
	}
	s.WriteString("\n")
	for _, o := range orders {
		fmt.Fprintf(&s, "%s,%s,1,Rui", o.id, o.sku)
		if located {
			fmt.Fprintf(&s, ",%.4f,%.4f", o.at.Lat, o.at.Lon)
		}
		s.WriteString("\n")
	}
	return s.String()
}

func nbRows(tb testing.TB, orders []nbOrder, located bool) book.RowReader {
	tb.Helper()
	var opts []intake.Option
	if located {
		opts = append(opts, intake.WithLocation())
	}
	r, err := intake.NewCSV(strings.NewReader(nbCSV(orders, located)), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// nbKeys makes a key for the hub and every site.
func nbKeys(tb testing.TB, specs []nbSiteSpec) map[string]ed25519.PrivateKey {
	tb.Helper()
	keys := make(map[string]ed25519.PrivateKey, len(specs)+1)
	for _, id := range append([]string{network.Hub}, nbIDs(specs)...) {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			tb.Fatal(err)
		}
		keys[id] = k
	}
	return keys
}

func nbIDs(specs []nbSiteSpec) []string {
	ids := make([]string, len(specs))
	for i, s := range specs {
		ids[i] = s.id
	}
	return ids
}

func nbDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// nbWatch sees the sites' messages the hub has applied: it counts the orders acknowledged as
// taken and hands the versions of reported progress to whoever waits for an order.
type nbWatch struct {
	mu       sync.Mutex
	taken    int
	declined []string
	want     int
	all      chan struct{} // closed once want orders are taken
	waiters  map[string]chan int64
	// promised is when the hub last applied a site's promises.
	promised time.Time
}

func newNBWatch() *nbWatch { return &nbWatch{waiters: make(map[string]chan int64)} }

// expect returns a channel closed once n more orders have been acknowledged as taken.
func (w *nbWatch) expect(n int) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want, w.all = w.taken+n, make(chan struct{})
	return w.all
}

// progress returns the channel of the versions of order id's progress the hub applies.
func (w *nbWatch) progress(id string) <-chan int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := make(chan int64, 64)
	w.waiters[id] = c
	return c
}

// applied is told of every message the hub's rules applied.
func (w *nbWatch) applied(kind string, body []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch kind {
	case network.KindPromise:
		w.promised = time.Now()
	case network.KindAck:
		var acks network.Acks
		if json.Unmarshal(body, &acks) != nil {
			return
		}
		for _, a := range acks.Orders {
			if !a.Taken {
				w.declined = append(w.declined, a.OrderID+": "+a.Reason)
				continue
			}
			w.taken++
			if w.all != nil && w.taken == w.want {
				close(w.all)
			}
		}
	case network.KindProgress:
		var ps network.Progresses
		if json.Unmarshal(body, &ps) != nil {
			return
		}
		for _, p := range ps.Orders {
			if c := w.waiters[p.OrderID]; c != nil {
				select {
				case c <- p.Version:
				default:
				}
			}
		}
	}
}

// nbNet is the network of the benchmarks: the hub's rules on netstore over a real PostgreSQL,
// ten sites each a real book with a real planner behind an uplink, all linked through
// telemetry/link over a real Mosquitto.
type nbNet struct {
	mq    *peertest.Mosquitto
	rules *network.Rules
	sites map[string]*nbBook
	watch *nbWatch
	errs  chan error
}

// nbStart starts the network and waits until every site has said what it makes; the links and
// uplinks stop when the benchmark ends.
func nbStart(b *testing.B) *nbNet {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	specs := nbSpecs()
	n := &nbNet{mq: peertest.StartMosquitto(b, peertest.MosquittoOptions{}), sites: make(map[string]*nbBook),
		watch: newNBWatch(), errs: make(chan error, 4*nbSites)}
	st, err := netstore.Open(ctx, pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	keys := nbKeys(b, specs)
	hubLink := n.openLink(b, network.Hub, keys, nbIDs(specs))
	n.rules = network.New(network.Config{
		Drops:          map[string]network.Drop{nbDrop: {ID: nbDrop, Date: nbDue, SKUs: nbSKUs}},
		AckTimeout:     30 * time.Minute,
		PromiseTimeout: 10 * time.Minute,
		Logger:         nbDiscard(),
	}, st, hubLink)
	sites := make([]network.Site, len(specs))
	for i, s := range specs {
		sites[i] = network.Site{ID: s.id, Name: s.id, Location: s.at}
	}
	if err := n.rules.SyncSites(ctx, sites); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	n.run(&wg, func() error { return hubLink.Run(ctx, n.hubHandler) })
	for _, s := range specs {
		n.startSite(b, ctx, &wg, s, keys)
	}
	b.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	n.waitOnline(b)
	return n
}

// run runs fn in a goroutine counted by wg, its error kept for check.
func (n *nbNet) run(wg *sync.WaitGroup, fn func() error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := fn(); err != nil {
			n.errs <- err
		}
	}()
}

// check fails b when a link or an uplink stopped with an error.
func (n *nbNet) check(b *testing.B) {
	b.Helper()
	select {
	case err := <-n.errs:
		b.Fatal(err)
	default:
	}
}

// hubHandler hands a site's message to the rules, then tells the watch what they applied.
func (n *nbNet) hubHandler(ctx context.Context, m link.Message) error {
	if err := n.rules.Receive(ctx, m.From, m.Kind, m.Body); err != nil {
		return err
	}
	n.watch.applied(m.Kind, m.Body)
	return nil
}

// openLink opens the link of self, to the peers, through the network's broker; it is closed
// when the benchmark ends.
func (n *nbNet) openLink(b *testing.B, self string, keys map[string]ed25519.PrivateKey, peers []string) *link.Link {
	b.Helper()
	pub := make(map[string]ed25519.PublicKey, len(peers))
	for _, p := range peers {
		pub[p] = keys[p].Public().(ed25519.PublicKey)
	}
	l, err := link.Open(link.Config{Self: self, Key: keys[self], Peers: pub, Broker: n.mq.URL(),
		Dir: filepath.Join(b.TempDir(), self), Timeout: 10 * time.Second, Logger: nbDiscard()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// startSite opens a site's book, link and uplink and runs the link and the uplink.
func (n *nbNet) startSite(b *testing.B, ctx context.Context, wg *sync.WaitGroup, s nbSiteSpec, keys map[string]ed25519.PrivateKey) {
	b.Helper()
	site := nbOpenBook(b, s)
	n.sites[s.id] = site
	l := n.openLink(b, s.id, keys, []string{network.Hub})
	up, err := uplink.New(uplink.Config{Site: s.id, Book: site.book, Planner: site.planner, Link: l,
		Dir: filepath.Join(b.TempDir(), s.id+"-uplink"), Logger: nbDiscard()})
	if err != nil {
		b.Fatal(err)
	}
	n.run(wg, func() error {
		return l.Run(ctx, func(ctx context.Context, m link.Message) error {
			return up.Receive(ctx, uplink.Message{From: m.From, Kind: m.Kind, Body: m.Body})
		})
	})
	n.run(wg, func() error { return up.Run(ctx) })
}

// waitOnline waits until the hub knows what every site makes.
func (n *nbNet) waitOnline(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); ; {
		n.check(b)
		sites, err := n.rules.Sites(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ready := 0
		for _, s := range sites {
			if s.CanMake(nbDrop, n.sites[s.ID].spec.makes[0]) {
				ready++
			}
		}
		if ready == len(n.sites) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after a minute %d of %d sites have said what they make", ready, len(n.sites))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// errNotAccepted is a batch whose orders did not all end accepted at the hub.
var errNotAccepted = errors.New("orders not accepted")

// nbTimes are the times of a batch imported and routed.
type nbTimes struct {
	imp     time.Duration // the import at the hub
	round   time.Duration // the routing round
	answers time.Duration // from the round's start until the hub had every site's promises
	total   time.Duration // from the import's start until every order was acknowledged
}

// importAndRoute imports orders at the hub, routes them and waits until every one is
// acknowledged as taken.
func (n *nbNet) importAndRoute(b *testing.B, orders []nbOrder) nbTimes {
	b.Helper()
	ctx := context.Background()
	all := n.watch.expect(len(orders))
	start := time.Now()
	res, err := n.rules.Import(ctx, network.ImportRequest{Drop: nbDrop, Rows: nbRows(b, orders, true),
		Actor: "bench", MaxRows: len(orders)})
	if err != nil {
		b.Fatalf("importing %d orders at the hub: %v", len(orders), err)
	}
	var t nbTimes
	t.imp = time.Since(start)
	if res.Created != len(orders) {
		b.Fatalf("the hub created %d orders of %d", res.Created, len(orders))
	}
	r0 := time.Now()
	routed, err := n.rules.RouteWaiting(ctx)
	t.round = time.Since(r0)
	n.watch.mu.Lock()
	t.answers = n.watch.promised.Sub(r0)
	n.watch.mu.Unlock()
	if err != nil || routed != len(orders) {
		b.Fatalf("routing %d orders: %d routed, %v", len(orders), routed, err)
	}
	select {
	case <-all:
	case <-time.After(10 * time.Minute):
		n.check(b)
		n.watch.mu.Lock()
		defer n.watch.mu.Unlock()
		b.Fatalf("%d of %d orders taken after 10 minutes; declined: %v", n.watch.taken, len(orders), n.watch.declined)
	}
	t.total = time.Since(start)
	if err := n.checkAccepted(ctx, orders); err != nil {
		b.Fatal(err)
	}
	return t
}

// checkAccepted reads every order of the batch at the hub: each must be accepted at a site that
// makes its SKU.
func (n *nbNet) checkAccepted(ctx context.Context, orders []nbOrder) error {
	for _, o := range orders {
		got, _, err := n.rules.Order(ctx, o.id)
		if err != nil {
			return err
		}
		site := n.sites[got.Site]
		if got.State != network.Accepted || site == nil || !slices.Contains(site.spec.makes, o.sku) {
			return fmt.Errorf("%w: order %s is %s at %q", errNotAccepted, o.id, got.State, got.Site)
		}
	}
	return nil
}
