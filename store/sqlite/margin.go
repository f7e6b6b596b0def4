package sqlite

import (
	"fmt"

	"github.com/cellforge/cellforge/book"
)

// marginOperationsSQL selects the operations of a drop's work orders through the index
// work_orders_drop and the operations' (work_order, seq) key.
const marginOperationsSQL = queueEntryQuery + `WHERE w.drop_id = ? AND w.id < ? AND +o.id < ?
	ORDER BY w.id, o.seq`

// MarginOperations returns every operation of a drop's work orders with its work order's order,
// drop and SKU, by work order id and seq.
func (t *readTx) MarginOperations(drop string) ([]book.QueueEntry, error) {
	rows, err := t.query(marginOperationsSQL, drop, t.vis.workOrders, t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	ops, err := collect(t.ctx, rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading the operations of drop %q: %w", drop, err)
	}
	return ops, nil
}

// marginRunsSQL selects the events that open or close a running interval of the operations of
// a drop's work orders, through the index events_operation.
const marginRunsSQL = `SELECT ` + eventColsOf + ` FROM work_orders w
	JOIN operations o ON o.work_order = w.id
	JOIN events e ON e.operation = o.id
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
