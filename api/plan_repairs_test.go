package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

// TestPlanForecastsRepairsApart: GET /api/v1/plan lists the drops with open work, and a
// repair's work order, of no drop, is not among them as a drop of no id and no date: the plan's
// repairs say whether it ends by its own due date.
func TestPlanForecastsRepairsApart(t *testing.T) {
	ts := newTestServer(t)
	ts.book.Factory().Aftercare = &configs.Aftercare{
		EstimateValid: 14 * 24 * time.Hour,
		Currency:      "EUR",
		Diagnosis:     configs.Step{Name: "diagnosis", Capability: "pack", UnitTime: 30 * time.Minute},
		Kinds:         []configs.ItemKind{{ID: "ring", Name: "Ring"}},
	}
	if r := ts.importCSV(t, "order_id,sku,quantity\nP1,SCARF,2\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	ctx := context.Background()
	rep, _, err := ts.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Item: "silver ring", Kind: "ring",
		Customer: "Ana", Actor: "ines"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.planner.Replan(ctx, false); err != nil {
		t.Fatal(err)
	}
	var pl struct {
		Drops   []planner.DropForecast   `json:"drops"`
		Repairs []planner.RepairForecast `json:"repairs"`
	}
	ts.do(t, "GET", "/api/v1/plan", plannerToken, "", "").json(t, &pl)
	if len(pl.Drops) != 1 || pl.Drops[0].Drop != "winter" || pl.Drops[0].Open != 1 {
		t.Errorf("plan drops = %+v, want winter alone with its one work order", pl.Drops)
	}
	if len(pl.Repairs) != 1 || pl.Repairs[0].Repair != rep.ID || pl.Repairs[0].WorkOrder != rep.DiagnosisWorkOrder ||
		pl.Repairs[0].Due.IsZero() || pl.Repairs[0].Predicted.IsZero() {
		t.Errorf("plan repairs = %+v, want the diagnosis of %s with its due date and predicted end", pl.Repairs, rep.ID)
	}
}
