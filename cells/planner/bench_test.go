package planner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// openFloor is a fixture with n open work orders, imported in batches of 1,000, and a current
// plan of them: each work order is a rug or a scarf of the test factory, of 2 or 3 operations.
func openFloor(b *testing.B, n int) *fixture {
	b.Helper()
	fx := newFixture(b)
	for start := 0; start < n; start += 1000 {
		fx.importCSV(b, "later", batch(fmt.Sprintf("B%d-", start), 1000, "RUG-INDIGO", "SCARF", "RUG-MADDER"))
	}
	if err := fx.planner.Replan(context.Background(), false); err != nil {
		b.Fatal(err)
	}
	return fx
}

// BenchmarkReplan re-plans a book of open work orders after a change: the repair alone (as after
// progress on a running operation) and the repair with the 300 ms search (as after a batch).
// Each work order is a rug or a scarf of the test factory: 2 or 3 operations.
func BenchmarkReplan(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		fx := openFloor(b, n)
		b.Run(fmt.Sprintf("repair-%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := fx.planner.Replan(context.Background(), false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPromise checks promises against a floor of 10,000 open work orders with a current
// plan: the standard and express dates of a repair's work order (PromiseWork: an hour at a
// loom and five minutes at the packing table, planned behind the queue and ahead of it, two
// repairs of the plan without a search), beside the promise check of a batch of one order
// (Promise, as the planner's page asks it: a repair of the plan and the 300 ms search) and the
// read of the open work from the book that both begin with.
func BenchmarkPromise(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	fx := openFloor(b, n)
	batch, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "later", Rows: rows(b, batch("P", 1, "SCARF"))})
	if err != nil || len(batch) != 1 {
		b.Fatalf("preview: %d candidates, %v", len(batch), err)
	}
	repair := book.Candidate{
		Order: book.Order{OrderID: "R-000001-W", SKU: "repair:reweave", Quantity: 1},
		Operations: []book.Operation{
			{Seq: 0, Name: "reweave", Capability: "weave", Quantity: 1, UnitTime: time.Hour, State: book.Ready},
			{Seq: 1, Name: "pack", Capability: "pack", Quantity: 1, UnitTime: 5 * time.Minute, State: book.Pending},
		},
	}
	b.Run(fmt.Sprintf("express-%d", n), func(b *testing.B) {
		var w planner.WorkPromise
		for b.Loop() {
			if w, err = fx.planner.PromiseWork(ctx, repair); err != nil {
				b.Fatal(err)
			}
		}
		// The dates, as hours from now: the express one must be ahead of the queue.
		b.ReportMetric(w.Standard.Sub(fx.clock.Now()).Hours(), "standard-h")
		b.ReportMetric(w.Express.Sub(fx.clock.Now()).Hours(), "express-h")
	})
	b.Run(fmt.Sprintf("peer-batch-%d", n), func(b *testing.B) {
		for b.Loop() {
			if _, err := fx.planner.Promise(ctx, "later", batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("peer-read-%d", n), func(b *testing.B) {
		for b.Loop() {
			if _, _, err := fx.book.OpenWork(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// planWeekSeed is the seed of the tight week BenchmarkPlanSearch plans (see newWeek).
const planWeekSeed = 1

// planPoints are the total search times BenchmarkPlanSearch reads the plan at: the re-plan's
// search (300 ms) and then 1 s, 5 s and 30 s of background search after it.
var planPoints = []struct {
	name       string
	background time.Duration
}{{"0.3s", 0}, {"1s", time.Second}, {"5s", 5 * time.Second}, {"30s", 30 * time.Second}}

// reportPlan reports a plan's late work orders, their tardiness (hours), changeovers, makespan (hours from now) and the
// makespan's ratio to the week's lower bound from unit times, each metric named with suffix.
func reportPlan(b *testing.B, w *week, pl *planner.Plan, suffix string) {
	now := w.clock.Now()
	b.ReportMetric(float64(pl.Late), "late"+suffix)
	b.ReportMetric(pl.Tardiness.Hours(), "tardiness-h"+suffix)
	b.ReportMetric(float64(pl.Changeovers), "changeovers"+suffix)
	b.ReportMetric(pl.Makespan.Sub(now).Hours(), "makespan-h"+suffix)
	b.ReportMetric(float64(pl.Makespan.Sub(now))/float64(w.Bound.Sub(now)), "ratio"+suffix)
}

// BenchmarkPlanSearch plans the tight week of the demo studio (newWeek, seed planWeekSeed) three
// ways. edd: the earliest-due-date dispatch, the plan without search (planning off, the book
// dispatching earliest due date first, follows the same rule). search-5s: one re-plan with a
// 5 s search (--plan-search 5s). background: the daemon's planner (a re-plan with the 300 ms
// search, then the background search at one core, so that its search time is near the wall
// time), whose plan is read after the re-plan and once the background search has searched 1 s,
// 5 s and 30 s (the round under way finished). Run it with -benchtime 1x and -count for medians:
// the search is bounded by time, so its results vary from run to run.
func BenchmarkPlanSearch(b *testing.B) {
	ctx := context.Background()
	b.Run("edd", func(b *testing.B) {
		for b.Loop() {
			w := newWeek(b, planWeekSeed, planner.Config{Seed: 1})
			if err := w.planner.Replan(ctx, false); err != nil {
				b.Fatal(err)
			}
			reportPlan(b, w, w.planner.Current(), "")
			b.ReportMetric(w.LoomLoad, "loom-load")
			b.ReportMetric(w.Bound.Sub(w.clock.Now()).Hours(), "bound-h")
		}
		b.ReportMetric(0, "ns/op")
	})
	b.Run("search-5s", func(b *testing.B) {
		for b.Loop() {
			w := newWeek(b, planWeekSeed, planner.Config{Seed: 1, Search: 5 * time.Second})
			if err := w.planner.Replan(ctx, true); err != nil {
				b.Fatal(err)
			}
			reportPlan(b, w, w.planner.Current(), "")
		}
		b.ReportMetric(0, "ns/op")
	})
	b.Run("background", func(b *testing.B) {
		for b.Loop() {
			backgroundPoints(b)
		}
		b.ReportMetric(0, "ns/op")
	})
}

// backgroundPoints runs the daemon's planner on the tight week and reports its plan at each of
// planPoints.
func backgroundPoints(b *testing.B) {
	w := newWeek(b, planWeekSeed, planner.Config{Seed: 1, Search: 300 * time.Millisecond, Background: 1, Patience: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.planner.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	until := func(cond func(planner.BackgroundStatus) bool) planner.BackgroundStatus {
		deadline := time.Now().Add(10 * time.Minute)
		for {
			st := w.planner.Background()
			if cond(st) {
				return st
			}
			if time.Now().After(deadline) {
				b.Fatalf("the background search is stuck: %+v", st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	until(func(st planner.BackgroundStatus) bool { return st.Start != nil })
	for _, pt := range planPoints {
		if pt.background == 0 {
			reportPlan(b, w, w.planner.Background().Start, "@"+pt.name)
			continue
		}
		// The first round to end once the search has searched that long: its plan is published
		// before the round is counted.
		rounds := w.planner.Background().Rounds
		st := until(func(st planner.BackgroundStatus) bool {
			ended := st.Rounds > rounds
			rounds = st.Rounds
			return ended && st.Searched >= pt.background
		})
		reportPlan(b, w, w.planner.Current(), "@"+pt.name)
		b.ReportMetric(st.Searched.Seconds(), "searched-s@"+pt.name)
	}
}
