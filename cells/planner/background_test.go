package planner_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// running runs the planner of fx until the test ends, and fails the test if Run does not
// return within 10 s of the end.
func running(t *testing.T, p *planner.Planner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run still running 10 s after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// worse reports whether plan a is worse than b for the floor: later in all (the sum of how late
// the work orders are; every work order of these tests weighs the same), then a later end.
func worse(a, b *planner.Plan) bool {
	if a.Tardiness != b.Tardiness {
		return a.Tardiness > b.Tardiness
	}
	return a.Makespan.After(b.Makespan)
}

// watch records every plan the planner publishes until the test ends (polling, so it may miss
// one that lasted less than a poll), and returns them so far.
func watch(t *testing.T, p *planner.Planner) func() []*planner.Plan {
	t.Helper()
	var mu sync.Mutex
	var seen []*planner.Plan
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			if pl := p.Current(); pl != nil {
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != pl {
					seen = append(seen, pl)
				}
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return func() []*planner.Plan {
		mu.Lock()
		defer mu.Unlock()
		return append([]*planner.Plan(nil), seen...)
	}
}

// TestBackgroundImprovesQuietPlan: on the tight week, the plan people see after some quiet is
// better than the one after the re-plan's search, and no plan published meanwhile is worse.
func TestBackgroundImprovesQuietPlan(t *testing.T) {
	w := newWeek(t, 1, planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: 0.5, Patience: time.Hour})
	plans := watch(t, w.planner)
	running(t, w.planner)
	var first *planner.Plan
	waitFor(t, time.Minute, "no plan after a search", func() bool {
		first = w.planner.Background().Start
		return first != nil
	})
	waitFor(t, 3*time.Minute, "the background search published no better plan", func() bool {
		return worse(first, w.planner.Current())
	})
	checkPlan(t, w.fixture, w.planner.Current())
	after := false
	for _, pl := range plans() {
		after = after || pl == first
		if after && worse(pl, first) {
			t.Errorf("a plan worse than the first search's was published: tardiness %v, makespan %v against %v, %v",
				pl.Tardiness, pl.Makespan, first.Tardiness, first.Makespan)
		}
	}
	best, st := w.planner.Current(), w.planner.Background()
	t.Logf("after the search: %d late, tardiness %v, %d changeovers; after %v more in the background (%d rounds): %d late, tardiness %v, %d changeovers",
		first.Late, first.Tardiness, first.Changeovers, st.Searched.Round(time.Millisecond), st.Rounds, best.Late, best.Tardiness, best.Changeovers)
	if best.EventID != first.EventID || !best.At.Equal(first.At) {
		t.Errorf("the better plan is of event %d at %v, the search's of %d at %v: want the same work", best.EventID, best.At, first.EventID, first.At)
	}
}

// TestBackgroundRestartsOnChange: a batch imported while the background search runs is in the
// next plan, the search starts again from it, and it never publishes a plan without the batch
// after.
func TestBackgroundRestartsOnChange(t *testing.T) {
	w := newWeek(t, 2, planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: 0.5, Patience: time.Hour,
		Interval: 50 * time.Millisecond})
	plans := watch(t, w.planner)
	running(t, w.planner)
	waitFor(t, 3*time.Minute, "the background search published no better plan", func() bool {
		return w.planner.Background().Better > 0
	})
	best := w.planner.Current()
	ctx := context.Background()
	if _, err := w.book.Import(ctx, book.ImportRequest{Drop: "rush", Rows: rows(t, "order_id,sku,quantity\nLATE-1,RUG-KILIM-S,1\n"), Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	work, _, err := w.book.OpenWork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wo book.OpenWork
	for _, o := range work {
		if o.OrderID == "LATE-1" {
			wo = o
		}
	}
	if wo.ID == 0 {
		t.Fatal("the imported order has no open work order")
	}
	var start *planner.Plan
	waitFor(t, time.Minute, "no plan with the imported order", func() bool {
		start = w.planner.Background().Start
		return start != nil && start.EventID > best.EventID
	})
	if _, ok := start.Finish(wo.ID); !ok {
		t.Fatalf("the plan after the import (event %d) has no finish for work order %d", start.EventID, wo.ID)
	}
	checkPlan(t, w.fixture, start)
	waitFor(t, 3*time.Minute, "the background search did not go on after the import", func() bool {
		return w.planner.Background().Rounds > 0
	})
	for _, pl := range plans() {
		if pl.EventID < start.EventID {
			continue
		}
		if _, ok := pl.Finish(wo.ID); !ok || worse(pl, start) {
			t.Errorf("after the import, a plan of event %d without work order %d (%v) or worse than the re-plan's", pl.EventID, wo.ID, ok)
		}
	}
	t.Logf("best before the import: %d late; after the re-plan: %d late; now %d late", best.Late, start.Late, w.planner.Current().Late)
}

// TestBackgroundCPUShare: the background search keeps to its share of one core. The process's
// CPU time over a few seconds of background search, garbage collection and everything else of
// the test included, stays under the share plus a generous margin; a search at full speed
// would take a whole core.
func TestBackgroundCPUShare(t *testing.T) {
	const share, margin = 0.1, 0.25
	w := newWeek(t, 3, planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: share, Patience: time.Hour})
	running(t, w.planner)
	waitFor(t, time.Minute, "the background search did not start", func() bool {
		st := w.planner.Background()
		return st.Running && st.Searched > 0
	})
	cpu0, wall0, searched0 := cpuTime(t), time.Now(), w.planner.Background().Searched
	time.Sleep(6 * time.Second) // the window measured, not a wait for a condition
	cpu, wall, st := cpuTime(t)-cpu0, time.Since(wall0), w.planner.Background()
	if !st.Running {
		t.Fatal("the background search stopped during the window: nothing measured")
	}
	used := cpu.Seconds() / wall.Seconds()
	t.Logf("%.2f of a core over %v (share %.2f), the search ran %v of it", used, wall.Round(time.Millisecond), share,
		(st.Searched - searched0).Round(time.Millisecond))
	if used > share+margin {
		t.Errorf("the process used %.2f of a core over %v with a background share of %.2f: want under %.2f", used, wall, share, share+margin)
	}
	if st.Searched <= searched0 {
		t.Errorf("the background search did not search during the window")
	}
}

// TestBackgroundWaitsForQuiet: the background search does not search until no plan has been
// published for Config.Quiet: on a floor re-timed every few seconds a round would be stopped
// half done each time.
func TestBackgroundWaitsForQuiet(t *testing.T) {
	w := newWeek(t, 5, planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: 1, Patience: time.Hour,
		Quiet: time.Hour})
	running(t, w.planner)
	waitFor(t, time.Minute, "the background search did not wait for quiet", func() bool {
		st := w.planner.Background()
		return st.Start != nil && st.Running
	})
	time.Sleep(3 * time.Second) // three rounds' worth at a whole core, had it not waited
	if st := w.planner.Background(); st.Searched != 0 || st.Rounds != 0 {
		t.Errorf("the background search searched %v in %d rounds within its hour of quiet: want nothing", st.Searched, st.Rounds)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBackgroundStopsOnShutdown: Run returns promptly once its context ends, the background
// search under way included, and nothing is published after.
func TestBackgroundStopsOnShutdown(t *testing.T) {
	w := newWeek(t, 4, planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: 1, Patience: time.Hour})
	stop := running(t, w.planner)
	waitFor(t, time.Minute, "the background search did not start", func() bool {
		st := w.planner.Background()
		return st.Running && st.Searched > 0
	})
	stop() // fails the test unless Run returns within its bound
	if st := w.planner.Background(); st.Running {
		t.Errorf("the background search still runs after Run returned: %+v", st)
	}
	last := w.planner.Current()
	time.Sleep(2 * time.Second) // any plan the search would still publish
	if w.planner.Current() != last {
		t.Error("a plan was published after Run returned")
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBackgroundStopsWithoutImprovement: on a small book whose plan the search cannot better,
// the background search stops after its patience and says so in the log; a change of the work
// starts it again.
func TestBackgroundStopsWithoutImprovement(t *testing.T) {
	var logs syncBuffer
	fx := newFixtureWith(t, "testdata/factory.yaml", planner.Config{Search: 300 * time.Millisecond, Seed: 1, Background: 1, Patience: time.Second,
		Interval: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	fx.importCSV(t, "later", batch("S", 4, "SCARF"))
	running(t, fx.planner)
	stopped := func() int { return strings.Count(logs.String(), "background search stopped") }
	waitFor(t, 2*time.Minute, "the background search did not stop", func() bool { return stopped() == 1 })
	st := fx.planner.Background()
	if st.Running || st.Rounds == 0 || st.Start == nil {
		t.Errorf("after the stop: %+v, want not running, after some rounds from a plan", st)
	}
	fx.importCSV(t, "later", batch("T", 2, "RUG-INDIGO"))
	waitFor(t, 2*time.Minute, "the background search did not start and stop again after a change", func() bool { return stopped() == 2 })
}
