package book

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Turnaround summarises the turnaround times of a drop's completed orders: from the order's
// intake to the completion of its last work order, as the event log recorded them.
type Turnaround struct {
	Drop   string        `json:"drop"`
	Count  int           `json:"count"`
	Median time.Duration `json:"-"`
	P90    time.Duration `json:"-"`
	// MedianSeconds and P90Seconds are Median and P90 for JSON clients.
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Turnaround returns the turnaround of a drop's completed orders. The percentiles are
// nearest-rank: the median of 1, 2, 3, 4 is 2.
func (b *Book) Turnaround(ctx context.Context, drop string) (Turnaround, error) {
	done, err := b.Completions(ctx, drop)
	if err != nil {
		return Turnaround{}, err
	}
	return Summarize(drop, done), nil
}

// Completions returns the completed orders of a drop, one each, by the id of the work order
// that completed it: its intake, and the completion of its last work order. An order is
// completed when every work order of it has ended, one at least done, and it lacks no unit:
// an order made short, or whose remake is still being made, is not, and neither are its work
// orders that did complete.
func (b *Book) Completions(ctx context.Context, drop string) ([]Completion, error) {
	if _, ok := b.cfg().drops[drop]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDrop, drop)
	}
	var done []Completion
	var lossy []OrderDetail
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if done, err = tx.Completions(drop); err != nil {
			return err
		}
		// Only an order that lost units has more than one work order, or one done short.
		lossy, err = lossyOrders(tx, drop)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %s: %w", drop, err)
	}
	if len(lossy) == 0 {
		return done, nil
	}
	whole := make(map[string]Order, len(lossy))
	settled := make(map[string]bool, len(lossy))
	for _, d := range lossy {
		settled[d.Order.OrderID] = true
		if d.State == OrderDone {
			whole[d.Order.OrderID] = d.Order
		}
	}
	last := make(map[string]int) // index in out of an order's completion
	out := done[:0:0]
	for _, c := range done {
		if !settled[c.OrderID] {
			out = append(out, c)
			continue
		}
		o, ok := whole[c.OrderID]
		if !ok {
			continue
		}
		c.IntakeAt = o.IntakeAt
		if i, seen := last[c.OrderID]; seen {
			if c.CompletedAt.After(out[i].CompletedAt) {
				out[i].WorkOrder, out[i].CompletedAt = c.WorkOrder, c.CompletedAt
			}
			continue
		}
		last[c.OrderID] = len(out)
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Completion) int { return cmp.Compare(x.WorkOrder, y.WorkOrder) })
	return out, nil
}

// Summarize returns the count, nearest-rank median and p90 of completions' turnaround times.
func Summarize(drop string, done []Completion) Turnaround {
	t := Turnaround{Drop: drop, Count: len(done)}
	if len(done) == 0 {
		return t
	}
	times := make([]time.Duration, len(done))
	for i, c := range done {
		times[i] = c.Turnaround()
	}
	slices.Sort(times)
	t.Median = nearestRank(times, 0.5)
	t.P90 = nearestRank(times, 0.9)
	t.MedianSeconds = t.Median.Seconds()
	t.P90Seconds = t.P90.Seconds()
	return t
}

// Turnaround is the completion time minus the intake time.
func (c Completion) Turnaround() time.Duration { return c.CompletedAt.Sub(c.IntakeAt) }

// nearestRank returns the p-th percentile of sorted values by the nearest-rank method.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}
