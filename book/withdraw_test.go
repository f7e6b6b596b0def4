package book_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func (fx *fixture) withdraw(t *testing.T, orderID, reason string) book.Withdrawal {
	t.Helper()
	w, err := fx.book.Withdraw(context.Background(), orderID, reason, "hub")
	if err != nil {
		t.Fatalf("withdrawing %s: %v", orderID, err)
	}
	return w
}

// queued returns the ids of the operations in a cell's queue.
func (fx *fixture) queued(t *testing.T, cell string) map[int64]bool {
	t.Helper()
	q, err := fx.book.Queue(context.Background(), cell, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]bool, len(q))
	for _, e := range q {
		out[e.ID] = true
	}
	return out
}

// TestWithdraw: an order none of whose operations started leaves the queues, the open work,
// its drop's ordered units and the shortfall; it stays readable, marked withdrawn, with an
// event; its operations can no longer be acted on; withdrawing it again changes nothing; all
// of it survives a restart.
func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,2\nB,RUG,3\n")
	a, b := fx.ops(t, "A"), fx.ops(t, "B")
	if a[0].State != book.Queued || !fx.queued(t, a[0].Cell)[a[0].ID] {
		t.Fatalf("A's first operation is %s at %q, want queued there", a[0].State, a[0].Cell)
	}
	before, err := fx.book.DropUnits(ctx, "winter")
	if err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(time.Hour)
	w := fx.withdraw(t, "A", "  routed to porto  ")
	want := book.Withdrawal{OrderID: "A", At: fx.clock.Now(), Actor: "hub", Reason: "routed to porto"}
	if w != want {
		t.Errorf("Withdraw = %+v, want %+v", w, want)
	}
	events := len(fx.events(t))
	check := func(t *testing.T) {
		t.Helper()
		d := fx.detail(t, "A")
		if d.Order.Withdrawn == nil || *d.Order.Withdrawn != want {
			t.Errorf("order A's Withdrawn = %+v, want %+v", d.Order.Withdrawn, want)
		}
		if d.State != book.OrderWithdrawn || d.Shortfall.Short != 0 || d.Shortfall.Making != 0 {
			t.Errorf("order A is %s with %+v, want withdrawn, nothing short or being made", d.State, d.Shortfall)
		}
		for _, op := range fx.ops(t, "A") {
			if op.State != book.Withdrawn || op.Reason != want.Reason {
				t.Errorf("A's operation %d is %s (%q), want withdrawn with the reason", op.ID, op.State, op.Reason)
			}
		}
		if q := fx.queued(t, a[0].Cell); q[a[0].ID] || !q[b[0].ID] {
			t.Errorf("the queue of %s holds %v: want B's operation %d, not A's %d", a[0].Cell, q, b[0].ID, a[0].ID)
		}
		work, _, err := fx.book.OpenWork(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(work) != 1 || work[0].OrderID != "B" {
			t.Errorf("open work = %+v, want B's work order alone", work)
		}
		units, err := fx.book.DropUnits(ctx, "winter")
		if err != nil {
			t.Fatal(err)
		}
		if units["RUG"] != before["RUG"]-2 {
			t.Errorf("winter's ordered RUG = %d, want %d", units["RUG"], before["RUG"]-2)
		}
		ev := fx.events(t)
		last := ev[len(ev)-1]
		if last.Kind != book.EventOrderWithdrawn || last.OrderID != "A" || last.Reason != want.Reason ||
			last.Quantity != 2 || last.Drop != "winter" || last.WorkOrder != a[0].WorkOrder {
			t.Errorf("last event = %+v, want A's order.withdrawn", last)
		}
		withdrawn := 0
		for _, e := range ev {
			if e.Kind == book.EventOperation && e.To == book.Withdrawn && e.WorkOrder == a[0].WorkOrder {
				withdrawn++
			}
		}
		if withdrawn != len(a) {
			t.Errorf("%d operation events to withdrawn, want %d", withdrawn, len(a))
		}
		in, err := fx.book.MarginInputs(ctx, "winter")
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range in.Operations {
			if op.WorkOrder == a[0].WorkOrder {
				t.Errorf("the margin of winter counts operation %d of the withdrawn order", op.ID)
			}
		}
		if in.Ordered["RUG"] != before["RUG"]-2 {
			t.Errorf("the margin of winter counts %d RUG ordered, want %d", in.Ordered["RUG"], before["RUG"]-2)
		}
	}
	check(t)

	again, err := fx.book.Withdraw(ctx, "A", "another reason", "ines")
	if err != nil || again != want {
		t.Errorf("withdrawing A again = %+v, %v; want the first withdrawal", again, err)
	}
	if n := len(fx.events(t)); n != events {
		t.Errorf("withdrawing again appended %d events", n-events)
	}
	var te *book.TransitionError
	if _, err := fx.act(t, a[0].ID, book.ActionStart, ""); !errors.As(err, &te) {
		t.Errorf("starting a withdrawn operation: %v, want a TransitionError", err)
	}
	if _, err := fx.remake("A"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("remaking a withdrawn order: %v, want ErrInvalid", err)
	}
	fx.restart(t)
	check(t)
}

// TestWithdrawRefuses: an order with a started operation, a unit counted or scrapped, an
// unknown order and a missing reason are refused, and nothing changes.
func TestWithdrawRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, fx *fixture, first book.Operation)
		order   string
		reason  string
		want    error
		says    string
	}{
		{name: "started", order: "A", reason: "moved",
			prepare: func(t *testing.T, fx *fixture, first book.Operation) { fx.mustAct(t, first.ID, book.ActionStart) },
			want:    book.ErrStarted, says: "is running"},
		{name: "paused", order: "A", reason: "moved",
			prepare: func(t *testing.T, fx *fixture, first book.Operation) {
				fx.mustAct(t, first.ID, book.ActionStart)
				if _, err := fx.act(t, first.ID, book.ActionPause, "lunch"); err != nil {
					t.Fatal(err)
				}
			},
			want: book.ErrStarted, says: "is paused"},
		{name: "first step done", order: "A", reason: "moved",
			prepare: func(t *testing.T, fx *fixture, first book.Operation) {
				fx.mustAct(t, first.ID, book.ActionStart)
				fx.mustAct(t, first.ID, book.ActionComplete)
			},
			want: book.ErrStarted, says: "is done"},
		{name: "a unit counted", order: "A", reason: "moved",
			prepare: func(t *testing.T, fx *fixture, first book.Operation) {
				fx.mustAct(t, first.ID, book.ActionStart)
				fx.progress(t, first.ID, 1)
			},
			want: book.ErrStarted, says: "is running"},
		{name: "scrapped", order: "A", reason: "moved",
			prepare: func(t *testing.T, fx *fixture, first book.Operation) { fx.scrap(t, first.ID, 0, "stained") },
			want:    book.ErrStarted, says: "work order"},
		{name: "unknown order", order: "Z", reason: "moved", want: book.ErrUnknownOrder, says: `"Z"`},
		{name: "no reason", order: "A", reason: "  ", says: "reason"},
		{name: "reason too long", order: "A", reason: strings.Repeat("x", 501), says: "longer than 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,2\n")
			if tt.prepare != nil {
				tt.prepare(t, fx, fx.ops(t, "A")[0])
			}
			events := len(fx.events(t))
			units, _ := fx.book.DropUnits(ctx, "winter")
			_, err := fx.book.Withdraw(ctx, tt.order, tt.reason, "hub")
			var fe *book.FieldError
			switch {
			case err == nil:
				t.Fatal("Withdraw succeeded, want an error")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Withdraw: %v, want %v", err, tt.want)
			case tt.want == nil && !errors.As(err, &fe):
				t.Errorf("Withdraw: %v, want a FieldError", err)
			case !strings.Contains(err.Error(), tt.says):
				t.Errorf("Withdraw: %q, want it to say %q", err, tt.says)
			}
			if n := len(fx.events(t)); n != events {
				t.Errorf("a refused withdrawal appended %d events", n-events)
			}
			after, _ := fx.book.DropUnits(ctx, "winter")
			if after["RUG"] != units["RUG"] {
				t.Errorf("a refused withdrawal changed winter's RUG from %d to %d", units["RUG"], after["RUG"])
			}
			if d := fx.detail(t, "A"); d.Order.Withdrawn != nil {
				t.Errorf("order A withdrawn: %+v", d.Order.Withdrawn)
			}
		})
	}
}

// TestWithdrawLeavesTheShortfall: an order that lost units is started and cannot be
// withdrawn, while the drop's shortfall lists it; a withdrawn order is never short.
func TestWithdrawLeavesTheShortfall(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\nB,SCARF,3\n")
	first := fx.ops(t, "A")[0]
	fx.mustAct(t, first.ID, book.ActionStart)
	fx.scrap(t, first.ID, 1, "moth holes")
	fx.withdraw(t, "B", "moved")
	if _, err := fx.book.Withdraw(ctx, "A", "moved", "hub"); !errors.Is(err, book.ErrStarted) {
		t.Errorf("withdrawing A, which lost a unit: %v, want ErrStarted", err)
	}
	short, err := fx.book.Shortfalls(ctx, "winter")
	if err != nil {
		t.Fatal(err)
	}
	if len(short) != 1 || short[0].Order.OrderID != "A" {
		t.Errorf("shortfalls = %+v, want A alone", short)
	}
}
