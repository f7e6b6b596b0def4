package network_test

import (
	"context"
	"encoding/json"
	. "github.com/cellforge/cellforge/book/network"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
)

// sent is a message the hub sent.
type sent struct {
	to, kind string
	body     []byte
}

// recLinks records what the hub sends; onSend, when set, sees each message after it is
// recorded (the test's sites answer promise requests through it, as a site would).
type recLinks struct {
	mu     sync.Mutex
	msgs   []sent
	onSend func(to, kind string, body []byte)
}

func (l *recLinks) Send(to, kind string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.msgs = append(l.msgs, sent{to, kind, b})
	on := l.onSend
	l.mu.Unlock()
	if on != nil {
		on(to, kind, b)
	}
	return nil
}

// take returns the messages sent since the last take.
func (l *recLinks) take() []sent {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.msgs
	l.msgs = nil
	return m
}

// routesTo returns the order ids, with their routes, of every RouteOrders sent to each site.
func routesTo(t *testing.T, msgs []sent, kind string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range msgs {
		if m.kind != kind {
			continue
		}
		switch kind {
		case KindRoute:
			var r RouteOrders
			mustUnmarshal(t, m.body, &r)
			for _, o := range r.Orders {
				out[m.to] = append(out[m.to], o.OrderID)
			}
		case KindWithdraw:
			var w WithdrawOrders
			mustUnmarshal(t, m.body, &w)
			for _, o := range w.Orders {
				out[m.to] = append(out[m.to], o.OrderID)
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
}

// promiser answers a site's promise for an order: its end and the hours it adds, or ok false
// for no promise.
type promiser func(site string, o RoutedOrder) (end time.Time, hours float64, ok bool)

// env is a hub over a store, with recording links, a clock and sites that answer promise
// requests through Receive.
type env struct {
	t     *testing.T
	ctx   context.Context
	hub   *Rules
	store Store
	links *recLinks
	clock *booktest.Clock
	loads map[string]Load
	// promise answers promise requests; nil sites stay silent.
	promise promiser
	// repairPromise answers the repairs of promise requests; nil: no promise for them.
	repairPromise func(site string, r RoutedRepair) (end time.Time, ok bool)
	wg            sync.WaitGroup
}

var testDrop = Drop{ID: "winter", Date: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC), SKUs: []string{"RUG", "SCARF", "HAT"}}

var (
	porto  = Point{Lat: 41.15, Lon: -8.61}
	lisbon = Point{Lat: 38.72, Lon: -9.14}
	madrid = Point{Lat: 40.42, Lon: -3.70}
	faro   = Point{Lat: 37.02, Lon: -7.93}
	braga  = Point{Lat: 41.55, Lon: -8.42}
)

// newEnv starts a hub whose sites are sites (each online with what it makes, from a Hello).
func newEnv(t *testing.T, sites []Site, makes map[string]map[string][]string) *env {
	t.Helper()
	return newEnvWith(t, sites, makes, nil)
}

// newEnvWith is newEnv with the hub's configuration changed by configure.
func newEnvWith(t *testing.T, sites []Site, makes map[string]map[string][]string, configure func(*Config)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: testStore(t), links: &recLinks{},
		clock: booktest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), loads: map[string]Load{}}
	cfg := Config{Drops: map[string]Drop{testDrop.ID: testDrop}, AckTimeout: 2 * time.Minute,
		PromiseTimeout: 5 * time.Second, Now: e.clock.Now}
	if configure != nil {
		configure(&cfg)
	}
	e.hub = New(cfg, e.store, e.links)
	e.links.onSend = e.answer
	t.Cleanup(e.wg.Wait)
	if err := e.hub.SyncSites(e.ctx, sites); err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		e.say(s.ID, KindHello, Hello{Makes: makes[s.ID]})
	}
	return e
}

// answer is the sites' side of a promise request.
func (e *env) answer(to, kind string, body []byte) {
	if kind != KindPromiseRequest || (e.promise == nil && e.repairPromise == nil) {
		return
	}
	var req PromiseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		e.t.Errorf("promise request: %v", err)
		return
	}
	p := Promises{ID: req.ID, Load: e.loads[to]}
	for _, o := range req.Orders {
		if e.promise == nil {
			break
		}
		if end, hours, ok := e.promise(to, o); ok {
			p.Orders = append(p.Orders, Promise{OrderID: o.OrderID, End: end, Hours: hours})
		}
	}
	for _, r := range req.Repairs {
		if e.repairPromise == nil {
			break
		}
		if end, ok := e.repairPromise(to, r); ok {
			p.Repairs = append(p.Repairs, Promise{OrderID: r.RepairID, End: end})
		}
	}
	b, _ := json.Marshal(p)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := e.hub.Receive(e.ctx, to, KindPromise, b); err != nil {
			e.t.Errorf("promises of %s: %v", to, err)
		}
	}()
}

// say delivers a message from a site, which must be applied.
func (e *env) say(site, kind string, body any) {
	e.t.Helper()
	if err := e.hub.Receive(e.ctx, site, kind, e.json(body)); err != nil {
		e.t.Fatalf("%s from %s: %v", kind, site, err)
	}
}

func (e *env) json(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// route runs a routing round and returns how many orders it routed.
func (e *env) route() int {
	e.t.Helper()
	n, err := e.hub.RouteWaiting(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// order returns an order and its routes.
func (e *env) order(id string) (Order, []Route) {
	e.t.Helper()
	o, routes, err := e.hub.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o, routes
}

// importRows imports rows, which must be accepted.
func (e *env) importRows(rows ...intake.Row) ImportResult {
	e.t.Helper()
	res, err := e.hub.Import(e.ctx, ImportRequest{Drop: testDrop.ID, Rows: &rowsReader{rows: rows}, Actor: "ana"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// count counts the orders the book holds.
func (e *env) count() int {
	e.t.Helper()
	all, err := e.hub.Orders(e.ctx, OrderFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(all)
}

// row is a good row of the test's drop.
func row(line int, id, sku string, at Point) intake.Row {
	return intake.Row{Line: line, OrderID: id, SKU: sku, Quantity: 1, Lat: at.Lat, Lon: at.Lon, HasLocation: true}
}

// rowsReader yields rows, and a row's problems when it has some.
type rowsReader struct {
	rows []intake.Row
	errs map[int]intake.RowErrors // by index in rows
	i    int
}

func (r *rowsReader) Next() (intake.Row, error) {
	if r.i >= len(r.rows) {
		return intake.Row{}, io.EOF
	}
	r.i++
	if errs, ok := r.errs[r.i-1]; ok {
		return intake.Row{}, errs
	}
	return r.rows[r.i-1], nil
}
