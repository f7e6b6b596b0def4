package uplink_test

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// TestPromiseRequest: an unexpired request is answered with each order's end as the site's
// planner predicts it with the others and the open work and the hours per cell it adds to the
// site's load, the orders the site cannot take left out; an expired one is not answered; an empty one is answered with no promise. Nothing is
// stored. A scarf is 20 minutes at one of two looms, then 2 at the one pack bench, from 08:00.
func TestPromiseRequest(t *testing.T) {
	at := func(hh, mm int) time.Time { return time.Date(2026, 11, 2, hh, mm, 0, 0, time.UTC) }
	s := newSite(t)
	last := s.lastEvent(t)
	req := network.PromiseRequest{ID: "r1", Expires: s.fx.Clock.Now().Add(10 * time.Second), Orders: []network.RoutedOrder{
		s.order("P1", "SCARF", 1), s.order("NOSKU", "BEANIE", 1), s.order("P2", "SCARF", 1),
	}}
	s.receive(t, network.KindPromiseRequest, req)
	got := only[network.Promises](t, s.link, network.KindPromise)
	if got.ID != "r1" || got.Error != "" || len(got.Orders) != 2 {
		t.Fatalf("answer = %+v, want two promises of r1", got)
	}
	ends := map[string]time.Time{}
	for _, p := range got.Orders {
		ends[p.OrderID] = p.End
		// 22 minutes of cell time over the site's 3 cells, as the hub adds it to the load.
		if !near(p.Hours, 22.0/60/3) {
			t.Errorf("%s adds %v hours per cell, want %v", p.OrderID, p.Hours, 22.0/60/3)
		}
	}
	first, second := ends["P1"], ends["P2"]
	if first.After(second) {
		first, second = second, first
	}
	if !first.Equal(at(8, 22)) || !second.Equal(at(8, 24)) {
		t.Errorf("promises = %v, want P1 and P2 at 08:22 and 08:24", ends)
	}
	if got.Load.Cells != 3 || got.Load.OpenWorkOrders != 0 || !got.Load.At.Equal(s.fx.Clock.Now()) {
		t.Errorf("load = %+v, want 3 cells, no open work, measured now", got.Load)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("the promise request changed the book: last event %d, was %d", now, last)
	}

	// With the two taken, a third waits for them at the pack bench.
	s.route(t, s.order("P1", "SCARF", 1), s.order("P2", "SCARF", 1))
	if err := s.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	req = network.PromiseRequest{ID: "r2", Expires: s.fx.Clock.Now().Add(10 * time.Second), Orders: []network.RoutedOrder{s.order("P3", "SCARF", 1)}}
	s.receive(t, network.KindPromiseRequest, req)
	got = only[network.Promises](t, s.link, network.KindPromise)
	if len(got.Orders) != 1 || got.Orders[0].End.Before(at(8, 26)) {
		t.Errorf("answer = %+v, want P3 at 08:26 or later", got)
	}
	if got.Load.OpenWorkOrders != 2 || !near(got.Load.Hours, 44.0/60) || got.Load.PlanEnd.IsZero() {
		t.Errorf("load = %+v, want 2 open work orders of 44 minutes and the plan's end", got.Load)
	}

	t.Run("expired", func(t *testing.T) {
		req := network.PromiseRequest{ID: "r3", Expires: s.fx.Clock.Now().Add(-time.Second), Orders: []network.RoutedOrder{s.order("P4", "SCARF", 1)}}
		s.receive(t, network.KindPromiseRequest, req)
		if msgs := s.link.take(t, network.KindPromise); len(msgs) != 0 {
			t.Errorf("expired request answered: %s", msgs)
		}
	})
	t.Run("empty", func(t *testing.T) {
		s.receive(t, network.KindPromiseRequest, network.PromiseRequest{ID: "r4", Expires: s.fx.Clock.Now().Add(time.Second)})
		got := only[network.Promises](t, s.link, network.KindPromise)
		if got.ID != "r4" || got.Error != "" || got.Orders == nil || len(got.Orders) != 0 {
			t.Errorf("answer = %+v, want r4 with no promise", got)
		}
	})
}
