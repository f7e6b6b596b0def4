package book_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// finish starts and completes every operation of a work order left to do, in routing order.
func (fx *fixture) finish(t *testing.T, workOrder int64) {
	t.Helper()
	for {
		d, err := fx.book.WorkOrder(context.Background(), workOrder)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != book.WorkOpen {
			return
		}
		for _, op := range d.Operations {
			if op.State == book.Done || op.State == book.Scrapped {
				continue
			}
			if op.State == book.Queued {
				fx.mustAct(t, op.ID, book.ActionStart)
			}
			fx.clock.Advance(time.Hour)
			fx.mustAct(t, op.ID, book.ActionComplete)
			break
		}
	}
}

func (fx *fixture) detail(t *testing.T, orderID string) book.OrderDetail {
	t.Helper()
	d, err := fx.book.OrderDetail(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (fx *fixture) scrap(t *testing.T, op int64, quantity int, reason string) {
	t.Helper()
	if _, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op, Action: book.ActionScrap,
		Actor: "ana", Reason: reason, Quantity: quantity}); err != nil {
		t.Fatalf("scrapping %d of operation %d: %v", quantity, op, err)
	}
}

func (fx *fixture) remake(orderID string) (book.RemakeResult, error) {
	return fx.book.Remake(context.Background(), book.RemakeRequest{OrderID: orderID, Actor: "ines"})
}

// TestShortfall checks that the units an order lost show as its shortfall, whether some units
// were scrapped at an operation (the work order goes on with fewer) or the whole work order
// was, and that the orders short of units are listed by drop.
func TestShortfall(t *testing.T) {
	tests := []struct {
		name     string
		scrap    int // units scrapped at the first operation; 0 scraps the work order
		finish   bool
		state    book.OrderState
		good     int
		making   int
		lost     int
		short    int
		woState  book.WorkOrderState
		lossUnit int
	}{
		{name: "part of a work order scrapped", scrap: 1, state: book.OrderOpen, making: 1, lost: 1, short: 1,
			woState: book.WorkOpen, lossUnit: 1},
		{name: "part scrapped, the rest made", scrap: 1, finish: true, state: book.OrderShort, good: 1, lost: 1, short: 1,
			woState: book.WorkDone, lossUnit: 1},
		{name: "the whole work order scrapped", scrap: 0, state: book.OrderShort, lost: 2, short: 2,
			woState: book.WorkScrapped, lossUnit: 2},
		{name: "nothing scrapped", scrap: -1, finish: true, state: book.OrderDone, good: 2, woState: book.WorkDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\nB,SCARF,3\n")
			weave := fx.ops(t, "A")[0]
			if tt.scrap >= 0 {
				fx.mustAct(t, weave.ID, book.ActionStart)
				fx.scrap(t, weave.ID, tt.scrap, "moth holes")
			}
			if tt.finish {
				fx.finish(t, weave.WorkOrder)
			}
			d := fx.detail(t, "A")
			s := d.Shortfall
			if d.State != tt.state || s.Ordered != 2 || s.Good != tt.good || s.Making != tt.making || s.Lost != tt.lost ||
				s.Short != tt.short || s.Remaking != 0 {
				t.Errorf("order A is %s with %+v; want %s, 2 ordered, %d good, %d being made, %d lost, %d short",
					d.State, s, tt.state, tt.good, tt.making, tt.lost, tt.short)
			}
			if len(d.WorkOrders) != 1 || d.WorkOrders[0].State != tt.woState {
				t.Errorf("work orders %+v, want one %s", d.WorkOrders, tt.woState)
			}
			if tt.lossUnit > 0 {
				want := book.Loss{WorkOrder: weave.WorkOrder, Operation: weave.ID, Step: weave.Name, Cell: weave.Cell,
					Units: tt.lossUnit, Reason: "moth holes"}
				if len(s.Losses) != 1 || s.Losses[0] != want {
					t.Errorf("losses %+v, want %+v", s.Losses, want)
				}
			} else if len(s.Losses) != 0 {
				t.Errorf("losses %+v, want none", s.Losses)
			}

			short, err := fx.book.Shortfalls(context.Background(), "winter")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, d := range short {
				ids = append(ids, d.Order.OrderID)
			}
			want := "A"
			if tt.short == 0 {
				want = ""
			}
			if strings.Join(ids, ",") != want {
				t.Errorf("orders short in winter: %v, want %q", ids, want)
			}
			if other, _ := fx.book.Shortfalls(context.Background(), "spring"); len(other) != 0 {
				t.Errorf("orders short in spring: %d, want none", len(other))
			}
			if all, _ := fx.book.Shortfalls(context.Background(), ""); len(all) != len(short) {
				t.Errorf("orders short in every drop: %d, want %d", len(all), len(short))
			}
		})
	}
	t.Run("unknown order and drop", func(t *testing.T) {
		fx := newFixture(t)
		if _, err := fx.book.OrderDetail(context.Background(), "nope"); !errors.Is(err, book.ErrUnknownOrder) {
			t.Errorf("detail of an unknown order: %v, want ErrUnknownOrder", err)
		}
		if _, err := fx.book.Shortfalls(context.Background(), "autumn"); !errors.Is(err, book.ErrUnknownDrop) {
			t.Errorf("shortfalls of an unknown drop: %v, want ErrUnknownDrop", err)
		}
	})
}

// TestRemake checks that a remake makes the order's shortfall again from the first step of
// the routing, due as the order, dispatched as new work, with an event naming the work order
// it makes up for; and that it is refused, saying why, when the order lacks nothing.
func TestRemake(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity,priority,due\nA,RUG,3,2,2026-12-20T00:00:00Z\nB,SCARF,1,,\n")
	first := fx.ops(t, "A")
	fx.mustAct(t, first[0].ID, book.ActionStart)
	fx.mustAct(t, first[0].ID, book.ActionComplete)
	weave := fx.ops(t, "A")[1]
	fx.mustAct(t, weave.ID, book.ActionStart)
	fx.scrap(t, weave.ID, 2, "warp broke")

	res, err := fx.remake("A")
	if err != nil {
		t.Fatal(err)
	}
	wo := res.WorkOrder
	orig := fx.detail(t, "A").WorkOrders[0]
	if wo.ID == orig.ID || wo.OrderID != "A" || wo.SKU != "RUG" || wo.Quantity != 2 || wo.State != book.WorkOpen ||
		wo.RemakeOf != orig.ID || !wo.Due.Equal(orig.Due) || wo.Priority != 2 || wo.Drop != "winter" {
		t.Errorf("remake %+v; want an open work order of order A for 2 RUG, due and priority as the order, remaking %d", wo, orig.ID)
	}
	if len(res.Operations) != 3 {
		t.Fatalf("the remake has %d operations, want the routing's 3", len(res.Operations))
	}
	for i, want := range []struct {
		capability string
		state      book.State
	}{{"dye", book.Queued}, {"weave", book.Pending}, {"pack", book.Pending}} {
		op := res.Operations[i]
		if op.Seq != i || op.Capability != want.capability || op.State != want.state || op.Quantity != 2 || op.Scrapped != 0 {
			t.Errorf("remake operation %d = %s %s ×%d, want %s %s ×2", i, op.Capability, op.State, op.Quantity, want.capability, want.state)
		}
	}
	if res.Operations[0].Cell != "dye-1" {
		t.Errorf("the remake's first operation is queued at %q, want dye-1", res.Operations[0].Cell)
	}
	q, err := fx.book.Queue(context.Background(), "dye-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ID != res.Operations[0].ID {
		t.Errorf("dye-1's queue is %v, want the remake's dye operation", q)
	}
	var remade []book.Event
	for _, e := range fx.events(t) {
		if e.Kind == book.EventWorkOrderRemake {
			remade = append(remade, e)
		}
	}
	if len(remade) != 1 || remade[0].WorkOrder != wo.ID || remade[0].OrderID != "A" || remade[0].Quantity != 2 ||
		remade[0].Actor != "ines" || !strings.Contains(remade[0].Reason, fmt.Sprintf("work order %d", orig.ID)) {
		t.Errorf("remake events %+v, want one of work order %d for 2 units by ines, naming work order %d", remade, wo.ID, orig.ID)
	}
	s := res.Order.Shortfall
	if res.Order.State != book.OrderOpen || s.Short != 0 || s.Making != 3 || s.Remaking != 2 || s.Lost != 2 || len(res.Order.WorkOrders) != 2 {
		t.Errorf("order A after the remake is %s with %+v and %d work orders; want open, 3 being made (2 again), none short",
			res.Order.State, s, len(res.Order.WorkOrders))
	}
	if short, _ := fx.book.Shortfalls(context.Background(), "winter"); len(short) != 1 || short[0].Shortfall.Remaking != 2 {
		t.Errorf("shortfalls after the remake: %+v, want order A being made again", short)
	}

	_, err = fx.remake("A")
	var notShort *book.NotShortError
	if !errors.As(err, &notShort) || !errors.Is(err, book.ErrNotShort) {
		t.Fatalf("a second remake: %v, want a *NotShortError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `order "A" is not short of units: 3 ordered, 0 made, 3 being made`) ||
		!strings.Contains(msg, fmt.Sprintf("by work order %d", wo.ID)) {
		t.Errorf("the refusal says %q", msg)
	}
	if _, err := fx.remake("B"); !errors.Is(err, book.ErrNotShort) {
		t.Errorf("remaking an order that lost nothing: %v, want ErrNotShort", err)
	}
	if _, err := fx.remake("Z"); !errors.Is(err, book.ErrUnknownOrder) {
		t.Errorf("remaking an unknown order: %v, want ErrUnknownOrder", err)
	}

	// The remake loses a unit too: the next remake makes up for the remake's loss.
	fx.scrap(t, res.Operations[0].ID, 1, "dye lot spoilt")
	again, err := fx.remake("A")
	if err != nil {
		t.Fatal(err)
	}
	if again.WorkOrder.Quantity != 1 || again.WorkOrder.RemakeOf != wo.ID {
		t.Errorf("second remake %+v, want 1 unit making up for work order %d", again.WorkOrder, wo.ID)
	}
}

// TestRemakesAtOnceMakeOne asks for the remake of one shortfall twenty times at once, as a
// double tap or several people would: one remake is made.
func TestRemakesAtOnceMakeOne(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		t.Run(fmt.Sprintf("idempotency key %v", keyed), func(t *testing.T) {
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\n")
			weave := fx.ops(t, "A")[0]
			fx.scrap(t, weave.ID, 1, "moth holes")
			const n = 20
			results := make([]book.RemakeResult, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					req := book.RemakeRequest{OrderID: "A", Actor: "ines"}
					if keyed {
						req.Idempotency = &book.Idempotency{Principal: "person:ines", Key: "remake-A-1", RequestHash: "h"}
					}
					results[i], errs[i] = fx.book.Remake(context.Background(), req)
				}()
			}
			close(start)
			wg.Wait()
			made, replayed, refused := 0, 0, 0
			for i := range n {
				switch {
				case errs[i] == nil && results[i].Replayed:
					replayed++
				case errs[i] == nil:
					made++
				case errors.Is(errs[i], book.ErrNotShort):
					refused++
				default:
					t.Errorf("request %d: %v", i, errs[i])
				}
			}
			if made != 1 {
				t.Errorf("%d remakes made, want 1", made)
			}
			if keyed && replayed != n-1 {
				t.Errorf("%d answers replayed, %d refused; want %d replayed", replayed, refused, n-1)
			}
			if !keyed && refused != n-1 {
				t.Errorf("%d refused as not short, want %d", refused, n-1)
			}
			d := fx.detail(t, "A")
			if len(d.WorkOrders) != 2 || d.Shortfall.Short != 0 || d.Shortfall.Making != 2 {
				t.Errorf("order A has %d work orders, %+v; want 2, none short", len(d.WorkOrders), d.Shortfall)
			}
			for i := range n {
				if errs[i] == nil && results[i].WorkOrder.ID != d.WorkOrders[1].ID {
					t.Errorf("request %d answered work order %d, want %d", i, results[i].WorkOrder.ID, d.WorkOrders[1].ID)
				}
			}
		})
	}
}

// TestOrderDoneOnlyWhenItsRemakeIs checks that an order whose work order finished short is not
// done, nor counted in the drop's turnaround, until its remake is; its turnaround then runs
// from the order's intake to the remake's completion.
func TestOrderDoneOnlyWhenItsRemakeIs(t *testing.T) {
	for _, whole := range []bool{false, true} {
		t.Run(fmt.Sprintf("whole work order scrapped %v", whole), func(t *testing.T) {
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\nB,SCARF,1\n")
			intake := fx.clock.Now()
			weave := fx.ops(t, "A")[0]
			fx.mustAct(t, weave.ID, book.ActionStart)
			if whole {
				fx.scrap(t, weave.ID, 0, "wrong yarn")
			} else {
				fx.scrap(t, weave.ID, 1, "moth holes")
				fx.finish(t, weave.WorkOrder)
			}
			fx.finish(t, fx.ops(t, "B")[0].WorkOrder)
			turnaround := func() book.Turnaround {
				t.Helper()
				ta, err := fx.book.Turnaround(context.Background(), "winter")
				if err != nil {
					t.Fatal(err)
				}
				return ta
			}
			if d := fx.detail(t, "A"); d.State != book.OrderShort {
				t.Errorf("order A is %s with its work order %s and a unit short, want short", d.State, d.WorkOrders[0].State)
			}
			if ta := turnaround(); ta.Count != 1 {
				t.Errorf("turnaround counts %d orders while A is short, want 1 (B)", ta.Count)
			}
			res, err := fx.remake("A")
			if err != nil {
				t.Fatal(err)
			}
			fx.clock.Advance(10 * time.Hour)
			if d := fx.detail(t, "A"); d.State != book.OrderOpen {
				t.Errorf("order A is %s while its remake is made, want open", d.State)
			}
			if ta := turnaround(); ta.Count != 1 {
				t.Errorf("turnaround counts %d orders while A's remake is made, want 1", ta.Count)
			}
			fx.finish(t, res.WorkOrder.ID)
			d := fx.detail(t, "A")
			if d.State != book.OrderDone || d.Shortfall.Good != 2 || d.Shortfall.Short != 0 {
				t.Errorf("order A is %s with %+v once its remake is done, want done with 2 good", d.State, d.Shortfall)
			}
			done, err := fx.book.Completions(context.Background(), "winter")
			if err != nil {
				t.Fatal(err)
			}
			var a []book.Completion
			for _, c := range done {
				if c.OrderID == "A" {
					a = append(a, c)
				}
			}
			remade, _ := fx.book.WorkOrder(context.Background(), res.WorkOrder.ID)
			if len(done) != 2 || len(a) != 1 || a[0].WorkOrder != res.WorkOrder.ID || !a[0].IntakeAt.Equal(intake) ||
				!a[0].CompletedAt.Equal(*remade.CompletedAt) {
				t.Errorf("completions %+v; want B's and one of A, from its intake %s to its remake's completion %s",
					done, intake, remade.CompletedAt)
			}
		})
	}
}

// TestRemakeUnitsAreNumberedAfterTheOrders checks that a remake's units owe labels numbered
// after those of the order's work orders before it, so that no two labels of an order share a
// serial, which the remake's unit records keep.
func TestRemakeUnitsAreNumberedAfterTheOrders(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/labels.yaml")
	fx.mustImport(t, "winter", "order_id,sku,quantity\nS1,SCARF,2\n")
	weave := fx.ops(t, "S1")[0]
	fx.mustAct(t, weave.ID, book.ActionStart)
	fx.scrap(t, weave.ID, 1, "moth holes")
	fx.finish(t, weave.WorkOrder)
	res, err := fx.remake("S1")
	if err != nil {
		t.Fatal(err)
	}
	fx.finish(t, res.WorkOrder.ID)
	labels, _, err := fx.book.OwedLabels(ctx, "pack-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, l := range labels {
		units = append(units, fmt.Sprintf("%d:%d", l.WorkOrder, l.OrderUnit()))
	}
	want := []string{fmt.Sprintf("%d:1", weave.WorkOrder), fmt.Sprintf("%d:3", res.WorkOrder.ID)}
	if strings.Join(units, " ") != strings.Join(want, " ") {
		t.Errorf("labels owed (work order:unit of the order) %v, want %v", units, want)
	}
	pack := res.Operations[1]
	l, err := fx.book.ReprintLabel(ctx, "pack-1", pack.ID, 0)
	if err != nil || l.Unit != 1 || l.OrderUnit() != 3 || l.Serial != "S1-3" {
		t.Errorf("reprint of the remake's unit: %+v, %v; want unit 1 of the operation, 3 of the order, serial S1-3", l, err)
	}
	// The units as records: the remake's unit is its work order's first and its order's third.
	records := orderUnits(t, fx, "S1")
	if unitList(records) != "S1-1, S1-3" || records[1].WorkOrder != res.WorkOrder.ID || records[1].Number != 1 || records[1].OrderUnit != 3 {
		t.Fatalf("S1's units = %+v, want S1-1 and the remake's unit 1, S1-3", records)
	}
	for i, l := range labels {
		if l.Serial != records[i].Serial {
			t.Errorf("label %d has serial %q, want %q", i, l.Serial, records[i].Serial)
		}
	}
}
