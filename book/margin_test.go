package book_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/margin"
	"github.com/cellforge/cellforge/configs"
)

// priced gives the test factory's scarves a price, their steps material costs and the cells
// rates: both looms 22.50 an hour, the packing table 12.00.
func priced(f *configs.Factory) {
	for i := range f.Cells {
		switch f.Cells[i].ID {
		case "weave-1", "weave-2":
			f.Cells[i].LabourRate, f.Cells[i].MachineRate = 1850, 400
		case "pack-1":
			f.Cells[i].LabourRate = 1200
		}
	}
	for i := range f.Products {
		if f.Products[i].SKU == "SCARF" {
			f.Products[i].Price = 4500
			f.Products[i].Routing[0].MaterialCost = 800
			f.Products[i].Routing[1].MaterialCost = 50
		}
	}
}

// TestMargin: a drop partly made. Order A's weave ran 30 minutes, was paused by a person for
// 10, ran 6 more, stopped 20 while its loom was down, and ran 4 to completion: 40 minutes
// measured. Its packing ran 6 minutes so far and scrapped a unit. Order B has not started: its
// weave has a planned slot of 20 minutes, its packing neither a slot nor a start (its standard
// 2 minutes at the packing table).
func TestMargin(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	priced(fx.factory)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\nB,SCARF,1\n")
	a, b := fx.ops(t, "A"), fx.ops(t, "B")
	fx.book.UsePlan(planFunc(func(op int64) (book.Slot, bool) {
		if op == b[0].ID {
			now := fx.clock.Now()
			return book.Slot{Cell: "weave-2", Start: now.Add(time.Hour), End: now.Add(time.Hour + 20*time.Minute)}, true
		}
		return book.Slot{}, false
	}))

	weave := a[0]
	fx.mustAct(t, weave.ID, book.ActionStart)
	fx.clock.Advance(30 * time.Minute)
	if _, err := fx.act(t, weave.ID, book.ActionPause, "break"); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(10 * time.Minute)
	fx.mustAct(t, weave.ID, book.ActionResume)
	fx.clock.Advance(6 * time.Minute)
	cell := fx.ops(t, "A")[0].Cell
	if _, err := fx.book.CellDown(ctx, cell, "loom fault", "cell:"+book.Actor(cell)); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(20 * time.Minute)
	if _, err := fx.book.CellUp(ctx, cell, "cell:"+book.Actor(cell)); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(4 * time.Minute)
	fx.mustAct(t, weave.ID, book.ActionComplete)

	pack := a[1]
	fx.mustAct(t, pack.ID, book.ActionStart)
	fx.clock.Advance(3 * time.Minute)
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: pack.ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "torn", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(3 * time.Minute)

	got, err := fx.book.Margin(ctx, "winter")
	if err != nil {
		t.Fatal(err)
	}
	pct := func(v float64) *float64 { return &v }
	want := []margin.Line{{SKU: "SCARF", Price: 4500,
		// Revenue 3 x 45.00. Time: A's weave 40 minutes at 22.50 (15.00), its packing 6
		// so far at 12.00 (1.20), B's weave its slot of 20 at 22.50 (7.50), its packing 2
		// minutes at 12.00 (0.40): 24.10. Material: 2 x 8.00 + 2 x 0.50 + 8.00 + 0.50.
		Predicted: margin.Figures{Units: 3, Revenue: 13500, TimeCost: 2410, MaterialCost: 2550, Hours: 1.13,
			Margin: 13500 - 2410 - 2550, MarginPct: pct(63.3)},
		// No unit finished yet. Time 15.00 + 1.20; material 2 x 8.00 and the unit scrapped at
		// packing (0.50), which cost that packing's 6 minutes too: 1.20 + 0.50.
		Actual: margin.Figures{TimeCost: 1620, MaterialCost: 1650, ScrapCost: 170, Hours: 0.77, Margin: -3270},
	}}
	g, _ := json.Marshal(got.Lines)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("lines:\n%s\nwant:\n%s", g, w)
	}
	if got.Total.Actual.Margin != -3270 || got.Total.Predicted.Margin != 8540 {
		t.Errorf("total margins: actual %s, predicted %s", got.Total.Actual.Margin, got.Total.Predicted.Margin)
	}

	// A packing completed makes the order's one good unit: actual revenue 45.00.
	fx.mustAct(t, pack.ID, book.ActionComplete)
	got, err = fx.book.Margin(ctx, "winter")
	if err != nil {
		t.Fatal(err)
	}
	if l := got.Lines[0].Actual; l.Units != 1 || l.Revenue != 4500 {
		t.Errorf("after the packing: %d units made for %s, want 1 for 45.00", l.Units, l.Revenue)
	}

	if _, err := fx.book.Margin(ctx, "autumn"); !errors.Is(err, book.ErrUnknownDrop) {
		t.Errorf("margin of an unknown drop: %v, want ErrUnknownDrop", err)
	}
}
