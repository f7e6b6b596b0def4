package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// InsertOrder stores an order. An order id already stored, by this transaction or before it,
// is an error wrapping ErrConflict, and leaves the transaction usable.
func (t *writeTx) InsertOrder(o book.Order) error {
	tag, err := t.exec(`INSERT INTO orders (`+orderCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (order_id) DO NOTHING`,
		o.OrderID, o.Drop, o.SKU, o.Quantity, o.Customer, o.Priority, micros(o.Due), o.Notes, o.Hash,
		micros(o.IntakeAt), o.Batch)
	if err != nil {
		return fmt.Errorf("inserting order %q: %w", o.OrderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("inserting order %q: stored already: %w", o.OrderID, ErrConflict)
	}
	t.addUnits(o.Drop, o.SKU, o.Quantity)
	return nil
}

// insertWorkOrderSQL inserts a work order ($1-$10) and its operations, given column by column
// as arrays ($11-$29), in one statement. The operations come in the order of the arrays, so
// that their ids, from the table's identity, ascend in routing order; each gets the work
// order's due and priority. It returns the work order's id, and each operation's id and seq
// (NULL when there are none).
const insertWorkOrderSQL = `WITH wo AS (
		INSERT INTO work_orders (order_id, drop_id, sku, quantity, priority, due, state, intake_at, completed_at, remake_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
	), ops AS (
		INSERT INTO operations (work_order, seq, name, capability, quantity, unit_time_ns, setup_ns,
			changeover_attr, changeover_value, state, cell, reason, scrapped, units_done, queued_at, started_at,
			ended_at, version, step, rework_of, due, priority)
		SELECT wo.id, u.seq, u.name, u.capability, u.quantity, u.unit_time_ns, u.setup_ns, u.changeover_attr,
			u.changeover_value, u.state, u.cell, u.reason, u.scrapped, u.units_done, u.queued_at, u.started_at,
			u.ended_at, u.version, u.step, u.rework_of, $6, $5
		FROM wo, unnest($11::bigint[], $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[],
			$17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[], $23::bigint[],
			$24::bigint[], $25::bigint[], $26::bigint[], $27::bigint[], $28::bigint[], $29::bigint[])
			WITH ORDINALITY AS u(seq, name, capability, quantity, unit_time_ns, setup_ns, changeover_attr,
				changeover_value, state, cell, reason, scrapped, units_done, queued_at, started_at, ended_at,
				version, step, rework_of, ord)
		ORDER BY u.ord
		RETURNING id, seq
	)
	SELECT wo.id, ops.id, ops.seq FROM wo LEFT JOIN ops ON true`

// InsertWorkOrder stores a work order and its operations, setting their ids and the
// operations' WorkOrder. The order must be stored, or inserted in this transaction: else the
// transaction fails at commit with an error naming the order.
func (t *writeTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	args := append([]any{wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, micros(wo.Due), string(wo.State),
		micros(wo.IntakeAt), nullMicros(wo.CompletedAt), nullInt64(wo.RemakeOf)}, opColumns(ops)...)
	rows, err := t.query(insertWorkOrderSQL, args...)
	if err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	type inserted struct {
		wo  int64
		op  *int64
		seq *int
	}
	ids, err := collect(rows, func(r pgx.Rows) (inserted, error) {
		var i inserted
		err := r.Scan(&i.wo, &i.op, &i.seq)
		return i, err
	})
	if err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	if len(ids) == 0 || len(ids) != max(len(ops), 1) {
		return fmt.Errorf("inserting work order of order %q: %d rows back for %d operations", wo.OrderID, len(ids), len(ops))
	}
	bySeq := make(map[int]int64, len(ids))
	for _, i := range ids {
		if i.op != nil {
			bySeq[*i.seq] = *i.op
		}
	}
	wo.ID = ids[0].wo
	t.inserted = true
	t.count(entityWorkOrder, string(wo.State), 1)
	for i := range ops {
		ops[i].ID, ops[i].WorkOrder = bySeq[ops[i].Seq], wo.ID
		t.count(entityOperation, string(ops[i].State), 1)
	}
	return nil
}

// opColumns are the columns of ops as arrays, in insertWorkOrderSQL's order.
func opColumns(ops []book.Operation) []any {
	n := len(ops)
	seq, quantity, unit, setup, scrapped, done := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n), make([]int64, n)
	version, step := make([]int64, n), make([]int64, n)
	name, capability, attr, value, state, cell, reason := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	queued, started, ended, rework := make([]*int64, n), make([]*int64, n), make([]*int64, n), make([]*int64, n)
	for i, op := range ops {
		seq[i], name[i], capability[i], quantity[i] = int64(op.Seq), op.Name, op.Capability, int64(op.Quantity)
		unit[i], setup[i], attr[i], value[i] = int64(op.UnitTime), int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue
		state[i], cell[i], reason[i], scrapped[i], done[i] = string(op.State), op.Cell, op.Reason, int64(op.Scrapped), int64(op.UnitsDone)
		queued[i], started[i], ended[i] = nullMicros(op.QueuedAt), nullMicros(op.StartedAt), nullMicros(op.EndedAt)
		version[i], step[i], rework[i] = op.Version, int64(op.Step), nullInt64(op.ReworkOf)
	}
	return []any{seq, name, capability, quantity, unit, setup, attr, value, state, cell, reason, scrapped, done,
		queued, started, ended, version, step, rework}
}

// updateWorkOrderSQL changes a work order ($1) and, when its due ($6) or priority ($5)
// changes, the copies its operations keep; it returns the state the work order had, no row
// when there is no such work order. Every part reads the rows as they were before it.
const updateWorkOrderSQL = `WITH old AS (
		SELECT state FROM work_orders WHERE id = $1
	), wo AS (
		UPDATE work_orders SET order_id = $2, drop_id = $3, sku = $4, quantity = $7, priority = $5, due = $6,
			state = $8, intake_at = $9, completed_at = $10 WHERE id = $1
	), ops AS (
		UPDATE operations SET due = $6, priority = $5 WHERE work_order = $1 AND (due <> $6 OR priority <> $5)
	)
	SELECT state FROM old`

// UpdateWorkOrder stores wo, which must exist (else an error wrapping book.ErrNotFound). A
// change of its due or priority carries over to its operations' queue order.
func (t *writeTx) UpdateWorkOrder(wo book.WorkOrder) error {
	var state string
	err := t.queryRow(updateWorkOrderSQL, wo.ID, wo.OrderID, wo.Drop, wo.SKU, wo.Priority, micros(wo.Due),
		wo.Quantity, string(wo.State), micros(wo.IntakeAt), nullMicros(wo.CompletedAt)).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("updating work order %d: %w", wo.ID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating work order %d: %w", wo.ID, err)
	}
	if state != string(wo.State) {
		t.count(entityWorkOrder, state, -1)
		t.count(entityWorkOrder, string(wo.State), 1)
	}
	return nil
}

// updateOperationSQL changes the operation $1 if it is at version $2, and returns the state
// it had; no row when it is not there or at another version.
const updateOperationSQL = `UPDATE operations o SET name = $3, capability = $4, quantity = $5,
		unit_time_ns = $6, setup_ns = $7, changeover_attr = $8, changeover_value = $9, state = $10, cell = $11,
		reason = $12, scrapped = $13, units_done = $14, queued_at = $15, started_at = $16, ended_at = $17,
		version = $2 + 1
	FROM operations old WHERE o.id = $1 AND old.id = o.id AND o.version = $2
	RETURNING old.state`

// UpdateOperation stores op if the stored operation is at op.Version, and then increments
// op.Version. Otherwise it returns an error wrapping ErrConflict (someone changed the
// operation since op was read), or book.ErrNotFound. The operation's work order and seq do
// not change. The write lock makes the check and the change one: no other write runs between.
func (t *writeTx) UpdateOperation(op *book.Operation) error {
	var state string
	err := t.queryRow(updateOperationSQL, op.ID, op.Version, op.Name, op.Capability, op.Quantity,
		int64(op.UnitTime), int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell,
		op.Reason, op.Scrapped, op.UnitsDone, nullMicros(op.QueuedAt), nullMicros(op.StartedAt),
		nullMicros(op.EndedAt)).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return t.updateRefused(op)
	}
	if err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	if state != string(op.State) {
		t.count(entityOperation, state, -1)
		t.count(entityOperation, string(op.State), 1)
	}
	op.Version++
	return nil
}

// updateRefused says why UpdateOperation changed no row: the operation is not stored, or is
// at another version.
func (t *writeTx) updateRefused(op *book.Operation) error {
	var stored int64
	err := t.queryRow(`SELECT version FROM operations WHERE id = $1`, op.ID).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("updating operation %d: %w", op.ID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	return fmt.Errorf("updating operation %d: at version %d, stored is %d: %w", op.ID, op.Version, stored, ErrConflict)
}

// AppendEvent appends e to the event log and sets e.ID, from the table's identity: an id is
// never handed out twice, not even one of a transaction rolled back.
func (t *writeTx) AppendEvent(e *book.Event) error {
	err := t.queryRow(`INSERT INTO events (at, actor, kind, cell, drop_id, order_id, work_order, operation,
		from_state, to_state, reason, quantity, batch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING id`,
		micros(e.At), e.Actor, e.Kind, nullString(e.Cell), e.Drop, e.OrderID, nullInt64(e.WorkOrder),
		nullInt64(e.Operation), string(e.From), string(e.To), e.Reason, e.Quantity, e.Batch).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	return nil
}

// PutIdempotency stores rec, replacing a record of the same principal and key.
func (t *writeTx) PutIdempotency(rec book.IdempotencyRecord) error {
	resp := rec.Response
	if resp == nil {
		resp = []byte{}
	}
	if _, err := t.exec(`INSERT INTO idempotency (principal, key, request_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (principal, key) DO UPDATE SET request_hash = excluded.request_hash,
			status = excluded.status, response = excluded.response, created_at = excluded.created_at`,
		rec.Principal, rec.Key, rec.RequestHash, rec.Status, resp, micros(rec.CreatedAt)); err != nil {
		return fmt.Errorf("storing idempotency key of %q: %w", rec.Principal, err)
	}
	return nil
}

// ExpireIdempotency drops the records created before t.
func (t *writeTx) ExpireIdempotency(before time.Time) error {
	if _, err := t.exec(`DELETE FROM idempotency WHERE created_at < $1`, micros(before)); err != nil {
		return fmt.Errorf("expiring idempotency keys before %s: %w", before.Format(time.RFC3339), err)
	}
	return nil
}
