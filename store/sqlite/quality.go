package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cellforge/cellforge/book"
)

// Quality (migration 0017): the checks recorded at operations' completion, the
// non-conformances their failures open, and the rework operations inserted mid-routing. An
// operation of a pending batch has neither checks nor non-conformances (it cannot have
// started), so these need no horizon.

const checkCols = `id, operation, work_order, cell, sku, step, units, outcomes, passed, by_actor, at`

func scanCheck(sc scanner) (book.CheckRecord, error) {
	var c book.CheckRecord
	var outcomes string
	var at int64
	if err := sc.Scan(&c.ID, &c.Operation, &c.WorkOrder, &c.Cell, &c.SKU, &c.Step, &c.Units, &outcomes,
		&c.Passed, &c.By, &at); err != nil {
		return c, err
	}
	c.At = fromMicros(at)
	if err := json.Unmarshal([]byte(outcomes), &c.Outcomes); err != nil {
		return c, fmt.Errorf("check %d: outcomes: %w", c.ID, err)
	}
	return c, nil
}

func (t *readTx) checks(what string, query string, arg int64) ([]book.CheckRecord, error) {
	rows, err := t.query(`SELECT `+checkCols+` FROM checks WHERE `+query+` ORDER BY id`, arg)
	if err != nil {
		return nil, fmt.Errorf("reading the checks of %s %d: %w", what, arg, err)
	}
	cs, err := collect(t.ctx, rows, scanCheck)
	if err != nil {
		return nil, fmt.Errorf("reading the checks of %s %d: %w", what, arg, err)
	}
	return cs, nil
}

// Checks returns the checks recorded at an operation, by id.
func (t *readTx) Checks(operation int64) ([]book.CheckRecord, error) {
	return t.checks("operation", "operation = ?", operation)
}

// WorkOrderChecks returns the checks recorded at a work order's operations, by id.
func (t *readTx) WorkOrderChecks(workOrder int64) ([]book.CheckRecord, error) {
	return t.checks("work order", "work_order = ?", workOrder)
}

const ncCols = `id, check_id, operation, work_order, cell, sku, failed, state, opened_at, opened_by,
	decided_by, decided_at, note, rework`

func scanNC(sc scanner) (book.NonConformance, error) {
	var nc book.NonConformance
	var failed string
	var opened int64
	var decided sql.NullInt64
	if err := sc.Scan(&nc.ID, &nc.Check, &nc.Operation, &nc.WorkOrder, &nc.Cell, &nc.SKU, &failed, &nc.State,
		&opened, &nc.OpenedBy, &nc.DecidedBy, &decided, &nc.Note, &nc.Rework); err != nil {
		return nc, err
	}
	nc.OpenedAt, nc.DecidedAt = fromMicros(opened), fromNullMicros(decided)
	if err := json.Unmarshal([]byte(failed), &nc.Failed); err != nil {
		return nc, fmt.Errorf("non-conformance %d: failed items: %w", nc.ID, err)
	}
	return nc, nil
}

// NonConformance returns the non-conformance of an id, or an error wrapping book.ErrNotFound.
func (t *readTx) NonConformance(id int64) (book.NonConformance, error) {
	nc, err := scanNC(t.queryRow(`SELECT `+ncCols+` FROM nonconformances WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nc, fmt.Errorf("reading non-conformance %d: %w", id, book.ErrNotFound)
	}
	if err != nil {
		return nc, fmt.Errorf("reading non-conformance %d: %w", id, err)
	}
	return nc, nil
}

// NonConformances returns the non-conformances f selects, by id.
func (t *readTx) NonConformances(f book.NCFilter) ([]book.NonConformance, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.Cell != "" {
		where, args = append(where, "cell = ?"), append(args, f.Cell)
	}
	q := `SELECT ` + ncCols + ` FROM nonconformances`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := t.query(q+` ORDER BY id LIMIT ?`, append(args, sqlLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("reading non-conformances: %w", err)
	}
	ncs, err := collect(t.ctx, rows, scanNC)
	if err != nil {
		return nil, fmt.Errorf("reading non-conformances: %w", err)
	}
	return ncs, nil
}

// WorkOrderNonConformances returns the non-conformances of a work order's operations, by id.
func (t *readTx) WorkOrderNonConformances(workOrder int64) ([]book.NonConformance, error) {
	rows, err := t.query(`SELECT `+ncCols+` FROM nonconformances WHERE work_order = ? ORDER BY id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the non-conformances of work order %d: %w", workOrder, err)
	}
	ncs, err := collect(t.ctx, rows, scanNC)
	if err != nil {
		return nil, fmt.Errorf("reading the non-conformances of work order %d: %w", workOrder, err)
	}
	return ncs, nil
}

// InsertCheck stores a check, setting its id.
func (t *writeTx) InsertCheck(c *book.CheckRecord) error {
	outcomes, err := json.Marshal(c.Outcomes)
	if err != nil {
		return fmt.Errorf("storing the check of operation %d: %w", c.Operation, err)
	}
	if err := t.queryRow(`INSERT INTO checks (operation, work_order, cell, sku, step, units, outcomes, passed, by_actor, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Operation, c.WorkOrder, c.Cell, c.SKU, c.Step, c.Units, string(outcomes), c.Passed, c.By,
		micros(c.At)).Scan(&c.ID); err != nil {
		return fmt.Errorf("storing the check of operation %d: %w", c.Operation, err)
	}
	return nil
}

// InsertNonConformance stores a non-conformance, setting its id.
func (t *writeTx) InsertNonConformance(nc *book.NonConformance) error {
	failed, err := json.Marshal(nc.Failed)
	if err != nil {
		return fmt.Errorf("storing the non-conformance of operation %d: %w", nc.Operation, err)
	}
	if err := t.queryRow(`INSERT INTO nonconformances (check_id, operation, work_order, cell, sku, failed, state,
			opened_at, opened_by, decided_by, decided_at, note, rework)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nc.Check, nc.Operation, nc.WorkOrder, nc.Cell, nc.SKU, string(failed), string(nc.State),
		micros(nc.OpenedAt), nc.OpenedBy, nc.DecidedBy, nullMicros(nc.DecidedAt), nc.Note, nc.Rework).Scan(&nc.ID); err != nil {
		return fmt.Errorf("storing the non-conformance of operation %d: %w", nc.Operation, err)
	}
	return nil
}

// DecideNonConformance stores the decision of a non-conformance.
func (t *writeTx) DecideNonConformance(nc book.NonConformance) error {
	res, err := t.exec(`UPDATE nonconformances SET state = ?, decided_by = ?, decided_at = ?, note = ?, rework = ?
		WHERE id = ?`, string(nc.State), nc.DecidedBy, nullMicros(nc.DecidedAt), nc.Note, nc.Rework, nc.ID)
	if err != nil {
		return fmt.Errorf("deciding non-conformance %d: %w", nc.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("deciding non-conformance %d: %w", nc.ID, err)
	} else if n == 0 {
		return fmt.Errorf("deciding non-conformance %d: %w", nc.ID, book.ErrNotFound)
	}
	return nil
}

// InsertOperationAt stores op in its work order at op.Seq, setting its id; the operations at
// op.Seq and after move one place up. The seqs move in two statements, through negative
// values, as each row's change is checked against (work_order, seq)'s uniqueness at once.
func (t *writeTx) InsertOperationAt(op *book.Operation) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, err)
	}
	if t.pending != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, ErrBatchPending)
	}
	var due int64
	var priority int
	err := t.queryRow(`SELECT due, priority FROM work_orders WHERE id = ?`, op.WorkOrder).Scan(&due, &priority)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, err)
	}
	if _, err := t.exec(`UPDATE operations SET seq = -1 - seq WHERE work_order = ? AND seq >= ?`, op.WorkOrder, op.Seq); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: moving the later ones: %w", op.WorkOrder, err)
	}
	if _, err := t.exec(`UPDATE operations SET seq = -seq WHERE work_order = ? AND seq < 0`, op.WorkOrder); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: moving the later ones: %w", op.WorkOrder, err)
	}
	id, err := t.newID(&t.nextOperation, `SELECT coalesce(max(id), 0) FROM operations`)
	if err != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, err)
	}
	t.operations.add(id, op.WorkOrder, op.Seq, op.Name, op.Capability, op.Quantity, int64(op.UnitTime),
		int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell, op.Reason,
		op.Scrapped, op.UnitsDone, nullMicros(op.QueuedAt), nullMicros(op.StartedAt), nullMicros(op.EndedAt), op.Version,
		due, priority, op.Step, nullInt64(op.ReworkOf))
	op.ID = id
	t.counts[entityState{entityOperation, string(op.State)}]++
	t.ops[id] = opVersion{state: op.State, version: op.Version}
	return t.flushIfFull(&t.operations)
}
