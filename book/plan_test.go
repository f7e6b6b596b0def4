package book_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
)

// planFunc is a plan given by a function.
type planFunc func(op int64) (book.Slot, bool)

func (f planFunc) Slot(op int64) (book.Slot, bool) { return f(op) }

func TestBookFollowsThePlan(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW1,SCARF,3\nW2,SCARF,1\nW3,SCARF,1\n")
	w1, w2, w3 := fx.ops(t, "W1")[0], fx.ops(t, "W2")[0], fx.ops(t, "W3")[0]
	at := func(h int) time.Time { return time.Date(2026, 11, 2, h, 0, 0, 0, time.UTC) }
	// The plan runs W3 before W2 on weave-2 and sends any new operation to weave-1.
	slots := map[int64]book.Slot{
		w1.ID: {Cell: "weave-1", Start: at(9), End: at(10)},
		w2.ID: {Cell: "weave-2", Start: at(11), End: at(12)},
		w3.ID: {Cell: "weave-2", Start: at(9), End: at(10)},
	}
	fx.book.UsePlan(planFunc(func(op int64) (book.Slot, bool) {
		if s, ok := slots[op]; ok {
			return s, true
		}
		if op > w3.ID {
			return book.Slot{Cell: "weave-1", Start: at(13), End: at(14)}, true
		}
		return book.Slot{}, false
	}))

	q, err := fx.book.Queue(ctx, "weave-2", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].OrderID != "W3" || q[1].OrderID != "W2" {
		t.Errorf("weave-2 queue = %v, want W3 then W2 as planned", q)
	}
	if q, err := fx.book.Queue(ctx, "weave-2", 1); err != nil || len(q) != 1 || q[0].OrderID != "W3" {
		t.Errorf("head of weave-2 = %v, %v; want W3", q, err)
	}
	if op, err := fx.book.Operation(ctx, w2.ID); err != nil || op.Plan == nil || !op.Plan.Start.Equal(at(11)) {
		t.Errorf("operation W2 = %+v, %v; want its planned slot", op.Plan, err)
	}
	wo, err := fx.book.WorkOrder(ctx, w3.WorkOrder)
	if err != nil || wo.Operations[0].Plan == nil || wo.Operations[0].Plan.Cell != "weave-2" {
		t.Errorf("work order W3's first operation = %+v, %v; want its planned slot", wo.Operations[0], err)
	}

	// The baseline would queue W4 at the less loaded weave-2; the plan says weave-1.
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW4,SCARF,1\n")
	if op := fx.ops(t, "W4")[0]; op.Cell != "weave-1" {
		t.Errorf("W4 queued at %q, want weave-1 as planned", op.Cell)
	}
	// The planned cell faults: the work it held goes where the baseline sends it.
	if _, err := fx.book.CellDown(ctx, "weave-1", "warp break", "cell:weave-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"W1", "W4"} {
		if op := fx.ops(t, id)[0]; op.State != book.Queued || op.Cell != "weave-2" {
			t.Errorf("%s is %s at %q after its planned cell faulted, want queued at weave-2", id, op.State, op.Cell)
		}
	}
}

// TestQueuePage: a page of a planned queue holds what runs first, then the queued operations by
// planned start, those the plan does not hold last; its size counts the whole queue.
func TestQueuePage(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nP1,SCARF,1\nP2,SCARF,1\nP3,SCARF,1\nP4,SCARF,1\nP5,SCARF,1\nP6,SCARF,1\n")
	cell := fx.ops(t, "P1")[0].Cell
	var mine []book.Operation
	for _, id := range []string{"P1", "P2", "P3", "P4", "P5", "P6"} {
		if op := fx.ops(t, id)[0]; op.Cell == cell {
			mine = append(mine, op)
		}
	}
	if len(mine) < 3 {
		t.Fatalf("only %d operations at %s", len(mine), cell)
	}
	// The plan runs them in the reverse of the store's order, and does not hold the first.
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 9, m, 0, 0, time.UTC) }
	fx.book.UsePlan(planFunc(func(op int64) (book.Slot, bool) {
		for i, o := range mine[1:] {
			if o.ID == op {
				return book.Slot{Cell: cell, Start: at(60 - i), End: at(61 - i)}, true
			}
		}
		return book.Slot{}, false
	}))
	// The last one runs: it comes first whatever the plan says.
	last := mine[len(mine)-1]
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: last.ID, Action: book.ActionStart, Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	var want []int64
	want = append(want, last.ID)
	for i := len(mine) - 2; i >= 1; i-- {
		want = append(want, mine[i].ID)
	}
	want = append(want, mine[0].ID)

	all, size, err := fx.book.QueuePage(ctx, cell, 0)
	if err != nil {
		t.Fatal(err)
	}
	if size.Total != len(mine) || size.Queued != len(mine)-1 {
		t.Errorf("size = %+v, want %d in all, %d queued", size, len(mine), len(mine)-1)
	}
	var got []int64
	for _, e := range all {
		got = append(got, e.ID)
		if e.OrderID == "" || e.SKU != "SCARF" {
			t.Errorf("entry %d lacks its work order: %+v", e.ID, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("planned queue = %v, want %v", got, want)
	}
	page, size2, err := fx.book.QueuePage(ctx, cell, 2)
	if err != nil || len(page) != 2 || page[0].ID != want[0] || page[1].ID != want[1] || size2 != size {
		t.Errorf("page of 2 = %v (size %+v), %v; want %v", page, size2, err, want[:2])
	}
	if page[1].Plan == nil || page[1].Plan.Cell != cell {
		t.Errorf("a planned entry lacks its slot: %+v", page[1].Plan)
	}
	// What is active at the cell: the running job alone, and the same size.
	active, size3, err := fx.book.Active(ctx, cell)
	if err != nil || len(active) != 1 || active[0].ID != last.ID || active[0].State != book.Running || size3 != size {
		t.Errorf("active = %+v (size %+v), %v; want the running %d", active, size3, err, last.ID)
	}
}

func TestPreviewImport(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW1,SCARF,1\n")
	rows := func(csv string) book.RowReader {
		r, err := intake.NewCSV(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cands, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "winter", Rows: rows("order_id,sku,quantity\nW1,SCARF,1\nW9,SCARF,2\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 1 || cands[0].Order.OrderID != "W9" || cands[0].Order.Quantity != 2 || len(cands[0].Operations) == 0 {
		t.Fatalf("candidates = %+v, want only the new order W9 with its routing", cands)
	}
	if cands[0].Operations[0].State != book.Ready || cands[0].Order.Due.IsZero() {
		t.Errorf("candidate's first operation %s, due %v; want ready, due the drop date", cands[0].Operations[0].State, cands[0].Order.Due)
	}
	if n := len(fx.workOrders(t)); n != 1 {
		t.Errorf("%d work orders stored after a preview, want 1", n)
	}
	// A batch stored before previews nothing new: every order of it is in the book unchanged.
	for _, tt := range []struct {
		name      string
		csv       string
		fresh     int
		unchanged int
	}{
		{"stored before", "order_id,sku,quantity\nW1,SCARF,1\n", 0, 1},
		{"partly stored", "order_id,sku,quantity\nW1,SCARF,1\nW7,SCARF,1\n", 1, 1},
		{"new", "order_id,sku,quantity\nW6,SCARF,1\n", 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fx.book.PreviewBatch(ctx, book.ImportRequest{Drop: "winter", Rows: rows(tt.csv)})
			if err != nil || len(p.Candidates) != tt.fresh || p.Unchanged != tt.unchanged {
				t.Errorf("preview = %d new, %d unchanged, %v; want %d new, %d unchanged", len(p.Candidates), p.Unchanged, err, tt.fresh, tt.unchanged)
			}
		})
	}
	named, err := fx.book.Orders(ctx, []string{"W1", "W9", "nope"})
	if err != nil || len(named) != 1 || named["W1"].Quantity != 1 {
		t.Errorf("orders W1, W9, nope = %+v, %v; want W1 alone", named, err)
	}
	_, err = fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "winter", Rows: rows("order_id,sku,quantity\nW8,NOPE,1\n")})
	var be *book.BatchError
	if !errors.As(err, &be) || len(be.Errors) != 1 || be.Errors[0].Line != 2 {
		t.Errorf("preview of a bad batch: %v, want a batch error on line 2", err)
	}
	if _, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "nope", Rows: rows("order_id,sku,quantity\n")}); !errors.Is(err, book.ErrUnknownDrop) {
		t.Errorf("preview for an unknown drop: %v", err)
	}
}
