package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
)

// ordersChunk is the most ids Orders asks for in one statement.
const ordersChunk = 500

const orderCols = `order_id, drop_id, sku, quantity, customer, priority, due, notes, hash, intake_at, batch`

func scanOrder(sc scanner) (book.Order, error) {
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
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), ordersChunk)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := t.query(`SELECT `+orderCols+` FROM orders WHERE order_id IN (`+placeholders(len(chunk))+`)
			AND +rowid < ?`, append(args, t.vis.orders)...)
		if err != nil {
			return nil, fmt.Errorf("reading %d orders: %w", len(chunk), err)
		}
		orders, err := collect(t.ctx, rows, scanOrder)
		if err != nil {
			return nil, fmt.Errorf("reading %d orders: %w", len(chunk), err)
		}
		for _, o := range orders {
			out[o.OrderID] = o
		}
		if err := t.withdrawals(args, out); err != nil {
			return nil, fmt.Errorf("reading the withdrawals of %d orders: %w", len(chunk), err)
		}
	}
	return out, nil
}

// DropUnits returns the units ordered so far per SKU in a drop.
func (t *readTx) DropUnits(drop string) (map[string]int, error) {
	rows, err := t.query(`SELECT sku, units FROM drop_units WHERE drop_id = ?`, drop)
	if err != nil {
		return nil, fmt.Errorf("reading units of drop %q: %w", drop, err)
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var sku string
		var n int
		if err := rows.Scan(&sku, &n); err != nil {
			return nil, fmt.Errorf("reading units of drop %q: %w", drop, err)
		}
		out[sku] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading units of drop %q: %w", drop, err)
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

const workOrderCols = `id, order_id, drop_id, sku, quantity, priority, due, state, intake_at, completed_at, remake_of`

func scanWorkOrder(sc scanner) (book.WorkOrder, error) {
	var w book.WorkOrder
	var due, intake int64
	var completed, remakeOf sql.NullInt64
	err := sc.Scan(&w.ID, &w.OrderID, &w.Drop, &w.SKU, &w.Quantity, &w.Priority, &due, &w.State,
		&intake, &completed, &remakeOf)
	w.Due, w.IntakeAt, w.CompletedAt = fromMicros(due), fromMicros(intake), fromNullMicros(completed)
	w.RemakeOf = remakeOf.Int64
	return w, err
}

// WorkOrder returns the work order id, or an error wrapping book.ErrNotFound.
func (t *readTx) WorkOrder(id int64) (book.WorkOrder, error) {
	w, err := scanWorkOrder(t.queryRow(`SELECT `+workOrderCols+` FROM work_orders WHERE id = ? AND id < ?`, id, t.vis.workOrders))
	if errors.Is(err, sql.ErrNoRows) {
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
	w, err := scanWorkOrder(t.queryRow(`SELECT `+workOrderCols+` FROM work_orders WHERE order_id = ?
		AND id < ? ORDER BY id DESC LIMIT 1`, orderID, t.vis.workOrders))
	if errors.Is(err, sql.ErrNoRows) {
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
	list, err := json.Marshal(orderIDs)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(`SELECT `+workOrderCols+` FROM work_orders
		WHERE order_id IN (SELECT value FROM json_each(?)) AND +id < ? ORDER BY id`, string(list), t.vis.workOrders)
	if err != nil {
		return nil, fmt.Errorf("reading the work orders of %d orders: %w", len(orderIDs), err)
	}
	wos, err := collect(t.ctx, rows, scanWorkOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the work orders of %d orders: %w", len(orderIDs), err)
	}
	return wos, nil
}

// lostSQL selects the ids of the work orders that lost units, through the partial index
// operations_lost (whose condition it names literally) and the index of their state.
const lostSQL = `SELECT work_order FROM operations WHERE scrapped > 0 AND +id < ?
	UNION SELECT id FROM work_orders WHERE state = '` + string(book.WorkScrapped) + `' AND id < ?`

// OrdersWithLosses returns the ids of the orders of a drop (every drop when drop is empty)
// that lost units, by order id.
func (t *readTx) OrdersWithLosses(drop string) ([]string, error) {
	q := `SELECT DISTINCT order_id FROM work_orders WHERE id IN (` + lostSQL + `) AND id < ?`
	args := []any{t.vis.operations, t.vis.workOrders, t.vis.workOrders}
	if drop != "" {
		q += ` AND drop_id = ?`
		args = append(args, drop)
	}
	rows, err := t.query(q+` ORDER BY order_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the orders that lost units: %w", err)
	}
	ids, err := collect(t.ctx, rows, func(sc scanner) (string, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the orders that lost units: %w", err)
	}
	return ids, nil
}

// LostOperations returns the operations of the work orders among ids that scrapped units, by
// work order id and routing order.
func (t *readTx) LostOperations(workOrders []int64) ([]book.Operation, error) {
	if len(workOrders) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(workOrders)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(`SELECT `+opCols+` FROM operations o
		WHERE o.scrapped > 0 AND o.work_order IN (SELECT value FROM json_each(?)) AND +o.id < ?
		ORDER BY o.work_order, o.seq`, string(list), t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading the operations that lost units: %w", err)
	}
	ops, err := collect(t.ctx, rows, scanOperationOnly)
	if err != nil {
		return nil, fmt.Errorf("reading the operations that lost units: %w", err)
	}
	t.sawOperations(ops)
	return ops, nil
}

// WorkOrders returns the work orders f selects, by id ascending.
func (t *readTx) WorkOrders(f book.WorkOrderFilter) ([]book.WorkOrder, error) {
	q, args := workOrdersQuery(f, t.vis)
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading work orders: %w", err)
	}
	wos, err := collect(t.ctx, rows, scanWorkOrder)
	if err != nil {
		return nil, fmt.Errorf("reading work orders: %w", err)
	}
	return wos, nil
}

// workOrdersQuery is the query of WorkOrders with only the terms in use, so that the planner
// sees which index serves them.
func workOrdersQuery(f book.WorkOrderFilter, vis horizon) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT ` + workOrderCols + ` FROM work_orders WHERE id > ? AND id < ?`)
	args := []any{f.AfterID, vis.workOrders}
	if f.Drop != "" {
		q.WriteString(` AND drop_id = ?`)
		args = append(args, f.Drop)
	}
	if f.State != "" {
		q.WriteString(` AND state = ?`)
		args = append(args, string(f.State))
	}
	q.WriteString(` ORDER BY id LIMIT ?`)
	return q.String(), append(args, sqlLimit(f.Limit))
}

// opCols are the columns of an operation in operations o.
const opCols = `o.id, o.work_order, o.seq, o.name, o.capability, o.quantity, o.unit_time_ns, o.setup_ns,
	o.changeover_attr, o.changeover_value, o.state, o.cell, o.reason, o.scrapped, o.units_done,
	o.queued_at, o.started_at, o.ended_at, o.version, o.step, coalesce(o.rework_of, 0)`

// scanOperation scans opCols and then extra.
func scanOperation(sc scanner, extra ...any) (book.Operation, error) {
	var o book.Operation
	var unit, setup int64
	var queued, started, ended sql.NullInt64
	dest := append([]any{&o.ID, &o.WorkOrder, &o.Seq, &o.Name, &o.Capability, &o.Quantity, &unit, &setup,
		&o.ChangeoverAttr, &o.ChangeoverValue, &o.State, &o.Cell, &o.Reason, &o.Scrapped, &o.UnitsDone,
		&queued, &started, &ended, &o.Version, &o.Step, &o.ReworkOf}, extra...)
	err := sc.Scan(dest...)
	o.UnitTime, o.Setup = time.Duration(unit), time.Duration(setup)
	o.QueuedAt, o.StartedAt, o.EndedAt = fromNullMicros(queued), fromNullMicros(started), fromNullMicros(ended)
	return o, err
}

func scanOperationOnly(sc scanner) (book.Operation, error) { return scanOperation(sc) }

// Operations returns the operations of a work order in routing order.
func (t *readTx) Operations(workOrder int64) ([]book.Operation, error) {
	rows, err := t.query(`SELECT `+opCols+` FROM operations o WHERE o.work_order = ? AND +o.id < ?
		ORDER BY o.seq`, workOrder, t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading operations of work order %d: %w", workOrder, err)
	}
	ops, err := collect(t.ctx, rows, scanOperationOnly)
	if err != nil {
		return nil, fmt.Errorf("reading operations of work order %d: %w", workOrder, err)
	}
	t.sawOperations(ops)
	return ops, nil
}

// OpenOperations returns the operations of the open work orders with ids in (after, through],
// by work order id and routing order: a page of the planner's read in one statement.
func (t *readTx) OpenOperations(after, through int64) ([]book.Operation, error) {
	rows, err := t.query(`SELECT `+opCols+` FROM operations o
		WHERE o.work_order IN (SELECT id FROM work_orders WHERE state = '`+string(book.WorkOpen)+`' AND id > ? AND id <= ?
			AND id < ?)
		ORDER BY o.work_order, o.seq`, after, through, t.vis.workOrders)
	if err != nil {
		return nil, fmt.Errorf("reading operations of open work orders: %w", err)
	}
	ops, err := collect(t.ctx, rows, scanOperationOnly)
	if err != nil {
		return nil, fmt.Errorf("reading operations of open work orders: %w", err)
	}
	t.sawOperations(ops)
	return ops, nil
}

// Operation returns the operation id, or an error wrapping book.ErrNotFound.
func (t *readTx) Operation(id int64) (book.Operation, error) {
	op, err := scanOperation(t.queryRow(`SELECT `+opCols+` FROM operations o WHERE o.id = ? AND o.id < ?`, id, t.vis.operations))
	if errors.Is(err, sql.ErrNoRows) {
		return book.Operation{}, fmt.Errorf("operation %d: %w", id, book.ErrNotFound)
	}
	if err != nil {
		return book.Operation{}, fmt.Errorf("reading operation %d: %w", id, err)
	}
	t.sawOperations([]book.Operation{op})
	return op, nil
}

// queueEntryQuery selects queue entries: operations o joined with their work orders w. CROSS
// JOIN keeps operations the outer loop, read in the order of the index that serves the
// ORDER BY, so that LIMIT stops the scan early.
const queueEntryQuery = `SELECT ` + opCols + `, w.order_id, w.drop_id, w.sku, w.priority, w.due
	FROM operations o CROSS JOIN work_orders w ON w.id = o.work_order `

// readySQL selects the ready operations. The literal state matches the partial index
// operations_ready; a parameter would not.
const readySQL = queueEntryQuery + `WHERE o.state = '` + string(book.Ready) + `' AND +o.id < ?
	ORDER BY o.due, o.priority DESC, o.work_order, o.seq LIMIT ?`

// queueSQL selects the queue of a cell. queue_rank orders running, then paused, then queued;
// the index operations_queue holds exactly this order, so the read stops after limit entries
// without sorting.
const queueSQL = queueEntryQuery + `WHERE o.cell = ? AND o.queue_rank IS NOT NULL AND +o.id < ?
	ORDER BY o.queue_rank, o.due, o.priority DESC, o.work_order, o.seq LIMIT ?`

// completionsSQL selects the completions of a drop, through the partial index
// events_completed, whose kind it names literally.
const completionsSQL = `SELECT w.id, w.order_id, w.intake_at, max(e.at)
	FROM work_orders w JOIN events e ON e.work_order = w.id AND e.kind = '` + book.EventWorkOrderCompleted + `'
	WHERE w.drop_id = ?
	GROUP BY w.id ORDER BY w.id`

// finishedSQL selects the operations done or scrapped that ended at or after a time, by
// ended_at and id: the order of the partial index operations_ended, which the range on
// ended_at lets the planner use (a comparison implies ended_at IS NOT NULL), so that the read
// touches only the operations of the window and stops after limit without sorting.
const finishedSQL = queueEntryQuery + `WHERE o.ended_at >= ? AND +o.id < ?
	AND o.state IN ('` + string(book.Done) + `', '` + string(book.Scrapped) + `')
	ORDER BY o.ended_at, o.id LIMIT ?`

func scanQueueEntry(sc scanner) (book.QueueEntry, error) {
	var e book.QueueEntry
	var due int64
	op, err := scanOperation(sc, &e.OrderID, &e.Drop, &e.SKU, &e.Priority, &due)
	e.Operation, e.Due = op, fromMicros(due)
	return e, err
}

// ReadyOperations returns up to limit (all when limit <= 0) operations in state ready, earliest
// due first, then higher priority first, then by work order id and seq.
func (t *readTx) ReadyOperations(limit int) ([]book.QueueEntry, error) {
	rows, err := t.query(readySQL, t.vis.operations, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading ready operations: %w", err)
	}
	entries, err := collect(t.ctx, rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading ready operations: %w", err)
	}
	t.sawQueueEntries(entries)
	return entries, nil
}

// Queue returns up to limit (all when limit <= 0) operations queued, running or paused at a
// cell: running first, then paused, then queued; each earliest due first, then higher priority, then work
// order id and seq.
func (t *readTx) Queue(cell string, limit int) ([]book.QueueEntry, error) {
	rows, err := t.query(queueSQL, cell, t.vis.operations, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading queue of cell %q: %w", cell, err)
	}
	entries, err := collect(t.ctx, rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading queue of cell %q: %w", cell, err)
	}
	t.sawQueueEntries(entries)
	return entries, nil
}

// queueOrderSQL selects the ids and ranks of a cell's queue in queueSQL's order, from the index
// operations_queue alone (it holds the rank and the rowid).
const queueOrderSQL = `SELECT o.id, o.queue_rank FROM operations o
	WHERE o.cell = ? AND o.queue_rank IS NOT NULL AND +o.id < ?
	ORDER BY o.queue_rank, o.due, o.priority DESC, o.work_order, o.seq`

// queueEntriesSQL selects the queue entries of operations by id, given as a JSON array.
const queueEntriesSQL = queueEntryQuery + `WHERE o.id IN (SELECT value FROM json_each(?)) AND +o.id < ?`

// QueueOrder returns the operations of a cell's queue, in Queue's order, by id and state.
func (t *readTx) QueueOrder(cell string) ([]book.QueueRef, error) {
	rows, err := t.query(queueOrderSQL, cell, t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading the order of the queue of cell %q: %w", cell, err)
	}
	states := [...]book.State{book.Running, book.Paused, book.Queued}
	refs, err := collect(t.ctx, rows, func(sc scanner) (book.QueueRef, error) {
		var r book.QueueRef
		var rank int
		if err := sc.Scan(&r.ID, &rank); err != nil {
			return r, err
		}
		if rank < 0 || rank >= len(states) {
			return r, fmt.Errorf("operation %d: queue rank %d", r.ID, rank)
		}
		r.State = states[rank]
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the order of the queue of cell %q: %w", cell, err)
	}
	return refs, nil
}

// QueueEntries returns the queue entries of operations by id, in no particular order; ids
// that name no operation are left out.
func (t *readTx) QueueEntries(ids []int64) ([]book.QueueEntry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(queueEntriesSQL, string(list), t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading %d queue entries: %w", len(ids), err)
	}
	entries, err := collect(t.ctx, rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading %d queue entries: %w", len(ids), err)
	}
	t.sawQueueEntries(entries)
	return entries, nil
}

// FinishedOperations returns up to limit (all when limit <= 0) operations done or scrapped
// that ended at or after since, by end time and then id, each with its work order's order id,
// drop, SKU, priority and due.
func (t *readTx) FinishedOperations(since time.Time, limit int) ([]book.QueueEntry, error) {
	rows, err := t.query(finishedSQL, microsAtLeast(since), t.vis.operations, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading operations finished since %s: %w", since.Format(time.RFC3339), err)
	}
	entries, err := collect(t.ctx, rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading operations finished since %s: %w", since.Format(time.RFC3339), err)
	}
	t.sawQueueEntries(entries)
	return entries, nil
}

// CellLoads returns the standard time queued, running or paused at each cell that has any, by
// cell name.
func (t *readTx) CellLoads() ([]book.CellLoad, error) {
	rows, err := t.query(`SELECT cell, sum(setup_ns + quantity * unit_time_ns) FROM operations
		WHERE queue_rank IS NOT NULL AND +id < ? GROUP BY cell ORDER BY cell`, t.vis.operations)
	if err != nil {
		return nil, fmt.Errorf("reading cell loads: %w", err)
	}
	loads, err := collect(t.ctx, rows, func(sc scanner) (book.CellLoad, error) {
		var l book.CellLoad
		var ns int64
		err := sc.Scan(&l.Cell, &ns)
		l.Load = time.Duration(ns)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading cell loads: %w", err)
	}
	return loads, nil
}

// Completions returns the completed work orders of a drop, by work order id: their order, the
// time of their workorder.completed event (the latest, should there be several) and their
// intake.
func (t *readTx) Completions(drop string) ([]book.Completion, error) {
	rows, err := t.query(completionsSQL, drop)
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %q: %w", drop, err)
	}
	cs, err := collect(t.ctx, rows, func(sc scanner) (book.Completion, error) {
		var c book.Completion
		var intake, completed int64
		err := sc.Scan(&c.WorkOrder, &c.OrderID, &intake, &completed)
		c.IntakeAt, c.CompletedAt = fromMicros(intake), fromMicros(completed)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %q: %w", drop, err)
	}
	return cs, nil
}

const eventCols = `id, at, actor, kind, cell, drop_id, order_id, work_order, operation, from_state, to_state,
	reason, quantity, batch`

func scanEvent(sc scanner) (book.Event, error) {
	var e book.Event
	var at int64
	var cell sql.NullString
	var wo, op sql.NullInt64
	err := sc.Scan(&e.ID, &at, &e.Actor, &e.Kind, &cell, &e.Drop, &e.OrderID, &wo, &op, &e.From, &e.To,
		&e.Reason, &e.Quantity, &e.Batch)
	e.At, e.Cell, e.WorkOrder, e.Operation = fromMicros(at), cell.String, wo.Int64, op.Int64
	return e, err
}

// Events returns the events f selects, by id ascending.
func (t *readTx) Events(f book.EventFilter) ([]book.Event, error) {
	q, args := eventsQuery(f, t.vis)
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	events, err := collect(t.ctx, rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return events, nil
}

// LastEventID returns the id of the latest event, 0 when there is none.
func (t *readTx) LastEventID() (int64, error) {
	var id int64
	if err := t.queryRow(`SELECT coalesce(max(id), 0) FROM events WHERE id < ?`, t.vis.events).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the last event id: %w", err)
	}
	return id, nil
}

// eventsQuery is the query of Events with only the terms in use. Kinds, with or without Since,
// is served by the index events_kind_at, whose rows come in (kind, at) order and are then
// sorted by id: the sort holds only the events of the kinds and window asked for. Since
// without Kinds filters a read in id order.
func eventsQuery(f book.EventFilter, vis horizon) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT ` + eventCols + ` FROM events WHERE id > ? AND id < ?`)
	args := []any{f.AfterID, vis.events}
	if f.WorkOrder != 0 {
		q.WriteString(` AND work_order = ?`)
		args = append(args, f.WorkOrder)
	}
	if f.Operation != 0 {
		q.WriteString(` AND operation = ?`)
		args = append(args, f.Operation)
	}
	if f.Cell != "" {
		q.WriteString(` AND cell = ?`)
		args = append(args, f.Cell)
	}
	if len(f.Kinds) > 0 {
		q.WriteString(` AND kind IN (` + placeholders(len(f.Kinds)) + `)`)
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if !f.Since.IsZero() {
		q.WriteString(` AND at >= ?`)
		args = append(args, microsAtLeast(f.Since))
	}
	q.WriteString(` ORDER BY id LIMIT ?`)
	return q.String(), append(args, sqlLimit(f.Limit))
}

// Idempotency returns the record of a key, or ok false.
func (t *readTx) Idempotency(principal, key string) (book.IdempotencyRecord, bool, error) {
	rec := book.IdempotencyRecord{Principal: principal, Key: key}
	var created int64
	err := t.queryRow(`SELECT request_hash, status, response, created_at FROM idempotency
		WHERE principal = ? AND key = ?`, principal, key).Scan(&rec.RequestHash, &rec.Status, &rec.Response, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return book.IdempotencyRecord{}, false, nil
	}
	if err != nil {
		return book.IdempotencyRecord{}, false, fmt.Errorf("reading idempotency key of %q: %w", principal, err)
	}
	rec.CreatedAt = fromMicros(created)
	if len(rec.Response) == 0 {
		rec.Response = nil // stored as an empty blob
	}
	return rec, true, nil
}

// Counts returns the number of work orders per state and operations per state. A state that
// had work orders or operations once and has none now counts 0.
func (t *readTx) Counts() (map[book.WorkOrderState]int, map[book.State]int, error) {
	rows, err := t.query(`SELECT entity, state, n FROM state_counts`)
	if err != nil {
		return nil, nil, fmt.Errorf("reading counts: %w", err)
	}
	defer rows.Close()
	counts := make(map[entityState]int)
	for rows.Next() {
		var k entityState
		var n int
		if err := rows.Scan(&k.entity, &k.state, &n); err != nil {
			return nil, nil, fmt.Errorf("reading counts: %w", err)
		}
		counts[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading counts: %w", err)
	}
	if t.w != nil {
		for k, n := range t.w.counts {
			counts[k] += n
		}
	}
	wos, ops := make(map[book.WorkOrderState]int), make(map[book.State]int)
	for k, n := range counts {
		switch k.entity {
		case entityWorkOrder:
			wos[book.WorkOrderState(k.state)] = n
		case entityOperation:
			ops[book.State(k.state)] = n
		}
	}
	return wos, ops, nil
}
