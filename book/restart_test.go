package book_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestCellFaultOutlivesARestart: what holds a cell down, and the operation its fault paused,
// are stored: after a restart the cell is still down, and it comes back as it would have
// without the restart.
func TestCellFaultOutlivesARestart(t *testing.T) {
	ctx := context.Background()
	const reason = "device loom-b in fault: warp break"
	// setup: W1 queued at weave-1, W2 (two units) running at weave-2 when weave-2 goes down.
	setup := func(t *testing.T) (*fixture, book.Operation) {
		fx := newFixture(t)
		fx.mustImport(t, "winter", "order_id,sku,quantity\nW1,SCARF,3\nW2,SCARF,2\n")
		w2 := fx.ops(t, "W2")[0]
		if w2.Cell != "weave-2" {
			t.Fatalf("W2 queued at %s, want weave-2", w2.Cell)
		}
		fx.mustAct(t, w2.ID, book.ActionStart)
		if res, err := fx.book.CellDown(ctx, "weave-2", reason, "cell:weave-2"); err != nil || res.Paused != w2.ID {
			t.Fatalf("CellDown = %+v, %v; want W2 paused", res, err)
		}
		return fx, w2
	}
	tests := []struct {
		name string
		// act runs between the fault and the restart.
		act func(t *testing.T, fx *fixture, w2 book.Operation)
		// clear runs after the restart, before CellUp succeeds.
		clear func(t *testing.T, fx *fixture)
		// wantState and wantReason are W2's after CellUp.
		wantState  book.State
		wantReason string
	}{
		{
			name:      "the operation the fault paused resumes when the cell comes back",
			act:       func(*testing.T, *fixture, book.Operation) {},
			wantState: book.Running,
		},
		{
			name: "an operation a person paused since stays paused",
			act: func(t *testing.T, fx *fixture, w2 book.Operation) {
				fx.mustAct(t, w2.ID, book.ActionResume)
				if _, err := fx.act(t, w2.ID, book.ActionPause, "yarn knot"); err != nil {
					t.Fatal(err)
				}
			},
			wantState:  book.Paused,
			wantReason: "yarn knot",
		},
		{
			name: "an operation a person scrapped some units of stays paused",
			act: func(t *testing.T, fx *fixture, w2 book.Operation) {
				if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: w2.ID, Action: book.ActionScrap,
					Actor: "ana", Reason: "torn selvedge", Quantity: 1}); err != nil {
					t.Fatal(err)
				}
			},
			wantState:  book.Paused,
			wantReason: "torn selvedge",
		},
		{
			name: "a reported fault holds the cell down until it is cleared",
			act: func(t *testing.T, fx *fixture, _ book.Operation) {
				if err := fx.book.ReportFault(ctx, book.CellReport{Cell: "weave-2", Code: "jam", Reason: "fault reported by ana: jam", By: "ana"}); err != nil {
					t.Fatal(err)
				}
			},
			clear: func(t *testing.T, fx *fixture) {
				if h, err := fx.book.Hold(ctx, "weave-2"); err != nil || h.Reported != "fault reported by ana: jam" || h.Down != reason {
					t.Fatalf("Hold after restart = %+v, %v; want down for %q and the report", h, err, reason)
				}
				if _, err := fx.book.CellUp(ctx, "weave-2", "cell:weave-2"); !errors.Is(err, book.ErrFaultReported) {
					t.Fatalf("CellUp with the report held = %v, want ErrFaultReported", err)
				}
				if _, down := fx.book.DownCells()["weave-2"]; !down {
					t.Fatal("a refused CellUp brought the cell up")
				}
				if was, err := fx.book.ClearReport(ctx, "weave-2", book.CellReset{Actor: "person:ana", Note: "untangled"}); err != nil || !was {
					t.Fatalf("ClearReport = %v, %v; want true", was, err)
				}
			},
			wantState: book.Running,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx, w2 := setup(t)
			tt.act(t, fx, w2)
			fx.restart(t)

			if got := fx.book.DownCells(); got["weave-2"] != reason {
				t.Fatalf("DownCells after restart = %v, want weave-2 down for %q", got, reason)
			}
			if h, err := fx.book.Hold(ctx, "weave-2"); err != nil || h.Down != reason {
				t.Fatalf("Hold after restart = %+v, %v", h, err)
			}
			// The dispatcher still sends nothing to the cell.
			fx.mustImport(t, "winter", "order_id,sku,quantity\nW3,SCARF,1\nW4,SCARF,1\n")
			for _, id := range []string{"W3", "W4"} {
				if op := fx.ops(t, id)[0]; op.Cell != "weave-1" {
					t.Errorf("%s queued at %s after the restart, want weave-1 while weave-2 is down", id, op.Cell)
				}
			}
			if tt.clear != nil {
				tt.clear(t, fx)
			}
			res, err := fx.book.CellUp(ctx, "weave-2", "cell:weave-2")
			if err != nil {
				t.Fatal(err)
			}
			op := fx.ops(t, "W2")[0]
			if op.State != tt.wantState || op.Reason != tt.wantReason {
				t.Errorf("W2 after CellUp is %s (%q), want %s (%q)", op.State, op.Reason, tt.wantState, tt.wantReason)
			}
			if resumed := slices.Contains(res.Resumed, w2.ID); resumed != (tt.wantState == book.Running) {
				t.Errorf("CellUp resumed %v", res.Resumed)
			}
			fx.restart(t)
			if down := fx.book.DownCells(); len(down) != 0 {
				t.Errorf("DownCells after CellUp and a restart = %v, want none", down)
			}
		})
	}
}

// TestLabelsAreOwedWithTheUnitsThatFinish: at a cell holding a label printer, every unit
// finished owes its label in the transaction that finished it, and the label stays owed,
// across restarts, until it is printed.
func TestLabelsAreOwedWithTheUnitsThatFinish(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/labels.yaml")
	fx.mustImport(t, "winter", "order_id,sku,quantity\nS1,SCARF,3\n")
	weave := fx.ops(t, "S1")[0]
	fx.mustAct(t, weave.ID, book.ActionStart)
	if _, err := fx.book.Progress(ctx, weave.ID, 2, "cell:weave-1"); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, weave.ID, book.ActionComplete)
	owed := func(cell string) []book.OwedLabel {
		t.Helper()
		l, n, err := fx.book.OwedLabels(ctx, cell, 0)
		if err != nil || n != len(l) {
			t.Fatalf("OwedLabels(%s) = %d labels, total %d, %v", cell, len(l), n, err)
		}
		return l
	}
	if l := owed("weave-1"); len(l) != 0 {
		t.Errorf("weave-1 has no label printer but owes %d labels", len(l))
	}

	pack := fx.ops(t, "S1")[1]
	fx.mustAct(t, pack.ID, book.ActionStart)
	if _, err := fx.book.Progress(ctx, pack.ID, 1, "cell:pack-1"); err != nil {
		t.Fatal(err)
	}
	if l := owed("pack-1"); len(l) != 1 || l[0].Unit != 1 {
		t.Fatalf("owed after one unit counted = %+v, want unit 1", l)
	}
	// Completing owes the units not counted.
	fx.mustAct(t, pack.ID, book.ActionComplete)
	fx.restart(t)
	labels := owed("pack-1")
	var units []int
	for _, l := range labels {
		units = append(units, l.Unit)
		if l.OrderID != "S1" || l.SKU != "SCARF" || l.Drop != "winter" || l.Operation != pack.ID || l.Reprint {
			t.Errorf("owed label %+v, want unit of S1's pack step", l)
		}
	}
	if !slices.Equal(units, []int{1, 2, 3}) {
		t.Fatalf("owed units after the restart = %v, want 1, 2, 3", units)
	}
	if page, total, err := fx.book.OwedLabels(ctx, "pack-1", 2); err != nil || len(page) != 2 || total != 3 {
		t.Errorf("OwedLabels(limit 2) = %d labels, total %d, %v; want 2 of 3", len(page), total, err)
	}

	for range 2 { // a second confirmation of the same label changes nothing
		if err := fx.book.LabelPrinted(ctx, labels[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if l := owed("pack-1"); len(l) != 2 || l[0].Unit != 2 {
		t.Errorf("owed after unit 1 printed = %+v, want units 2 and 3", l)
	}

	t.Run("reprints", func(t *testing.T) {
		l, err := fx.book.ReprintLabel(ctx, "pack-1", pack.ID, 0)
		if err != nil || l.Unit != 3 || !l.Reprint || l.OrderID != "S1" {
			t.Fatalf("ReprintLabel(last) = %+v, %v; want a reprint of unit 3", l, err)
		}
		fx.restart(t)
		got := owed("pack-1")
		if len(got) != 3 || got[2].Unit != 3 || !got[2].Reprint {
			t.Errorf("owed after the reprint and a restart = %+v, want units 2, 3 and the reprint of 3", got)
		}
		for _, tc := range []struct {
			name string
			cell string
			op   int64
			unit int
			want error
		}{
			{name: "unit not finished", cell: "pack-1", op: pack.ID, unit: 4, want: book.ErrNotFinished},
			{name: "operation of another cell", cell: "pack-1", op: weave.ID, unit: 1, want: book.ErrUnknownOperation},
			{name: "unknown operation", cell: "pack-1", op: 4242, unit: 1, want: book.ErrUnknownOperation},
			{name: "negative unit", cell: "pack-1", op: pack.ID, unit: -1, want: book.ErrInvalid},
			{name: "cell without a label printer", cell: "weave-1", op: weave.ID, unit: 1, want: book.ErrInvalid},
			{name: "unknown cell", cell: "nope", op: weave.ID, unit: 1, want: book.ErrUnknownCell},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := fx.book.ReprintLabel(ctx, tc.cell, tc.op, tc.unit); !errors.Is(err, tc.want) {
					t.Errorf("ReprintLabel = %v, want %v", err, tc.want)
				}
			})
		}
		if got := owed("pack-1"); len(got) != 3 {
			t.Errorf("refused reprints owed labels: %+v", got)
		}
	})
}

func TestCursorOutlivesARestart(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	if _, ok, err := fx.book.Cursor(ctx, "tickets"); err != nil || ok {
		t.Fatalf("Cursor before any = ok %v, %v; want none", ok, err)
	}
	for _, after := range []int64{7, 12} {
		if err := fx.book.SetCursor(ctx, "tickets", after); err != nil {
			t.Fatal(err)
		}
	}
	fx.restart(t)
	if after, ok, err := fx.book.Cursor(ctx, "tickets"); err != nil || !ok || after != 12 {
		t.Errorf("Cursor after a restart = %d, %v, %v; want 12", after, ok, err)
	}
}
