package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// marginOperationsSQL selects what the margin needs of the operations of a drop's work orders:
// the work orders through work_orders_drop, each one's operations through their (work_order,
// seq) key. Only the columns the margin reads: a drop's operations are many.
const marginOperationsSQL = `SELECT o.id, o.work_order, o.seq, o.step, COALESCE(o.rework_of, 0), o.capability, o.quantity,
		o.unit_time_ns, o.setup_ns, o.state, o.cell, o.scrapped, o.units_done, w.sku
	FROM work_orders w JOIN operations o ON o.work_order = w.id
	WHERE w.drop_id = $1
	ORDER BY w.id, o.seq`

// MarginOperations returns every operation of a drop's work orders with its work order's SKU,
// by work order id and seq: what the margin reads of them (ids, seq, routing step, the
// operation it reworks, capability, quantity, times, state, cell, units scrapped and done).
func (t *readTx) MarginOperations(drop string) ([]book.QueueEntry, error) {
	rows, err := t.query(marginOperationsSQL, drop)
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	ops, err := collect(rows, func(sc pgx.Rows) (book.QueueEntry, error) {
		e := book.QueueEntry{Drop: drop}
		o := &e.Operation
		var unit, setup int64
		var state string
		err := sc.Scan(&o.ID, &o.WorkOrder, &o.Seq, &o.Step, &o.ReworkOf, &o.Capability, &o.Quantity, &unit, &setup,
			&state, &o.Cell, &o.Scrapped, &o.UnitsDone, &e.SKU)
		o.UnitTime, o.Setup, o.State = time.Duration(unit), time.Duration(setup), book.State(state)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	return ops, nil
}

// marginRunsSQL selects the events that open or close a running interval of the operations of
// a drop's work orders: from the drop's work orders and their operations, each one's events
// through the index events_operation, never the whole log's operation.changed events.
const marginRunsSQL = `SELECT e.id, e.at, e.actor, e.kind, e.cell, e.drop_id, e.order_id, e.work_order, e.operation,
		e.from_state, e.to_state, e.reason, e.quantity, e.batch
	FROM work_orders w
	JOIN operations o ON o.work_order = w.id
	JOIN events e ON e.operation = o.id
	WHERE w.drop_id = $1 AND e.kind = '` + book.EventOperation + `'
		AND (e.from_state = '` + string(book.Running) + `' OR e.to_state = '` + string(book.Running) + `')
	ORDER BY e.id`

// MarginRuns returns the events that start or end a running interval of the operations of a
// drop's work orders, by id.
func (t *readTx) MarginRuns(drop string) ([]book.Event, error) {
	rows, err := t.query(marginRunsSQL, drop)
	if err != nil {
		return nil, fmt.Errorf("reading the running times of drop %q: %w", drop, err)
	}
	events, err := collect(rows, scanMarginRun)
	if err != nil {
		return nil, fmt.Errorf("reading the running times of drop %q: %w", drop, err)
	}
	return events, nil
}

// scanMarginRun reads an event of marginRunsSQL: a NULL cell as "", a NULL work order or
// operation as 0, as the SQLite store reads them.
func scanMarginRun(sc pgx.Rows) (book.Event, error) {
	var e book.Event
	var at int64
	var cell *string
	var wo, op *int64
	var from, to string
	if err := sc.Scan(&e.ID, &at, &e.Actor, &e.Kind, &cell, &e.Drop, &e.OrderID, &wo, &op, &from, &to,
		&e.Reason, &e.Quantity, &e.Batch); err != nil {
		return e, err
	}
	e.At, e.From, e.To = fromMicros(at), book.State(from), book.State(to)
	if cell != nil {
		e.Cell = *cell
	}
	if wo != nil {
		e.WorkOrder = *wo
	}
	if op != nil {
		e.Operation = *op
	}
	return e, nil
}
