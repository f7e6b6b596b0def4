package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

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

// TracedUnits returns the units of the work orders ids, by work order id and number, in one
// query on the units' key alone; more than book.MaxWorkOrdersPerRead ids is an error.
func (t *readTx) TracedUnits(ids []int64) ([]book.TracedUnit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > book.MaxWorkOrdersPerRead {
		return nil, fmt.Errorf("reading the units of %d work orders: more than %d at once", len(ids), book.MaxWorkOrdersPerRead)
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := t.query(`SELECT work_order, number, serial, scrapped_operation, scrapped_reason, scrapped_at FROM units
		WHERE work_order IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`) ORDER BY work_order, number`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the units of %d work orders from %d: %w", len(ids), ids[0], err)
	}
	units, err := collect(t.ctx, rows, func(sc scanner) (book.TracedUnit, error) {
		var u book.TracedUnit
		var op, at sql.NullInt64
		var reason sql.NullString
		err := sc.Scan(&u.WorkOrder, &u.Number, &u.Serial, &op, &reason, &at)
		if op.Valid {
			u.Scrapped = &book.UnitScrap{Operation: op.Int64, Reason: reason.String, At: fromMicros(at.Int64)}
		}
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the units of %d work orders from %d: %w", len(ids), ids[0], err)
	}
	return units, nil
}

// UnitCount returns how many units a work order has, scrapped ones included: its highest
// unit number, read from the end of its key.
func (t *readTx) UnitCount(workOrder int64) (int, error) {
	var n int
	if err := t.queryRow(`SELECT coalesce((SELECT number FROM units WHERE work_order = ? ORDER BY number DESC LIMIT 1), 0)`,
		workOrder).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the units of work order %d: %w", workOrder, err)
	}
	return n, nil
}

// LiveUnitCount returns how many live units a work order has: its live units are its
// lowest-numbered, so one less than its lowest scrapped unit (read from units_scrapped), or
// all of them when none is scrapped.
func (t *readTx) LiveUnitCount(workOrder int64) (int, error) {
	var n int
	if err := t.queryRow(`SELECT coalesce(
			(SELECT number - 1 FROM units WHERE work_order = ? AND scrapped_operation IS NOT NULL ORDER BY number LIMIT 1),
			(SELECT number FROM units WHERE work_order = ? ORDER BY number DESC LIMIT 1), 0)`,
		workOrder, workOrder).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the live units of work order %d: %w", workOrder, err)
	}
	return n, nil
}

// LastUnitSeq returns the largest seq of a unit, 0 when there is none: read from the end of
// its index.
func (t *readTx) LastUnitSeq() (int64, error) {
	var n int64
	if err := t.queryRow(`SELECT coalesce((SELECT seq FROM units ORDER BY seq DESC LIMIT 1), 0)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the last unit's seq: %w", err)
	}
	return n, nil
}

// unitsPerInsert is how many units one INSERT stores: 6 values each, well within SQLite's
// limit of variables, and a completion of a million units in 10,000 statements, not a million.
const unitsPerInsert = 200

// InsertUnits stores new units, unitsPerInsert a statement; a serial or seq another unit holds
// fails with an error wrapping book.ErrSerialTaken that names both units.
func (t *writeTx) InsertUnits(units []book.Unit) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("storing units: %w", err)
	}
	for start := 0; start < len(units); start += unitsPerInsert {
		chunk := units[start:min(start+unitsPerInsert, len(units))]
		args := make([]any, 0, 6*len(chunk))
		for _, u := range chunk {
			args = append(args, u.WorkOrder, u.Number, u.OrderUnit, u.Serial, u.Seq, micros(u.CreatedAt))
		}
		q := `INSERT INTO units (work_order, number, order_unit, serial, seq, created_at) VALUES (?, ?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(chunk)-1)
		_, err := t.exec(q, args...)
		if err == nil {
			continue
		}
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return t.serialTaken(chunk)
		}
		return fmt.Errorf("storing units %d to %d of work order %d: %w", chunk[0].Number, chunk[len(chunk)-1].Number, chunk[0].WorkOrder, err)
	}
	return nil
}

// serialTaken returns the error of a chunk of units one of which has the serial of a unit
// stored before, or of another unit of the chunk.
func (t *writeTx) serialTaken(chunk []book.Unit) error {
	seen := make(map[string]book.Unit, len(chunk))
	for _, u := range chunk {
		if held, err := t.Unit(u.Serial); err == nil {
			return fmt.Errorf("unit %d of work order %d: serial %q is unit %d of work order %d (order %q): %w",
				u.Number, u.WorkOrder, u.Serial, held.Number, held.WorkOrder, held.OrderID, book.ErrSerialTaken)
		}
		if other, ok := seen[u.Serial]; ok {
			return fmt.Errorf("unit %d of work order %d: serial %q is also unit %d's: %w",
				u.Number, u.WorkOrder, u.Serial, other.Number, book.ErrSerialTaken)
		}
		seen[u.Serial] = u
	}
	return fmt.Errorf("units %d to %d of work order %d: a serial or seq is taken: %w",
		chunk[0].Number, chunk[len(chunk)-1].Number, chunk[0].WorkOrder, book.ErrSerialTaken)
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
