package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// The summaries of a machine's readings during an operation. A summary's open stretch is
// stored in nullable columns, all NULL when it has none.

// Readings returns the summaries of the readings of an operation's machine, by quantity.
func (t *readTx) Readings(operation int64) ([]book.ReadingSummary, error) {
	rows, err := t.query(`SELECT quantity, unit, samples, min, max, held, hold_ns, held_from, hold_samples,
			first_at, last_at, tolerance, open_from, open_to, open_begin, open_min, open_max, open_sum, open_count
		FROM readings WHERE operation = $1 ORDER BY quantity`, operation)
	if err != nil {
		return nil, fmt.Errorf("reading the readings of operation %d: %w", operation, err)
	}
	out, err := collect(rows, scanReadingSummary)
	if err != nil {
		return nil, fmt.Errorf("reading the readings of operation %d: %w", operation, err)
	}
	return out, nil
}

func scanReadingSummary(row pgx.Rows) (book.ReadingSummary, error) {
	var r book.ReadingSummary
	var hold, heldFrom, first, last int64
	var openFrom, openTo, openCount *int64
	var openBegin, openMin, openMax, openSum *float64
	err := row.Scan(&r.Quantity, &r.Unit, &r.Samples, &r.Min, &r.Max, &r.Held, &hold, &heldFrom, &r.HoldSamples,
		&first, &last, &r.Tolerance, &openFrom, &openTo, &openBegin, &openMin, &openMax, &openSum, &openCount)
	if err != nil {
		return r, err
	}
	r.HoldTime, r.HeldFrom = time.Duration(hold), fromMicros(heldFrom)
	r.First, r.Last = fromMicros(first), fromMicros(last)
	if openCount != nil {
		r.Open = &book.Stretch{From: fromMicros(deref(openFrom)), To: fromMicros(deref(openTo)), Begin: deref(openBegin),
			Min: deref(openMin), Max: deref(openMax), Sum: deref(openSum), Count: int(*openCount)}
	}
	return r, nil
}

// deref is *p, the zero value for nil.
func deref[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// PutReadings stores summaries of the readings of an operation's machine, each replacing what
// was stored for its quantity, in one round trip.
func (t *writeTx) PutReadings(operation int64, rs []book.ReadingSummary) error {
	if len(rs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, r := range rs {
		var openFrom, openTo, openCount *int64
		var openBegin, openMin, openMax, openSum *float64
		if o := r.Open; o != nil {
			from, to, count := micros(o.From), micros(o.To), int64(o.Count)
			openFrom, openTo, openCount = &from, &to, &count
			openBegin, openMin, openMax, openSum = &o.Begin, &o.Min, &o.Max, &o.Sum
		}
		b.Queue(`INSERT INTO readings (operation, quantity, unit, samples, min, max, held, hold_ns, held_from,
				hold_samples, first_at, last_at, tolerance, open_from, open_to, open_begin, open_min, open_max, open_sum, open_count)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
			ON CONFLICT (operation, quantity) DO UPDATE SET unit = excluded.unit, samples = excluded.samples,
				min = excluded.min, max = excluded.max, held = excluded.held, hold_ns = excluded.hold_ns,
				held_from = excluded.held_from, hold_samples = excluded.hold_samples, first_at = excluded.first_at,
				last_at = excluded.last_at, tolerance = excluded.tolerance, open_from = excluded.open_from,
				open_to = excluded.open_to, open_begin = excluded.open_begin, open_min = excluded.open_min,
				open_max = excluded.open_max, open_sum = excluded.open_sum, open_count = excluded.open_count`,
			operation, r.Quantity, r.Unit, r.Samples, r.Min, r.Max, r.Held, int64(r.HoldTime), micros(r.HeldFrom),
			r.HoldSamples, micros(r.First), micros(r.Last), r.Tolerance,
			openFrom, openTo, openBegin, openMin, openMax, openSum, openCount)
	}
	res := t.tx.SendBatch(t.ctx, b)
	defer res.Close()
	for _, r := range rs {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("storing the readings %q of operation %d: %w", r.Quantity, operation, classify(err))
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("storing the readings of operation %d: %w", operation, classify(err))
	}
	return nil
}
