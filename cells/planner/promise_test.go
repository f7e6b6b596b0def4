package planner_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// repairCandidate is a repair's work order as the book makes it from the services chosen: 45
// minutes at the repair bench, then 15 in the wash, for one item, in no drop.
func repairCandidate(id string) book.Candidate {
	return book.Candidate{
		Order: book.Order{OrderID: id, SKU: "repair:mend+clean", Quantity: 1},
		Operations: []book.Operation{
			{Seq: 0, Name: "mend", Capability: "repair", Quantity: 1, UnitTime: 45 * time.Minute, State: book.Ready},
			{Seq: 1, Name: "clean", Capability: "wash", Quantity: 1, UnitTime: 15 * time.Minute, State: book.Pending},
		},
	}
}

// snapshot is what a promise check must leave as it is: the current plan and the book.
type snapshot struct {
	plan      *planner.Plan
	slots     []planner.OperationSlot
	lastEvent int64
	work      []book.OpenWork
}

func takeSnapshot(t *testing.T, fx *fixture) snapshot {
	t.Helper()
	work, last, err := fx.book.OpenWork(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{plan: fx.planner.Current(), lastEvent: last, work: work}
	if s.plan != nil {
		s.slots = s.plan.Slots("")
	}
	return s
}

func (s snapshot) check(t *testing.T, fx *fixture) {
	t.Helper()
	now := takeSnapshot(t, fx)
	if now.plan != s.plan || !slices.Equal(now.slots, s.slots) {
		t.Error("the promise check changed the current plan")
	}
	if now.lastEvent != s.lastEvent || !reflect.DeepEqual(now.work, s.work) {
		t.Errorf("the promise check changed the book: last event %d, was %d; %d open work orders, were %d",
			now.lastEvent, s.lastEvent, len(now.work), len(s.work))
	}
}

// TestPromiseWork: the standard date of a repair follows the work queued at its cells, the
// express date goes ahead of it, and both keep working hours and wait for a cell down. The
// queued work is BAGs: an hour at repair-1, then 20 minutes at wash-1; the repair is 45 minutes
// at repair-1, then 15 at wash-1.
func TestPromiseWork(t *testing.T) {
	mon := func(hh, mm int) time.Time { return time.Date(2026, 11, 2, hh, mm, 0, 0, time.UTC) }
	tue := func(hh, mm int) time.Time { return mon(hh, mm).AddDate(0, 0, 1) }
	tests := []struct {
		name     string
		config   string
		at       time.Time
		queued   int    // BAGs queued at repair-1
		start    bool   // the first of them started at the repair bench
		down     string // a cell down at the check (for the assumed repair of an hour)
		noPlan   bool   // checked before the first plan
		standard time.Time
		express  time.Time
	}{
		// Three hours of BAGs at the bench, 08:00 to 11:00: the standard repair mends from
		// 11:00 and washes 11:45 to 12:00, after the last BAG's wash (11:00 to 11:20); the
		// express one mends from 08:00, three hours earlier.
		{name: "express jumps the queued work", config: "testdata/repair.yaml", at: mon(8, 0), queued: 3,
			standard: mon(12, 0), express: mon(9, 0)},
		// Without a plan yet, the earliest-due-date dispatch puts the standard repair behind the
		// BAGs (due on 1 December) and the express one ahead of them.
		{name: "before the first plan", config: "testdata/repair.yaml", at: mon(8, 0), queued: 3, noPlan: true,
			standard: mon(12, 0), express: mon(9, 0)},
		{name: "nothing queued: both the same", config: "testdata/repair.yaml", at: mon(8, 0),
			standard: mon(9, 0), express: mon(9, 0)},
		// The first BAG runs at the bench until 09:00: the express repair mends after it, 09:00
		// to 09:45, and washes 09:45 to 10:00.
		{name: "express waits for the running job", config: "testdata/repair.yaml", at: mon(8, 0), queued: 3, start: true,
			standard: mon(12, 0), express: mon(10, 0)},
		// At 17:30 on Monday nothing of an hour or of 45 minutes fits before 18:00: the BAGs
		// run on Tuesday from 08:00, and so do both repairs.
		{name: "working hours push both", config: "testdata/repair-hours.yaml", at: mon(17, 30), queued: 3,
			standard: tue(12, 0), express: tue(9, 0)},
		// The bench is down, assumed repaired an hour later, at 09:00: everything moves an hour.
		{name: "a cell down pushes both", config: "testdata/repair.yaml", at: mon(8, 0), queued: 3, down: "repair-1",
			standard: mon(13, 0), express: mon(10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixtureFrom(t, tt.config)
			ctx := context.Background()
			fx.clock.Set(tt.at)
			if tt.queued > 0 {
				fx.importCSV(t, "later", batch("B", tt.queued, "BAG"))
			}
			if tt.start {
				q, err := fx.book.Queue(ctx, "repair-1", 1)
				if err != nil || len(q) != 1 {
					t.Fatalf("repair-1 queue: %v, %v", q, err)
				}
				if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: q[0].ID, Action: book.ActionStart, Actor: "ana"}); err != nil {
					t.Fatal(err)
				}
			}
			if !tt.noPlan {
				fx.replan(t, true)
			}
			if tt.down != "" {
				if _, err := fx.book.CellDown(ctx, tt.down, "needle broke", book.Actor("cell:"+tt.down)); err != nil {
					t.Fatal(err)
				}
				fx.replan(t, false)
			}
			before := takeSnapshot(t, fx)
			got, err := fx.planner.PromiseWork(ctx, repairCandidate("R-000001-W"))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Standard.Equal(tt.standard) || !got.Express.Equal(tt.express) {
				t.Errorf("promise = standard %s, express %s; want standard %s, express %s",
					got.Standard.Format("Mon 15:04"), got.Express.Format("Mon 15:04"),
					tt.standard.Format("Mon 15:04"), tt.express.Format("Mon 15:04"))
			}
			before.check(t, fx)
		})
	}
}

// cancelling is the book with a context that ends as soon as the open work has been read, once
// cancel is set: what a request whose client goes away meanwhile looks like to the planner.
type cancelling struct {
	*book.Book
	cancel context.CancelFunc
}

func (c *cancelling) OpenWork(ctx context.Context) ([]book.OpenWork, int64, error) {
	if c.cancel != nil {
		defer c.cancel()
	}
	return c.Book.OpenWork(ctx)
}

// TestPromiseWorkEndsWithItsContext: a promise check whose context has ended answers with the
// context's error rather than dates, whether it ended before the check or while it ran.
func TestPromiseWorkEndsWithItsContext(t *testing.T) {
	tests := []struct {
		name  string
		setup func(fx *fixture) (*planner.Planner, context.Context)
	}{
		{"cancelled before", func(fx *fixture) (*planner.Planner, context.Context) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return fx.planner, ctx
		}},
		{"cancelled once the book is read", func(fx *fixture) (*planner.Planner, context.Context) {
			b := &cancelling{Book: fx.book}
			p := planner.New(planner.Config{Book: b, Factory: fx.factory, Now: fx.clock.Now, Seed: 1})
			if err := p.Replan(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			b.cancel = cancel
			return p, ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixtureFrom(t, "testdata/repair.yaml")
			fx.importCSV(t, "later", batch("B", 3, "BAG"))
			fx.replan(t, false)
			p, ctx := tt.setup(fx)
			got, err := p.PromiseWork(ctx, repairCandidate("R-000001-W"))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("PromiseWork = %+v, %v; want context.Canceled", got, err)
			}
		})
	}
}

// TestPromiseWorkRefusesWhatCannotBePlanned: a candidate without operations, or with one no cell
// offers, gets an error naming it rather than a date.
func TestPromiseWorkRefusesWhatCannotBePlanned(t *testing.T) {
	polish := repairCandidate("R-000002-W")
	polish.Operations[1].Capability, polish.Operations[1].Name = "polish", "polish"
	tests := []struct {
		name string
		cand book.Candidate
		is   error
		want string
	}{
		{"no operations", book.Candidate{Order: book.Order{OrderID: "R-000001-W"}}, nil,
			`promising work order "R-000001-W": it has no operations`},
		{"no cell offers a capability", polish, planner.ErrNoCell,
			`promising work order "R-000002-W": no cell offers the capability: "polish"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixtureFrom(t, "testdata/repair.yaml")
			fx.replan(t, false)
			_, err := fx.planner.PromiseWork(context.Background(), tt.cand)
			if err == nil || err.Error() != tt.want || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("error = %v, want %q (is %v)", err, tt.want, tt.is)
			}
		})
	}
}

// TestPromiseWorkWhileRunning: promise checks run beside the planner's loop, which re-plans as
// batches arrive, and each answers from a plan of its own, the express date never after the
// standard one on this floor of one cell per capability.
func TestPromiseWorkWhileRunning(t *testing.T) {
	fx := newFixtureFrom(t, "testdata/repair.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	fx.planner = planner.New(planner.Config{Book: fx.book, Factory: fx.factory, Now: fx.clock.Now, Interval: 5 * time.Millisecond, Search: 20 * time.Millisecond, Seed: 1})
	fx.book.UsePlan(fx.planner)
	done := make(chan error, 1)
	go func() { done <- fx.planner.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var last planner.WorkPromise
	for i := range 5 {
		fx.importCSV(t, "later", batch(fmt.Sprintf("B%d-", i), 2, "BAG"))
		got, err := fx.planner.PromiseWork(ctx, repairCandidate("R-000001-W"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Express.After(got.Standard) || got.Standard.Before(last.Standard) {
			t.Errorf("check %d: standard %v, express %v; the one before: standard %v", i, got.Standard, got.Express, last.Standard)
		}
		last = got
	}
	// Ten BAGs of an hour, whether the loop has planned the last ones yet or not: the standard
	// repair mends after them from 18:00 and is washed by 19:00.
	if want := fx.clock.Now().Add(11 * time.Hour); !last.Standard.Equal(want) {
		t.Errorf("standard date %v with ten BAGs queued, want %v", last.Standard, want)
	}
}
