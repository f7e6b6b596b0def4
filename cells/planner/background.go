package planner

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/scheduler"
)

// The background search keeps improving the plan while the book is quiet. After each re-plan
// it searches on from the plan just published, in rounds of roundSearch of search; a round
// that ends with a better plan publishes it, as Replan does. It takes at most Config.Background
// of one core (the scheduler's Pace sleeps in proportion to the search), waits while a re-plan
// or a promise check is under way, starts again from the new plan whenever Replan publishes
// one (a change of the work, or a re-time) once no plan has been published for Config.Quiet,
// and stops once it has searched for Config.Patience without finding anything better, until
// the work changes again.

// roundSearch is how much search one round of the background search does before it publishes
// what it found: short enough that a better plan reaches the floor within seconds, long enough
// that a round is the search of a re-plan several times over.
const roundSearch = time.Second

// yieldPoll is how often a background search waiting for the floor's requests looks again.
const yieldPoll = 10 * time.Millisecond

// bgBase is a plan the background search may start from: a published plan and the problem it
// is a plan of. resume is set when the work changed, which starts a search that had stopped.
type bgBase struct {
	b      *builder
	plan   *Plan
	resume bool
}

// BackgroundStatus is what the background search has done since the work last changed.
type BackgroundStatus struct {
	// Start is the plan the last change of the work led to, after the re-plan's search: the
	// one the background search went on from (nil before the first).
	Start *Plan
	// Running says whether it is searching now (or waiting for the book to be quiet, or for
	// its share of the CPU).
	Running bool
	// Searched is how long it has searched, Rounds how many rounds it has finished and Better
	// how many better plans it has published, since the work last changed.
	Searched time.Duration
	Rounds   int
	Better   int
}

// Background returns what the background search has done since the work last changed; all
// zero when it is off (Config.Background) or Run is not running.
func (p *Planner) Background() BackgroundStatus {
	p.bgMu.Lock()
	defer p.bgMu.Unlock()
	return p.bgStatus
}

// rebase hands the background search the plan Replan just published, stopping the round under
// way: it goes on from that plan, or starts again when the work changed (resume).
func (p *Planner) rebase(b *builder, plan *Plan, resume bool) {
	if p.cfg.Background <= 0 {
		return
	}
	p.bgMu.Lock()
	defer p.bgMu.Unlock()
	if p.bgNext != nil && p.bgNext.resume {
		resume = true // a change not yet picked up is not forgotten by a re-time after it
	}
	p.bgNext = &bgBase{b: b, plan: plan, resume: resume}
	if resume {
		p.bgStatus = BackgroundStatus{Start: plan}
	}
	if p.bgCancel != nil {
		p.bgCancel()
	}
	select {
	case p.bgWake <- struct{}{}:
	default:
	}
}

// floorRequest marks a re-plan or a promise check under way, for the background search to wait
// for; the function it returns marks its end.
func (p *Planner) floorRequest() func() {
	p.busy.Add(1)
	return func() { p.busy.Add(-1) }
}

// background runs the background search until ctx ends: it waits for a plan to start from,
// searches from it, and waits again.
func (p *Planner) background(ctx context.Context) {
	active := false
	var betterAt time.Duration // how much had been searched at the last better plan
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.bgWake:
		}
		p.bgMu.Lock()
		base := p.bgNext
		p.bgNext = nil
		if base != nil && base.resume {
			betterAt = 0 // rebase started the count of the search again
		}
		p.bgMu.Unlock()
		if base == nil || !(base.resume || active) || len(base.b.jobs) == 0 {
			continue
		}
		active = p.session(ctx, base, &betterAt)
	}
}

// session waits for Config.Quiet, then searches from base in rounds, publishing each better
// plan, until a new plan is published (it reports true: the search goes on from that one),
// Config.Patience more has been searched since betterAt without a better plan, or ctx ends
// (both false).
func (p *Planner) session(ctx context.Context, base *bgBase, betterAt *time.Duration) bool {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.bgMu.Lock()
	if p.bgNext != nil { // superseded already
		p.bgMu.Unlock()
		return true
	}
	p.bgCancel = cancel
	p.bgStatus.Running = true
	p.bgMu.Unlock()
	defer func() {
		p.bgMu.Lock()
		p.bgCancel = nil
		p.bgStatus.Running = false
		p.bgMu.Unlock()
	}()
	if !sleep(sctx, p.cfg.Quiet) {
		return ctx.Err() == nil
	}
	best := base.plan
	for {
		s, err := p.round(sctx, base.b, best.schedule)
		if sctx.Err() != nil {
			return ctx.Err() == nil
		}
		if err != nil {
			p.log.Warn("background search failed", "err", err)
			return false
		}
		improved := better(s, best.schedule)
		if improved {
			plan, ok := p.publishBetter(base.b, best, s)
			if !ok {
				return true
			}
			best = plan
		}
		// A round is counted once its plan is published: whoever reads the count sees the plan.
		status := p.roundDone(sctx, improved)
		if improved {
			*betterAt = status.Searched
			p.log.Info("background search found a better plan", "late", best.Late, "changeovers", best.Changeovers,
				"makespan", best.Makespan, "searched", status.Searched.Round(time.Millisecond))
			continue
		}
		if idle := status.Searched - *betterAt; idle >= p.cfg.Patience {
			p.log.Info("background search stopped: no better plan for a while", "searched_since_better", idle.Round(time.Millisecond),
				"searched", status.Searched.Round(time.Millisecond), "better_plans", status.Better, "late", best.Late)
			return false
		}
	}
}

// roundDone counts a round of the session of ctx and, when it improved the plan, a better
// plan, and returns the status. A session a new plan has stopped (rebase cancels ctx under
// bgMu) counts nothing: the status is the new plan's.
func (p *Planner) roundDone(ctx context.Context, improved bool) BackgroundStatus {
	p.bgMu.Lock()
	defer p.bgMu.Unlock()
	if ctx.Err() != nil {
		return p.bgStatus
	}
	p.bgStatus.Rounds++
	if improved {
		p.bgStatus.Better++
	}
	return p.bgStatus
}

// round searches for roundSearch from s, a schedule of problem b, at the background's share of
// the CPU, and returns the best schedule found (s itself, re-timed, when nothing is better).
func (p *Planner) round(ctx context.Context, b *builder, s scheduler.Schedule) (scheduler.Schedule, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.bgMu.Lock()
	seed := p.cfg.Seed + int64(p.bgStatus.Rounds) + 1
	p.bgMu.Unlock()
	var searched time.Duration
	pace := func(ctx context.Context, d time.Duration) {
		searched += d
		p.bgMu.Lock()
		if ctx.Err() == nil { // see roundDone
			p.bgStatus.Searched += d
		}
		p.bgMu.Unlock()
		if searched >= roundSearch {
			cancel()
			return
		}
		p.yield(ctx, d)
	}
	better, err := scheduler.Improve(rctx, b.problem, s, scheduler.Options{Seed: seed, Workers: 1, Pace: pace})
	if err != nil {
		return s, fmt.Errorf("improving the plan of %d work orders in the background: %w", len(b.jobs), err)
	}
	return better, nil
}

// yield holds the background search after d of search: long enough that it keeps to its share
// of one core, and then for as long as a re-plan or a promise check is under way.
func (p *Planner) yield(ctx context.Context, d time.Duration) {
	share := p.cfg.Background
	if !sleep(ctx, time.Duration(float64(d)*(1-share)/share)) {
		return
	}
	for p.busy.Load() > 0 && sleep(ctx, yieldPoll) {
	}
}

// sleep waits for d or until ctx ends, and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// better reports whether schedule a beats b on the scheduler's objective: the weighted
// tardiness, then the makespan, then the changeover time.
func better(a, b scheduler.Schedule) bool {
	if a.Tardiness != b.Tardiness {
		return a.Tardiness < b.Tardiness
	}
	if a.Makespan != b.Makespan {
		return a.Makespan < b.Makespan
	}
	return a.ChangeoverTime < b.ChangeoverTime
}

// publishBetter makes schedule s of problem b the current plan, if the current plan is still
// from, the plan s was found from (a re-plan may have published a newer one meanwhile), and
// reports whether it did.
func (p *Planner) publishBetter(b *builder, from *Plan, s scheduler.Schedule) (*Plan, bool) {
	p.replanMu.Lock() // not while a re-plan is under way: it may be building on from
	defer p.replanMu.Unlock()
	plan := b.result(from.At, s)
	plan.EventID = from.EventID
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan != from {
		return nil, false
	}
	p.plan = plan
	return plan, true
}
