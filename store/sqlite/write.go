package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
)

// InsertOrder stores an order. An order id that is already stored is an error wrapping
// ErrConflict.
func (t *writeTx) InsertOrder(o book.Order) error {
	_, err := t.exec(`INSERT INTO orders (`+orderCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.OrderID, o.Drop, o.SKU, o.Quantity, o.Customer, o.Priority, micros(o.Due), o.Notes, o.Hash,
		micros(o.IntakeAt), o.Batch)
	if isUniqueViolation(err) {
		return fmt.Errorf("inserting order %q: %w: %w", o.OrderID, ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("inserting order %q: %w", o.OrderID, err)
	}
	t.pending.units[dropSKU{o.Drop, o.SKU}] += o.Quantity
	return nil
}

// opsPerInsert is the most operations one INSERT statement stores. One statement for all the
// operations of a work order saves compiling one per operation: the driver compiles every
// statement it runs.
const opsPerInsert = 64

// opInsertCols are the columns of operations an insert sets, in the order of opInsertArgs.
const opInsertCols = `id, work_order, seq, name, capability, quantity, unit_time_ns, setup_ns, changeover_attr,
	changeover_value, state, cell, reason, scrapped, queued_at, started_at, ended_at, version, due, priority`

const opInsertColCount = 20

// InsertWorkOrder stores a work order and its operations, setting their ids and the
// operations' WorkOrder. The order must be stored.
func (t *writeTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	res, err := t.exec(`INSERT INTO work_orders (order_id, drop_id, sku, quantity, priority, due, state,
		intake_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, micros(wo.Due), string(wo.State),
		micros(wo.IntakeAt), nullMicros(wo.CompletedAt))
	if err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	if t.nextOperationID == 0 {
		if err := t.queryRow(`SELECT coalesce(max(id), 0) + 1 FROM operations`).Scan(&t.nextOperationID); err != nil {
			return fmt.Errorf("inserting operations of work order %d: reading the next id: %w", id, err)
		}
	}
	due := micros(wo.Due)
	for rest := ops; len(rest) > 0; {
		chunk := rest[:min(len(rest), opsPerInsert)]
		rest = rest[len(chunk):]
		args := make([]any, 0, len(chunk)*opInsertColCount)
		for i := range chunk {
			op := &chunk[i]
			args = append(args, t.nextOperationID+int64(i), id, op.Seq, op.Name, op.Capability, op.Quantity,
				int64(op.UnitTime), int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue, string(op.State),
				op.Cell, op.Reason, op.Scrapped, nullMicros(op.QueuedAt), nullMicros(op.StartedAt),
				nullMicros(op.EndedAt), op.Version, due, wo.Priority)
		}
		if _, err := t.exec(opsInsertSQL(len(chunk)), args...); err != nil {
			return fmt.Errorf("inserting operations of work order %d: %w", id, err)
		}
		for i := range chunk {
			chunk[i].ID = t.nextOperationID + int64(i)
			chunk[i].WorkOrder = id
			t.pending.counts[entityState{entityOperation, string(chunk[i].State)}]++
		}
		t.nextOperationID += int64(len(chunk))
	}
	wo.ID = id
	t.pending.counts[entityState{entityWorkOrder, string(wo.State)}]++
	return nil
}

// opsInsertSQLs are the INSERT statements of 1 to opsPerInsert operations.
var opsInsertSQLs = func() []string {
	row := "(" + placeholders(opInsertColCount) + ")"
	sqls := make([]string, opsPerInsert+1)
	for n := 1; n <= opsPerInsert; n++ {
		sqls[n] = `INSERT INTO operations (` + opInsertCols + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	return sqls
}()

func opsInsertSQL(n int) string { return opsInsertSQLs[n] }

// UpdateWorkOrder stores wo, which must exist (else an error wrapping book.ErrNotFound). A
// change of its due or priority carries over to its operations' queue order.
func (t *writeTx) UpdateWorkOrder(wo book.WorkOrder) error {
	var state string
	var due int64
	var priority int
	err := t.queryRow(`SELECT state, due, priority FROM work_orders WHERE id = ?`, wo.ID).Scan(&state, &due, &priority)
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
	if due != micros(wo.Due) || priority != wo.Priority {
		if _, err := t.exec(`UPDATE operations SET due = ?, priority = ? WHERE work_order = ?`,
			micros(wo.Due), wo.Priority, wo.ID); err != nil {
			return fmt.Errorf("updating work order %d: reordering its operations: %w", wo.ID, err)
		}
	}
	if state != string(wo.State) {
		t.pending.counts[entityState{entityWorkOrder, state}]--
		t.pending.counts[entityState{entityWorkOrder, string(wo.State)}]++
	}
	return nil
}

// UpdateOperation stores op if the stored operation is at op.Version, and then increments
// op.Version. Otherwise it returns an error wrapping ErrConflict (someone changed the
// operation since op was read), or book.ErrNotFound. The operation's work order and seq do
// not change.
func (t *writeTx) UpdateOperation(op *book.Operation) error {
	var state string
	var version int64
	err := t.queryRow(`SELECT state, version FROM operations WHERE id = ?`, op.ID).Scan(&state, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("updating operation %d: %w", op.ID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	if version != op.Version {
		return fmt.Errorf("updating operation %d: at version %d, stored is %d: %w", op.ID, op.Version, version, ErrConflict)
	}
	res, err := t.exec(`UPDATE operations SET name = ?, capability = ?, quantity = ?, unit_time_ns = ?,
		setup_ns = ?, changeover_attr = ?, changeover_value = ?, state = ?, cell = ?, reason = ?, scrapped = ?,
		queued_at = ?, started_at = ?, ended_at = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		op.Name, op.Capability, op.Quantity, int64(op.UnitTime), int64(op.Setup), op.ChangeoverAttr,
		op.ChangeoverValue, string(op.State), op.Cell, op.Reason, op.Scrapped, nullMicros(op.QueuedAt),
		nullMicros(op.StartedAt), nullMicros(op.EndedAt), op.ID, op.Version)
	if err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	// the check above happened in this transaction, which holds the write lock: this is a
	// second line of defence
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	if n != 1 {
		return fmt.Errorf("updating operation %d: at version %d: %w", op.ID, op.Version, ErrConflict)
	}
	op.Version++
	if state != string(op.State) {
		t.pending.counts[entityState{entityOperation, state}]--
		t.pending.counts[entityState{entityOperation, string(op.State)}]++
	}
	return nil
}

// AppendEvent appends e to the event log and sets e.ID.
func (t *writeTx) AppendEvent(e *book.Event) error {
	res, err := t.exec(`INSERT INTO events (at, actor, kind, cell, drop_id, order_id, work_order, operation,
		from_state, to_state, reason, quantity, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		micros(e.At), e.Actor, e.Kind, nullString(e.Cell), e.Drop, e.OrderID, nullInt64(e.WorkOrder),
		nullInt64(e.Operation), string(e.From), string(e.To), e.Reason, e.Quantity, e.Batch)
	if err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	e.ID = id
	return nil
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
