package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cellforge/cellforge/book"
)

// What the floor owes and holds: the cells out of service, the faults people reported, the
// operations a fault paused, the labels owed and the event log followers' cursors. Each
// method runs one statement.

// CellsDown returns the cells out of service, by cell id.
func (t *readTx) CellsDown() ([]book.CellDown, error) {
	rows, err := t.query(`SELECT cell, reason, actor, since FROM cells_down ORDER BY cell`)
	if err != nil {
		return nil, fmt.Errorf("reading the cells out of service: %w", err)
	}
	down, err := collect(rows, func(r pgx.Rows) (book.CellDown, error) {
		var d book.CellDown
		var since int64
		err := r.Scan(&d.Cell, &d.Reason, &d.Actor, &since)
		d.Since = fromMicros(since)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the cells out of service: %w", err)
	}
	return down, nil
}

// CellReport returns the fault a person reported at a cell, or ok false.
func (t *readTx) CellReport(cell string) (book.CellReport, bool, error) {
	r := book.CellReport{Cell: cell}
	var at int64
	err := t.queryRow(`SELECT code, reason, reported_by, at FROM cell_reports WHERE cell = $1`, cell).
		Scan(&r.Code, &r.Reason, &r.By, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return book.CellReport{}, false, nil
	}
	if err != nil {
		return book.CellReport{}, false, fmt.Errorf("reading the fault reported at cell %q: %w", cell, err)
	}
	r.At = fromMicros(at)
	return r, true, nil
}

// FaultPaused returns the operations that taking a cell down paused, by id.
func (t *readTx) FaultPaused(cell string) ([]int64, error) {
	rows, err := t.query(`SELECT operation FROM fault_paused WHERE cell = $1 ORDER BY operation`, cell)
	if err != nil {
		return nil, fmt.Errorf("reading the operations a fault paused at cell %q: %w", cell, err)
	}
	ids, err := collect(rows, func(r pgx.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("reading the operations a fault paused at cell %q: %w", cell, err)
	}
	return ids, nil
}

// OwedLabels returns up to limit (all when limit <= 0) labels a cell owes, oldest first, with
// their work orders' order, drop and SKU, for a remake's the units of the order's work orders
// before it, and the serial of the unit (unit n of an operation is its work order's unit n;
// empty if the unit has no record).
func (t *readTx) OwedLabels(cell string, limit int) ([]book.OwedLabel, error) {
	rows, err := t.query(`SELECT l.id, l.cell, l.operation, w.id, w.order_id, w.drop_id, w.sku, l.unit,
			CASE WHEN w.remake_of IS NULL THEN 0 ELSE (SELECT coalesce(sum(p.quantity), 0)::bigint FROM work_orders p
				WHERE p.order_id = w.order_id AND p.id < w.id) END,
			coalesce(u.serial, ''), l.reprint = 1, l.owed_at
		FROM owed_labels l JOIN operations o ON o.id = l.operation JOIN work_orders w ON w.id = o.work_order
			LEFT JOIN units u ON u.work_order = w.id AND u.number = l.unit
		WHERE l.cell = $1 ORDER BY l.id LIMIT $2`, cell, rowLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading the labels cell %q owes: %w", cell, err)
	}
	labels, err := collect(rows, func(r pgx.Rows) (book.OwedLabel, error) {
		var l book.OwedLabel
		var owed int64
		err := r.Scan(&l.ID, &l.Cell, &l.Operation, &l.WorkOrder, &l.OrderID, &l.Drop, &l.SKU, &l.Unit, &l.Before,
			&l.Serial, &l.Reprint, &owed)
		l.OwedAt = fromMicros(owed)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the labels cell %q owes: %w", cell, err)
	}
	return labels, nil
}

// CountOwedLabels returns how many labels a cell owes.
func (t *readTx) CountOwedLabels(cell string) (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM owed_labels WHERE cell = $1`, cell).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the labels cell %q owes: %w", cell, err)
	}
	return n, nil
}

// Cursor returns a follower's position in the event log, or ok false before it has one.
func (t *readTx) Cursor(name string) (int64, bool, error) {
	var after int64
	err := t.queryRow(`SELECT after FROM cursors WHERE name = $1`, name).Scan(&after)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading cursor %q: %w", name, err)
	}
	return after, true, nil
}

// PutCellDown stores a cell as out of service, replacing what was stored for it.
func (t *writeTx) PutCellDown(d book.CellDown) error {
	if _, err := t.exec(`INSERT INTO cells_down (cell, reason, actor, since) VALUES ($1, $2, $3, $4)
		ON CONFLICT (cell) DO UPDATE SET reason = excluded.reason, actor = excluded.actor, since = excluded.since`,
		d.Cell, d.Reason, d.Actor, micros(d.Since)); err != nil {
		return fmt.Errorf("storing cell %q as out of service: %w", d.Cell, err)
	}
	return nil
}

// DeleteCellDown stores a cell as in service.
func (t *writeTx) DeleteCellDown(cell string) error {
	if _, err := t.exec(`DELETE FROM cells_down WHERE cell = $1`, cell); err != nil {
		return fmt.Errorf("storing cell %q as in service: %w", cell, err)
	}
	return nil
}

// PutCellReport stores a fault a person reported, replacing one reported before.
func (t *writeTx) PutCellReport(r book.CellReport) error {
	if _, err := t.exec(`INSERT INTO cell_reports (cell, code, reason, reported_by, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (cell) DO UPDATE SET code = excluded.code, reason = excluded.reason, reported_by = excluded.reported_by,
			at = excluded.at`,
		r.Cell, r.Code, r.Reason, r.By, micros(r.At)); err != nil {
		return fmt.Errorf("storing the fault reported at cell %q: %w", r.Cell, err)
	}
	return nil
}

// DeleteCellReport forgets the fault reported at a cell and reports whether there was one.
func (t *writeTx) DeleteCellReport(cell string) (bool, error) {
	return t.deleted(fmt.Sprintf("clearing the fault reported at cell %q", cell),
		`DELETE FROM cell_reports WHERE cell = $1`, cell)
}

// AddFaultPaused records that taking a cell down paused an operation.
func (t *writeTx) AddFaultPaused(cell string, operation int64) error {
	if _, err := t.exec(`INSERT INTO fault_paused (operation, cell) VALUES ($1, $2)
		ON CONFLICT (operation) DO UPDATE SET cell = excluded.cell`, operation, cell); err != nil {
		return fmt.Errorf("recording operation %d as paused by the fault at cell %q: %w", operation, cell, err)
	}
	return nil
}

// DeleteFaultPaused forgets that a fault paused an operation; none recorded is no error.
func (t *writeTx) DeleteFaultPaused(operation int64) error {
	_, err := t.deleted(fmt.Sprintf("forgetting operation %d as paused by a fault", operation),
		`DELETE FROM fault_paused WHERE operation = $1`, operation)
	return err
}

// OweLabels records the labels of units l.First through l.Last of an operation as owed, in
// unit order, in one statement.
func (t *writeTx) OweLabels(l book.LabelsOwed) error {
	if l.First < 1 || l.Last < l.First {
		return fmt.Errorf("owing labels of operation %d: units %d to %d: want 1 <= first <= last", l.Operation, l.First, l.Last)
	}
	if _, err := t.exec(`INSERT INTO owed_labels (cell, operation, unit, reprint, owed_at)
		SELECT $1, $2, n, $3, $4 FROM generate_series($5::bigint, $6::bigint) AS n ORDER BY n`,
		l.Cell, l.Operation, bit(l.Reprint), micros(l.At), l.First, l.Last); err != nil {
		return fmt.Errorf("owing labels of units %d to %d of operation %d: %w", l.First, l.Last, l.Operation, err)
	}
	return nil
}

// DeleteOwedLabel forgets an owed label, printed, and reports whether it was owed.
func (t *writeTx) DeleteOwedLabel(id int64) (bool, error) {
	return t.deleted(fmt.Sprintf("forgetting owed label %d", id), `DELETE FROM owed_labels WHERE id = $1`, id)
}

// SetCursor stores a follower's position in the event log.
func (t *writeTx) SetCursor(name string, after int64) error {
	if _, err := t.exec(`INSERT INTO cursors (name, after) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET after = excluded.after`, name, after); err != nil {
		return fmt.Errorf("storing cursor %q: %w", name, err)
	}
	return nil
}

// deleted runs a DELETE and reports whether it deleted a row.
func (t *writeTx) deleted(what, query string, args ...any) (bool, error) {
	tag, err := t.exec(query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return tag.RowsAffected() > 0, nil
}

// guarded runs a statement that may be refused by a unique constraint the caller answers
// with an error of its own, under a savepoint: a refused statement leaves the transaction
// usable (as a failed statement does in SQLite), and the caller may read on. Savepoint,
// statement and release go in one round trip. The error of a refused statement is returned
// as is; see uniqueViolation.
func (t *writeTx) guarded(query string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT guarded`)
	b.Queue(query, args...)
	b.Queue(`RELEASE SAVEPOINT guarded`)
	err := classify(t.tx.SendBatch(t.ctx, b).Close())
	if err == nil || errors.Is(err, book.ErrUnavailable) {
		return err
	}
	if _, rerr := t.tx.Exec(t.ctx, `ROLLBACK TO SAVEPOINT guarded; RELEASE SAVEPOINT guarded`); rerr != nil {
		return errors.Join(err, fmt.Errorf("rolling back to the savepoint: %w", classify(rerr)))
	}
	return err
}

// uniqueViolation returns the name of the unique constraint or index err says a statement
// broke, or "" when err is no such error.
func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// bit is a flag as stored: 1 for true, 0 for false.
func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
