package book

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book/oee"
)

// OEEQuery asks for OEE over [From, To) by shift, day or week, of one cell or of every cell
// (Cell "").
type OEEQuery struct {
	From, To time.Time
	By       oee.By
	Cell     string
}

// oeeCache keeps the figures of buckets that can no longer change: ended more than the reason
// window ago, their reasons closed and their events immutable. Nothing invalidates them.
type oeeCache = kept[oeeKey, oee.Figures]

// oeeKeep is how far back the caches keep figures: the longest window the API answers.
const oeeKeep = 400 * 24 * time.Hour

type oeeKey struct {
	by    oee.By
	cell  string
	start int64 // the bucket's start, Unix nanoseconds
}

func (k oeeKey) begins() int64 { return k.start }

// kept is what the caches of OEE and the Pareto hold: figures that can no longer change, by
// the bucket they are of; safe for concurrent use.
type kept[K interface {
	comparable
	begins() int64 // the bucket's start, Unix nanoseconds
}, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

func (c *kept[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *kept[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]V)
	}
	c.m[k] = v
}

// prune drops the figures of buckets that started before oldest.
func (c *kept[K, V]) prune(oldest time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.m, func(k K, _ V) bool { return k.begins() < oldest.UnixNano() })
}

// location is the factory's time zone: its working hours', UTC without.
func (b *Book) location() *time.Location {
	cv := b.cfg()
	if cv.factory.Hours != nil && cv.factory.Hours.Location != nil {
		return cv.factory.Hours.Location
	}
	return time.UTC
}

// oeeCells returns the cells a query names: one, or every cell of the factory in its order.
func (b *Book) oeeCells(cell string) ([]string, error) {
	cv := b.cfg()
	if cell != "" {
		if _, ok := cv.cells[cell]; !ok {
			return nil, &FieldError{Field: "cell", Reason: fmt.Sprintf("unknown cell %q", cell)}
		}
		return []string{cell}, nil
	}
	ids := make([]string, 0, len(cv.factory.Cells))
	for _, c := range cv.factory.Cells {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func checkWindow(from, to time.Time) error {
	switch {
	case from.IsZero():
		return &FieldError{Field: "from", Reason: "required"}
	case to.IsZero():
		return &FieldError{Field: "to", Reason: "required"}
	case !from.Before(to):
		return &FieldError{Field: "to", Reason: fmt.Sprintf("%s is not after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))}
	}
	return nil
}

// OEE returns the OEE of the query's cells per bucket (see package book/oee for the
// definitions). The figures of whole buckets that ended more than the reason window ago are
// kept in memory and never read again; the rest is read fresh.
func (b *Book) OEE(ctx context.Context, q OEEQuery) (oee.Report, error) {
	return b.oeeReport(ctx, q, b.clock(), nil)
}

// oeeReport is OEE at now; read, when not nil, is what was read of every cell from a moment
// until now, used instead of reading again when the report needs nothing before that moment.
func (b *Book) oeeReport(ctx context.Context, q OEEQuery, now time.Time, read *oee.Input) (oee.Report, error) {
	if err := checkWindow(q.From, q.To); err != nil {
		return oee.Report{}, err
	}
	cells, err := b.oeeCells(q.Cell)
	if err != nil {
		return oee.Report{}, err
	}
	cfg := b.cfg().factory.Stops
	loc := b.location()
	buckets, err := oee.Buckets(q.From, q.To, q.By, loc, cfg.Shifts)
	if err != nil {
		return oee.Report{}, &FieldError{Field: "by", Reason: err.Error()}
	}
	closed := now.Add(-cfg.ReasonWindow)
	// whole tells whether a bucket lies wholly in the window and ended long enough ago to keep.
	keep := func(bk oee.Bucket) bool {
		return !bk.Start.Before(q.From) && !bk.End.After(q.To) && !bk.End.After(closed) && !bk.Start.Before(now.Add(-oeeKeep))
	}
	rep := oee.Report{From: q.From, To: q.To, By: q.By, Buckets: buckets, Totals: make([]oee.Figures, len(buckets))}
	rep.Cells = make([]oee.CellReport, len(cells))
	// fresh is the first bucket some cell has no figures of.
	fresh := len(buckets)
	for i, id := range cells {
		rep.Cells[i] = oee.CellReport{Cell: id, Buckets: make([]oee.Figures, len(buckets))}
		for j, bk := range buckets {
			if j >= fresh {
				break
			}
			f, ok := oee.Figures{}, false
			if keep(bk) {
				f, ok = b.oee.get(oeeKey{q.By, id, bk.Start.UnixNano()})
			}
			if !ok {
				fresh = j
				break
			}
			rep.Cells[i].Buckets[j] = f
		}
	}
	if fresh < len(buckets) {
		from := buckets[fresh].Start
		if from.Before(q.From) {
			from = q.From
		}
		var in oee.Input
		if read != nil && q.Cell == "" && !read.From.After(from) && read.Now.Equal(now) {
			// The counts before from only tell the operations' first good units, as GoodBefore would.
			in = *read
			in.From, in.To, in.By = from, q.To, q.By
		} else if in, err = b.oeeInput(ctx, cells, from, q.To, now, q.By, loc, true); err != nil {
			return oee.Report{}, err
		}
		part, err := oee.Compute(in)
		if err != nil {
			return oee.Report{}, fmt.Errorf("computing OEE: %w", err)
		}
		b.oee.prune(now.Add(-oeeKeep))
		for i, cr := range part.Cells {
			for j, f := range cr.Buckets {
				k := fresh + j
				rep.Cells[i].Buckets[k] = f
				if keep(buckets[k]) {
					b.oee.put(oeeKey{q.By, cr.Cell, buckets[k].Start.UnixNano()}, f)
				}
			}
		}
	}
	for i := range rep.Cells {
		for j, f := range rep.Cells[i].Buckets {
			rep.Cells[i].Total.Add(f)
			rep.Totals[j].Add(f)
			rep.Total.Add(f)
		}
	}
	return rep, nil
}

// oeeInput reads what OEE over [from, to) of cells needs: their stops and, with units, the
// units counted.
func (b *Book) oeeInput(ctx context.Context, cells []string, from, to, now time.Time, by oee.By, loc *time.Location, units bool) (oee.Input, error) {
	cv := b.cfg()
	in := oee.Input{From: from, To: to, Now: now, By: by, Location: loc, Stops: cv.factory.Stops, Operations: map[int64]oee.Operation{}}
	cell := ""
	if len(cells) == 1 {
		cell = cells[0]
	}
	end := to
	if now.Before(end) {
		end = now
	}
	err := b.store.Read(ctx, func(tx ReadTx) error {
		stops, err := tx.Stops(StopFilter{Cell: cell, From: from, To: end})
		if err != nil {
			return fmt.Errorf("reading stops: %w", err)
		}
		// One slice for every cell's stops, cut by cell: no slice grown stop by stop.
		idx := make(map[string]int, len(cells))
		for i, id := range cells {
			idx[id] = i
		}
		at := make([]int, len(cells)+1)
		for _, s := range stops {
			if i, ok := idx[s.Cell]; ok {
				at[i+1]++
			}
		}
		for i := range cells {
			at[i+1] += at[i]
		}
		all, next := make([]oee.Stop, at[len(cells)]), append([]int(nil), at...)
		for _, s := range stops {
			i, ok := idx[s.Cell]
			if !ok {
				continue
			}
			os := oee.Stop{ID: s.ID, NoWork: s.Kind == StopNoWork, Start: s.Start, Reason: s.Reason}
			if s.End != nil {
				os.End = *s.End
			}
			all[next[i]] = os
			next[i]++
		}
		in.Cells = make([]oee.Cell, 0, len(cells))
		for i, id := range cells {
			in.Cells = append(in.Cells, oee.Cell{ID: id, Hours: cv.factory.CellHours(id), Stops: all[at[i]:at[i+1]:at[i+1]]})
		}
		if !units {
			return nil
		}
		counts, err := tx.UnitCounts(from, end, cell)
		if err != nil {
			return err
		}
		in.Counts = make([]oee.Count, 0, len(counts))
		for _, c := range counts {
			in.Counts = append(in.Counts, oee.Count{Cell: c.Cell, Operation: c.Operation, At: c.At, Done: c.Done, Scrapped: c.Scrapped})
			// Only a scrap's row tells whether its operation had a good unit before from: a later
			// row of the same operation must not undo it.
			in.Operations[c.Operation] = oee.Operation{ID: c.Operation, UnitTime: c.UnitTime,
				GoodBefore: c.GoodBefore || in.Operations[c.Operation].GoodBefore, Rework: c.Rework, Failed: c.Failed}
		}
		return nil
	})
	if err != nil {
		return oee.Input{}, fmt.Errorf("reading OEE from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return in, nil
}

// YieldBy is what first-pass yield is grouped by.
type YieldBy string

// The groupings of first-pass yield.
const (
	YieldBySKU  YieldBy = "sku"
	YieldByCell YieldBy = "cell"
)

// FirstPassYield returns the first-pass yield over the operations ended in [from, to), by SKU or
// by cell (see package book/oee).
func (b *Book) FirstPassYield(ctx context.Context, from, to time.Time, by YieldBy) ([]oee.Yield, error) {
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	if by != YieldBySKU && by != YieldByCell {
		return nil, &FieldError{Field: "by", Reason: fmt.Sprintf("%q is not sku or cell", by)}
	}
	var ops []oee.Operation
	err := b.store.Read(ctx, func(tx ReadTx) error {
		ended, err := tx.EndedOperations(from, to)
		if err != nil {
			return err
		}
		for _, o := range ended {
			ops = append(ops, oee.Operation{ID: o.ID, Cell: o.Cell, SKU: o.SKU, Ended: o.Ended, Done: o.Done, Scrapped: o.Scrapped,
				Rework: o.Rework, Failed: o.Failed})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading first-pass yield from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return oee.FirstPassYield(ops, from, to, by == YieldBySKU), nil
}
