package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// Quality: the checks recorded at operations' completion and the non-conformances their
// failures open (the rework operations a decision inserts mid-routing are stored by rework.go).

const checkCols = `id, operation, work_order, cell, sku, step, units, outcomes, passed, by_actor, at`

func scanCheck(sc pgx.Rows) (book.CheckRecord, error) {
	var c book.CheckRecord
	var outcomes string
	var passed, at int64
	if err := sc.Scan(&c.ID, &c.Operation, &c.WorkOrder, &c.Cell, &c.SKU, &c.Step, &c.Units, &outcomes,
		&passed, &c.By, &at); err != nil {
		return c, err
	}
	c.Passed, c.At = passed != 0, fromMicros(at)
	if err := json.Unmarshal([]byte(outcomes), &c.Outcomes); err != nil {
		return c, fmt.Errorf("check %d: outcomes: %w", c.ID, err)
	}
	return c, nil
}

func (t *readTx) checks(what string, column string, arg int64) ([]book.CheckRecord, error) {
	rows, err := t.query(`SELECT `+checkCols+` FROM checks WHERE `+column+` = $1 ORDER BY id`, arg)
	if err != nil {
		return nil, fmt.Errorf("reading the checks of %s %d: %w", what, arg, err)
	}
	cs, err := collect(rows, scanCheck)
	if err != nil {
		return nil, fmt.Errorf("reading the checks of %s %d: %w", what, arg, err)
	}
	return cs, nil
}

// Checks returns the checks recorded at an operation, by id.
func (t *readTx) Checks(operation int64) ([]book.CheckRecord, error) {
	return t.checks("operation", "operation", operation)
}

// WorkOrderChecks returns the checks recorded at a work order's operations, by id.
func (t *readTx) WorkOrderChecks(workOrder int64) ([]book.CheckRecord, error) {
	return t.checks("work order", "work_order", workOrder)
}

const ncCols = `id, check_id, operation, work_order, cell, sku, failed, state, opened_at, opened_by,
	decided_by, decided_at, note, rework`

func scanNC(sc pgx.Row) (book.NonConformance, error) {
	var nc book.NonConformance
	var failed, state string
	var opened int64
	var decided *int64
	if err := sc.Scan(&nc.ID, &nc.Check, &nc.Operation, &nc.WorkOrder, &nc.Cell, &nc.SKU, &failed, &state,
		&opened, &nc.OpenedBy, &nc.DecidedBy, &decided, &nc.Note, &nc.Rework); err != nil {
		return nc, err
	}
	nc.State, nc.OpenedAt, nc.DecidedAt = book.NCState(state), fromMicros(opened), fromNullMicros(decided)
	if err := json.Unmarshal([]byte(failed), &nc.Failed); err != nil {
		return nc, fmt.Errorf("non-conformance %d: failed items: %w", nc.ID, err)
	}
	return nc, nil
}

func scanNCs(rows pgx.Rows) (book.NonConformance, error) { return scanNC(rows) }

// NonConformance returns the non-conformance of an id, or an error wrapping book.ErrNotFound.
func (t *readTx) NonConformance(id int64) (book.NonConformance, error) {
	nc, err := scanNC(t.queryRow(`SELECT `+ncCols+` FROM nonconformances WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nc, fmt.Errorf("reading non-conformance %d: %w", id, book.ErrNotFound)
	}
	if err != nil {
		return nc, fmt.Errorf("reading non-conformance %d: %w", id, err)
	}
	return nc, nil
}

// NonConformances returns the non-conformances f selects, by id.
func (t *readTx) NonConformances(f book.NCFilter) ([]book.NonConformance, error) {
	q := &pgutil.SQL{}
	var where []string
	if f.State != "" {
		where = append(where, "state = "+q.Arg(string(f.State)))
	}
	if f.Cell != "" {
		where = append(where, "cell = "+q.Arg(f.Cell))
	}
	q.WriteString(`SELECT ` + ncCols + ` FROM nonconformances`)
	if len(where) > 0 {
		q.WriteString(` WHERE ` + strings.Join(where, " AND "))
	}
	q.WriteString(` ORDER BY id LIMIT ` + q.Arg(rowLimit(f.Limit)))
	rows, err := t.query(q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("reading non-conformances: %w", err)
	}
	ncs, err := collect(rows, scanNCs)
	if err != nil {
		return nil, fmt.Errorf("reading non-conformances: %w", err)
	}
	return ncs, nil
}

// WorkOrderNonConformances returns the non-conformances of a work order's operations, by id.
func (t *readTx) WorkOrderNonConformances(workOrder int64) ([]book.NonConformance, error) {
	rows, err := t.query(`SELECT `+ncCols+` FROM nonconformances WHERE work_order = $1 ORDER BY id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the non-conformances of work order %d: %w", workOrder, err)
	}
	ncs, err := collect(rows, scanNCs)
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
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		c.Operation, c.WorkOrder, c.Cell, c.SKU, c.Step, c.Units, string(outcomes), bit(c.Passed), c.By,
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
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		nc.Check, nc.Operation, nc.WorkOrder, nc.Cell, nc.SKU, string(failed), string(nc.State),
		micros(nc.OpenedAt), nc.OpenedBy, nc.DecidedBy, nullMicros(nc.DecidedAt), nc.Note, nc.Rework).Scan(&nc.ID); err != nil {
		return fmt.Errorf("storing the non-conformance of operation %d: %w", nc.Operation, err)
	}
	return nil
}

// DecideNonConformance stores the decision of a non-conformance.
func (t *writeTx) DecideNonConformance(nc book.NonConformance) error {
	tag, err := t.exec(`UPDATE nonconformances SET state = $1, decided_by = $2, decided_at = $3, note = $4, rework = $5
		WHERE id = $6`, string(nc.State), nc.DecidedBy, nullMicros(nc.DecidedAt), nc.Note, nc.Rework, nc.ID)
	if err != nil {
		return fmt.Errorf("deciding non-conformance %d: %w", nc.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deciding non-conformance %d: %w", nc.ID, book.ErrNotFound)
	}
	return nil
}
