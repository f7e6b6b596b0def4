package netstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

func scanRoute(rows pgx.Rows) (network.Route, error) {
	var r network.Route
	var n, at int64
	var ended *int64
	var ranking []byte
	if err := rows.Scan(&r.OrderID, &n, &r.Site, &at, &r.Cause, &r.Why, &ranking, &ended, &r.EndCause); err != nil {
		return r, err
	}
	r.N, r.At, r.Ended = int(n), pgutil.FromMicros(at), fromNull(ended)
	if err := json.Unmarshal(ranking, &r.Ranking); err != nil {
		return r, fmt.Errorf("route %d of order %q: its ranking: %w", r.N, r.OrderID, err)
	}
	for i := range r.Ranking {
		if c := &r.Ranking[i]; !c.Promise.IsZero() {
			c.Promise = c.Promise.UTC()
		}
	}
	return r, nil
}

const selectRoutes = `SELECT order_id, n, site, at, cause, why, ranking, ended, end_cause
	FROM network.routes`

// Routes returns the routes of order orderID, the first first.
func (t *readTx) Routes(orderID string) ([]network.Route, error) {
	routes, err := query(t, scanRoute, selectRoutes+` WHERE order_id = $1 ORDER BY n`, orderID)
	return routes, wrap(err, "reading the routes of order %q", orderID)
}

// RoutesOf returns the routes of the orders of ids, by order id and then the first first.
func (t *readTx) RoutesOf(ids []string) ([]network.Route, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	routes, err := query(t, scanRoute, selectRoutes+` WHERE order_id = ANY($1) ORDER BY order_id, n`, ids)
	return routes, wrap(err, "reading the routes of %d orders", len(ids))
}

// InsertRoute adds r to its order's routes. An order the book does not hold is an error
// wrapping network.ErrUnknownOrder, a route number the order already has one wrapping
// ErrConflict.
func (t *writeTx) InsertRoute(r network.Route) error {
	b, err := rankingJSON(r)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO network.routes (order_id, n, site, at, cause, why, ranking, ended,
		end_cause) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, routeValues(r, b)...)
	switch pgutil.Code(err) {
	case pgutil.ForeignKeyViolation:
		return fmt.Errorf("inserting route %d of order %q: %w", r.N, r.OrderID, network.ErrUnknownOrder)
	case pgutil.UniqueViolation:
		return fmt.Errorf("inserting route %d of order %q: the order has that route already: %w", r.N, r.OrderID, ErrConflict)
	}
	return wrap(err, "inserting route %d of order %q", r.N, r.OrderID)
}

// rankingJSON is r's ranking as its column holds it.
func rankingJSON(r network.Route) ([]byte, error) {
	ranking := make([]network.Choice, len(r.Ranking))
	for i, c := range r.Ranking {
		// times are stored to the microsecond, in UTC, as the columns' are
		if !c.Promise.IsZero() {
			c.Promise = pgutil.FromMicros(pgutil.Micros(c.Promise))
		}
		ranking[i] = c
	}
	b, err := json.Marshal(ranking)
	if err != nil {
		return nil, fmt.Errorf("inserting route %d of order %q: its ranking: %w", r.N, r.OrderID, err)
	}
	return b, nil
}

// routeValues are r's values in the order of routeColumns, its ranking as rankingJSON gives it.
func routeValues(r network.Route, ranking []byte) []any {
	return []any{r.OrderID, int64(r.N), r.Site, pgutil.Micros(r.At), r.Cause, r.Why, ranking, nullTime(r.Ended), r.EndCause}
}

// EndRoute records that route n of order orderID ended at at, and why. A route the book does
// not hold is an error wrapping network.ErrUnknownOrder.
func (t *writeTx) EndRoute(orderID string, n int, at time.Time, cause string) error {
	tag, err := t.exec(`UPDATE network.routes SET ended = $3, end_cause = $4 WHERE order_id = $1 AND n = $2`,
		orderID, int64(n), nullTime(at), cause)
	if err != nil {
		return fmt.Errorf("ending route %d of order %q: %w", n, orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("ending route %d of order %q: no such route: %w", n, orderID, network.ErrUnknownOrder)
	}
	return nil
}
