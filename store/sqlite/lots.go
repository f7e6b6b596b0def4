package sqlite

import (
	"fmt"

	"github.com/cellforge/cellforge/book"
)

// Lots (migration 0013): the lots operations made and consumed, and the studio's lot
// sequence. An operation of a pending batch has no lot (it cannot have started), so these
// need no horizon but the operations' and work orders' they join.

// OperationLots returns the lots of an operation: the one it made first, then the ones it
// consumed by material.
func (t *readTx) OperationLots(operation int64) ([]book.OperationLot, error) {
	rows, err := t.query(`SELECT operation, material, lot, made, recorded_at, actor FROM operation_lots
		WHERE operation = ? ORDER BY material`, operation)
	if err != nil {
		return nil, fmt.Errorf("reading the lots of operation %d: %w", operation, err)
	}
	lots, err := collect(t.ctx, rows, scanOperationLot)
	if err != nil {
		return nil, fmt.Errorf("reading the lots of operation %d: %w", operation, err)
	}
	return lots, nil
}

func scanOperationLot(sc scanner) (book.OperationLot, error) {
	var l book.OperationLot
	var made bool
	var at int64
	err := sc.Scan(&l.Operation, &l.Material, &l.Lot, &made, &at, &l.Actor)
	l.Role, l.RecordedAt = roleOf(made), fromMicros(at)
	return l, err
}

func roleOf(made bool) book.LotRole {
	if made {
		return book.LotMade
	}
	return book.LotConsumed
}

// leading is a row whose first columns go to dest, and the rest to what Scan is given.
type leading struct {
	sc   scanner
	dest []any
}

func (l leading) Scan(dest ...any) error { return l.sc.Scan(append(l.dest, dest...)...) }

// LotUses returns the operations that made or consumed a lot, by operation id, each with its
// work order and its order's customer.
func (t *readTx) LotUses(lot string) ([]book.LotUse, error) {
	rows, err := t.query(`SELECT l.operation, l.material, l.lot, l.made, l.recorded_at, l.actor,
			o.name, o.capability, o.cell, o.state,
			r.customer,
			w.id, w.order_id, w.drop_id, w.sku, w.quantity, w.priority, w.due, w.state, w.intake_at, w.completed_at, w.remake_of
		FROM operation_lots l JOIN operations o ON o.id = l.operation JOIN work_orders w ON w.id = o.work_order
			JOIN orders r ON r.order_id = w.order_id
		WHERE l.lot = ? AND o.id < ? AND w.id < ? ORDER BY l.operation, l.material`, lot, t.vis.operations, t.vis.workOrders)
	if err != nil {
		return nil, fmt.Errorf("reading the uses of lot %q: %w", lot, err)
	}
	uses, err := collect(t.ctx, rows, func(sc scanner) (book.LotUse, error) {
		var u book.LotUse
		var made bool
		var at int64
		var err error
		// The work order's columns are workOrderCols, scanned by scanWorkOrder after the
		// lot's and the operation's.
		u.WorkOrder, err = scanWorkOrder(leading{sc, []any{&u.Operation, &u.Material, &u.Lot, &made, &at, &u.Actor,
			&u.Step, &u.Capability, &u.Cell, &u.State, &u.Customer}})
		u.Role, u.RecordedAt = roleOf(made), fromMicros(at)
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
	rows, err := t.query(`SELECT DISTINCT lot FROM operation_lots WHERE lot >= ? AND lot < ? ORDER BY lot LIMIT ?`,
		prefix, prefix+"\U0010FFFF", sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading lot ids starting %q: %w", prefix, err)
	}
	ids, err := collect(t.ctx, rows, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("reading lot ids starting %q: %w", prefix, err)
	}
	return ids, nil
}

// PutOperationLot stores a lot an operation made or consumed, replacing the one stored for the
// same operation and material.
func (t *writeTx) PutOperationLot(l book.OperationLot) error {
	if _, err := t.exec(`INSERT INTO operation_lots (operation, material, lot, made, recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (operation, material) DO UPDATE SET lot = excluded.lot, made = excluded.made,
			recorded_at = excluded.recorded_at, actor = excluded.actor`,
		l.Operation, l.Material, l.Lot, l.Role == book.LotMade, micros(l.RecordedAt), l.Actor); err != nil {
		return fmt.Errorf("storing lot %q of operation %d: %w", l.Lot, l.Operation, err)
	}
	return nil
}

// NextLotSeq takes the next number of the studio's lot sequence, from 1.
func (t *writeTx) NextLotSeq() (int64, error) {
	var n int64
	if err := t.queryRow(`INSERT INTO lot_sequence (id, last) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET last = last + 1 RETURNING last`).Scan(&n); err != nil {
		return 0, fmt.Errorf("taking the next number of the lot sequence: %w", err)
	}
	return n, nil
}
