package uplink_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// TestProgress: as the floor works a network order, its progress is reported with a version
// growing with the book's events: accepted, started, done with its units; the site's own orders
// are not reported.
func TestProgress(t *testing.T) {
	s := newSite(t)
	s.route(t, s.order("N1", "SCARF", 2))
	s.fx.Clock.Advance(time.Minute)

	steps := []struct {
		name       string
		do         func()
		state      network.OrderState
		made, good int
	}{
		{"taken", func() {}, network.Accepted, 0, 0},
		{"weaving", func() { s.act(t, "N1", 0, book.ActionStart) }, network.Started, 0, 0},
		{"woven", func() { s.act(t, "N1", 0, book.ActionComplete) }, network.Started, 0, 0},
		{"packing", func() { s.act(t, "N1", 1, book.ActionStart) }, network.Started, 0, 0},
		{"packed", func() { s.act(t, "N1", 1, book.ActionComplete) }, network.Done, 2, 2},
	}
	var version int64
	for _, st := range steps {
		st.do()
		got := s.follow(t)
		if len(got) != 1 {
			t.Fatalf("%s: progress = %+v, want one report", st.name, got)
		}
		p := got[0]
		if p.OrderID != "N1" || p.Route != 1 || p.State != st.state || p.Made != st.made || p.Good != st.good {
			t.Errorf("%s: progress = %+v, want %s with %d made, %d good", st.name, p, st.state, st.made, st.good)
		}
		if p.Version <= version || p.Version != s.lastEvent(t) {
			t.Errorf("%s: version %d, want above %d: the latest event, %d", st.name, p.Version, version, s.lastEvent(t))
		}
		version = p.Version
	}
	if got := s.follow(t); len(got) != 0 {
		t.Errorf("nothing changed: progress = %+v, want none", got)
	}
	if _, err := s.book.Import(context.Background(), book.ImportRequest{Drop: "local", Actor: "test",
		Rows: rowsOf(t, `[{"order_id":"L1","sku":"SHAWL","quantity":1}]`)}); err != nil {
		t.Fatal(err)
	}
	if got := s.follow(t); len(got) != 0 {
		t.Errorf("an order of the site's own: progress = %+v, want none", got)
	}
}

// TestRestart: a new Uplink on the same directory goes on from its cursor (what was reported
// is not reported again) and holds the orders taken (routed again, they are taken again
// without a change to the book; their progress is reported).
func TestRestart(t *testing.T) {
	s := newSite(t)
	s.route(t, s.order("N1", "SCARF", 1), s.order("N2", "SCARF", 1))
	if got := s.follow(t); len(got) != 2 {
		t.Fatalf("progress = %+v, want N1 and N2", got)
	}
	s.act(t, "N1", 0, book.ActionStart)

	s.up = s.open(t)
	got := s.follow(t)
	if len(got) != 1 || got[0].OrderID != "N1" || got[0].State != network.Started {
		t.Errorf("after the restart: progress = %+v, want N1 started only", got)
	}
	last := s.lastEvent(t)
	if acks := s.route(t, s.order("N2", "SCARF", 1)); len(acks) != 1 || !acks[0].Taken {
		t.Errorf("after the restart: acks = %+v, want N2 taken", acks)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("N2 routed again after the restart changed the book: last event %d, was %d", now, last)
	}
	s.act(t, "N2", 0, book.ActionStart)
	if got := s.follow(t); len(got) != 1 || got[0].OrderID != "N2" || got[0].State != network.Started {
		t.Errorf("after the restart: progress = %+v, want N2 started", got)
	}
}

// TestRun: Run says hello with what the site makes, reports its load every StatusEvery and the
// progress of its orders as the book changes, until its context ends.
func TestRun(t *testing.T) {
	s := newSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.up.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	hello := waitFor[network.Hello](t, s.link, network.KindHello)
	if hello.Cells != 3 || len(hello.Makes) != 2 || len(hello.Makes["net-drop"]) != 2 || hello.Makes["net-drop"][0] != "SCARF" ||
		hello.Makes["local"][0] != "SHAWL" {
		t.Errorf("hello = %+v, want 3 cells, net-drop making SCARF and SHAWL, local SHAWL", hello)
	}
	s.route(t, s.order("N1", "SCARF", 1))
	p := waitFor[network.Progresses](t, s.link, network.KindProgress)
	if len(p.Orders) != 1 || p.Orders[0].OrderID != "N1" || p.Orders[0].State != network.Accepted {
		t.Errorf("progress = %+v, want N1 accepted", p)
	}
}

// TestStatus: the load is reported at start and every StatusEvery, as it changes.
func TestStatus(t *testing.T) {
	s := newSite(t)
	up, err := s.openWith(10 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s.route(t, s.order("N1", "SCARF", 3))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	st := waitFor[network.Status](t, s.link, network.KindStatus)
	if st.Load.OpenWorkOrders != 1 || st.Load.Cells != 3 || !near(st.Load.Hours, 66.0/60) {
		t.Errorf("load = %+v, want one open work order of 66 minutes at 3 cells", st.Load)
	}
	s.route(t, s.order("N2", "SCARF", 1))
	for st.Load.OpenWorkOrders != 2 {
		st = waitFor[network.Status](t, s.link, network.KindStatus)
	}
	if !near(st.Load.Hours, 88.0/60) {
		t.Errorf("load = %+v, want two open work orders of 88 minutes", st.Load)
	}
}

// near says whether two numbers of hours agree to the microsecond.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// waitFor waits for a message of a kind and decodes the first.
func waitFor[T any](t *testing.T, r *recorder, kind string) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if msgs := r.take(t, kind); len(msgs) > 0 {
			var v T
			if err := json.Unmarshal(msgs[0], &v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %s message within 10s", kind)
	panic("unreachable")
}

// TestConnected: each reconnection of the link makes Run greet the hub again, with a Hello of
// what the site makes and a Status of its load, which the hub may have missed; Connected itself
// never waits, however often it is called.
func TestConnected(t *testing.T) {
	s := newSite(t)
	s.route(t, s.order("N1", "SCARF", 1))
	for range 100 {
		s.up.Connected() // before Run: one greeting stands for them all
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.up.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	// The Hello and Status at start, and those for the calls before Run.
	var hellos, statuses [][]byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (len(hellos) < 2 || len(statuses) < 2) {
		hellos = append(hellos, s.link.take(t, network.KindHello)...)
		statuses = append(statuses, s.link.take(t, network.KindStatus)...)
		time.Sleep(5 * time.Millisecond)
	}
	if len(hellos) != 2 || len(statuses) != 2 {
		t.Fatalf("%d hellos and %d statuses after Run started with a reconnection pending, want 2 of each", len(hellos), len(statuses))
	}
	var first network.Hello
	if err := json.Unmarshal(hellos[0], &first); err != nil {
		t.Fatal(err)
	}

	s.up.Connected()
	again := waitFor[network.Hello](t, s.link, network.KindHello)
	if !reflect.DeepEqual(again, first) {
		t.Errorf("hello after the reconnection = %+v, want %+v", again, first)
	}
	st := waitFor[network.Status](t, s.link, network.KindStatus)
	if st.Load.OpenWorkOrders != 1 || st.Load.Cells != 3 {
		t.Errorf("load after the reconnection = %+v, want one open work order at 3 cells", st.Load)
	}
}
