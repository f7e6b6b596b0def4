package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// InsertOrder stores an order. An order id already inserted by this transaction is an error
// wrapping ErrConflict; one stored before fails the transaction with such an error when the
// order is sent to SQLite (see writeTx), at a later method of the Tx or at commit.
func (t *writeTx) InsertOrder(o book.Order) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("inserting order %q: %w", o.OrderID, err)
	}
	if t.pending != nil {
		return fmt.Errorf("inserting order %q: %w", o.OrderID, ErrBatchPending)
	}
	if _, dup := t.orderIDs[o.OrderID]; dup {
		return fmt.Errorf("inserting order %q: inserted twice: %w", o.OrderID, ErrConflict)
	}
	t.orders.add(o.OrderID, o.Drop, o.SKU, o.Quantity, o.Customer, o.Priority, micros(o.Due), o.Notes, o.Hash,
		micros(o.IntakeAt), o.Batch)
	t.orderIDs[o.OrderID] = struct{}{}
	t.units[dropSKU{o.Drop, o.SKU}] += o.Quantity
	return t.flushIfFull(&t.orders)
}

// InsertWorkOrder stores a work order and its operations, setting their ids and the
// operations' WorkOrder. The order must be stored, or inserted before in this transaction:
// else the transaction fails when the work order is sent to SQLite.
func (t *writeTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	if t.pending != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, ErrBatchPending)
	}
	id, err := t.newID(&t.nextWorkOrder, `SELECT coalesce(max(id), 0) FROM work_orders`)
	if err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	due := micros(wo.Due)
	t.workOrders.add(id, wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, due, string(wo.State),
		micros(wo.IntakeAt), nullMicros(wo.CompletedAt), nullInt64(wo.RemakeOf))
	t.counts[entityState{entityWorkOrder, string(wo.State)}]++
	wo.ID = id
	for i := range ops {
		op := &ops[i]
		opID, err := t.newID(&t.nextOperation, `SELECT coalesce(max(id), 0) FROM operations`)
		if err != nil {
			return fmt.Errorf("inserting operation %d of work order %d: %w", op.Seq, id, err)
		}
		t.operations.add(opID, id, op.Seq, op.Name, op.Capability, op.Quantity, int64(op.UnitTime),
			int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell, op.Reason,
			op.Scrapped, op.UnitsDone, nullMicros(op.QueuedAt), nullMicros(op.StartedAt), nullMicros(op.EndedAt), op.Version,
			due, wo.Priority, op.Step, nullInt64(op.ReworkOf))
		op.ID, op.WorkOrder = opID, id
		t.counts[entityState{entityOperation, string(op.State)}]++
	}
	return t.flushIfFull(&t.workOrders, &t.operations)
}

// UpdateWorkOrder stores wo, which must exist (else an error wrapping book.ErrNotFound). A
// change of its due or priority carries over to its operations' queue order.
func (t *writeTx) UpdateWorkOrder(wo book.WorkOrder) error {
	var state string
	var due int64
	var priority int
	err := t.queryRow(`SELECT state, due, priority FROM work_orders WHERE id = ? AND id < ?`, wo.ID, t.vis.workOrders).Scan(&state, &due, &priority)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("updating work order %d: %w", wo.ID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating work order %d: %w", wo.ID, err)
	}
	if _, err := t.exec(`UPDATE work_orders SET order_id = ?, drop_id = ?, sku = ?, quantity = ?, priority = ?,
		due = ?, state = ?, intake_at = ?, completed_at = ? WHERE id = ?`,
		wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, micros(wo.Due), string(wo.State),
		micros(wo.IntakeAt), nullMicros(wo.CompletedAt), wo.ID); err != nil {
		return fmt.Errorf("updating work order %d: %w", wo.ID, err)
	}
	if state != string(wo.State) {
		t.counts[entityState{entityWorkOrder, state}]--
		t.counts[entityState{entityWorkOrder, string(wo.State)}]++
	}
	if due != micros(wo.Due) || priority != wo.Priority {
		if _, err := t.exec(`UPDATE operations SET due = ?, priority = ? WHERE work_order = ?`,
			micros(wo.Due), wo.Priority, wo.ID); err != nil {
			return fmt.Errorf("updating work order %d: reordering its operations: %w", wo.ID, err)
		}
	}
	return nil
}

// UpdateOperation stores op if the stored operation is at op.Version, and then increments
// op.Version. Otherwise it returns an error wrapping ErrConflict (someone changed the
// operation since op was read), or book.ErrNotFound. The operation's work order and seq do
// not change.
//
// The check needs no statement when this transaction read or changed the operation before
// (see writeTx.ops), and the change is sent to SQLite with others in one statement.
func (t *writeTx) UpdateOperation(op *book.Operation) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	stored, known := t.ops[op.ID]
	if !known {
		var state string
		err := t.queryRow(`SELECT state, version FROM operations WHERE id = ? AND id < ?`, op.ID, t.vis.operations).Scan(&state, &stored.version)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("updating operation %d: %w", op.ID, book.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("updating operation %d: %w", op.ID, err)
		}
		stored.state = book.State(state)
	}
	if stored.version != op.Version {
		return fmt.Errorf("updating operation %d: at version %d, stored is %d: %w", op.ID, op.Version, stored.version, ErrConflict)
	}
	next := op.Version + 1
	row := []any{op.ID, op.Version, op.Name, op.Capability, op.Quantity, int64(op.UnitTime), int64(op.Setup),
		op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell, op.Reason, op.Scrapped, op.UnitsDone,
		nullMicros(op.QueuedAt), nullMicros(op.StartedAt), nullMicros(op.EndedAt), next}
	if i, held := t.updateAt[op.ID]; held {
		// changed twice before being sent: the second change replaces the first, at the
		// version stored before either
		keys := t.opUpdates.keys
		t.opUpdates.set(i, keys, row[keys:]...)
	} else {
		t.updateAt[op.ID] = t.opUpdates.len()
		t.opUpdates.add(row...)
	}
	t.ops[op.ID] = opVersion{state: op.State, version: next}
	if stored.state != op.State {
		t.counts[entityState{entityOperation, string(stored.state)}]--
		t.counts[entityState{entityOperation, string(op.State)}]++
	}
	op.Version = next
	return t.flushIfFull(&t.opUpdates)
}

// AppendEvent appends e to the event log and sets e.ID.
func (t *writeTx) AppendEvent(e *book.Event) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	id, err := t.newEventID()
	if err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	t.events.add(id, micros(e.At), e.Actor, e.Kind, nullString(e.Cell), e.Drop, e.OrderID, nullInt64(e.WorkOrder),
		nullInt64(e.Operation), string(e.From), string(e.To), e.Reason, e.Quantity, e.Batch)
	e.ID = id
	return t.flushIfFull(&t.events)
}

// PutIdempotency stores rec, replacing a record of the same principal and key.
func (t *writeTx) PutIdempotency(rec book.IdempotencyRecord) error {
	resp := rec.Response
	if resp == nil {
		resp = []byte{}
	}
	if _, err := t.exec(`INSERT INTO idempotency (principal, key, request_hash, status, response, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (principal, key) DO UPDATE SET request_hash = excluded.request_hash,
			status = excluded.status, response = excluded.response, created_at = excluded.created_at`,
		rec.Principal, rec.Key, rec.RequestHash, rec.Status, resp, micros(rec.CreatedAt)); err != nil {
		return fmt.Errorf("storing idempotency key of %q: %w", rec.Principal, err)
	}
	return nil
}

// ExpireIdempotency drops the records created before t.
func (t *writeTx) ExpireIdempotency(before time.Time) error {
	if _, err := t.exec(`DELETE FROM idempotency WHERE created_at < ?`, micros(before)); err != nil {
		return fmt.Errorf("expiring idempotency keys before %s: %w", before.Format(time.RFC3339), err)
	}
	return nil
}

// usable returns why the transaction can take no more changes: a failed flush, or its
// context ended. The statements check the context before they run (readTx.check; the driver
// is never given it, see conn.go); the methods that only hold rows back check it here, as
// cheaply, so that a cancelled import stops early.
func (t *writeTx) usable() error {
	if t.err != nil {
		return t.err
	}
	return t.check()
}

// newID hands out the next id of a table, reading the largest stored (with query) the first
// time. Nobody else inserts while the transaction holds the write lock.
func (t *writeTx) newID(next *int64, query string) (int64, error) {
	if *next == 0 {
		var largest int64
		if err := t.conn.QueryRowContext(t.sqlCtx, query).Scan(&largest); err != nil {
			return 0, fmt.Errorf("reading the largest id: %w", err)
		}
		*next = largest + 1
	}
	id := *next
	*next++
	return id, nil
}

// lastEventID is the SQL expression of the largest event id ever handed out. AUTOINCREMENT: an
// id is never used twice, not even the id of an event deleted since; SQLite raises the
// sequence to the ids inserted, so the larger of the two is the last.
const lastEventID = `max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
	coalesce((SELECT max(id) FROM events), 0))`

// newEventID hands out the next event id, after lastEventID. While a batch is pending, the ids
// set aside for its events are skipped: the transaction takes the ids of the gap before them,
// and once the gap is full those after them (see batch.go).
func (t *writeTx) newEventID() (int64, error) {
	p := t.pending
	if t.nextEvent == 0 {
		if p == nil {
			return t.newID(&t.nextEvent, `SELECT `+lastEventID)
		}
		var below, above int64
		if err := t.conn.QueryRowContext(t.sqlCtx, `SELECT coalesce((SELECT max(id) FROM events WHERE id < ?), 0),
			coalesce((SELECT max(id) FROM events WHERE id >= ?), 0)`, p.eventFirst, p.eventEnd).Scan(&below, &above); err != nil {
			return 0, fmt.Errorf("reading the largest id: %w", err)
		}
		t.nextEvent = max(p.eventFloor, below+1)
		if t.nextEvent >= p.eventFirst {
			t.nextEvent = max(p.eventEnd, above+1)
		}
	}
	if p != nil && t.nextEvent == p.eventFirst {
		t.nextEvent = p.eventEnd
	}
	id := t.nextEvent
	t.nextEvent++
	return id, nil
}

// flushIfFull sends all rows held back when one of bufs is full.
func (t *writeTx) flushIfFull(bufs ...*rowBuffer) error {
	for _, b := range bufs {
		if b.full() {
			return t.flush()
		}
	}
	return nil
}

// flush sends the rows held back to SQLite, parents before children. When it fails, the rows
// are lost, and so is the transaction: the error stays in t.err, and fails every later
// method and the commit.
func (t *writeTx) flush() error {
	if t.err != nil {
		return t.err
	}
	err := t.flushOrders()
	if err == nil {
		err = t.flushInserts(&t.workOrders, "work orders")
	}
	if err == nil {
		err = t.flushInserts(&t.operations, "operations")
	}
	if err == nil {
		err = t.flushOperationUpdates()
	}
	if err == nil {
		err = t.flushInserts(&t.events, "events")
	}
	if err != nil {
		t.err = err
	}
	return err
}

// execBatch runs the statement of a batch. A batch that breaks a constraint has rolled the
// transaction back (OR ROLLBACK, see buffer.go), which t.rolledBack records; but for a
// foreign key, which is checked at commit, or would only abort the statement.
func (t *writeTx) execBatch(q string, args []any) (sql.Result, error) {
	if t.chunk != nil {
		// in a batch: a transaction of its own every chunkHold
		if err := t.chunk.yield(t); err != nil {
			return nil, err
		}
		if err := t.chunk.open(t); err != nil {
			return nil, err
		}
	}
	res, err := t.conn.ExecContext(t.sqlCtx, q, args...)
	if isConstraint(err) && !isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
		t.rolledBack = true
	}
	return res, err
}

// flushInserts sends the rows of b, things by name.
func (t *writeTx) flushInserts(b *rowBuffer, things string) error {
	err := b.batches(func(vals []value, fixed []bool) error {
		if _, err := t.execBatch(newBatch(b.table, vals, fixed).insert()); err != nil {
			return fmt.Errorf("inserting %d %s: %w", len(vals)/len(b.cols), things, err)
		}
		return nil
	})
	b.reset()
	return err
}

// flushOrders sends the orders held back. An order id that is stored already fails with an
// error that names it and wraps ErrConflict.
func (t *writeTx) flushOrders() error {
	ncol := len(t.orders.cols)
	err := t.orders.batches(func(vals []value, fixed []bool) error {
		_, err := t.execBatch(newBatch(t.orders.table, vals, fixed).insert())
		if err == nil {
			return nil
		}
		if !isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return fmt.Errorf("inserting %d orders: %w", len(vals)/ncol, err)
		}
		// InsertOrder refused an id twice in the transaction, so one of the batch was stored
		// before it, and still is after the rollback
		ids := texts(vals, ncol, 0)
		stored, serr := t.storedOrders(ids)
		for _, id := range ids {
			if stored[id] {
				return fmt.Errorf("inserting order %q: stored already: %w: %w", id, ErrConflict, err)
			}
		}
		return fmt.Errorf("inserting %d orders: %w: %w", len(ids), ErrConflict, errors.Join(err, serr))
	})
	t.orders.reset()
	return err
}

// flushOperationUpdates sends the changes of UpdateOperation held back.
func (t *writeTx) flushOperationUpdates() error {
	b := &t.opUpdates
	err := b.batches(func(vals []value, fixed []bool) error {
		n := len(vals) / len(b.cols)
		res, err := t.execBatch(newBatch(b.table, vals, fixed).update())
		if err != nil {
			return fmt.Errorf("updating %d operations: %w", n, err)
		}
		// UpdateOperation checked the versions; this is a second line of defence
		changed, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("updating %d operations: %w", n, err)
		}
		if changed != int64(n) {
			return fmt.Errorf("updating %d operations: %d changed since they were read: %w", n, int64(n)-changed, ErrConflict)
		}
		return nil
	})
	b.reset()
	clear(t.updateAt)
	return err
}

// explainForeignKeys returns the error of a commit that SQLite refused for a row whose
// parent is missing (foreign keys are checked at commit, see 0001_init.sql), naming the row.
func (t *writeTx) explainForeignKeys(err error) error {
	var table, parent string
	var rowid int64
	var fk int
	// the transaction is still open: COMMIT failed
	if qerr := t.conn.QueryRowContext(t.sqlCtx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fk); qerr != nil {
		return err
	}
	switch table {
	case "work_orders":
		var orderID string
		if qerr := t.conn.QueryRowContext(t.sqlCtx, `SELECT order_id FROM work_orders WHERE id = ?`, rowid).Scan(&orderID); qerr == nil {
			return fmt.Errorf("work order %d: no order %q: %w", rowid, orderID, err)
		}
	case "operations":
		var wo int64
		if qerr := t.conn.QueryRowContext(t.sqlCtx, `SELECT work_order FROM operations WHERE id = ?`, rowid).Scan(&wo); qerr == nil {
			return fmt.Errorf("operation %d: no work order %d: %w", rowid, wo, err)
		}
	}
	return fmt.Errorf("row %d of %s: no parent in %s: %w", rowid, table, parent, err)
}

// storedOrders returns which of ids are stored, leaving the rows held back where they are.
func (t *writeTx) storedOrders(ids []string) (map[string]bool, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := t.conn.QueryContext(t.sqlCtx, `SELECT order_id FROM orders WHERE order_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("looking up order ids: %w", err)
	}
	stored, err := collect(t.ctx, rows, func(sc scanner) (string, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up order ids: %w", err)
	}
	out := make(map[string]bool, len(stored))
	for _, id := range stored {
		out[id] = true
	}
	return out, nil
}

// texts returns column c of rows of ncol values, strings.
func texts(vals []value, ncol, c int) []string {
	out := make([]string, 0, len(vals)/ncol)
	for i := c; i < len(vals); i += ncol {
		out = append(out, vals[i].s)
	}
	return out
}
