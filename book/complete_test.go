package book_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// opEvents returns the events about operation id, oldest first.
func opEvents(t *testing.T, fx *fixture, id int64) []book.Event {
	t.Helper()
	ev, err := fx.book.Events(context.Background(), book.EventFilter{Operation: id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestEventsCarryOnlyTheirOwnReason: the reason an earlier pause or scrap left on an operation
// goes into no later transition's event.
func TestEventsCarryOnlyTheirOwnReason(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,5\n")
	op := fx.ops(t, "A")[0]
	fx.mustAct(t, op.ID, book.ActionStart)
	if _, err := fx.act(t, op.ID, book.ActionPause, "break"); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, op.ID, book.ActionResume)
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "stain", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, op.ID, book.ActionComplete)

	var got []string
	for _, e := range opEvents(t, fx, op.ID) {
		if e.Kind == book.EventOperation || e.Kind == book.EventOperationScrap {
			got = append(got, string(e.To)+":"+e.Reason)
		}
	}
	want := []string{"queued:", "running:", "paused:break", "running:", "running:stain", "done:"}
	if !slices.Equal(got, want) {
		t.Errorf("events (to:reason) = %q, want %q", got, want)
	}
	// The operation itself still tells the last scrap's reason.
	if o, _ := fx.book.Operation(ctx, op.ID); o.Reason != "stain" {
		t.Errorf("operation's reason = %q, want the last scrap's", o.Reason)
	}
}

// TestCompleteWithAGoodQuantity: a complete may say how many good units were made; the units
// short of what was left are scrapped in the same transaction, with their reason and an event
// of their own, and the steps after it plan the good units only. A request that cannot hold
// changes nothing.
func TestCompleteWithAGoodQuantity(t *testing.T) {
	good := func(n int) *int { return &n }
	tests := []struct {
		name     string
		scrapped int // units scrapped before the complete
		good     *int
		reason   string
		// want: the operation's scrapped units after it, the units short, the next step's units
		scrapped2, short, next int
		err                    string // a refusal, wrapping book.ErrInvalid
	}{
		{name: "no quantity: every unit left is good", good: nil, scrapped2: 0, next: 5},
		{name: "every unit left good", good: good(5), scrapped2: 0, next: 5},
		{name: "fewer good, with a reason", good: good(3), reason: "uneven-dye", scrapped2: 2, short: 2, next: 3},
		{name: "after a partial scrap, every unit left good", scrapped: 1, good: good(4), scrapped2: 1, next: 4},
		{name: "after a partial scrap, fewer good", scrapped: 1, good: good(1), reason: "stain", scrapped2: 4, short: 3, next: 1},
		{name: "fewer good without a reason", good: good(3), err: "a reason is required for the 2 units short of the 5 left (quantity 3)"},
		{name: "more good than left", good: good(6), err: "quantity 6 is more than the 5 units operation"},
		{name: "more good than left after a scrap", scrapped: 2, good: good(4), reason: "x", err: "quantity 4 is more than the 3 units operation"},
		{name: "no good unit", good: good(0), reason: "stain", err: "quantity 0: a complete needs 1 good unit or more"},
		{name: "negative", good: good(-1), reason: "stain", err: "quantity -1: a complete needs 1 good unit or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			ctx := context.Background()
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,5\n")
			op := fx.ops(t, "A")[0]
			fx.mustAct(t, op.ID, book.ActionStart)
			if tt.scrapped > 0 {
				if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionScrap,
					Actor: "ana", Reason: "moth holes", Quantity: tt.scrapped}); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := fx.book.Operation(ctx, op.ID)
			beforeEvents := len(fx.events(t))

			res, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionComplete,
				Actor: "ana", Good: tt.good, Reason: tt.reason})
			if tt.err != "" {
				if !errors.Is(err, book.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want ErrInvalid saying %q", err, tt.err)
				}
				after, _ := fx.book.Operation(ctx, op.ID)
				if after.Version != before.Version || after.State != book.Running || after.Scrapped != before.Scrapped ||
					len(fx.events(t)) != beforeEvents || fx.ops(t, "A")[1].Quantity != 5-tt.scrapped {
					t.Fatalf("a refused complete changed the book: %+v", after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Operation.State != book.Done || res.Operation.Scrapped != tt.scrapped2 {
				t.Errorf("operation %s with %d scrapped, want done with %d", res.Operation.State, res.Operation.Scrapped, tt.scrapped2)
			}
			next := fx.ops(t, "A")[1]
			if next.Quantity != tt.next || next.State == book.Pending {
				t.Errorf("next step: %d units, %s; want %d, readied", next.Quantity, next.State, tt.next)
			}
			var short, done []book.Event
			for _, e := range fx.events(t)[beforeEvents:] {
				switch {
				case e.Operation == op.ID && e.Kind == book.EventOperationScrap:
					short = append(short, e)
				case e.Operation == op.ID && e.Kind == book.EventOperation:
					done = append(done, e)
				}
			}
			if len(done) != 1 || done[0].To != book.Done || done[0].Reason != "" {
				t.Errorf("completion events %+v, want one to done with no reason", done)
			}
			switch {
			case tt.short == 0 && len(short) != 0:
				t.Errorf("scrap events %+v, want none", short)
			case tt.short > 0 && (len(short) != 1 || short[0].Quantity != tt.short || short[0].Reason != tt.reason ||
				short[0].ID > done[0].ID):
				t.Errorf("scrap events %+v, want one of %d units for %q before the completion", short, tt.short, tt.reason)
			}
		})
	}
}

// TestCompleteShortOnTheLastStep: the work order completes with the good units of its last
// step, and the labels owed at a cell with a label printer are those of the good units.
func TestCompleteShortOnTheLastStep(t *testing.T) {
	fx := newFixtureOf(t, "testdata/labels.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nS1,SCARF,4\n")
	ops := fx.ops(t, "S1")
	fx.mustAct(t, ops[0].ID, book.ActionStart)
	fx.mustAct(t, ops[0].ID, book.ActionComplete)
	pack := fx.ops(t, "S1")[1]
	fx.mustAct(t, pack.ID, book.ActionStart)
	if _, err := fx.book.Progress(ctx, pack.ID, 1, "cell:pack-1"); err != nil {
		t.Fatal(err)
	}
	three := 3
	res, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: pack.ID, Action: book.ActionComplete,
		Actor: "ana", Good: &three, Reason: "damage"})
	if err != nil {
		t.Fatal(err)
	}
	if res.WorkOrder.State != book.WorkDone {
		t.Fatalf("work order %s, want done", res.WorkOrder.State)
	}
	var completed []book.Event
	for _, e := range fx.events(t) {
		if e.Kind == book.EventWorkOrderCompleted {
			completed = append(completed, e)
		}
	}
	if len(completed) != 1 || completed[0].Quantity != 3 {
		t.Errorf("work order completed events %+v, want one of 3 units", completed)
	}
	owed, _, err := fx.book.OwedLabels(ctx, "pack-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var units []int
	for _, l := range owed {
		units = append(units, l.Unit)
	}
	if !slices.Equal(units, []int{1, 2, 3}) {
		t.Errorf("owed labels of units %v, want 1 to 3 (the good ones)", units)
	}
}
