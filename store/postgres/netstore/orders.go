package netstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// orderColumns are the columns of network.orders in the order of scanOrder and orderValues.
var orderColumns = []string{"order_id", "drop_id", "sku", "quantity", "customer", "priority", "due",
	"notes", "lat", "lon", "hash", "batch", "state", "site", "route", "ack_by", "promise", "made",
	"good", "version", "done_at", "created_at", "updated_at"}

const selectOrders = `SELECT order_id, drop_id, sku, quantity, customer, priority, due, notes, lat,
	lon, hash, batch, state, site, route, ack_by, promise, made, good, version, done_at, created_at,
	updated_at FROM network.orders`

func scanOrder(rows pgx.Rows) (network.Order, error) {
	var o network.Order
	var quantity, priority, route, made, good int64
	var due, created, updated int64
	var ackBy, promise, doneAt *int64
	var state string
	err := rows.Scan(&o.OrderID, &o.Drop, &o.SKU, &quantity, &o.Customer, &priority, &due, &o.Notes,
		&o.Location.Lat, &o.Location.Lon, &o.Hash, &o.Batch, &state, &o.Site, &route, &ackBy, &promise,
		&made, &good, &o.Version, &doneAt, &created, &updated)
	o.Quantity, o.Priority, o.Route, o.Made, o.Good = int(quantity), int(priority), int(route), int(made), int(good)
	o.State = network.OrderState(state)
	o.Due, o.CreatedAt, o.UpdatedAt = pgutil.FromMicros(due), pgutil.FromMicros(created), pgutil.FromMicros(updated)
	o.AckBy, o.Promise, o.DoneAt = fromNull(ackBy), fromNull(promise), fromNull(doneAt)
	return o, err
}

// orderValues are o's values in the order of orderColumns.
func orderValues(o network.Order) []any {
	return []any{o.OrderID, o.Drop, o.SKU, int64(o.Quantity), o.Customer, int64(o.Priority),
		pgutil.Micros(o.Due), o.Notes, o.Location.Lat, o.Location.Lon, o.Hash, o.Batch, string(o.State),
		o.Site, int64(o.Route), nullTime(o.AckBy), nullTime(o.Promise), int64(o.Made), int64(o.Good),
		o.Version, nullTime(o.DoneAt), pgutil.Micros(o.CreatedAt), pgutil.Micros(o.UpdatedAt)}
}

// Order returns the order id; ok is false when there is none.
func (t *readTx) Order(id string) (network.Order, bool, error) {
	orders, err := query(t, scanOrder, selectOrders+` WHERE order_id = $1`, id)
	if err != nil || len(orders) == 0 {
		return network.Order{}, false, wrap(err, "reading order %q", id)
	}
	return orders[0], true, nil
}

// OrdersByID returns the orders of ids the book holds, by order id.
func (t *readTx) OrdersByID(ids []string) ([]network.Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	orders, err := query(t, scanOrder, selectOrders+` WHERE order_id = ANY($1) ORDER BY order_id`, ids)
	return orders, wrap(err, "reading %d orders by id", len(ids))
}

// Orders returns the orders f selects, by order id.
func (t *readTx) Orders(f network.OrderFilter) ([]network.Order, error) {
	var q pgutil.SQL
	q.WriteString(selectOrders + ` WHERE TRUE`)
	if f.Drop != "" {
		q.WriteString(` AND drop_id = ` + q.Arg(f.Drop))
	}
	if f.Site != "" {
		q.WriteString(` AND site = ` + q.Arg(f.Site))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		q.WriteString(` AND state = ANY(` + q.Arg(states) + `)`)
	}
	if !f.AckBefore.IsZero() {
		q.WriteString(` AND state = '` + string(network.Routed) + `' AND ack_by < ` + q.Arg(pgutil.MicrosAtLeast(f.AckBefore)))
	}
	if f.AfterID != "" {
		q.WriteString(` AND order_id > ` + q.Arg(f.AfterID))
	}
	q.WriteString(` ORDER BY order_id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + q.Arg(int64(f.Limit)))
	}
	orders, err := query(t, scanOrder, q.String(), q.Args...)
	return orders, wrap(err, "reading orders")
}

// InsertOrders adds orders with one COPY. An order id already stored, or twice in orders, is
// an error wrapping ErrConflict, and nothing of the write is applied.
func (t *writeTx) InsertOrders(orders []network.Order) error {
	if len(orders) == 0 {
		return nil
	}
	for _, o := range orders {
		if _, none := pgutil.WithoutNUL(orderValues(o)); none {
			return fmt.Errorf("inserting order %q: %w", o.OrderID, errNUL)
		}
	}
	src := pgx.CopyFromSlice(len(orders), func(i int) ([]any, error) { return orderValues(orders[i]), nil })
	_, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{"network", "orders"}, orderColumns, src)
	if pgutil.Code(err) == pgutil.UniqueViolation {
		return fmt.Errorf("inserting %d orders: an order id is already stored: %w: %w", len(orders), ErrConflict, err)
	}
	return wrap(pgutil.Classify(err), "inserting %d orders", len(orders))
}

// updateOrderSQL writes every field of an order, its values those of orderValues.
const updateOrderSQL = `UPDATE network.orders SET drop_id = $2, sku = $3, quantity = $4,
	customer = $5, priority = $6, due = $7, notes = $8, lat = $9, lon = $10, hash = $11,
	batch = $12, state = $13, site = $14, route = $15, ack_by = $16, promise = $17, made = $18,
	good = $19, version = $20, done_at = $21, created_at = $22, updated_at = $23
	WHERE order_id = $1`

// UpdateOrder writes every field of o, an order the book holds; an order it does not hold is
// an error wrapping network.ErrUnknownOrder.
func (t *writeTx) UpdateOrder(o network.Order) error {
	tag, err := t.exec(updateOrderSQL, orderValues(o)...)
	if err != nil {
		return fmt.Errorf("updating order %q: %w", o.OrderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("updating order %q: %w", o.OrderID, network.ErrUnknownOrder)
	}
	return nil
}

func scanTally(rows pgx.Rows) (network.Tally, error) {
	var tl network.Tally
	var state string
	var orders, units, made, good int64
	err := rows.Scan(&tl.Site, &tl.Drop, &state, &orders, &units, &made, &good)
	tl.State = network.OrderState(state)
	tl.Orders, tl.Units, tl.Made, tl.Good = int(orders), int(units), int(made), int(good)
	return tl, err
}

// Tally counts the orders and their units by site, drop and state, in that order.
func (t *readTx) Tally() ([]network.Tally, error) {
	tally, err := query(t, scanTally, `SELECT site, drop_id, state, COUNT(*), SUM(quantity), SUM(made),
		SUM(good) FROM network.orders GROUP BY site, drop_id, state ORDER BY site, drop_id, state`)
	return tally, wrap(err, "counting the orders")
}
