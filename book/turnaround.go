package book

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Turnaround summarises the turnaround times of a drop's completed work orders: completion
// time minus order intake time, as the event log recorded them.
type Turnaround struct {
	Drop   string        `json:"drop"`
	Count  int           `json:"count"`
	Median time.Duration `json:"-"`
	P90    time.Duration `json:"-"`
	// MedianSeconds and P90Seconds are Median and P90 for JSON clients.
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Turnaround returns the turnaround of a drop's completed work orders. The percentiles are
// nearest-rank: the median of 1, 2, 3, 4 is 2.
func (b *Book) Turnaround(ctx context.Context, drop string) (Turnaround, error) {
	done, err := b.Completions(ctx, drop)
	if err != nil {
		return Turnaround{}, err
	}
	return Summarize(drop, done), nil
}

// Completions returns the completed work orders of a drop with their intake and completion
// times, by work order id.
func (b *Book) Completions(ctx context.Context, drop string) ([]Completion, error) {
	if _, ok := b.drops[drop]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDrop, drop)
	}
	var done []Completion
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		done, err = tx.Completions(drop)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %s: %w", drop, err)
	}
	return done, nil
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
