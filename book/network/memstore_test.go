package network_test

import (
	"context"
	"fmt"
	. "github.com/cellforge/cellforge/book/network"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
)

// memStore is a Store in memory for the rules' tests until the PostgreSQL store is on main: a
// Write works on a copy of the book and keeps it only when fn returns nil.
type memStore struct {
	mu     sync.Mutex
	sites  map[string]Site
	orders map[string]Order
	routes map[string][]Route
}

func newMemStore() *memStore {
	return &memStore{sites: map[string]Site{}, orders: map[string]Order{}, routes: map[string][]Route{}}
}

func (s *memStore) Read(ctx context.Context, fn func(ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&memTx{memStore: s.clone()})
}

func (s *memStore) Write(ctx context.Context, fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clone()
	if err := fn(&memTx{memStore: c}); err != nil {
		return err
	}
	s.sites, s.orders, s.routes = c.sites, c.orders, c.routes
	return nil
}

func (s *memStore) clone() *memStore {
	c := &memStore{sites: maps.Clone(s.sites), orders: maps.Clone(s.orders), routes: make(map[string][]Route, len(s.routes))}
	for k, v := range s.routes {
		c.routes[k] = slices.Clone(v)
	}
	return c
}

type memTx struct{ *memStore }

func (t *memTx) Sites() ([]Site, error) {
	out := slices.Collect(maps.Values(t.sites))
	slices.SortFunc(out, func(a, b Site) int { return compareStrings(a.ID, b.ID) })
	return out, nil
}

func (t *memTx) Site(id string) (Site, bool, error) { s, ok := t.sites[id]; return s, ok, nil }

func (t *memTx) Order(id string) (Order, bool, error) { o, ok := t.orders[id]; return o, ok, nil }

func (t *memTx) OrdersByID(ids []string) ([]Order, error) {
	var out []Order
	for _, id := range ids {
		if o, ok := t.orders[id]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

func (t *memTx) Orders(f OrderFilter) ([]Order, error) {
	var out []Order
	for _, o := range t.orders {
		switch {
		case f.Drop != "" && o.Drop != f.Drop, f.Site != "" && o.Site != f.Site,
			len(f.States) > 0 && !slices.Contains(f.States, o.State),
			!f.AckBefore.IsZero() && (o.State != Routed || !o.AckBy.Before(f.AckBefore)),
			f.AfterID != "" && o.OrderID <= f.AfterID:
			continue
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Order) int { return compareStrings(a.OrderID, b.OrderID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (t *memTx) Routes(orderID string) ([]Route, error) { return slices.Clone(t.routes[orderID]), nil }

func (t *memTx) Tally() ([]Tally, error) {
	type key struct {
		site, drop string
		state      OrderState
	}
	by := map[key]*Tally{}
	for _, o := range t.orders {
		k := key{o.Site, o.Drop, o.State}
		if by[k] == nil {
			by[k] = &Tally{Site: o.Site, Drop: o.Drop, State: o.State}
		}
		by[k].Orders++
		by[k].Units += o.Quantity
		by[k].Made += o.Made
		by[k].Good += o.Good
	}
	var out []Tally
	for _, v := range by {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Tally) int {
		return compareStrings(a.Site+"\x00"+a.Drop+"\x00"+string(a.State), b.Site+"\x00"+b.Drop+"\x00"+string(b.State))
	})
	return out, nil
}

func (t *memTx) PutSite(s Site) error {
	old, ok := t.sites[s.ID]
	if ok {
		old.Name, old.Location = s.Name, s.Location
		s = old
	}
	t.sites[s.ID] = s
	return nil
}

func (t *memTx) SiteSaid(id string, at time.Time, makes map[string][]string, load *Load) error {
	s, ok := t.sites[id]
	if !ok {
		return fmt.Errorf("site %q: not found", id)
	}
	s.LastWord = at
	if makes != nil {
		s.Makes = makes
	}
	if load != nil {
		s.Load = *load
	}
	t.sites[id] = s
	return nil
}

func (t *memTx) SetGone(id string, at time.Time) error {
	s, ok := t.sites[id]
	if !ok {
		return fmt.Errorf("site %q: not found", id)
	}
	s.Gone, s.GoneAt = true, at
	t.sites[id] = s
	return nil
}

func (t *memTx) InsertOrders(orders []Order) error {
	for _, o := range orders {
		if _, ok := t.orders[o.OrderID]; ok {
			return fmt.Errorf("order %q: exists", o.OrderID)
		}
		t.orders[o.OrderID] = o
	}
	return nil
}

func (t *memTx) UpdateOrder(o Order) error {
	if _, ok := t.orders[o.OrderID]; !ok {
		return fmt.Errorf("order %q: not found", o.OrderID)
	}
	t.orders[o.OrderID] = o
	return nil
}

func (t *memTx) InsertRoute(r Route) error {
	rs := t.routes[r.OrderID]
	if len(rs) > 0 && rs[len(rs)-1].N >= r.N {
		return fmt.Errorf("route %d of order %q: not after route %d", r.N, r.OrderID, rs[len(rs)-1].N)
	}
	t.routes[r.OrderID] = append(rs, r)
	return nil
}

func (t *memTx) EndRoute(orderID string, n int, at time.Time, cause string) error {
	for i, r := range t.routes[orderID] {
		if r.N == n {
			t.routes[orderID][i].Ended, t.routes[orderID][i].EndCause = at, cause
			return nil
		}
	}
	return fmt.Errorf("route %d of order %q: not found", n, orderID)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// testStore returns the book a test's hub keeps.
func testStore(t *testing.T) Store {
	t.Helper()
	return newMemStore()
}
