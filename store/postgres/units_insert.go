package postgres

import (
	"fmt"

	"github.com/cellforge/cellforge/book"
)

// InsertUnits stores new units in one statement, however many; a serial or seq another unit
// holds fails with an error wrapping book.ErrSerialTaken that names both units, and stores
// none of them.
func (t *writeTx) InsertUnits(units []book.Unit) error {
	if len(units) == 0 {
		return nil
	}
	workOrders, numbers, orderUnits := make([]int64, len(units)), make([]int64, len(units)), make([]int64, len(units))
	serials, seqs, created := make([]string, len(units)), make([]int64, len(units)), make([]int64, len(units))
	for i, u := range units {
		workOrders[i], numbers[i], orderUnits[i] = u.WorkOrder, int64(u.Number), int64(u.OrderUnit)
		serials[i], seqs[i], created[i] = u.Serial, u.Seq, micros(u.CreatedAt)
	}
	err := t.guarded(`INSERT INTO units (work_order, number, order_unit, serial, seq, created_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])`,
		workOrders, numbers, orderUnits, serials, seqs, created)
	switch uniqueViolation(err) {
	case "":
	case "units_serial", "units_seq":
		return t.serialTaken(units, serials)
	default:
		// the key (work order, number): not a serial's, as in SQLite
	}
	if err != nil {
		return fmt.Errorf("storing units %d to %d of work order %d: %w", units[0].Number, units[len(units)-1].Number,
			units[0].WorkOrder, err)
	}
	return nil
}

// serialTaken returns the error of units one of which has the serial of a unit stored before,
// or of another of the units; it reads the holders of their serials in one query.
func (t *writeTx) serialTaken(units []book.Unit, serials []string) error {
	rows, err := t.query(`SELECT `+unitCols+` FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE u.serial = ANY($1)`, serials)
	if err != nil {
		return fmt.Errorf("storing units: reading the holders of their serials: %w", err)
	}
	stored, err := collect(rows, scanUnits)
	if err != nil {
		return fmt.Errorf("storing units: reading the holders of their serials: %w", err)
	}
	held := make(map[string]book.Unit, len(stored))
	for _, u := range stored {
		held[u.Serial] = u
	}
	seen := make(map[string]book.Unit, len(units))
	for _, u := range units {
		if h, ok := held[u.Serial]; ok {
			return fmt.Errorf("unit %d of work order %d: serial %q is unit %d of work order %d (order %q): %w",
				u.Number, u.WorkOrder, u.Serial, h.Number, h.WorkOrder, h.OrderID, book.ErrSerialTaken)
		}
		if other, ok := seen[u.Serial]; ok {
			return fmt.Errorf("unit %d of work order %d: serial %q is also unit %d's: %w",
				u.Number, u.WorkOrder, u.Serial, other.Number, book.ErrSerialTaken)
		}
		seen[u.Serial] = u
	}
	return fmt.Errorf("units %d to %d of work order %d: a serial or seq is taken: %w",
		units[0].Number, units[len(units)-1].Number, units[0].WorkOrder, book.ErrSerialTaken)
}
