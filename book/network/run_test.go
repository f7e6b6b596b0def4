package network_test

import (
	"context"
	. "github.com/cellforge/cellforge/book/network"
	"reflect"
	"testing"
	"time"
)

func TestSilentAndCutOffSites(t *testing.T) {
	e := newEnvWith(t, threeSites, threeMakes, func(c *Config) { c.PromiseTimeout = 200 * time.Millisecond })
	on := e.clock.Now().Add(time.Hour)
	e.promise = func(site string, _ RoutedOrder) (time.Time, float64, bool) {
		return on, 0, site != "lisbon-a" // lisbon-a answers without promises
	}
	e.links.onSend = func(to, kind string, body []byte) {
		if to != "lisbon-b" { // lisbon-b never answers
			e.answer(to, kind, body)
		}
	}
	e.clock.Advance(80 * time.Second)
	e.alive("porto", "lisbon-a") // lisbon-b spoke 80 s ago: online
	e.importRows(row(2, "A1", "RUG", lisbon))
	e.route()
	o, routes := e.order("A1")
	if o.Site != "porto" {
		t.Fatalf("A1 at %q", o.Site)
	}
	want := map[string]string{"lisbon-a": "its answer held no promise for the order", "lisbon-b": "it gave no promise within 200ms"}
	for _, c := range routes[0].Ranking[1:] {
		if c.Excluded != want[c.Site] {
			t.Errorf("%s excluded: %q", c.Site, c.Excluded)
		}
	}

	e.clock.Advance(20 * time.Second) // lisbon-b's last word is 100 s old: cut off, not asked
	e.alive("porto", "lisbon-a")
	e.links.take()
	e.importRows(row(3, "A2", "RUG", lisbon))
	e.route()
	for _, m := range e.links.take() {
		if m.to == "lisbon-b" {
			t.Errorf("a site cut off was sent %s", m.kind)
		}
	}
	if _, routes := e.order("A2"); routes[0].Ranking[2].Excluded != "it is cut off: its last word was 1m40s ago" {
		t.Errorf("ranking: %+v", routes[0].Ranking)
	}
}

func TestRunSendsUnacknowledgedRoutesAgainAndRoutesAfterAnImport(t *testing.T) {
	e := newTwo(t)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.hub.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var got []sent
	waitFor(t, func() bool {
		got = append(got, e.links.take()...)
		return len(routesTo(t, got, KindRoute)["porto"]) == 1
	})
	e.importRows(row(3, "A2", "RUG", porto))
	waitFor(t, func() bool {
		o, _ := e.order("A2")
		return o.State == Routed
	})
	got = append(got, e.links.take()...)
	if r := routesTo(t, got, KindRoute); !reflect.DeepEqual(r, map[string][]string{"porto": {"A1", "A2"}}) {
		t.Errorf("routes: %v", r)
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
