package book_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

func TestCellDownPausesRunningAndHandsQueuedWorkToOtherCells(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW1,SCARF,3\nW2,SCARF,1\nW3,SCARF,1\n")
	// W1 on weave-1, W2 and W3 on weave-2 (see the dispatcher test).
	w2 := fx.ops(t, "W2")[0]
	fx.mustAct(t, w2.ID, book.ActionStart)

	res, err := fx.book.CellDown(ctx, "weave-2", "machine fault: warp break", "cell:weave-2")
	if err != nil {
		t.Fatal(err)
	}
	if res.Paused != w2.ID || res.Requeued != 1 || res.Dispatched != 1 {
		t.Errorf("CellDown = %+v, want paused %d, 1 requeued, 1 dispatched", res, w2.ID)
	}
	if op := fx.ops(t, "W2")[0]; op.State != book.Paused || op.Reason != "machine fault: warp break" || op.Cell != "weave-2" {
		t.Errorf("running operation after fault: %s at %s (%q), want paused at weave-2 with the reason", op.State, op.Cell, op.Reason)
	}
	if op := fx.ops(t, "W3")[0]; op.State != book.Queued || op.Cell != "weave-1" {
		t.Errorf("queued operation after fault: %s at %q, want queued at weave-1", op.State, op.Cell)
	}
	if down := fx.book.DownCells(); down["weave-2"] != "machine fault: warp break" {
		t.Errorf("DownCells = %v", down)
	}

	// While weave-2 is down, new work goes to weave-1 only.
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW4,SCARF,1\n")
	if op := fx.ops(t, "W4")[0]; op.Cell != "weave-1" {
		t.Errorf("work imported during the fault queued at %q, want weave-1", op.Cell)
	}
	// A second report of the same fault changes nothing.
	if res, err := fx.book.CellDown(ctx, "weave-2", "machine fault again", "cell:weave-2"); err != nil || res != (book.CellDownResult{}) {
		t.Errorf("second CellDown = %+v, %v; want nothing done", res, err)
	}

	if _, err := fx.book.CellUp(ctx, "weave-2", "cell:weave-2"); err != nil {
		t.Fatal(err)
	}
	if len(fx.book.DownCells()) != 0 {
		t.Errorf("cell still down after CellUp: %v", fx.book.DownCells())
	}
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW5,SCARF,1\n")
	if op := fx.ops(t, "W5")[0]; op.Cell != "weave-2" {
		t.Errorf("after recovery new work queued at %q, want the less loaded weave-2", op.Cell)
	}
	// The operation the fault paused runs again.
	if op := fx.ops(t, "W2")[0]; op.State != book.Running || op.Cell != "weave-2" {
		t.Errorf("operation the fault paused is %s at %s after recovery, want running at weave-2", op.State, op.Cell)
	}

	var kinds []string
	for _, e := range fx.events(t) {
		if e.Cell == "weave-2" && (e.Kind == book.EventCellFault || e.Kind == book.EventCellRecovered) {
			kinds = append(kinds, e.Kind)
		}
	}
	if len(kinds) != 2 || kinds[0] != book.EventCellFault || kinds[1] != book.EventCellRecovered {
		t.Errorf("cell events = %v, want one fault then one recovery", kinds)
	}
}

func TestCellDownWithNoOtherCellLeavesWorkReady(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nR1,RUG,1\n")
	if _, err := fx.book.CellDown(context.Background(), "dye-1", "vat over temperature", "cell:dye-1"); err != nil {
		t.Fatal(err)
	}
	if op := fx.ops(t, "R1")[0]; op.State != book.Ready || op.Cell != "" {
		t.Errorf("dye operation is %s at %q, want ready and at no cell", op.State, op.Cell)
	}
	if _, err := fx.book.CellUp(context.Background(), "dye-1", "cell:dye-1"); err != nil {
		t.Fatal(err)
	}
	if op := fx.ops(t, "R1")[0]; op.State != book.Queued || op.Cell != "dye-1" {
		t.Errorf("after recovery the dye operation is %s at %q, want queued at dye-1", op.State, op.Cell)
	}
}

func TestCellDownRefusesUnknownCellAndEmptyReason(t *testing.T) {
	fx := newFixture(t)
	if _, err := fx.book.CellDown(context.Background(), "nope", "x", "a"); !errors.Is(err, book.ErrUnknownCell) {
		t.Errorf("unknown cell: %v", err)
	}
	if _, err := fx.book.CellDown(context.Background(), "dye-1", "  ", "a"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("empty reason: %v", err)
	}
	if len(fx.book.DownCells()) != 0 {
		t.Errorf("a refused CellDown left a cell down: %v", fx.book.DownCells())
	}
}

func TestProgress(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nS1,SCARF,3\n")
	op := fx.ops(t, "S1")[0]
	if _, err := fx.book.Progress(ctx, op.ID, 1, "cell:weave-1"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("progress on a queued operation: %v, want ErrInvalid", err)
	}
	fx.mustAct(t, op.ID, book.ActionStart)
	got, err := fx.book.Progress(ctx, op.ID, 2, "cell:weave-1")
	if err != nil || got.UnitsDone != 2 {
		t.Fatalf("Progress(2) = %d, %v", got.UnitsDone, err)
	}
	if again, err := fx.book.Progress(ctx, op.ID, 2, "cell:weave-1"); err != nil || again.Version != got.Version {
		t.Errorf("repeating a count changed the operation (version %d -> %d) or failed: %v", got.Version, again.Version, err)
	}
	if _, err := fx.book.Progress(ctx, op.ID, 1, "cell:weave-1"); !errors.Is(err, book.ErrProgressBackwards) {
		t.Errorf("counting backwards: %v, want ErrProgressBackwards", err)
	}
	if _, err := fx.book.Progress(ctx, op.ID, 4, "cell:weave-1"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("more units than ordered: %v, want ErrInvalid", err)
	}
	if stored := fx.ops(t, "S1")[0]; stored.UnitsDone != 2 {
		t.Errorf("stored units done = %d, want 2", stored.UnitsDone)
	}
	var units int
	for _, e := range fx.events(t) {
		if e.Kind == book.EventOperationProgress && e.Operation == op.ID {
			units += e.Quantity
		}
	}
	if units != 2 {
		t.Errorf("progress events count %d units, want 2", units)
	}
}

func TestResetRecordsWhoResetAndWhatWasDone(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		report    bool
		reset     book.CellReset
		wantWas   bool
		wantEvent bool
		wantErr   error
	}{
		{name: "a reported fault cleared with a note", report: true,
			reset:   book.CellReset{Actor: "person:ines", Note: "  cleared the jam, rethreaded the warp  "},
			wantWas: true, wantEvent: true},
		{name: "a machine reset with nothing reported is recorded too",
			reset:     book.CellReset{Actor: "person:ana", Note: "heater checked", Machine: true},
			wantEvent: true},
		{name: "no report and no machine: nothing to record",
			reset: book.CellReset{Actor: "person:ana", Note: "nothing"}},
		{name: "a note longer than a reason is refused and the report kept", report: true,
			reset:   book.CellReset{Actor: "person:ana", Note: strings.Repeat("x", 501)},
			wantErr: book.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			if tt.report {
				if err := fx.book.ReportFault(ctx, book.CellReport{Cell: "weave-2", Code: "jam", Reason: "fault reported by person:ana: jam", By: "person:ana"}); err != nil {
					t.Fatal(err)
				}
				out, err := fx.book.Outages(ctx)
				if err != nil {
					t.Fatal(err)
				}
				r := out["weave-2"].Report
				if r == nil || r.Code != "jam" || r.By != "person:ana" || r.At.IsZero() {
					t.Fatalf("Outages = %+v, want weave-2's report with its code, who and when", out)
				}
			}
			before := len(fx.events(t))
			was, err := fx.book.ClearReport(ctx, "weave-2", tt.reset)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ClearReport = %v, want %v", err, tt.wantErr)
			}
			if was != tt.wantWas {
				t.Errorf("ClearReport cleared a report: %v, want %v", was, tt.wantWas)
			}
			events := fx.events(t)[before:]
			switch {
			case tt.wantEvent && len(events) != 1:
				t.Fatalf("events after the reset: %+v, want one cell.reset", events)
			case tt.wantEvent:
				e := events[0]
				if e.Kind != book.EventCellReset || e.Cell != "weave-2" || e.Actor != string(tt.reset.Actor) || e.Reason != strings.TrimSpace(tt.reset.Note) {
					t.Errorf("event %+v, want cell.reset at weave-2 by %s with the note", e, tt.reset.Actor)
				}
			case len(events) != 0:
				t.Errorf("events after the reset: %+v, want none", events)
			}
			out, err := fx.book.Outages(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if kept := out["weave-2"].Report != nil; kept != (tt.wantErr != nil) {
				t.Errorf("report kept: %v, want %v", kept, tt.wantErr != nil)
			}
		})
	}
}
