package sqlite

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The summaries of a machine's readings during an operation (migration 0009).

// Readings returns the summaries of the readings of an operation's machine, by quantity.
func (t *readTx) Readings(operation int64) ([]book.ReadingSummary, error) {
	rows, err := t.query(`SELECT quantity, unit, samples, min, max, held, hold_ns, held_from, hold_samples,
			first_at, last_at, tolerance, open_from, open_to, open_begin, open_min, open_max, open_sum, open_count
		FROM readings WHERE operation = ? ORDER BY quantity`, operation)
	if err != nil {
		return nil, fmt.Errorf("reading the readings of operation %d: %w", operation, err)
	}
	out, err := collect(t.ctx, rows, func(sc scanner) (book.ReadingSummary, error) {
		var r book.ReadingSummary
		var hold, heldFrom, first, last int64
		var openFrom, openTo, openCount sql.NullInt64
		var openBegin, openMin, openMax, openSum sql.NullFloat64
		err := sc.Scan(&r.Quantity, &r.Unit, &r.Samples, &r.Min, &r.Max, &r.Held, &hold, &heldFrom, &r.HoldSamples,
			&first, &last, &r.Tolerance, &openFrom, &openTo, &openBegin, &openMin, &openMax, &openSum, &openCount)
		r.HoldTime, r.HeldFrom = time.Duration(hold), fromMicros(heldFrom)
		r.First, r.Last = fromMicros(first), fromMicros(last)
		if openCount.Valid {
			r.Open = &book.Stretch{From: fromMicros(openFrom.Int64), To: fromMicros(openTo.Int64), Begin: openBegin.Float64,
				Min: openMin.Float64, Max: openMax.Float64, Sum: openSum.Float64, Count: int(openCount.Int64)}
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the readings of operation %d: %w", operation, err)
	}
	return out, nil
}

// PutReadings stores summaries of the readings of an operation's machine, each replacing what
// was stored for its quantity.
func (t *writeTx) PutReadings(operation int64, rs []book.ReadingSummary) error {
	for _, r := range rs {
		var openFrom, openTo, openBegin, openMin, openMax, openSum, openCount any
		if o := r.Open; o != nil {
			openFrom, openTo, openBegin, openMin, openMax, openSum, openCount = micros(o.From), micros(o.To), o.Begin, o.Min, o.Max, o.Sum, o.Count
		}
		if _, err := t.exec(`INSERT INTO readings (operation, quantity, unit, samples, min, max, held, hold_ns, held_from,
				hold_samples, first_at, last_at, tolerance, open_from, open_to, open_begin, open_min, open_max, open_sum, open_count)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (operation, quantity) DO UPDATE SET unit = excluded.unit, samples = excluded.samples,
				min = excluded.min, max = excluded.max, held = excluded.held, hold_ns = excluded.hold_ns,
				held_from = excluded.held_from, hold_samples = excluded.hold_samples, first_at = excluded.first_at,
				last_at = excluded.last_at, tolerance = excluded.tolerance, open_from = excluded.open_from,
				open_to = excluded.open_to, open_begin = excluded.open_begin, open_min = excluded.open_min,
				open_max = excluded.open_max, open_sum = excluded.open_sum, open_count = excluded.open_count`,
			operation, r.Quantity, r.Unit, r.Samples, r.Min, r.Max, r.Held, int64(r.HoldTime), micros(r.HeldFrom),
			r.HoldSamples, micros(r.First), micros(r.Last), r.Tolerance, openFrom, openTo, openBegin, openMin, openMax, openSum, openCount); err != nil {
			return fmt.Errorf("storing the readings %q of operation %d: %w", r.Quantity, operation, err)
		}
	}
	return nil
}
