package netstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
)

// benchOrders is the size of the batch benchmarks: a routing round of the network's benchmark.
const benchOrders = 10000

// BenchmarkRoundWrites writes a routing round's orders and routes in one transaction, three
// ways: the batch writes (a COPY into a temporary table and one statement each), each row
// with its own statement and round trip (UpdateOrder and InsertRoute), and each row with its
// own statement, the statements queued in one pgx.Batch.
func BenchmarkRoundWrites(b *testing.B) {
	ways := []struct {
		name  string
		write func(t *writeTx, orders []network.Order, routes []network.Route) error
	}{
		{"copy", func(t *writeTx, orders []network.Order, routes []network.Route) error {
			if err := t.UpdateOrders(orders); err != nil {
				return err
			}
			return t.InsertRoutes(routes)
		}},
		{"one-by-one", func(t *writeTx, orders []network.Order, routes []network.Route) error {
			for i := range orders {
				if err := t.UpdateOrder(orders[i]); err != nil {
					return err
				}
				if err := t.InsertRoute(routes[i]); err != nil {
					return err
				}
			}
			return nil
		}},
		{"pgx-batch", writeQueued},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			s, _ := openTest(b)
			orders := make([]network.Order, benchOrders)
			for i := range orders {
				orders[i] = order(fmt.Sprintf("B-%05d", i), i)
			}
			write(b, s, func(tx network.Tx) error { return tx.InsertOrders(orders) })
			b.ResetTimer()
			for n := range b.N {
				routes := make([]network.Route, len(orders))
				for i := range orders {
					orders[i].State, orders[i].Site, orders[i].Route = network.Routed, fmt.Sprintf("site-%d", i%10), n+1
					routes[i] = benchRoute(orders[i])
				}
				write(b, s, func(tx network.Tx) error { return w.write(tx.(*writeTx), orders, routes) })
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchOrders)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// benchRoute is a route of o with a ranking of ten sites, as a round stores it.
func benchRoute(o network.Order) network.Route {
	r := network.Route{OrderID: o.OrderID, N: o.Route, Site: o.Site, At: t0, Cause: "new",
		Why: o.Site + " is on time and nearest (12.3 km)"}
	for i := range 10 {
		r.Ranking = append(r.Ranking, network.Choice{Site: fmt.Sprintf("site-%d", i), Rank: i + 1,
			Promise: t0.Add(time.Duration(i) * time.Hour), OnTime: true, DistanceKm: float64(i), LoadHours: 1})
	}
	return r
}

// writeQueued writes each order and route with its own statement, queued in one pgx.Batch.
func writeQueued(t *writeTx, orders []network.Order, routes []network.Route) error {
	var batch pgx.Batch
	for i := range orders {
		batch.Queue(updateOrderSQL, orderValues(orders[i])...)
		ranking, err := rankingJSON(routes[i])
		if err != nil {
			return err
		}
		batch.Queue(`INSERT INTO network.routes (order_id, n, site, at, cause, why, ranking, ended,
			end_cause) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, routeValues(routes[i], ranking)...)
	}
	res := t.tx.SendBatch(context.Background(), &batch)
	for i := range orders {
		tag, err := res.Exec()
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("order %q: %w", orders[i].OrderID, network.ErrUnknownOrder)
		}
		if err != nil {
			res.Close()
			return err
		}
		if _, err := res.Exec(); err != nil {
			res.Close()
			return err
		}
	}
	return res.Close()
}
