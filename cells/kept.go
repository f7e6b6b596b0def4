package cells

import (
	"context"
	"errors"
	"slices"

	"github.com/cellforge/cellforge/book"
)

// The writes a controller keeps when the book cannot take them (its database is away): a
// label or slip on paper whose print the book has not recorded, and the summaries of a job's
// readings closed when the job stopped. They are written before anything else once the book
// answers again: a label is never printed again for want of its record, and a job's readings
// are never lost with the job. A progress or a completion needs no keeping: the machine holds
// its count and its end, and the controller records them at the next look that the book takes
// (it sends no next job until the completion is recorded).

// forgetPrinted records, before anything more is printed, the prints kept in *ids (labels or
// slips on paper whose record failed) with record; it stops at the first failure, keeping what
// is left.
func forgetPrinted(ctx context.Context, ids *[]int64, record func(context.Context, int64) error) error {
	for len(*ids) > 0 {
		if err := record(context.WithoutCancel(ctx), (*ids)[0]); err != nil {
			return err
		}
		*ids = (*ids)[1:]
	}
	return nil
}

// keepPrinted keeps id, printed but not recorded, for forgetPrinted.
func keepPrinted(ids *[]int64, id int64) {
	if !slices.Contains(*ids, id) {
		*ids = append(*ids, id)
	}
}

// keepReadingsOf keeps rec, whose write failed, to be written by writeKept; a summary the book
// refused is not kept (it would be refused again).
func (c *Cell) keepReadingsOf(rec *recorder, err error) {
	if errors.Is(err, book.ErrInvalid) || slices.Contains(c.kept, rec) {
		return
	}
	c.kept = append(c.kept, rec)
}

// writeKept writes the readings kept when the book could not take them, oldest first, before
// the controller does anything else: a job sent again reads what the book holds of its
// readings, which must be whole. It stops at the first failure, keeping what is left.
func (c *Cell) writeKept(ctx context.Context) error {
	for len(c.kept) > 0 {
		rec := c.kept[0]
		err := c.writeReadings(ctx, rec)
		if errors.Is(err, book.ErrInvalid) {
			c.log.Error("the book refused a job's kept readings: they are dropped", "operation", rec.op, "err", err)
		} else if err != nil {
			return err
		}
		c.kept = c.kept[1:]
	}
	return nil
}
