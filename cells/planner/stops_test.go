package planner_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// countingBook counts the planner's reads of the book: a re-plan reads the open work, a step the
// events.
type countingBook struct {
	*book.Book
	openWork, events atomic.Int64
}

func (b *countingBook) OpenWork(ctx context.Context) ([]book.OpenWork, int64, error) {
	b.openWork.Add(1)
	return b.Book.OpenWork(ctx)
}

func (b *countingBook) Events(ctx context.Context, f book.EventFilter) ([]book.Event, error) {
	b.events.Add(1)
	return b.Book.Events(ctx, f)
}

// TestRunIgnoresStops: a stop opened and closed changes nothing of the plan, so the planner
// does not re-plan for it; an order imported after it does.
func TestRunIgnoresStops(t *testing.T) {
	fx := newFixture(t)
	fx.importCSV(t, "later", batch("X", 2, "SCARF"))
	cb := &countingBook{Book: fx.book}
	p := planner.New(planner.Config{Book: cb, Factory: fx.factory, Now: fx.clock.Now, Interval: 5 * time.Millisecond,
		Search: 10 * time.Millisecond, Refresh: time.Hour, Seed: 1})
	fx.book.UsePlan(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s within 10 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("no first plan", func() bool { return p.Current() != nil })
	for _, c := range []book.StopCondition{{Kind: book.StopFault, Detail: "jam"}, {Kind: book.StopIdle}, {}} {
		if _, err := fx.book.TrackStop(ctx, "weave-1", c); err != nil {
			t.Fatal(err)
		}
	}
	plans := cb.openWork.Load()
	steps := cb.events.Load()
	waitFor("the planner did not look at the events three times", func() bool { return cb.events.Load() >= steps+3 })
	if n := cb.openWork.Load(); n != plans {
		t.Errorf("the planner re-planned %d times for stops alone", n-plans)
	}
	fx.importCSV(t, "later", batch("Y", 1, "SCARF"))
	waitFor("the planner did not re-plan for an import", func() bool { return cb.openWork.Load() > plans })
}
