package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// OwedSlips returns up to limit (all when limit <= 0) parcel slips owed, oldest first, with
// what their repairs show.
func (t *readTx) OwedSlips(limit int) ([]book.OwedSlip, error) {
	rows, err := t.query(`SELECT s.id, r.id, r.customer, r.serial, r.item, r.intake_at, s.reprint = 1, s.owed_at
		FROM owed_slips s JOIN repairs r ON r.id = s.repair ORDER BY s.id LIMIT $1`, rowLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading the parcel slips owed: %w", err)
	}
	slips, err := collect(rows, func(row pgx.Rows) (book.OwedSlip, error) {
		var s book.OwedSlip
		var intake, owed int64
		err := row.Scan(&s.ID, &s.Repair, &s.Customer, &s.Serial, &s.Item, &intake, &s.Reprint, &owed)
		s.IntakeAt, s.OwedAt = fromMicros(intake), fromMicros(owed)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the parcel slips owed: %w", err)
	}
	return slips, nil
}

// CountOwedSlips returns how many parcel slips are owed.
func (t *readTx) CountOwedSlips() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM owed_slips`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the parcel slips owed: %w", err)
	}
	return n, nil
}

// OweSlip records the parcel slip of a repair as owed.
func (t *writeTx) OweSlip(repair string, reprint bool, at time.Time) error {
	if _, err := t.exec(`INSERT INTO owed_slips (repair, reprint, owed_at) VALUES ($1, $2, $3)`,
		repair, bit(reprint), micros(at)); err != nil {
		return fmt.Errorf("owing the slip of repair %s: %w", repair, err)
	}
	return nil
}

// DeleteOwedSlip forgets an owed slip, printed, and reports whether it was owed.
func (t *writeTx) DeleteOwedSlip(id int64) (bool, error) {
	return t.deleted(fmt.Sprintf("forgetting owed slip %d", id), `DELETE FROM owed_slips WHERE id = $1`, id)
}
