package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// Units as records: the units work orders made, with their serials.

const unitCols = `u.serial, u.work_order, w.order_id, w.drop_id, w.sku, u.number, u.order_unit, u.seq, u.created_at,
	u.scrapped_operation, u.scrapped_reason, u.scrapped_at`

func scanUnit(row pgx.Row) (book.Unit, error) {
	var u book.Unit
	var created int64
	var op, at *int64
	var reason *string
	err := row.Scan(&u.Serial, &u.WorkOrder, &u.OrderID, &u.Drop, &u.SKU, &u.Number, &u.OrderUnit, &u.Seq, &created,
		&op, &reason, &at)
	u.CreatedAt = fromMicros(created)
	if op != nil {
		u.Scrapped = &book.UnitScrap{Operation: *op, Reason: deref(reason), At: fromMicros(deref(at))}
	}
	return u, err
}

func scanUnits(rows pgx.Rows) (book.Unit, error) { return scanUnit(rows) }

// Unit returns the unit with a serial, or an error wrapping book.ErrNotFound.
func (t *readTx) Unit(serial string) (book.Unit, error) {
	u, err := scanUnit(t.queryRow(`SELECT `+unitCols+` FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE u.serial = $1`, serial))
	if errors.Is(err, pgx.ErrNoRows) {
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
		WHERE u.work_order = $1 AND u.number = $2`, workOrder, number))
	if errors.Is(err, pgx.ErrNoRows) {
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
		WHERE u.work_order = $1 ORDER BY u.number`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the units of work order %d: %w", workOrder, err)
	}
	units, err := collect(rows, scanUnits)
	if err != nil {
		return nil, fmt.Errorf("reading the units of work order %d: %w", workOrder, err)
	}
	return units, nil
}

// UnitsOfOrder returns the units of an order's work orders, by work order id and number.
func (t *readTx) UnitsOfOrder(orderID string) ([]book.Unit, error) {
	rows, err := t.query(`SELECT `+unitCols+` FROM work_orders w JOIN units u ON u.work_order = w.id
		WHERE w.order_id = $1 ORDER BY u.work_order, u.number`, orderID)
	if err != nil {
		return nil, fmt.Errorf("reading the units of order %q: %w", orderID, err)
	}
	units, err := collect(rows, scanUnits)
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
	rows, err := t.query(`SELECT work_order, number, serial, scrapped_operation, scrapped_reason, scrapped_at FROM units
		WHERE work_order = ANY($1) ORDER BY work_order, number`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the units of %d work orders from %d: %w", len(ids), ids[0], err)
	}
	units, err := collect(rows, func(row pgx.Rows) (book.TracedUnit, error) {
		var u book.TracedUnit
		var op, at *int64
		var reason *string
		err := row.Scan(&u.WorkOrder, &u.Number, &u.Serial, &op, &reason, &at)
		if op != nil {
			u.Scrapped = &book.UnitScrap{Operation: *op, Reason: deref(reason), At: fromMicros(deref(at))}
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
	if err := t.queryRow(`SELECT coalesce((SELECT number FROM units WHERE work_order = $1 ORDER BY number DESC LIMIT 1), 0)`,
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
			(SELECT number - 1 FROM units WHERE work_order = $1 AND scrapped_operation IS NOT NULL ORDER BY number LIMIT 1),
			(SELECT number FROM units WHERE work_order = $1 ORDER BY number DESC LIMIT 1), 0)`,
		workOrder).Scan(&n); err != nil {
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

// ScrapUnits marks the live units of a work order numbered above s.Keep as scrapped, in one
// statement, and returns how many it marked.
func (t *writeTx) ScrapUnits(s book.UnitsScrapped) (int, error) {
	tag, err := t.exec(`UPDATE units SET scrapped_operation = $1, scrapped_reason = $2, scrapped_at = $3
		WHERE work_order = $4 AND number > $5 AND scrapped_operation IS NULL`,
		s.Operation, s.Reason, micros(s.At), s.WorkOrder, s.Keep)
	if err != nil {
		return 0, fmt.Errorf("scrapping the units of work order %d above %d: %w", s.WorkOrder, s.Keep, err)
	}
	return int(tag.RowsAffected()), nil
}
