package netstore

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// repair is a waiting repair, its fields set from id.
func repair(id string, i int) network.Repair {
	return network.Repair{ID: id, Serial: "S-" + id, Kind: "rug", Customer: "customer " + id, Contact: "c@example.com",
		Description: "worn\nfringe", Location: network.Point{Lat: 41.15 + float64(i)/100, Lon: -8.61},
		Hash: "hash-" + id, State: network.Waiting, CreatedAt: t0, UpdatedAt: t0}
}

// storedRepair is r as the store gives it back.
func storedRepair(r network.Repair) network.Repair {
	r.Due, r.AckBy, r.Promise, r.DoneAt = stored(r.Due), stored(r.AckBy), stored(r.Promise), stored(r.DoneAt)
	r.CreatedAt, r.UpdatedAt = stored(r.CreatedAt), stored(r.UpdatedAt)
	return r
}

// TestRepairs: repairs are stored, read back whole by id and by every filter, updated, and
// an id twice or an unknown repair refused; a site's kinds it repairs are kept.
func TestRepairs(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b, c := repair("NR-1", 1), repair("NR-2", 2), repair("NR-3", 3)
	b.Serial, b.Item, b.Due = "", "a kilim made elsewhere", t0.Add(72*time.Hour)
	write(t, s, func(tx network.Tx) error {
		for _, r := range []network.Repair{c, a, b} {
			if err := tx.InsertRepair(r); err != nil {
				return err
			}
		}
		return nil
	})
	a.State, a.Site, a.Route, a.AckBy, a.Promise = network.Routed, "porto", 1, t0.Add(time.Minute), t0.Add(24*time.Hour)
	c.State, c.Site, c.Route, c.SiteRepair, c.SiteState, c.Version, c.DoneAt = network.Done, "lisbon", 2, "R-000042", "returned", 17, t0.Add(time.Hour)
	write(t, s, func(tx network.Tx) error {
		if err := tx.UpdateRepair(a); err != nil {
			return err
		}
		return tx.UpdateRepair(c)
	})
	read(t, s, func(tx network.ReadTx) error {
		got, ok, err := tx.Repair("NR-2")
		same(t, "Repair(NR-2)", got, storedRepair(b))
		if !ok || err != nil {
			t.Errorf("Repair(NR-2): ok %v, %v", ok, err)
		}
		if _, ok, err := tx.Repair("NR-9"); ok || err != nil {
			t.Errorf("Repair(NR-9): ok %v, %v; want none", ok, err)
		}
		for _, tc := range []struct {
			name string
			f    network.RepairFilter
			want []network.Repair
		}{
			{name: "all", f: network.RepairFilter{}, want: []network.Repair{a, b, c}},
			{name: "site", f: network.RepairFilter{Site: "porto"}, want: []network.Repair{a}},
			{name: "states", f: network.RepairFilter{States: []network.OrderState{network.Waiting, network.Done}}, want: []network.Repair{b, c}},
			{name: "ack overdue", f: network.RepairFilter{AckBefore: t0.Add(2 * time.Minute)}, want: []network.Repair{a}},
			{name: "ack not overdue", f: network.RepairFilter{AckBefore: t0}, want: nil},
			{name: "page", f: network.RepairFilter{AfterID: "NR-1", Limit: 1}, want: []network.Repair{b}},
		} {
			got, err := tx.Repairs(tc.f)
			if err != nil {
				return err
			}
			var want []network.Repair
			for _, r := range tc.want {
				want = append(want, storedRepair(r))
			}
			same(t, "Repairs "+tc.name, got, want)
		}
		return nil
	})
	err := s.Write(ctx, func(tx network.Tx) error { return tx.InsertRepair(repair("NR-1", 9)) })
	wantErr(t, "a repair id twice", err, ErrConflict)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.UpdateRepair(repair("NR-9", 9)) })
	wantErr(t, "updating an unknown repair", err, network.ErrUnknownRepair)
}

// TestRepairRoutes: a repair's routes with their ranking come back in order, ended as
// recorded; a route of an unknown repair, a number twice and ending a route not held are
// refused.
func TestRepairRoutes(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx network.Tx) error { return tx.InsertRepair(repair("NR-1", 1)) })
	first := network.Route{OrderID: "NR-1", N: 1, Site: "porto", At: t0, Cause: "new", Why: "porto is nearest",
		Ranking: []network.Choice{{Site: "porto", Rank: 1, Promise: t0.Add(26 * time.Hour), OnTime: true, DistanceKm: 1.2},
			{Site: "madrid", Excluded: "it does not repair rug"}}}
	second := network.Route{OrderID: "NR-1", N: 2, Site: "lisbon", At: t0.Add(time.Minute), Cause: "ack timeout", Ranking: []network.Choice{}}
	write(t, s, func(tx network.Tx) error {
		if err := tx.InsertRepairRoute(second); err != nil {
			return err
		}
		if err := tx.InsertRepairRoute(first); err != nil {
			return err
		}
		return tx.EndRepairRoute("NR-1", 1, t0.Add(time.Minute), "ack timeout")
	})
	wantFirst := first
	wantFirst.At, wantFirst.Ended, wantFirst.EndCause = stored(t0), stored(t0.Add(time.Minute)), "ack timeout"
	wantFirst.Ranking = []network.Choice{first.Ranking[0], first.Ranking[1]}
	wantFirst.Ranking[0].Promise = stored(first.Ranking[0].Promise)
	wantSecond := second
	wantSecond.At = stored(second.At)
	read(t, s, func(tx network.ReadTx) error {
		routes, err := tx.RepairRoutes("NR-1")
		same(t, "RepairRoutes(NR-1)", routes, []network.Route{wantFirst, wantSecond})
		return err
	})
	err := s.Write(ctx, func(tx network.Tx) error { return tx.InsertRepairRoute(network.Route{OrderID: "NR-9", N: 1}) })
	wantErr(t, "a route of an unknown repair", err, network.ErrUnknownRepair)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.InsertRepairRoute(network.Route{OrderID: "NR-1", N: 2}) })
	wantErr(t, "a route number twice", err, ErrConflict)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.EndRepairRoute("NR-1", 3, t0, "moved") })
	wantErr(t, "ending a route not held", err, network.ErrUnknownRepair)
}

// TestSiteRepairs: the kinds a site said it repairs are kept and replaced; an unknown site is
// refused.
func TestSiteRepairs(t *testing.T) {
	s, _ := openTest(t)
	write(t, s, func(tx network.Tx) error {
		return tx.PutSite(network.Site{ID: "porto", Name: "Porto", Location: network.Point{Lat: 41.15, Lon: -8.61}})
	})
	for _, kinds := range [][]string{{"rug", "scarf"}, {"rug"}} {
		write(t, s, func(tx network.Tx) error { return tx.SiteRepairs("porto", kinds) })
		read(t, s, func(tx network.ReadTx) error {
			site, _, err := tx.Site("porto")
			same(t, "porto's repairs", site.Repairs, kinds)
			return err
		})
	}
	err := s.Write(context.Background(), func(tx network.Tx) error { return tx.SiteRepairs("nowhere", nil) })
	wantErr(t, "an unknown site", err, network.ErrUnknownSite)
}
