package book

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book/oee"
)

// paretoCache keeps, per cell and day, the stops by reason of the days that can no longer
// change: ended more than the reason window ago, every stop over them ended by then too (a
// reason may still be given to one that lasts). Each stop is counted in the day of its first
// working moment, so that the days of a window add up to its Pareto.
type paretoCache struct {
	mu   sync.Mutex
	sums map[paretoKey]oee.ReasonSums
}

type paretoKey struct {
	cell  string
	start int64 // the day's start, Unix nanoseconds
}

func (c *paretoCache) get(k paretoKey) (oee.ReasonSums, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sums[k]
	return s, ok
}

func (c *paretoCache) put(k paretoKey, s oee.ReasonSums) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sums == nil {
		c.sums = make(map[paretoKey]oee.ReasonSums)
	}
	c.sums[k] = s
}

// prune drops the days that started before oldest.
func (c *paretoCache) prune(oldest time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.sums, func(k paretoKey, _ oee.ReasonSums) bool { return k.start < oldest.UnixNano() })
}

// StopPareto returns the Pareto of stop reasons of a cell ("" for every cell) over [from, to).
// The whole days of the window that can no longer change are kept in memory per cell and read
// once; the part before them and the part after are read fresh.
func (b *Book) StopPareto(ctx context.Context, from, to time.Time, cell string) ([]oee.ParetoEntry, error) {
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	cells, err := b.oeeCells(cell)
	if err != nil {
		return nil, err
	}
	now := b.clock()
	cfg := b.factory.Stops
	loc := b.location()
	days, err := oee.Buckets(from, to, oee.ByDay, loc, nil)
	if err != nil {
		return nil, &FieldError{Field: "to", Reason: err.Error()}
	}
	closed := now.Add(-cfg.ReasonWindow)
	// run is the days wholly in the window and closed, from the first that starts in it (and
	// within what the cache keeps).
	var run []oee.Bucket
	for _, d := range days {
		if d.Start.Before(from) || d.Start.Before(now.Add(-oeeKeep)) {
			continue
		}
		if d.End.After(to) || d.End.After(closed) {
			break
		}
		run = append(run, d)
	}
	sums := oee.ReasonSums{}
	run, err = b.paretoDays(ctx, cells, run, sums, closed, now)
	if err != nil {
		return nil, err
	}
	if len(run) == 0 {
		in, err := b.oeeInput(ctx, cells, from, to, now, oee.ByDay, loc, false)
		if err != nil {
			return nil, err
		}
		return oee.Pareto(in.Cells, from, to, now, cfg), nil
	}
	a, z := run[0].Start, run[len(run)-1].End
	// Before the days kept: [from, a), or the stops over from alone, for those a kept day counts
	// not (their first working moment is before from) but the window does.
	lead := a
	if !lead.After(from) {
		lead = from.Add(time.Microsecond)
	}
	in, err := b.oeeInput(ctx, cells, from, lead, now, oee.ByDay, loc, false)
	if err != nil {
		return nil, err
	}
	for _, c := range in.Cells {
		if a.After(from) {
			sums.AddStops(c, from, a, from, now, cfg)
		}
		sums.AddCarried(c, from, a, z, now, cfg)
	}
	if z.Before(to) {
		in, err := b.oeeInput(ctx, cells, z, to, now, oee.ByDay, loc, false)
		if err != nil {
			return nil, err
		}
		end := to
		if now.Before(end) {
			end = now
		}
		for _, c := range in.Cells {
			sums.AddStops(c, z, end, from, now, cfg)
		}
	}
	return sums.Pareto(cfg), nil
}

// paretoDays adds to sums the kept stops by reason of the cells over the days of run, reading
// and keeping those not kept yet, and returns the days added: run up to the first day some
// stop over which may still change.
func (b *Book) paretoDays(ctx context.Context, cells []string, run []oee.Bucket, sums oee.ReasonSums, closed, now time.Time) ([]oee.Bucket, error) {
	cfg := b.factory.Stops
	for i, d := range run {
		var got []oee.ReasonSums
		for _, id := range cells {
			s, ok := b.pareto.get(paretoKey{id, d.Start.UnixNano()})
			if !ok {
				break
			}
			got = append(got, s)
		}
		if len(got) == len(cells) {
			for _, s := range got {
				sums.Add(s)
			}
			continue
		}
		// Read the rest of the run at once and keep its days.
		in, err := b.oeeInput(ctx, cells, d.Start, run[len(run)-1].End, now, oee.ByDay, b.location(), false)
		if err != nil {
			return nil, err
		}
		b.pareto.prune(now.Add(-oeeKeep))
		for j := i; j < len(run); j++ {
			day := run[j]
			part := make([]oee.ReasonSums, len(in.Cells))
			for k, c := range in.Cells {
				if oee.Touches(c, day.Start, day.End, closed, now) {
					return run[:j], nil
				}
				part[k] = oee.ReasonSums{}
				part[k].AddStops(c, day.Start, day.End, time.Time{}, now, cfg)
			}
			for k, c := range in.Cells {
				b.pareto.put(paretoKey{c.ID, day.Start.UnixNano()}, part[k])
				sums.Add(part[k])
			}
		}
		return run, nil
	}
	return run, nil
}
