package netstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// batchBook is the book the batch tests start from: orders O-00..O-04, each with route 1 at
// porto.
func batchBook(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	var orders []network.Order
	var routes []network.Route
	for i := range 5 {
		o := order(fmt.Sprintf("O-%02d", i), i)
		o.State, o.Site, o.Route = network.Routed, "porto", 1
		orders = append(orders, o)
		routes = append(routes, network.Route{OrderID: o.OrderID, N: 1, Site: "porto", At: t0, Cause: "new", Why: "first"})
	}
	write(t, s, func(tx network.Tx) error {
		if err := tx.InsertOrders(orders); err != nil {
			return err
		}
		for _, r := range routes {
			if err := tx.InsertRoute(r); err != nil {
				return err
			}
		}
		return nil
	})
	return s
}

// snapshot is everything the book holds of orders O-00..O-05: their rows and their routes.
func snapshot(t *testing.T, s *Store) ([]network.Order, [][]network.Route) {
	t.Helper()
	var orders []network.Order
	var routes [][]network.Route
	read(t, s, func(tx network.ReadTx) error {
		var err error
		if orders, err = tx.Orders(network.OrderFilter{}); err != nil {
			return err
		}
		for i := range 6 {
			rs, err := tx.Routes(fmt.Sprintf("O-%02d", i))
			if err != nil {
				return err
			}
			routes = append(routes, rs)
		}
		return nil
	})
	return orders, routes
}

// moved is order i of batchBook as a batch writes it: at lisbon on route 2.
func moved(i int) network.Order {
	o := order(fmt.Sprintf("O-%02d", i), i)
	o.State, o.Site, o.Route, o.AckBy, o.Promise = network.Routed, "lisbon", 2, t0.Add(time.Minute), t0.Add(time.Duration(i)*time.Hour)
	o.Made, o.Good, o.Version, o.UpdatedAt = i, i/2, int64(100+i), t0.Add(time.Hour)
	return o
}

// route2 is order i's second route, to lisbon, with a ranking.
func route2(i int) network.Route {
	return network.Route{OrderID: fmt.Sprintf("O-%02d", i), N: 2, Site: "lisbon", At: t0.Add(time.Minute),
		Cause: "ack timeout", Why: "lisbon is on time", Ranking: []network.Choice{
			{Site: "lisbon", Rank: 1, Promise: t0.Add(26 * time.Hour), OnTime: true, DistanceKm: 1.5},
			{Site: "porto", Rank: 2, Excluded: "it let route 1 end"},
		}}
}

// end1 ends order i's first route.
func end1(i int) network.RouteEnd {
	return network.RouteEnd{OrderID: fmt.Sprintf("O-%02d", i), N: 1, At: t0.Add(time.Minute), Cause: "ack timeout"}
}

func TestBatchWrites(t *testing.T) {
	s := batchBook(t)
	before, _ := snapshot(t, s)
	write(t, s, func(tx network.Tx) error {
		if err := tx.EndRoutes([]network.RouteEnd{end1(3), end1(1)}); err != nil {
			return err
		}
		if err := tx.UpdateOrders([]network.Order{moved(3), moved(1)}); err != nil {
			return err
		}
		if err := tx.InsertRoutes([]network.Route{route2(3), route2(1)}); err != nil {
			return err
		}
		// a second batch of each in the same transaction, and empty ones
		if err := tx.UpdateOrders([]network.Order{moved(4)}); err != nil {
			return err
		}
		if err := tx.EndRoutes([]network.RouteEnd{end1(4)}); err != nil {
			return err
		}
		if err := tx.InsertRoutes([]network.Route{route2(4)}); err != nil {
			return err
		}
		return errors.Join(tx.UpdateOrders(nil), tx.InsertRoutes(nil), tx.EndRoutes(nil))
	})
	orders, routes := snapshot(t, s)
	want := append([]network.Order(nil), before...)
	for _, i := range []int{1, 3, 4} {
		want[i] = storedOrder(moved(i))
	}
	same(t, "orders after the batches", orders, want)
	for i := range 5 {
		first := network.Route{OrderID: fmt.Sprintf("O-%02d", i), N: 1, Site: "porto", At: stored(t0), Cause: "new", Why: "first", Ranking: []network.Choice{}}
		wantRoutes := []network.Route{first}
		if i == 1 || i == 3 || i == 4 {
			wantRoutes[0].Ended, wantRoutes[0].EndCause = stored(t0.Add(time.Minute)), "ack timeout"
			second := route2(i)
			second.At = stored(second.At)
			second.Ranking[0].Promise = stored(second.Ranking[0].Promise)
			wantRoutes = append(wantRoutes, second)
		}
		same(t, fmt.Sprintf("routes of O-%02d", i), routes[i], wantRoutes)
	}
}

func TestBatchWritesRefused(t *testing.T) {
	tests := []struct {
		name   string
		write  func(tx network.Tx) error
		target error
		names  string // the message names the order and its route
	}{
		{"an unknown order in the middle of UpdateOrders", func(tx network.Tx) error {
			return tx.UpdateOrders([]network.Order{moved(0), moved(1), moved(5), moved(2)})
		}, network.ErrUnknownOrder, `order "O-05"`},
		{"an unknown order alone in UpdateOrders", func(tx network.Tx) error {
			return tx.UpdateOrders([]network.Order{moved(5)})
		}, network.ErrUnknownOrder, `order "O-05"`},
		{"an unknown route alone in EndRoutes", func(tx network.Tx) error {
			return tx.EndRoutes([]network.RouteEnd{end1(5)})
		}, network.ErrUnknownOrder, `route 1 of order "O-05"`},
		{"an order twice in UpdateOrders", func(tx network.Tx) error {
			return tx.UpdateOrders([]network.Order{moved(0), moved(1), moved(0)})
		}, ErrConflict, `order "O-00"`},
		{"a route of an unknown order in the middle of InsertRoutes", func(tx network.Tx) error {
			return tx.InsertRoutes([]network.Route{route2(0), route2(5), route2(1)})
		}, network.ErrUnknownOrder, `route 2 of order "O-05"`},
		{"a route number its order has in the middle of InsertRoutes", func(tx network.Tx) error {
			r := route2(2)
			r.N = 1
			return tx.InsertRoutes([]network.Route{route2(0), r, route2(1)})
		}, ErrConflict, `route 1 of order "O-02"`},
		{"a route twice in InsertRoutes", func(tx network.Tx) error {
			return tx.InsertRoutes([]network.Route{route2(0), route2(1), route2(0)})
		}, ErrConflict, `route 2 of order "O-00"`},
		{"an unknown route in the middle of EndRoutes", func(tx network.Tx) error {
			e := end1(2)
			e.N = 7
			return tx.EndRoutes([]network.RouteEnd{end1(0), e, end1(1)})
		}, network.ErrUnknownOrder, `route 7 of order "O-02"`},
		{"a route of an unknown order in EndRoutes", func(tx network.Tx) error {
			return tx.EndRoutes([]network.RouteEnd{end1(0), end1(5)})
		}, network.ErrUnknownOrder, `route 1 of order "O-05"`},
		{"a route twice in EndRoutes", func(tx network.Tx) error {
			return tx.EndRoutes([]network.RouteEnd{end1(1), end1(1)})
		}, ErrConflict, `route 1 of order "O-01"`},
		{"a NUL in a text of UpdateOrders", func(tx network.Tx) error {
			o := moved(1)
			o.Notes = "a\x00b"
			return tx.UpdateOrders([]network.Order{moved(0), o})
		}, errNUL, `order "O-01"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := batchBook(t)
			orders, routes := snapshot(t, s)
			// the batch is the only write of its transaction: the transaction commits
			// whatever the batch applied before it refused
			var err error
			write(t, s, func(tx network.Tx) error { err = tc.write(tx); return nil })
			wantErr(t, "the batch", err, tc.target)
			if err != nil && !strings.Contains(err.Error(), tc.names) {
				t.Errorf("the error %q does not name %s", err, tc.names)
			}
			after, afterRoutes := snapshot(t, s)
			same(t, "orders after the refused batch", after, orders)
			same(t, "routes after the refused batch", afterRoutes, routes)
		})
	}
}

// TestBatchWritesLarge writes a routing round's worth of orders and routes in one transaction
// and reads every one back.
func TestBatchWritesLarge(t *testing.T) {
	s, _ := openTest(t)
	const n = 3000
	orders := make([]network.Order, n)
	for i := range orders {
		orders[i] = order(fmt.Sprintf("L-%05d", i), i)
	}
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders(orders) })
	routes := make([]network.Route, n)
	for i := range orders {
		orders[i].State, orders[i].Site, orders[i].Route = network.Routed, fmt.Sprintf("site-%d", i%7), 1
		routes[i] = network.Route{OrderID: orders[i].OrderID, N: 1, Site: orders[i].Site, At: t0, Cause: "new", Why: "w", Ranking: []network.Choice{}}
	}
	write(t, s, func(tx network.Tx) error {
		if err := tx.UpdateOrders(orders); err != nil {
			return err
		}
		return tx.InsertRoutes(routes)
	})
	read(t, s, func(tx network.ReadTx) error {
		got, err := tx.Orders(network.OrderFilter{})
		if err != nil {
			return err
		}
		if len(got) != n {
			t.Fatalf("%d orders, want %d", len(got), n)
		}
		for i, o := range got {
			same(t, o.OrderID, o, storedOrder(orders[i]))
		}
		rs, err := tx.Routes(orders[n-1].OrderID)
		want := routes[n-1]
		want.At = stored(t0)
		same(t, "routes of the last order", rs, []network.Route{want})
		return err
	})
}
