package netstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

func TestRoutes(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders([]network.Order{order("A-1", 1), order("B-1", 2)}) })
	first := network.Route{OrderID: "A-1", N: 1, Site: "porto", At: t0, Cause: "new",
		Why: "porto is on time and nearest (12.3 km)", Ranking: []network.Choice{
			{Site: "porto", Rank: 1, Promise: t0.Add(26 * time.Hour), OnTime: true, DistanceKm: 12.3, LoadHours: 1.0 / 3},
			{Site: "lisbon", Rank: 2, Promise: t0.Add(30 * time.Hour), OnTime: true, DistanceKm: 274.1, LoadHours: 0.7},
			{Site: "madrid", Rank: 3, Excluded: "it does not make RUG"},
		}}
	second := network.Route{OrderID: "A-1", N: 2, Site: "lisbon", At: t0.Add(2 * time.Minute),
		Cause: "ack timeout", Why: "lisbon is on time", Ranking: []network.Choice{}}
	write(t, s, func(tx network.Tx) error {
		if err := tx.InsertRoute(second); err != nil {
			return err
		}
		if err := tx.InsertRoute(first); err != nil {
			return err
		}
		return tx.EndRoute("A-1", 1, t0.Add(2*time.Minute), "ack timeout")
	})
	wantFirst := first
	wantFirst.At, wantFirst.Ended, wantFirst.EndCause = stored(t0), stored(t0.Add(2*time.Minute)), "ack timeout"
	wantFirst.Ranking = append([]network.Choice(nil), first.Ranking...)
	for i := range wantFirst.Ranking {
		wantFirst.Ranking[i].Promise = stored(wantFirst.Ranking[i].Promise)
	}
	wantSecond := second
	wantSecond.At = stored(second.At)
	read(t, s, func(tx network.ReadTx) error {
		routes, err := tx.Routes("A-1")
		same(t, "Routes(A-1)", routes, []network.Route{wantFirst, wantSecond})
		none, err2 := tx.Routes("B-1")
		same(t, "Routes(B-1)", none, []network.Route(nil))
		if err == nil {
			err = err2
		}
		return err
	})
	b1 := network.Route{OrderID: "B-1", N: 1, Site: "madrid", At: t0, Cause: "new", Why: "only madrid", Ranking: []network.Choice{}}
	write(t, s, func(tx network.Tx) error { return tx.InsertRoute(b1) })
	b1.At = stored(t0)
	read(t, s, func(tx network.ReadTx) error {
		of, err := tx.RoutesOf([]string{"X-1", "B-1", "A-1", "A\x00"})
		same(t, "RoutesOf(X-1, B-1, A-1, A NUL)", of, []network.Route{wantFirst, wantSecond, b1})
		none, err2 := tx.RoutesOf(nil)
		same(t, "RoutesOf(nil)", none, []network.Route(nil))
		return errors.Join(err, err2)
	})
	err := s.Write(ctx, func(tx network.Tx) error { return tx.InsertRoute(network.Route{OrderID: "X-1", N: 1}) })
	wantErr(t, "a route of an unknown order", err, network.ErrUnknownOrder)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.InsertRoute(network.Route{OrderID: "A-1", N: 2}) })
	wantErr(t, "a route number the order has", err, ErrConflict)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.EndRoute("A-1", 3, t0, "moved") })
	wantErr(t, "ending a route the order does not have", err, network.ErrUnknownOrder)
}
