package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

const orderCols = `order_id, drop_id, sku, quantity, customer, priority, due, notes, hash, intake_at, batch`

func scanOrder(sc pgx.Rows) (book.Order, error) {
	var o book.Order
	var due, intake int64
	err := sc.Scan(&o.OrderID, &o.Drop, &o.SKU, &o.Quantity, &o.Customer, &o.Priority, &due,
		&o.Notes, &o.Hash, &intake, &o.Batch)
	o.Due, o.IntakeAt = fromMicros(due), fromMicros(intake)
	return o, err
}

// Orders returns the stored orders among ids, keyed by order id, each with its withdrawal.
func (t *readTx) Orders(ids []string) (map[string]book.Order, error) {
	out := make(map[string]book.Order, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := t.query(`SELECT `+orderCols+` FROM orders WHERE order_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading %d orders: %w", len(ids), err)
	}
	orders, err := collect(rows, scanOrder)
	if err != nil {
		return nil, fmt.Errorf("reading %d orders: %w", len(ids), err)
	}
	for _, o := range orders {
		out[o.OrderID] = o
	}
	if err := t.withdrawals(ids, out); err != nil {
		return nil, fmt.Errorf("reading the withdrawals of %d orders: %w", len(ids), err)
	}
	return out, nil
}

// DropUnits returns the units ordered so far per SKU in a drop, with those of the orders a
// write transaction inserted (kept in memory until commit, see commit.go).
func (t *readTx) DropUnits(drop string) (map[string]int, error) {
	rows, err := t.query(`SELECT sku, units FROM drop_units WHERE drop_id = $1`, drop)
	if err != nil {
		return nil, fmt.Errorf("reading units of drop %q: %w", drop, err)
	}
	type skuUnits struct {
		sku string
		n   int
	}
	units, err := collect(rows, func(r pgx.Rows) (skuUnits, error) {
		var u skuUnits
		err := r.Scan(&u.sku, &u.n)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading units of drop %q: %w", drop, err)
	}
	out := make(map[string]int, len(units))
	for _, u := range units {
		out[u.sku] = u.n
	}
	if t.w != nil {
		for k, n := range t.w.units {
			if k.drop == drop && n != 0 {
				out[k.sku] += n
			}
		}
	}
	return out, nil
}

const workOrderCols = `id, order_id, drop_id, sku, quantity, priority, due, state, intake_at, completed_at,
	coalesce(remake_of, 0)`

func scanWorkOrder(sc pgx.Row) (book.WorkOrder, error) {
	var w book.WorkOrder
	var due, intake int64
	var completed *int64
	var state string
	err := sc.Scan(&w.ID, &w.OrderID, &w.Drop, &w.SKU, &w.Quantity, &w.Priority, &due, &state,
		&intake, &completed, &w.RemakeOf)
	w.Due, w.IntakeAt, w.CompletedAt = fromMicros(due), fromMicros(intake), fromNullMicros(completed)
	w.State = book.WorkOrderState(state)
	return w, err
}

func scanWorkOrders(rows pgx.Rows) (book.WorkOrder, error) { return scanWorkOrder(rows) }

// WorkOrder returns the work order id, or an error wrapping book.ErrNotFound.
func (t *readTx) WorkOrder(id int64) (book.WorkOrder, error) {
	w, err := scanWorkOrder(t.queryRow(`SELECT `+workOrderCols+` FROM work_orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return book.WorkOrder{}, fmt.Errorf("work order %d: %w", id, book.ErrNotFound)
	}
	if err != nil {
		return book.WorkOrder{}, fmt.Errorf("reading work order %d: %w", id, err)
	}
	return w, nil
}

// WorkOrderByOrder returns the work order of an order, the latest if there were several, or an
// error wrapping book.ErrNotFound.
func (t *readTx) WorkOrderByOrder(orderID string) (book.WorkOrder, error) {
	w, err := scanWorkOrder(t.queryRow(`SELECT `+workOrderCols+` FROM work_orders WHERE order_id = $1
		ORDER BY id DESC LIMIT 1`, orderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return book.WorkOrder{}, fmt.Errorf("work order of order %q: %w", orderID, book.ErrNotFound)
	}
	if err != nil {
		return book.WorkOrder{}, fmt.Errorf("reading work order of order %q: %w", orderID, err)
	}
	return w, nil
}

// WorkOrdersOf returns the work orders of the orders among ids, by id ascending.
func (t *readTx) WorkOrdersOf(orderIDs []string) ([]book.WorkOrder, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	rows, err := t.query(`SELECT `+workOrderCols+` FROM work_orders WHERE order_id = ANY($1) ORDER BY id`, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("reading the work orders of %d orders: %w", len(orderIDs), err)
	}
	wos, err := collect(rows, scanWorkOrders)
	if err != nil {
		return nil, fmt.Errorf("reading the work orders of %d orders: %w", len(orderIDs), err)
	}
	return wos, nil
}

// lostSQL selects the ids of the work orders that lost units, through the partial index
// operations_lost (whose condition it names literally) and the index of their state.
const lostSQL = `SELECT work_order FROM operations WHERE scrapped > 0
	UNION SELECT id FROM work_orders WHERE state = '` + string(book.WorkScrapped) + `'`

// OrdersWithLosses returns the ids of the orders of a drop (every drop when drop is empty)
// that lost units, by order id.
func (t *readTx) OrdersWithLosses(drop string) ([]string, error) {
	q := `SELECT DISTINCT order_id FROM work_orders WHERE id IN (` + lostSQL + `)`
	var args []any
	if drop != "" {
		q += ` AND drop_id = $1`
		args = append(args, drop)
	}
	rows, err := t.query(q+` ORDER BY order_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the orders that lost units: %w", err)
	}
	ids, err := collect(rows, func(r pgx.Rows) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the orders that lost units: %w", err)
	}
	return ids, nil
}

// WorkOrders returns the work orders f selects, by id ascending.
func (t *readTx) WorkOrders(f book.WorkOrderFilter) ([]book.WorkOrder, error) {
	q := &pgutil.SQL{}
	q.WriteString(`SELECT ` + workOrderCols + ` FROM work_orders WHERE id > ` + q.Arg(f.AfterID))
	if f.Drop != "" {
		q.WriteString(` AND drop_id = ` + q.Arg(f.Drop))
	}
	if f.State != "" {
		q.WriteString(` AND state = ` + q.Arg(string(f.State)))
	}
	q.WriteString(` ORDER BY id LIMIT ` + q.Arg(rowLimit(f.Limit)))
	rows, err := t.query(q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("reading work orders: %w", err)
	}
	wos, err := collect(rows, scanWorkOrders)
	if err != nil {
		return nil, fmt.Errorf("reading work orders: %w", err)
	}
	return wos, nil
}
