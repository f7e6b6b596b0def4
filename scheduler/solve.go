package scheduler

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Options bound and seed a Solve call.
type Options struct {
	// TimeLimit stops the search after this long; zero means no limit
	// besides the context and MaxIterations.
	TimeLimit time.Duration
	// MaxIterations stops each worker after this many tabu iterations;
	// zero means no limit. Searches bounded only by it are reproducible.
	MaxIterations int64
	// Seed makes the search reproducible.
	Seed int64
	// Workers is the number of independent searches run in parallel; values
	// below 1 mean 1.
	Workers int
	// Pace, when set, is called by each worker after about every 20 ms of search, with how
	// long it searched since the call before (or since it began), and the worker waits until
	// it returns. A caller bounds the search's share of the CPU with it (by sleeping in
	// proportion) or makes the search give way to other work (by waiting for it); Pace must
	// return once ctx ends. It does not change what the search finds, only when: searches
	// bounded by MaxIterations stay reproducible.
	Pace func(ctx context.Context, searched time.Duration)
}

// ErrNoLimit is returned when nothing would stop the search.
var ErrNoLimit = errors.New("scheduler: no time limit, iteration budget or context deadline")

// Solve returns the best schedule it finds for p before opts.TimeLimit,
// opts.MaxIterations or ctx ends the search. An ended context is not an
// error: the best schedule so far is returned. The error is non-nil only
// when p is invalid or nothing bounds the search.
func Solve(ctx context.Context, p *Problem, opts Options) (Schedule, error) {
	in, ctx, cancel, err := prepare(ctx, p, opts)
	if err != nil {
		return Schedule{}, err
	}
	defer cancel()
	if in.n == 0 {
		return in.scheduleOf(newPlan(in)), nil
	}
	best := parallel(opts, func(rng *rand.Rand) *plan {
		if in.classic {
			return search(ctx, in, rng, opts.MaxIterations, newPacer(opts)).plan()
		}
		start, alt := newPlan(in), newPlan(in)
		start.dispatch(ruleEDD)
		if alt.dispatch(ruleEST); alt.obj.cmp(start.obj) < 0 {
			start = alt
		}
		return improve(ctx, in, rng, start, opts.MaxIterations, newPacer(opts))
	})
	return in.scheduleOf(best), nil
}

// Improve searches for a better schedule than from, which must be a
// schedule of p (a previous plan of the same problem, or one Repair
// returned), with the same bounds as Solve. It returns from itself,
// re-timed, when it finds nothing better.
func Improve(ctx context.Context, p *Problem, from Schedule, opts Options) (Schedule, error) {
	in, ctx, cancel, err := prepare(ctx, p, opts)
	if err != nil {
		return Schedule{}, err
	}
	defer cancel()
	start, err := in.planFrom(from)
	if err != nil {
		return Schedule{}, err
	}
	best := parallel(opts, func(rng *rand.Rand) *plan {
		return improve(ctx, in, rng, start, opts.MaxIterations, newPacer(opts))
	})
	return in.scheduleOf(best), nil
}

// prepare validates p and opts and bounds ctx by the time limit.
func prepare(ctx context.Context, p *Problem, opts Options) (*instance, context.Context, context.CancelFunc, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, nil, err
	}
	if opts.TimeLimit <= 0 && opts.MaxIterations <= 0 && ctx.Done() == nil {
		return nil, nil, nil, ErrNoLimit
	}
	cancel := context.CancelFunc(func() {})
	if opts.TimeLimit > 0 {
		ctx, cancel = context.WithTimeout(ctx, opts.TimeLimit)
	}
	return newInstance(p), ctx, cancel, nil
}

// parallel runs opts.Workers searches with seeds derived from opts.Seed
// and returns the best plan, ties going to the lowest worker.
func parallel(opts Options, run func(rng *rand.Rand) *plan) *plan {
	workers := max(opts.Workers, 1)
	results := make([]*plan, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(rand.New(rand.NewPCG(uint64(opts.Seed), uint64(i))))
		}()
	}
	wg.Wait()
	best := results[0]
	for _, r := range results[1:] {
		if r.obj.cmp(best.obj) < 0 {
			best = r
		}
	}
	return best
}
