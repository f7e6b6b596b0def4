package sqlite

import (
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// marginOperationsSQL selects what the margin needs of the operations of a drop's work orders,
// with the work orders as the outer loop, read through the index work_orders_drop in id order,
// and each one's operations through their (work_order, seq) key in seq order: no sort, and no
// operation of another drop read. Only the columns the margin reads: a drop's operations are
// many, and the driver's cost is per column read.
const marginOperationsSQL = `SELECT o.id, o.work_order, o.seq, o.step, COALESCE(o.rework_of, 0), o.capability, o.quantity, o.unit_time_ns, o.setup_ns,
		o.state, o.cell, o.scrapped, o.units_done, w.sku
	FROM work_orders w CROSS JOIN operations o ON o.work_order = w.id
	WHERE w.drop_id = ? AND w.id < ? AND +o.id < ?
	ORDER BY w.id, o.seq`

// MarginOperations returns every operation of a drop's work orders with its work order's SKU,
// by work order id and seq: what the margin reads of them (ids, seq, routing step, the
// operation it reworks, capability, quantity, times, state, cell, units scrapped and done).
func (t *readTx) MarginOperations(drop string) ([]book.QueueEntry, error) {
	rows, err := t.query(marginOperationsSQL, drop, t.vis.workOrders, t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	ops, err := collect(t.ctx, rows, func(sc scanner) (book.QueueEntry, error) {
		e := book.QueueEntry{Drop: drop}
		o := &e.Operation
		var unit, setup int64
		err := sc.Scan(&o.ID, &o.WorkOrder, &o.Seq, &o.Step, &o.ReworkOf, &o.Capability, &o.Quantity, &unit, &setup,
			&o.State, &o.Cell, &o.Scrapped, &o.UnitsDone, &e.SKU)
		o.UnitTime, o.Setup = time.Duration(unit), time.Duration(setup)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	return ops, nil
}

// marginRunsSQL selects the events that open or close a running interval of the operations of
// a drop's work orders: from the drop's work orders and their operations, each one's events
// through the index events_operation (CROSS JOIN keeps that order: left to itself the planner
// reads every operation.changed event of the log, which grows with every drop ever made).
const marginRunsSQL = `SELECT ` + eventColsOf + ` FROM work_orders w
	CROSS JOIN operations o ON o.work_order = w.id
	CROSS JOIN events e ON e.operation = o.id
	WHERE w.drop_id = ? AND w.id < ? AND e.id < ? AND e.kind = '` + book.EventOperation + `'
		AND (e.from_state = '` + string(book.Running) + `' OR e.to_state = '` + string(book.Running) + `')
	ORDER BY e.id`

// eventColsOf are the columns of an event in events e.
const eventColsOf = `e.id, e.at, e.actor, e.kind, e.cell, e.drop_id, e.order_id, e.work_order, e.operation,
	e.from_state, e.to_state, e.reason, e.quantity, e.batch`

// MarginRuns returns the events that start or end a running interval of the operations of a
// drop's work orders, by id.
func (t *readTx) MarginRuns(drop string) ([]book.Event, error) {
	rows, err := t.query(marginRunsSQL, drop, t.vis.workOrders, t.vis.events)
	if err != nil {
		return nil, fmt.Errorf("reading the running times of drop %q: %w", drop, err)
	}
	events, err := collect(t.ctx, rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("reading the running times of drop %q: %w", drop, err)
	}
	return events, nil
}
