package netstore

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// The batch writes send their rows with one COPY: UpdateOrders and EndRoutes into a temporary
// table, applied with one statement that first looks for a row the book does not hold and, when
// it finds one, writes nothing and names it; InsertRoutes straight into network.routes, after
// one query has found that the book can take every route. A routing round of 10,000 orders is
// then a handful of round trips instead of one for each order and each route (measured by
// BenchmarkRoundWrites: about four times as fast as one statement each, twice as fast as the
// same statements queued in one pgx.Batch). The writes run one at a time (Write's lock), so
// nothing changes between a check and its write.

// copyToTemp creates the temporary table name of definition def, dropped at the end of the
// transaction (and first, should the transaction have one of that name already), and copies
// rows into it; the error is classified.
func (t *writeTx) copyToTemp(name, def string, columns []string, rows [][]any) error {
	_, err := t.tx.Exec(t.ctx, `DROP TABLE IF EXISTS pg_temp.`+name+`; CREATE TEMP TABLE `+name+` `+def+` ON COMMIT DROP`)
	if err != nil {
		return pgutil.Classify(err)
	}
	if _, err = t.tx.CopyFrom(t.ctx, pgx.Identifier{name}, columns, pgx.CopyFromRows(rows)); err != nil {
		return pgutil.Classify(err)
	}
	// without statistics of the table (autovacuum never sees a temporary one) the planner
	// guesses its size, and may join it row by row with a table of thousands
	_, err = t.tx.Exec(t.ctx, `ANALYZE `+name)
	return pgutil.Classify(err)
}

// batchRows checks a batch of n rows before it is copied, row i of values(i) and named by
// name(i) (its key: "order "A-1"", "route 2 of order "A-1""): a text holding a NUL byte is
// refused with errNUL, a row named twice with ErrConflict.
func batchRows(what string, n int, values func(i int) []any, name func(i int) string) ([][]any, error) {
	rows := make([][]any, n)
	seen := make(map[string]bool, n)
	for i := range n {
		rows[i] = values(i)
		k := name(i)
		if _, none := pgutil.WithoutNUL(rows[i]); none {
			return nil, fmt.Errorf("%s: %s: %w", what, k, errNUL)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s: %s: it is twice in the batch: %w", what, k, ErrConflict)
		}
		seen[k] = true
	}
	return rows, nil
}

// updateOrdersSQL applies batch_orders to network.orders, unless it holds an order the book
// does not: it returns the first such order's id (NULL when none) and how many it updated.
var updateOrdersSQL = func() string {
	set := make([]string, 0, len(orderColumns)-1)
	for _, c := range orderColumns[1:] {
		set = append(set, c+` = b.`+c)
	}
	return `WITH missing AS (
		SELECT b.order_id FROM batch_orders b
		WHERE NOT EXISTS (SELECT 1 FROM network.orders o WHERE o.order_id = b.order_id)
		ORDER BY b.order_id LIMIT 1),
	updated AS (
		UPDATE network.orders o SET ` + strings.Join(set, ", ") + ` FROM batch_orders b
		WHERE o.order_id = b.order_id AND NOT EXISTS (SELECT 1 FROM missing) RETURNING 1)
	SELECT (SELECT order_id FROM missing), (SELECT count(*) FROM updated)`
}()

// UpdateOrders writes every field of orders, each an order the book holds, with one COPY and
// one UPDATE. An order the book does not hold is an error wrapping network.ErrUnknownOrder, an
// order twice in orders one wrapping ErrConflict, each naming the order; nothing of the batch
// is then written.
func (t *writeTx) UpdateOrders(orders []network.Order) error {
	switch len(orders) {
	case 0:
		return nil
	case 1: // one statement is quicker than the temporary table's
		return t.UpdateOrder(orders[0])
	}
	what := fmt.Sprintf("updating %d orders", len(orders))
	rows, err := batchRows(what, len(orders), func(i int) []any { return orderValues(orders[i]) },
		func(i int) string { return fmt.Sprintf("order %q", orders[i].OrderID) })
	if err != nil {
		return err
	}
	if err := t.copyToTemp("batch_orders", `(LIKE network.orders)`, orderColumns, rows); err != nil {
		return wrap(err, "%s", what)
	}
	var missing *string
	var updated int64
	if err := t.tx.QueryRow(t.ctx, updateOrdersSQL).Scan(&missing, &updated); err != nil {
		return wrap(pgutil.Classify(err), "%s", what)
	}
	if missing != nil {
		return fmt.Errorf("%s: order %q: %w", what, *missing, network.ErrUnknownOrder)
	}
	return nil
}

// routeColumns are the columns of network.routes in the order of routeValues.
var routeColumns = []string{"order_id", "n", "site", "at", "cause", "why", "ranking", "ended", "end_cause"}

// checkRoutesSQL looks for a route of $1 (order ids) and $2 (route numbers) that the book
// cannot take: it returns the first of an order it does not hold and the first whose number
// its order has already (NULLs when none).
const checkRoutesSQL = `WITH b AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS b(order_id, n)),
	missing AS (
		SELECT b.order_id, b.n FROM b
		WHERE NOT EXISTS (SELECT 1 FROM network.orders o WHERE o.order_id = b.order_id)
		ORDER BY b.order_id, b.n LIMIT 1),
	taken AS (
		SELECT b.order_id, b.n FROM b
		WHERE EXISTS (SELECT 1 FROM network.routes r WHERE r.order_id = b.order_id AND r.n = b.n)
		ORDER BY b.order_id, b.n LIMIT 1)
	SELECT (SELECT order_id FROM missing), (SELECT n FROM missing),
		(SELECT order_id FROM taken), (SELECT n FROM taken)`

// InsertRoutes adds routes to their orders' with one COPY, once one query has found that the
// book can take every one. A route of an order the book does not hold is an error wrapping
// network.ErrUnknownOrder, a route number its order has already (or that is twice in routes)
// one wrapping ErrConflict, each naming the order; nothing of the batch is then written.
func (t *writeTx) InsertRoutes(routes []network.Route) error {
	if len(routes) == 0 {
		return nil
	}
	what := fmt.Sprintf("inserting %d routes", len(routes))
	rankings := make([][]byte, len(routes))
	for i, r := range routes {
		b, err := rankingJSON(r)
		if err != nil {
			return err
		}
		rankings[i] = b
	}
	rows, err := batchRows(what, len(routes), func(i int) []any { return routeValues(routes[i], rankings[i]) },
		func(i int) string { return fmt.Sprintf("route %d of order %q", routes[i].N, routes[i].OrderID) })
	if err != nil {
		return err
	}
	if err := t.checkRoutes(what, routes); err != nil {
		return err
	}
	_, err = t.tx.CopyFrom(t.ctx, pgx.Identifier{"network", "routes"}, routeColumns, pgx.CopyFromRows(rows))
	return wrap(pgutil.Classify(err), "%s", what)
}

// checkRoutes refuses routes the book cannot take, as InsertRoutes says.
func (t *writeTx) checkRoutes(what string, routes []network.Route) error {
	ids, ns := make([]string, len(routes)), make([]int64, len(routes))
	for i, r := range routes {
		ids[i], ns[i] = r.OrderID, int64(r.N)
	}
	var missing, taken *string
	var missingN, takenN *int64
	err := t.tx.QueryRow(t.ctx, checkRoutesSQL, ids, ns).Scan(&missing, &missingN, &taken, &takenN)
	switch {
	case err != nil:
		return wrap(pgutil.Classify(err), "%s", what)
	case missing != nil:
		return fmt.Errorf("%s: route %d of order %q: %w", what, *missingN, *missing, network.ErrUnknownOrder)
	case taken != nil:
		return fmt.Errorf("%s: route %d of order %q: the order has that route already: %w", what, *takenN, *taken, ErrConflict)
	}
	return nil
}

// endRoutesSQL applies batch_ends to network.routes, unless it holds a route the book does not:
// it returns the first such route (NULLs when none) and how many it ended.
const endRoutesSQL = `WITH missing AS (
		SELECT b.order_id, b.n FROM batch_ends b
		WHERE NOT EXISTS (SELECT 1 FROM network.routes r WHERE r.order_id = b.order_id AND r.n = b.n)
		ORDER BY b.order_id, b.n LIMIT 1),
	ended AS (
		UPDATE network.routes r SET ended = b.ended, end_cause = b.end_cause FROM batch_ends b
		WHERE r.order_id = b.order_id AND r.n = b.n AND NOT EXISTS (SELECT 1 FROM missing) RETURNING 1)
	SELECT (SELECT order_id FROM missing), (SELECT n FROM missing), (SELECT count(*) FROM ended)`

// EndRoutes records the ends of routes with one COPY and one UPDATE. A route the book does not
// hold is an error wrapping network.ErrUnknownOrder, a route twice in ends one wrapping
// ErrConflict, each naming the order; nothing of the batch is then written.
func (t *writeTx) EndRoutes(ends []network.RouteEnd) error {
	switch len(ends) {
	case 0:
		return nil
	case 1: // one statement is quicker than the temporary table's
		return t.EndRoute(ends[0].OrderID, ends[0].N, ends[0].At, ends[0].Cause)
	}
	what := fmt.Sprintf("ending %d routes", len(ends))
	rows, err := batchRows(what, len(ends), func(i int) []any {
		e := ends[i]
		return []any{e.OrderID, int64(e.N), nullTime(e.At), e.Cause}
	}, func(i int) string { return fmt.Sprintf("route %d of order %q", ends[i].N, ends[i].OrderID) })
	if err != nil {
		return err
	}
	def := `(order_id TEXT COLLATE "C" NOT NULL, n BIGINT NOT NULL, ended BIGINT, end_cause TEXT COLLATE "C" NOT NULL)`
	if err := t.copyToTemp("batch_ends", def, []string{"order_id", "n", "ended", "end_cause"}, rows); err != nil {
		return wrap(err, "%s", what)
	}
	var missing *string
	var missingN *int64
	var ended int64
	if err := t.tx.QueryRow(t.ctx, endRoutesSQL).Scan(&missing, &missingN, &ended); err != nil {
		return wrap(pgutil.Classify(err), "%s", what)
	}
	if missing != nil {
		return fmt.Errorf("%s: route %d of order %q: no such route: %w", what, *missingN, *missing, network.ErrUnknownOrder)
	}
	return nil
}
