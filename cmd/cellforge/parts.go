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
	type running struct {
		part
		stop    context.CancelFunc
		done    bool
		err     error
		stopped time.Time // when it was told to stop; zero before
		warned  bool
	}
	type result struct {
		i   int
		err error
	}
	var all []*running
	byStage := make([][]*running, len(stages))
	for i, st := range stages {
		for _, p := range st {
			r := &running{part: p}
			byStage[i] = append(byStage[i], r)
			all = append(all, r)
		}
	}
	// returned holds a result for every part, so that no part blocks on it.
	returned := make(chan result, len(all))
	var wg sync.WaitGroup
	base := context.WithoutCancel(ctx)
	for i, r := range all {
		pctx, stop := context.WithCancel(base)
		r.stop = stop
		wg.Add(1)
		go func() {
			defer wg.Done()
			returned <- result{i, r.run(pctx)}
		}()
	}
	defer wg.Wait()
	defer func() {
		for _, r := range all {
			r.stop()
		}
	}()

	var first error
	// record notes that a part returned.
	record := func(got result) {
		r := all[got.i]
		r.done, r.err = true, got.err
		if r.err == nil && r.stopped.IsZero() {
			r.err = errEndedEarly
		}
		switch {
		case r.err == nil:
		case first == nil:
			first = fmt.Errorf("%s: %w", r.name, r.err) // logged as the cause of the stop
		default:
			log.Error("part failed", "part", r.name, "err", r.err)
		}
		if r.stopped.IsZero() {
			return
		}
		log.Debug("part stopped", "part", r.name, "took", time.Since(r.stopped).Round(time.Millisecond), "bound", r.bound)
	}
	for first == nil {
		select {
		case <-ctx.Done():
		case got := <-returned:
			record(got)
			continue
		}
		break
	}
	if first != nil {
		log.Error("stopping", "cause", first.Error())
	} else {
		log.Info("stopping", "cause", context.Cause(ctx).Error())
	}
	began := time.Now()
	tick := time.NewTicker(report)
	defer tick.Stop()
	// still lists the parts told to stop and still running, of every stage so far, with how
	// long since they were told to stop.
	still := func() string {
		var out []string
		now := time.Now()
		for _, r := range all {
			if !r.done && !r.stopped.IsZero() {
				out = append(out, fmt.Sprintf("%s (%s)", r.name, now.Sub(r.stopped).Round(100*time.Millisecond)))
			}
		}
		return strings.Join(out, ", ")
	}
	// wait waits until every part of rs has returned or, unless final, outlived its bound,
	// saying every report what it waits for.
	wait := func(rs []*running, final bool) {
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
					log.Warn("a part did not stop within its bound", "part", r.name, "bound", r.bound, "waited", took.Round(time.Millisecond))
				}
				pending = pending || final || took <= r.bound
			}
			if !pending {
				return
			}
			select {
			case got := <-returned:
				record(got)
			case <-tick.C:
				log.Info("stopping: waiting for", "parts", still())
			}
		}
	}
	for _, rs := range byStage {
		now := time.Now()
		for _, r := range rs {
			if !r.done {
				r.stopped = now
			}
			r.stop()
		}
		wait(rs, false)
	}
	wait(all, true)
	log.Info("stopped", "took", time.Since(began).Round(time.Millisecond))
	return first
}
