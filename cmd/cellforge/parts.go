package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// part is a long-running part of the daemon. run blocks until its context ends and then
// returns within bound: what it still has under way when it is told to stop (a request being
// answered, a message waiting for the broker's acknowledgement) finishes or is given up within
// it.
type part struct {
	name  string
	run   func(ctx context.Context) error
	bound time.Duration
}

// stopReport is how often runParts says what it still waits for while it stops the daemon.
const stopReport = time.Second

// errEndedEarly is the failure of a part that returned nil before it was told to stop. Every
// part's run blocks until its context ends, so one that returns on its own is broken; the daemon
// without it (without its floor, its telemetry or its requests) would go on answering as if it
// were whole, with nothing but a line in the log to say otherwise. It stops instead, like for
// any other failure, and exits non-zero, which is what a supervisor notices and restarts.
var errEndedEarly = errors.New("returned before it was told to stop")

// runParts runs every part at once until ctx ends or a part fails, and then stops them stage by
// stage, in the order of stages: the first stage's parts are told to stop (their contexts end),
// and the next stage's once every part of the stages before has returned or outlived its
// bound, so that what takes input stops first, then what drains it, then the outputs.
//
// It logs at once that it is stopping and why, each part as it returns, every report the parts
// it still waits for (of every stage told to stop so far), and a warning naming a part that
// outlives its bound (which is still waited for, after the last stage is told to stop). When
// every part has returned it logs that the daemon stopped and how long stopping took. It returns
// the first error of a part (errEndedEarly for a part that returned nil before it was told to
// stop), nil when ctx ended and every part returned nil once told to stop.
func runParts(ctx context.Context, log *slog.Logger, report time.Duration, stages ...[]part) error {
	var all []*runningPart
	byStage := make([][]*runningPart, len(stages))
	for i, st := range stages {
		for _, p := range st {
			r := &runningPart{part: p}
			byStage[i] = append(byStage[i], r)
			all = append(all, r)
		}
	}
	// returned holds a result for every part, so that no part blocks on it.
	returned := make(chan partResult, len(all))
	pr := &partRunner{log: log, all: all, returned: returned}
	var wg sync.WaitGroup
	base := context.WithoutCancel(ctx)
	for i, r := range all {
		pctx, stop := context.WithCancel(base)
		r.stop = stop
		wg.Add(1)
		go func() {
			defer wg.Done()
			returned <- partResult{i, r.run(pctx)}
		}()
	}
	defer wg.Wait()
	defer func() {
		for _, r := range all {
			r.stop()
		}
	}()

	for pr.first == nil {
		select {
		case <-ctx.Done():
		case got := <-pr.returned:
			pr.record(got)
			continue
		}
		break
	}
	if pr.first != nil {
		log.Error("stopping", "cause", pr.first.Error())
	} else {
		log.Info("stopping", "cause", context.Cause(ctx).Error())
	}
	began := time.Now()
	pr.tick = time.NewTicker(report)
	defer pr.tick.Stop()
	for _, rs := range byStage {
		now := time.Now()
		for _, r := range rs {
			if !r.done {
				r.stopped = now
			}
			r.stop()
		}
		pr.wait(rs, false)
	}
	pr.wait(all, true)
	log.Info("stopped", "took", time.Since(began).Round(time.Millisecond))
	return pr.first
}

// runningPart is a part that runParts runs, and how it stops.
type runningPart struct {
	part
	stop    context.CancelFunc
	done    bool
	err     error
	stopped time.Time // when it was told to stop; zero before
	warned  bool
}

// partResult is what part number i returned.
type partResult struct {
	i   int
	err error
}

// partRunner is what runParts knows of its parts while it stops them.
type partRunner struct {
	log      *slog.Logger
	all      []*runningPart
	returned chan partResult
	first    error        // the first error of a part
	tick     *time.Ticker // the reports while stopping
}

// record notes that a part returned.
func (pr *partRunner) record(got partResult) {
	r := pr.all[got.i]
	r.done, r.err = true, got.err
	if r.err == nil && r.stopped.IsZero() {
		r.err = errEndedEarly
	}
	switch {
	case r.err == nil:
	case pr.first == nil:
		pr.first = fmt.Errorf("%s: %w", r.name, r.err) // logged as the cause of the stop
	default:
		pr.log.Error("part failed", "part", r.name, "err", r.err)
	}
	if r.stopped.IsZero() {
		return
	}
	pr.log.Debug("part stopped", "part", r.name, "took", time.Since(r.stopped).Round(time.Millisecond), "bound", r.bound)
}

// still lists the parts told to stop and still running, of every stage so far, with how long
// since they were told to stop.
func (pr *partRunner) still() string {
	var out []string
	now := time.Now()
	for _, r := range pr.all {
		if !r.done && !r.stopped.IsZero() {
			out = append(out, fmt.Sprintf("%s (%s)", r.name, now.Sub(r.stopped).Round(100*time.Millisecond)))
		}
	}
	return strings.Join(out, ", ")
}

// wait waits until every part of rs has returned or, unless final, outlived its bound, saying
// every report what it waits for.
func (pr *partRunner) wait(rs []*runningPart, final bool) {
	for {
		pending := false
		now := time.Now()
		for _, r := range rs {
			if r.done {
				continue
			}
			took := now.Sub(r.stopped)
			if took > r.bound && !r.warned {
				r.warned = true
				pr.log.Warn("a part did not stop within its bound", "part", r.name, "bound", r.bound, "waited", took.Round(time.Millisecond))
			}
			pending = pending || final || took <= r.bound
		}
		if !pending {
			return
		}
		select {
		case got := <-pr.returned:
			pr.record(got)
		case <-pr.tick.C:
			pr.log.Info("stopping: waiting for", "parts", pr.still())
		}
	}
}
