package cells

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// recorder summarises the readings of the registers the machine's profile marks record while
// a job of an operation runs, on what the book held of them when the job came to the machine.
type recorder struct {
	op   int64
	sums []book.ReadingSummary // in the profile's order
	last time.Time             // the time of the last reading taken
	// dirty is true while sums hold what the book does not; written is when they were last
	// written.
	dirty   bool
	written time.Time
}

// recorder returns the recorder of job j, reading what the book holds of its operation the
// first time; nil when the profile records nothing.
func (c *Cell) recorder(ctx context.Context, j *job) (*recorder, error) {
	if j.rec != nil || len(c.cfg.Profile.Recorded) == 0 {
		return j.rec, nil
	}
	stored, err := c.cfg.Book.Readings(ctx, j.op)
	if err != nil {
		return nil, fmt.Errorf("reading the readings of operation %d: %w", j.op, err)
	}
	byQuantity := make(map[string]book.ReadingSummary, len(stored))
	for _, s := range stored {
		byQuantity[s.Quantity] = s
	}
	rec := &recorder{op: j.op, written: c.now()}
	for _, r := range c.cfg.Profile.Recorded {
		s, ok := byQuantity[r.Register]
		if !ok {
			s = book.ReadingSummary{Quantity: r.Register}
		}
		s.Unit, s.Tolerance = r.Unit, r.HoldTolerance
		rec.sums = append(rec.sums, s)
		rec.last = maxTime(rec.last, s.Last)
	}
	j.rec = rec
	return rec, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sample adds what the machine last read, v, to the summaries of job j's readings, and writes
// them to the book when the last write is RecordEvery old: a restart loses at most that much.
func (c *Cell) sample(ctx context.Context, j *job, v machineView) {
	rec, err := c.recorder(ctx, j)
	if err != nil {
		c.log.Warn("reading the job's readings", "operation", j.op, "err", err)
		return
	}
	if rec == nil || !v.at.After(rec.last) {
		return
	}
	rec.last = v.at
	for i := range rec.sums {
		if x, ok := v.values[rec.sums[i].Quantity]; ok && rec.sums[i].Add(v.at, x) {
			rec.dirty = true
		}
	}
	if rec.dirty && c.now().Sub(rec.written) >= c.cfg.RecordEvery {
		if err := c.writeReadings(ctx, rec); err != nil {
			c.log.Warn("recording the job's readings", "operation", rec.op, "err", err)
		}
	}
}

// closeReadings ends the holds of job j's readings (the job stops: a pause, a fault, its end)
// and writes them; a job without readings writes nothing. A job the controller has not read
// yet (adopted after a restart and ending at once) closes what the book holds of it: the
// controller before the restart left its holds open for the job to go on.
func (c *Cell) closeReadings(ctx context.Context, j *job) error {
	if j == nil {
		return nil
	}
	rec, err := c.recorder(ctx, j)
	if err != nil || rec == nil {
		return err
	}
	for i := range rec.sums {
		if rec.sums[i].Open != nil {
			rec.sums[i].Close()
			rec.dirty = true
		}
	}
	if err := c.writeReadings(ctx, rec); err != nil {
		// The job may be dropped now: its readings are kept until the book takes them.
		c.keepReadingsOf(rec, err)
		return err
	}
	return nil
}

// writeReadings writes the summaries of rec to the book, if it holds any it does not.
func (c *Cell) writeReadings(ctx context.Context, rec *recorder) error {
	if !rec.dirty {
		return nil
	}
	out := make([]book.ReadingSummary, 0, len(rec.sums))
	for _, s := range rec.sums {
		if s.Samples > 0 {
			out = append(out, s)
		}
	}
	if err := c.cfg.Book.RecordReadings(ctx, rec.op, out); err != nil {
		return fmt.Errorf("recording the readings of operation %d: %w", rec.op, err)
	}
	rec.dirty, rec.written = false, c.now()
	return nil
}
