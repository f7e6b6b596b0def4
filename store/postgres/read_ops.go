package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// opCols are the columns of an operation in operations o.
const opCols = `o.id, o.work_order, o.seq, o.name, o.capability, o.quantity, o.unit_time_ns, o.setup_ns,
	o.changeover_attr, o.changeover_value, o.state, o.cell, o.reason, o.scrapped, o.units_done,
	o.queued_at, o.started_at, o.ended_at, o.version, o.step, coalesce(o.rework_of, 0)`

// scanOperation scans opCols and then extra.
func scanOperation(sc pgx.Row, extra ...any) (book.Operation, error) {
	var o book.Operation
	var unit, setup int64
	var state string
	var queued, started, ended *int64
	dest := append([]any{&o.ID, &o.WorkOrder, &o.Seq, &o.Name, &o.Capability, &o.Quantity, &unit, &setup,
		&o.ChangeoverAttr, &o.ChangeoverValue, &state, &o.Cell, &o.Reason, &o.Scrapped, &o.UnitsDone,
		&queued, &started, &ended, &o.Version, &o.Step, &o.ReworkOf}, extra...)
	err := sc.Scan(dest...)
	o.State = book.State(state)
	o.UnitTime, o.Setup = time.Duration(unit), time.Duration(setup)
	o.QueuedAt, o.StartedAt, o.EndedAt = fromNullMicros(queued), fromNullMicros(started), fromNullMicros(ended)
	return o, err
}

func scanOperations(rows pgx.Rows) (book.Operation, error) { return scanOperation(rows) }

// LostOperations returns the operations of the work orders among ids that scrapped units, by
// work order id and routing order.
func (t *readTx) LostOperations(workOrders []int64) ([]book.Operation, error) {
	if len(workOrders) == 0 {
		return nil, nil
	}
	rows, err := t.query(`SELECT `+opCols+` FROM operations o
		WHERE o.scrapped > 0 AND o.work_order = ANY($1) ORDER BY o.work_order, o.seq`, workOrders)
	if err != nil {
		return nil, fmt.Errorf("reading the operations that lost units: %w", err)
	}
	ops, err := collect(rows, scanOperations)
	if err != nil {
		return nil, fmt.Errorf("reading the operations that lost units: %w", err)
	}
	return ops, nil
}

// Operations returns the operations of a work order in routing order.
func (t *readTx) Operations(workOrder int64) ([]book.Operation, error) {
	rows, err := t.query(`SELECT `+opCols+` FROM operations o WHERE o.work_order = $1 ORDER BY o.seq`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading operations of work order %d: %w", workOrder, err)
	}
	ops, err := collect(rows, scanOperations)
	if err != nil {
		return nil, fmt.Errorf("reading operations of work order %d: %w", workOrder, err)
	}
	return ops, nil
}

// OpenOperations returns the operations of the open work orders with ids in (after, through],
// by work order id and routing order: a page of the planner's read in one statement.
func (t *readTx) OpenOperations(after, through int64) ([]book.Operation, error) {
	rows, err := t.query(`SELECT `+opCols+` FROM operations o
		WHERE o.work_order IN (SELECT id FROM work_orders WHERE state = '`+string(book.WorkOpen)+`' AND id > $1 AND id <= $2)
		ORDER BY o.work_order, o.seq`, after, through)
	if err != nil {
		return nil, fmt.Errorf("reading operations of open work orders: %w", err)
	}
	ops, err := collect(rows, scanOperations)
	if err != nil {
		return nil, fmt.Errorf("reading operations of open work orders: %w", err)
	}
	return ops, nil
}

// Operation returns the operation id, or an error wrapping book.ErrNotFound.
func (t *readTx) Operation(id int64) (book.Operation, error) {
	op, err := scanOperation(t.queryRow(`SELECT `+opCols+` FROM operations o WHERE o.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return book.Operation{}, fmt.Errorf("operation %d: %w", id, book.ErrNotFound)
	}
	if err != nil {
		return book.Operation{}, fmt.Errorf("reading operation %d: %w", id, err)
	}
	return op, nil
}

// CellLoads returns the standard time queued, running or paused at each cell that has any, by
// cell name.
func (t *readTx) CellLoads() ([]book.CellLoad, error) {
	rows, err := t.query(`SELECT cell, sum(setup_ns + quantity * unit_time_ns)::bigint FROM operations
		WHERE queue_rank IS NOT NULL GROUP BY cell ORDER BY cell`)
	if err != nil {
		return nil, fmt.Errorf("reading cell loads: %w", err)
	}
	loads, err := collect(rows, func(r pgx.Rows) (book.CellLoad, error) {
		var l book.CellLoad
		var ns int64
		err := r.Scan(&l.Cell, &ns)
		l.Load = time.Duration(ns)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading cell loads: %w", err)
	}
	return loads, nil
}
