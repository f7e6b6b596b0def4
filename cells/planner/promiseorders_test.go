package planner_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// candidates previews a batch of the drop "later" as the book would store it.
func candidates(t *testing.T, fx *fixture, csv string) []book.Candidate {
	t.Helper()
	cands, err := fx.book.PreviewImport(context.Background(), book.ImportRequest{Drop: "later", Rows: rows(t, csv), Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return cands
}

// TestPromiseOrders: each candidate gets its own end, planned together with the others and the
// open work, and the check changes neither the plan nor the book. A scarf is 20 minutes of
// weaving (two looms) and 2 of packing (one bench); the clock is 08:00.
func TestPromiseOrders(t *testing.T) {
	const scarfHours = 22.0 / 60
	at := func(hh, mm int) time.Time { return time.Date(2026, 11, 2, hh, mm, 0, 0, time.UTC) }
	ctx := context.Background()

	t.Run("alone", func(t *testing.T) {
		fx := newFixture(t)
		got, err := fx.planner.PromiseOrders(ctx, candidates(t, fx, batch("N", 1, "SCARF")))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got["N0"].End.Equal(at(8, 22)) {
			t.Errorf("promises = %v, want N0 at 08:22", got)
		}
		if h := got["N0"].Hours; h != scarfHours {
			t.Errorf("N0 takes %v cell hours, want %v: 20 minutes of weaving and 2 of packing", h, scarfHours)
		}
	})

	t.Run("together: the second waits for the pack bench", func(t *testing.T) {
		fx := newFixture(t)
		got, err := fx.planner.PromiseOrders(ctx, candidates(t, fx, batch("N", 2, "SCARF")))
		if err != nil {
			t.Fatal(err)
		}
		ends := []time.Time{got["N0"].End, got["N1"].End}
		slices.SortFunc(ends, time.Time.Compare)
		if len(got) != 2 || !ends[0].Equal(at(8, 22)) || !ends[1].Equal(at(8, 24)) {
			t.Errorf("promises = %v, want N0 and N1 at 08:22 and 08:24", got)
		}
		// Waiting for the pack bench is not work: each is still 22 minutes of cell time.
		for _, id := range []string{"N0", "N1"} {
			if h := got[id].Hours; h != scarfHours {
				t.Errorf("%s takes %v cell hours, want %v", id, h, scarfHours)
			}
		}
	})

	t.Run("behind the open work, nothing changed", func(t *testing.T) {
		fx := newFixture(t)
		// Four scarves on two looms: weaving until 08:40, packing until 08:48.
		fx.importCSV(t, "later", batch("S", 4, "SCARF"))
		fx.replan(t, true)
		before := takeSnapshot(t, fx)
		got, err := fx.planner.PromiseOrders(ctx, candidates(t, fx, batch("N", 1, "SCARF")))
		if err != nil {
			t.Fatal(err)
		}
		if end := got["N0"].End; end.Before(at(8, 50)) {
			t.Errorf("N0 promised at %s, want at 08:50 or later: the four scarves planned are due no later", end.Format(time.TimeOnly))
		}
		before.check(t, fx)
	})

	t.Run("none", func(t *testing.T) {
		fx := newFixture(t)
		got, err := fx.planner.PromiseOrders(ctx, nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("PromiseOrders(nil) = %v, %v; want an empty map", got, err)
		}
	})
}

// TestPromiseOrdersRefuses: candidates that cannot be planned are refused, naming the order.
func TestPromiseOrdersRefuses(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	good := candidates(t, fx, batch("N", 1, "SCARF"))[0]
	noCell := good
	noCell.Order.OrderID = "LASER"
	noCell.Operations = []book.Operation{{Seq: 0, Name: "cut", Capability: "laser", Quantity: 1, UnitTime: time.Minute, State: book.Ready}}
	empty := good
	empty.Order.OrderID = "EMPTY"
	empty.Operations = nil

	if _, err := fx.planner.PromiseOrders(ctx, []book.Candidate{good, noCell}); !errors.Is(err, planner.ErrNoCell) {
		t.Errorf("a capability no cell offers: err = %v, want ErrNoCell", err)
	}
	if _, err := fx.planner.PromiseOrders(ctx, []book.Candidate{good, good}); err == nil {
		t.Error("an order twice: no error")
	}
	if _, err := fx.planner.PromiseOrders(ctx, []book.Candidate{empty}); err == nil {
		t.Error("an order without operations: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := fx.planner.PromiseOrders(cancelled, []book.Candidate{good}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled check: err = %v, want context.Canceled", err)
	}
}
