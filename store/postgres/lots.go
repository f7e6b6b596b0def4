package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// Lots: the lots operations made and consumed, and the studio's lot sequence. A large
// batch's rows are invisible until it commits, so these need no horizon.

// OperationLots returns the lots of an operation: the one it made first, then the ones it
// consumed by material.
func (t *readTx) OperationLots(operation int64) ([]book.OperationLot, error) {
	rows, err := t.query(`SELECT operation, material, lot, made = 1, recorded_at, actor FROM operation_lots
		WHERE operation = $1 ORDER BY material`, operation)
	if err != nil {
		return nil, fmt.Errorf("reading the lots of operation %d: %w", operation, err)
	}
	lots, err := collect(rows, func(row pgx.Rows) (book.OperationLot, error) {
		var l book.OperationLot
		var made bool
		var at int64
		err := row.Scan(&l.Operation, &l.Material, &l.Lot, &made, &at, &l.Actor)
		l.Role, l.RecordedAt = lotRole(made), fromMicros(at)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the lots of operation %d: %w", operation, err)
	}
	return lots, nil
}

func lotRole(made bool) book.LotRole {
	if made {
		return book.LotMade
	}
	return book.LotConsumed
}

// LotUses returns the operations that made or consumed a lot, by operation id, each with its
// work order and its order's customer.
func (t *readTx) LotUses(lot string) ([]book.LotUse, error) {
	rows, err := t.query(`SELECT l.operation, l.material, l.lot, l.made = 1, l.recorded_at, l.actor,
			o.name, o.capability, o.cell, o.state,
			r.customer,
			w.id, w.order_id, w.drop_id, w.sku, w.quantity, w.priority, w.due, w.state, w.intake_at, w.completed_at,
			coalesce(w.remake_of, 0)
		FROM operation_lots l JOIN operations o ON o.id = l.operation JOIN work_orders w ON w.id = o.work_order
			JOIN orders r ON r.order_id = w.order_id
		WHERE l.lot = $1 ORDER BY l.operation, l.material`, lot)
	if err != nil {
		return nil, fmt.Errorf("reading the uses of lot %q: %w", lot, err)
	}
	uses, err := collect(rows, func(row pgx.Rows) (book.LotUse, error) {
		var u book.LotUse
		w := &u.WorkOrder
		var made bool
		var at, due, intake int64
		var completed *int64
		err := row.Scan(&u.Operation, &u.Material, &u.Lot, &made, &at, &u.Actor,
			&u.Step, &u.Capability, &u.Cell, &u.State,
			&u.Customer,
			&w.ID, &w.OrderID, &w.Drop, &w.SKU, &w.Quantity, &w.Priority, &due, &w.State, &intake, &completed, &w.RemakeOf)
		u.Role, u.RecordedAt = lotRole(made), fromMicros(at)
		w.Due, w.IntakeAt, w.CompletedAt = fromMicros(due), fromMicros(intake), fromNullMicros(completed)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the uses of lot %q: %w", lot, err)
	}
	return uses, nil
}

// LotsLike returns up to limit distinct lot ids that start with prefix, in order, read from
// the index of lot ids.
func (t *readTx) LotsLike(prefix string, limit int) ([]string, error) {
	rows, err := t.query(`SELECT DISTINCT lot FROM operation_lots WHERE lot >= $1 AND lot < $2 ORDER BY lot LIMIT $3`,
		prefix, prefix+"\U0010FFFF", rowLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading lot ids starting %q: %w", prefix, err)
	}
	ids, err := collect(rows, func(row pgx.Rows) (string, error) {
		var id string
		return id, row.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("reading lot ids starting %q: %w", prefix, err)
	}
	return ids, nil
}

// PutOperationLot stores a lot an operation made or consumed, replacing the one stored for the
// same operation and material. A second lot made with the same id is refused by the schema.
func (t *writeTx) PutOperationLot(l book.OperationLot) error {
	if _, err := t.exec(`INSERT INTO operation_lots (operation, material, lot, made, recorded_at, actor)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (operation, material) DO UPDATE SET lot = excluded.lot, made = excluded.made,
			recorded_at = excluded.recorded_at, actor = excluded.actor`,
		l.Operation, l.Material, l.Lot, bit(l.Role == book.LotMade), micros(l.RecordedAt), l.Actor); err != nil {
		return fmt.Errorf("storing lot %q of operation %d: %w", l.Lot, l.Operation, err)
	}
	return nil
}

// NextLotSeq takes the next number of the studio's lot sequence, from 1. Writes hold the
// write lock, so no two transactions take the same number.
func (t *writeTx) NextLotSeq() (int64, error) {
	return t.nextInSequence("lot_sequence", "lot")
}

// nextInSequence takes the next number, from 1, of a sequence kept in the one row of table (a
// table of the schema, never outside input), the studio's lots' or repairs'.
func (t *writeTx) nextInSequence(table, what string) (int64, error) {
	var n int64
	if err := t.queryRow(`INSERT INTO ` + table + ` (id, last) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET last = ` + table + `.last + 1 RETURNING last`).Scan(&n); err != nil {
		return 0, fmt.Errorf("taking the next number of the %s sequence: %w", what, err)
	}
	return n, nil
}
