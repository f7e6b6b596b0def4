package book

import (
	"context"
	"time"

	"github.com/cellforge/cellforge/book/oee"
)

// paretoCache keeps, per cell and day, the stops by reason of the days that can no longer
// change: ended more than the reason window ago, every stop over them ended by then too (a
// reason may still be given to one that lasts). Each stop is counted in the day of its first
// working moment, so that the days of a window add up to its Pareto.
type paretoCache = kept[paretoKey, oee.Part]

type paretoKey struct {
	cell  string
	start int64 // the day's start, Unix nanoseconds
}

func (k paretoKey) begins() int64 { return k.start }

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
	cfg := b.cfg().factory.Stops
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
	parts, run, err := b.paretoDays(ctx, cells, run, closed, now)
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
	sums := oee.ReasonSums{}
	// Before the days kept: the stops counted there are not counted again in them.
	counted := map[int64]bool{}
	if a.After(from) {
		in, err := b.oeeInput(ctx, cells, from, a, now, oee.ByDay, loc, false)
		if err != nil {
			return nil, err
		}
		for _, c := range in.Cells {
			for _, id := range sums.AddStops(c, from, a, from, now, cfg) {
				counted[id] = true
			}
		}
	}
	// A stop a kept day carries from before the window counts in the first day it works in.
	for _, p := range parts {
		sums.Add(p.Sums)
		for _, c := range p.Carried {
			if c.First.Before(from) && !counted[c.ID] {
				counted[c.ID] = true
				r := sums[c.Reason]
				r.Count++
				sums[c.Reason] = r
			}
		}
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

// paretoDays returns the kept parts of the cells over the days of run, day by day, reading and
// keeping those not kept yet, and the days they cover: run up to the first day some stop over
// which may still change.
func (b *Book) paretoDays(ctx context.Context, cells []string, run []oee.Bucket, closed, now time.Time) ([]oee.Part, []oee.Bucket, error) {
	var out []oee.Part
	for i, d := range run {
		n := len(out)
		for _, id := range cells {
			p, ok := b.pareto.get(paretoKey{id, d.Start.UnixNano()})
			if !ok {
				break
			}
			out = append(out, p)
		}
		if len(out)-n == len(cells) {
			continue
		}
		out = out[:n]
		// Read the rest of the run at once and keep its days.
		in, err := b.oeeInput(ctx, cells, d.Start, run[len(run)-1].End, now, oee.ByDay, b.location(), false)
		if err != nil {
			return nil, nil, err
		}
		b.pareto.prune(now.Add(-oeeKeep))
		rest := run[i:]
		byCell := make([][]oee.Part, len(in.Cells))
		for k, c := range in.Cells {
			byCell[k] = oee.Parts(c, rest, closed, now, b.cfg().factory.Stops)
		}
		for j, day := range rest {
			for k := range in.Cells {
				if byCell[k][j].Changing {
					return out, run[:i+j], nil
				}
			}
			for k, c := range in.Cells {
				b.pareto.put(paretoKey{c.ID, day.Start.UnixNano()}, byCell[k][j])
				out = append(out, byCell[k][j])
			}
		}
		return out, run, nil
	}
	return out, run, nil
}
