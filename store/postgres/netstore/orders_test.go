package netstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

func TestOrdersRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	a, b := order("A-1", 1), order("B-2", 2)
	b.Customer, b.Notes, b.Priority = "", "", 0
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders([]network.Order{b, a}) })
	read(t, s, func(tx network.ReadTx) error {
		got, ok, err := tx.Order("A-1")
		if !ok {
			t.Error("Order(A-1): none")
		}
		same(t, "Order(A-1)", got, storedOrder(a))
		byID, err2 := tx.OrdersByID([]string{"B-2", "X-9", "A-1"})
		same(t, "OrdersByID", byID, []network.Order{storedOrder(a), storedOrder(b)})
		if _, ok, _ := tx.Order("X-9"); ok {
			t.Error("Order(X-9): found, want none")
		}
		if err == nil {
			err = err2
		}
		return err
	})
	// every field written by UpdateOrder
	u := a
	u.Drop, u.SKU, u.Quantity, u.Customer, u.Priority, u.Notes = "spring", "SCARF", 9, "someone", 2, "n2"
	u.Due, u.Location, u.Hash, u.Batch = t0.Add(99*time.Hour), network.Point{Lat: -33.9, Lon: 151.2}, "h2", "b2"
	u.State, u.Site, u.Route, u.AckBy, u.Promise = network.Done, "porto", 3, t0.Add(time.Minute), t0.Add(time.Hour)
	u.Made, u.Good, u.Version, u.DoneAt, u.CreatedAt, u.UpdatedAt = 9, 8, 1234567, t0.Add(2*time.Hour), t0.Add(-time.Hour), t0.Add(3*time.Hour)
	write(t, s, func(tx network.Tx) error { return tx.UpdateOrder(u) })
	read(t, s, func(tx network.ReadTx) error {
		got, _, err := tx.Order("A-1")
		same(t, "Order(A-1) after UpdateOrder", got, storedOrder(u))
		return err
	})
	err := s.Write(context.Background(), func(tx network.Tx) error { return tx.UpdateOrder(order("X-9", 9)) })
	wantErr(t, "UpdateOrder of an unknown order", err, network.ErrUnknownOrder)
	err = s.Write(context.Background(), func(tx network.Tx) error {
		return tx.InsertOrders([]network.Order{order("C-1", 1), order("C-1", 2)})
	})
	wantErr(t, "an order id twice in one InsertOrders", err, ErrConflict)
}

// filterBook is the orders of TestOrdersFilter: routed, waiting and done orders of two drops
// at two sites.
func filterBook() []network.Order {
	var orders []network.Order
	for i := range 12 {
		o := order(fmt.Sprintf("O-%02d", i), i)
		switch i % 4 {
		case 1:
			o.State, o.Site, o.Route, o.AckBy = network.Routed, "porto", 1, t0.Add(time.Duration(i)*time.Minute)
		case 2:
			o.State, o.Site, o.Route = network.Accepted, "lisbon", 1
		case 3:
			o.State, o.Site, o.Route, o.AckBy = network.Done, "porto", 1, t0
		}
		if i >= 6 {
			o.Drop = "spring"
		}
		orders = append(orders, o)
	}
	return orders
}

func TestOrdersFilter(t *testing.T) {
	s, _ := openTest(t)
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders(filterBook()) })
	tests := []struct {
		name string
		f    network.OrderFilter
		want []string
	}{
		{"everything", network.OrderFilter{}, []string{"O-00", "O-01", "O-02", "O-03", "O-04", "O-05", "O-06", "O-07", "O-08", "O-09", "O-10", "O-11"}},
		{"a drop", network.OrderFilter{Drop: "spring"}, []string{"O-06", "O-07", "O-08", "O-09", "O-10", "O-11"}},
		{"a site", network.OrderFilter{Site: "porto"}, []string{"O-01", "O-03", "O-05", "O-07", "O-09", "O-11"}},
		{"states", network.OrderFilter{States: []network.OrderState{network.Waiting, network.Accepted}}, []string{"O-00", "O-02", "O-04", "O-06", "O-08", "O-10"}},
		// O-05's deadline is stored as t0+5m to the microsecond: a bound a nanosecond later selects it
		{"routed, due before O-05's", network.OrderFilter{AckBefore: stored(t0.Add(5 * time.Minute))}, []string{"O-01"}},
		{"routed, due before just after O-05's", network.OrderFilter{AckBefore: stored(t0.Add(5 * time.Minute)).Add(time.Nanosecond)}, []string{"O-01", "O-05"}},
		{"a page", network.OrderFilter{AfterID: "O-03", Limit: 3}, []string{"O-04", "O-05", "O-06"}},
		{"all of it", network.OrderFilter{Drop: "winter", Site: "porto", States: []network.OrderState{network.Done}, AfterID: "O-00", Limit: 5}, []string{"O-03"}},
		{"nothing", network.OrderFilter{Site: "madrid"}, nil},
		{"a NUL in a text", network.OrderFilter{Drop: "a\x00"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read(t, s, func(tx network.ReadTx) error {
				orders, err := tx.Orders(tc.f)
				var ids []string
				for _, o := range orders {
					ids = append(ids, o.OrderID)
				}
				same(t, "ids", ids, tc.want)
				return err
			})
		})
	}
}

func TestTally(t *testing.T) {
	s, _ := openTest(t)
	orders := filterBook()
	for i := range orders {
		orders[i].Made, orders[i].Good = i, i/2
	}
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders(orders) })
	want := map[network.Tally]bool{}
	counts := map[[3]string]*network.Tally{}
	for _, o := range orders {
		k := [3]string{o.Site, o.Drop, string(o.State)}
		if counts[k] == nil {
			counts[k] = &network.Tally{Site: o.Site, Drop: o.Drop, State: o.State}
		}
		c := counts[k]
		c.Orders, c.Units, c.Made, c.Good = c.Orders+1, c.Units+o.Quantity, c.Made+o.Made, c.Good+o.Good
	}
	for _, c := range counts {
		want[*c] = true
	}
	read(t, s, func(tx network.ReadTx) error {
		tally, err := tx.Tally()
		got := map[network.Tally]bool{}
		for i, tl := range tally {
			got[tl] = true
			if i > 0 && !less(tally[i-1], tl) {
				t.Errorf("tally out of order: %+v before %+v", tally[i-1], tl)
			}
		}
		same(t, "the tally", got, want)
		return err
	})
}

func less(a, b network.Tally) bool {
	if a.Site != b.Site {
		return a.Site < b.Site
	}
	if a.Drop != b.Drop {
		return a.Drop < b.Drop
	}
	return a.State < b.State
}

// TestInsertOrdersLargeBatch inserts a batch of the size a drop may have, in one COPY.
func TestInsertOrdersLargeBatch(t *testing.T) {
	s, _ := openTest(t)
	const n = 50_000
	orders := make([]network.Order, n)
	units := 0
	for i := range orders {
		orders[i] = order(fmt.Sprintf("L-%06d", i), i)
		units += orders[i].Quantity
	}
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders(orders) })
	read(t, s, func(tx network.ReadTx) error {
		tally, err := tx.Tally()
		same(t, "the tally", tally, []network.Tally{{Drop: "winter", State: network.Waiting, Orders: n, Units: units}})
		last, _, err2 := tx.Order("L-049999")
		same(t, "the last order", last, storedOrder(orders[n-1]))
		if err == nil {
			err = err2
		}
		return err
	})
}
