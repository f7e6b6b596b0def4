package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// InsertOperationAt stores op in its work order at op.Seq, setting its id; the operations at
// op.Seq and after move one place up. The seqs move in two statements, through negative
// values, as each row's change is checked against (work_order, seq)'s uniqueness at once. The
// operation is counted in state_counts by the transaction's commit, as every other change is.
func (t *writeTx) InsertOperationAt(op *book.Operation) error {
	var due, priority int64
	err := t.queryRow(`SELECT due, priority FROM work_orders WHERE id = $1`, op.WorkOrder).Scan(&due, &priority)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, err)
	}
	if _, err := t.exec(`UPDATE operations SET seq = -1 - seq WHERE work_order = $1 AND seq >= $2`, op.WorkOrder, op.Seq); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: moving the later ones: %w", op.WorkOrder, err)
	}
	if _, err := t.exec(`UPDATE operations SET seq = -seq WHERE work_order = $1 AND seq < 0`, op.WorkOrder); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: moving the later ones: %w", op.WorkOrder, err)
	}
	var id int64
	if err := t.queryRow(`INSERT INTO operations (work_order, seq, name, capability, quantity, unit_time_ns, setup_ns,
			changeover_attr, changeover_value, state, cell, reason, scrapped, units_done, queued_at, started_at, ended_at,
			version, due, priority, step, rework_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		RETURNING id`,
		op.WorkOrder, op.Seq, op.Name, op.Capability, op.Quantity, int64(op.UnitTime), int64(op.Setup),
		op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell, op.Reason, op.Scrapped, op.UnitsDone,
		nullMicros(op.QueuedAt), nullMicros(op.StartedAt), nullMicros(op.EndedAt), op.Version, due, priority, op.Step,
		nullInt64(op.ReworkOf)).Scan(&id); err != nil {
		return fmt.Errorf("inserting an operation into work order %d: %w", op.WorkOrder, err)
	}
	t.count(entityOperation, string(op.State), 1)
	t.inserted = true
	op.ID = id
	return nil
}
