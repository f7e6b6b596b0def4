package planner_test

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// TestRepairsAreForecastAgainstTheirDueDates: a repair's work order belongs to no drop, so the
// plan does not show it as a drop "" of no date; the plan says instead whether it ends by its
// own due date (its diagnosis: intake and the diagnosis step's 30 minutes).
func TestRepairsAreForecastAgainstTheirDueDates(t *testing.T) {
	mon := func(hh, mm int) time.Time { return time.Date(2026, 11, 2, hh, mm, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		queued int  // BAGs queued at repair-1, an hour each
		start  bool // the first of them started before the repair came in
		end    time.Time
		late   bool
		drops  int
	}{
		{name: "nothing queued: on time", end: mon(8, 30)},
		// The diagnosis goes ahead of the BAGs, due later, but not of the one running.
		{name: "behind the running job: late", queued: 3, start: true, end: mon(9, 30), late: true, drops: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixtureFrom(t, "testdata/repair.yaml")
			fx.factory.Aftercare = &configs.Aftercare{
				EstimateValid: 14 * 24 * time.Hour,
				Currency:      "EUR",
				Diagnosis:     configs.Step{Name: "diagnosis", Capability: "repair", UnitTime: 30 * time.Minute},
				Kinds:         []configs.ItemKind{{ID: "ring", Name: "Ring"}},
			}
			ctx := context.Background()
			fx.clock.Set(mon(8, 0))
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
			r, _, err := fx.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Item: "silver ring", Kind: "ring",
				Customer: "Ana", Actor: "ines"})
			if err != nil {
				t.Fatal(err)
			}
			pl := fx.replan(t, false)
			for _, d := range pl.Drops {
				if d.Drop == "" {
					t.Errorf("the plan shows a drop with no id: %+v", d)
				}
			}
			if len(pl.Drops) != tt.drops {
				t.Errorf("%d drops forecast, want %d", len(pl.Drops), tt.drops)
			}
			if len(pl.Repairs) != 1 {
				t.Fatalf("repairs forecast = %+v, want the diagnosis of %s", pl.Repairs, r.ID)
			}
			got := pl.Repairs[0]
			if got.Repair != r.ID || got.OrderID != r.ID || got.WorkOrder != r.DiagnosisWorkOrder || !got.Due.Equal(mon(8, 30)) ||
				!got.Predicted.Equal(tt.end) || got.Late != tt.late || (time.Duration(got.LateBy) > 0) != tt.late {
				t.Errorf("forecast = %+v; want %s's diagnosis due 08:30, ending %s, late %v", got, r.ID, tt.end.Format("15:04"), tt.late)
			}
		})
	}
}
