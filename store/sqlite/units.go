package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// Units as records (migration 0011): the units work orders made, with their serials. A unit's
// work order is always visible (units are made by counting, which only visible work orders
// do), so these reads need no horizon.

const unitCols = `u.serial, u.work_order, w.order_id, w.drop_id, w.sku, u.number, u.order_unit, u.seq, u.created_at,
	u.scrapped_operation, u.scrapped_reason, u.scrapped_at`

func scanUnit(sc scanner) (book.Unit, error) {
	var u book.Unit
	var created int64
	var op, at sql.NullInt64
	var reason sql.NullString
	err := sc.Scan(&u.Serial, &u.WorkOrder, &u.OrderID, &u.Drop, &u.SKU, &u.Number, &u.OrderUnit, &u.Seq, &created,
		&op, &reason, &at)
	u.CreatedAt = fromMicros(created)
	if op.Valid {
		u.Scrapped = &book.UnitScrap{Operation: op.Int64, Reason: reason.String, At: fromMicros(at.Int64)}
	}
	return u, err
}

// Unit returns the unit with a serial, or an error wrapping book.ErrNotFound.
func (t *readTx) Unit(serial string) (book.Unit, error) {
	u, err := scanUnit(t.queryRow(`SELECT `+unitCols+` FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE u.serial = ?`, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return book.Unit{}, fmt.Errorf("unit %q: %w", serial, book.ErrNotFound)
	}
	if err != nil {
		return book.Unit{}, fmt.Errorf("reading unit %q: %w", serial, err)
	}
	return u, nil
}

// WorkOrderUnit returns unit number of a work order, or an error wrapping book.ErrNotFound.
func (t *readTx) WorkOrderUnit(workOrder int64, number int) (book.Unit, error) {
	u, err := scanUnit(t.queryRow(`SELECT `+unitCols+` FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE u.work_order = ? AND u.number = ?`, workOrder, number))
	if errors.Is(err, sql.ErrNoRows) {
		return book.Unit{}, fmt.Errorf("unit %d of work order %d: %w", number, workOrder, book.ErrNotFound)
	}
	if err != nil {
		return book.Unit{}, fmt.Errorf("reading unit %d of work order %d: %w", number, workOrder, err)
	}
	return u, nil
}

// Units returns the units of a work order, by number.
func (t *readTx) Units(workOrder int64) ([]book.Unit, error) {
	rows, err := t.query(`SELECT `+unitCols+` FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE u.work_order = ? ORDER BY u.number`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the units of work order %d: %w", workOrder, err)
	}
	units, err := collect(t.ctx, rows, scanUnit)
	if err != nil {
		return nil, fmt.Errorf("reading the units of work order %d: %w", workOrder, err)
	}
	return units, nil
}

// UnitsOfOrder returns the units of an order's work orders, by work order id and number.
func (t *readTx) UnitsOfOrder(orderID string) ([]book.Unit, error) {
	rows, err := t.query(`SELECT `+unitCols+` FROM work_orders w JOIN units u ON u.work_order = w.id
		WHERE w.order_id = ? ORDER BY u.work_order, u.number`, orderID)
	if err != nil {
		return nil, fmt.Errorf("reading the units of order %q: %w", orderID, err)
	}
	units, err := collect(t.ctx, rows, scanUnit)
	if err != nil {
		return nil, fmt.Errorf("reading the units of order %q: %w", orderID, err)
	}
	return units, nil
}

// UnitCount returns how many units a work order has, scrapped ones included.
func (t *readTx) UnitCount(workOrder int64) (int, error) {
	var n int
	if err := t.queryRow(`SELECT coalesce(max(number), 0) FROM units WHERE work_order = ?`, workOrder).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the units of work order %d: %w", workOrder, err)
	}
	return n, nil
}

// LastUnitSeq returns the largest seq of a unit, 0 when there is none: read from the end of
// its index.
func (t *readTx) LastUnitSeq() (int64, error) {
	var n int64
	if err := t.queryRow(`SELECT coalesce(max(seq), 0) FROM units`).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the last unit's seq: %w", err)
	}
	return n, nil
}

// InsertUnits stores new units, one statement each; a serial or seq another unit holds fails
// with an error wrapping book.ErrSerialTaken that names both units.
func (t *writeTx) InsertUnits(units []book.Unit) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("storing units: %w", err)
	}
	for _, u := range units {
		_, err := t.exec(`INSERT INTO units (work_order, number, order_unit, serial, seq, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.WorkOrder, u.Number, u.OrderUnit, u.Serial, u.Seq, micros(u.CreatedAt))
		if err == nil {
			continue
		}
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			if held, herr := t.Unit(u.Serial); herr == nil {
				return fmt.Errorf("unit %d of work order %d: serial %q is unit %d of work order %d (order %q): %w",
					u.Number, u.WorkOrder, u.Serial, held.Number, held.WorkOrder, held.OrderID, book.ErrSerialTaken)
			}
			return fmt.Errorf("unit %d of work order %d, serial %q, seq %d: %w", u.Number, u.WorkOrder, u.Serial, u.Seq, book.ErrSerialTaken)
		}
		return fmt.Errorf("storing unit %d of work order %d: %w", u.Number, u.WorkOrder, err)
	}
	return nil
}

// ScrapUnits marks the live units of a work order numbered above s.Keep as scrapped, in one
// statement, and returns how many it marked.
func (t *writeTx) ScrapUnits(s book.UnitsScrapped) (int, error) {
	what := fmt.Sprintf("scrapping the units of work order %d above %d", s.WorkOrder, s.Keep)
	if err := t.usable(); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	res, err := t.exec(`UPDATE units SET scrapped_operation = ?, scrapped_reason = ?, scrapped_at = ?
		WHERE work_order = ? AND number > ? AND scrapped_operation IS NULL`,
		s.Operation, s.Reason, micros(s.At), s.WorkOrder, s.Keep)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}
