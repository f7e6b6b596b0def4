package scheduler

import (
	"context"
	"time"
)

// paceStretch is about how long a worker searches between two calls of Options.Pace: short
// enough that a share of the CPU is kept over a fraction of a second, long enough that the
// calls cost nothing beside the search.
const paceStretch = 20 * time.Millisecond

// pacer calls Options.Pace after every stretch of search; a nil pacer does nothing.
type pacer struct {
	pace  func(ctx context.Context, searched time.Duration)
	since time.Time
}

// newPacer returns the pacer of opts, nil when opts has no Pace.
func newPacer(opts Options) *pacer {
	if opts.Pace == nil {
		return nil
	}
	return &pacer{pace: opts.Pace, since: time.Now()}
}

// tick hands the stretch searched so far to Pace once it is long enough, and starts the next
// stretch when Pace returns.
func (p *pacer) tick(ctx context.Context) {
	if p == nil {
		return
	}
	if d := time.Since(p.since); d >= paceStretch {
		p.pace(ctx, d)
		p.since = time.Now()
	}
}
