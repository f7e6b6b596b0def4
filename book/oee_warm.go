package book

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book/oee"
)

// WarmOEE reads OEE by shift, day and week and the Pareto of stop reasons of every cell from
// since (no earlier than the 400 days the caches keep) until now, so that the closed buckets
// and days are kept before anyone asks: a daemon calls it at start. Queries meanwhile compute
// as they would. It returns when done or when ctx ends.
func (b *Book) WarmOEE(ctx context.Context, since time.Time) error {
	now := b.clock()
	// A minute inside what the caches keep, so that the first bucket is kept when the clock
	// has moved on by the time it is.
	if oldest := now.Add(-oeeKeep + time.Minute); since.Before(oldest) {
		since = oldest
	}
	if !since.Before(now) {
		return nil
	}
	loc := b.location()
	// Each kind of bucket from its first whole bucket: the cache keeps whole buckets only.
	froms := map[oee.By]time.Time{}
	var first time.Time
	for _, by := range []oee.By{oee.ByShift, oee.ByDay, oee.ByWeek} {
		bks, err := oee.Buckets(since, now, by, loc, b.cfg().factory.Stops.Shifts)
		if err != nil {
			return fmt.Errorf("warming OEE by %s: %w", by, err)
		}
		from := bks[0].Start
		if from.Before(since) {
			if len(bks) == 1 {
				continue
			}
			from = bks[1].Start
		}
		froms[by] = from
		if first.IsZero() || from.Before(first) {
			first = from
		}
	}
	if first.IsZero() {
		return nil
	}
	// One read of every cell for the three.
	cells, err := b.oeeCells("")
	if err != nil {
		return err
	}
	read, err := b.oeeInput(ctx, cells, first, now, now, oee.ByDay, loc, true)
	if err != nil {
		return fmt.Errorf("warming OEE: %w", err)
	}
	for _, by := range []oee.By{oee.ByShift, oee.ByDay, oee.ByWeek} {
		from, ok := froms[by]
		if !ok {
			continue
		}
		if _, err := b.oeeReport(ctx, OEEQuery{From: from, To: now, By: by}, now, &read); err != nil {
			return fmt.Errorf("warming OEE by %s: %w", by, err)
		}
	}
	days, err := oee.Buckets(since, now, oee.ByDay, loc, nil)
	if err != nil {
		return fmt.Errorf("warming the Pareto: %w", err)
	}
	from := days[0].Start
	if from.Before(since) {
		if len(days) == 1 {
			return nil
		}
		from = days[1].Start
	}
	if _, err := b.StopPareto(ctx, from, now, ""); err != nil {
		return fmt.Errorf("warming the Pareto: %w", err)
	}
	return nil
}
