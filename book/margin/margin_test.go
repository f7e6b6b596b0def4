package margin_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/margin"
	"github.com/cellforge/cellforge/configs"
)

// studio is a factory with rates, prices and material costs chosen so that the figures below
// can be worked out by hand: weave-1 costs 22.50 an hour, weave-2 25.00, finish-1 18.50,
// finish-2 17.00 (the cheapest finishing cell), sew-1 10.00.
func studio() *configs.Factory {
	return &configs.Factory{
		Currency: "EUR",
		Cells: []configs.Cell{
			{ID: "weave-1", Capabilities: []string{"weave"}, LabourRate: 1850, MachineRate: 400},
			{ID: "weave-2", Capabilities: []string{"weave"}, LabourRate: 2000, MachineRate: 500},
			{ID: "finish-1", Capabilities: []string{"finish"}, LabourRate: 1850},
			{ID: "finish-2", Capabilities: []string{"finish"}, LabourRate: 1500, MachineRate: 200},
			{ID: "sew-1", Capabilities: []string{"sew"}, LabourRate: 1000},
		},
		Products: []configs.Product{
			{SKU: "RUG-S", Price: 24000, Routing: []configs.Step{
				{Capability: "weave", MaterialCost: 3000},
				{Capability: "finish", MaterialCost: 1240},
			}},
			{SKU: "CUSHION", Routing: []configs.Step{{Capability: "sew", MaterialCost: 500}}},
		},
	}
}

func pct(v float64) *float64 { return &v }

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		in   margin.Input
		want margin.Margin
	}{
		{
			// Work order 1 is done; work order 2 weaves on weave-2 with 45 minutes planned
			// after the 15 it ran, and its finishing is neither planned nor started (40
			// minutes' standard time at finish-2, the cheapest). Work order 3, of a SKU with
			// no price, is paused after one unit done and one scrapped.
			name: "a drop partly made",
			in: margin.Input{
				Drop:    "spring",
				Ordered: map[string]int{"RUG-S": 2, "CUSHION": 3},
				Made:    map[string]int{"RUG-S": 1},
				Operations: []margin.Operation{
					// 1h 0m 4s at 22.50: 2252.5 cents, rounded once to 2253 (each interval
					// rounded alone would give 2250 + 3).
					{ID: 1, WorkOrder: 1, SKU: "RUG-S", Step: 0, Capability: "weave", Quantity: 1, Done: 1, Finished: true,
						Standard: time.Hour, Runs: []margin.Run{{"weave-1", time.Hour}, {"weave-1", 2 * time.Second}, {"weave-1", 2 * time.Second}}},
					// 30 minutes at 18.50: 9.25.
					{ID: 2, WorkOrder: 1, SKU: "RUG-S", Step: 1, Capability: "finish", Quantity: 1, Done: 1, Finished: true,
						Standard: 40 * time.Minute, Runs: []margin.Run{{"finish-1", 30 * time.Minute}}},
					// Actual: 15 minutes at 25.00: 6.25, no unit yet. Predicted: an hour at
					// 25.00, and the material of its one unit.
					{ID: 3, WorkOrder: 2, SKU: "RUG-S", Step: 0, Capability: "weave", Quantity: 1,
						Standard: time.Hour, Runs: []margin.Run{{"weave-2", 15 * time.Minute}}, Plan: &margin.Slot{Cell: "weave-2", Time: 45 * time.Minute}},
					// Predicted: 40 minutes at 17.00: 11.333 -> 11.33.
					{ID: 4, WorkOrder: 2, SKU: "RUG-S", Step: 1, Capability: "finish", Quantity: 1, Standard: 40 * time.Minute},
					// 30 minutes at 10.00: 5.00, half of it for the unit scrapped, with its
					// material: 2.50 + 5.00.
					{ID: 5, WorkOrder: 3, SKU: "CUSHION", Step: 0, Capability: "sew", Quantity: 3, Done: 1, Scrapped: 1,
						Standard: 90 * time.Minute, Runs: []margin.Run{{"sew-1", 30 * time.Minute}}},
				},
			},
			want: margin.Margin{Drop: "spring", Currency: "EUR",
				Lines: []margin.Line{
					{SKU: "CUSHION",
						Predicted: margin.Figures{Units: 3, TimeCost: 500, MaterialCost: 1500, Hours: 0.5, Margin: -2000},
						Actual:    margin.Figures{TimeCost: 500, MaterialCost: 1000, ScrapCost: 750, Hours: 0.5, Margin: -1500}},
					{SKU: "RUG-S", Price: 24000,
						// 2253 + 925 + 2500 + 1133; 3000 + 1240 + 3000 + 1240; 48000 - 6811 - 8480.
						Predicted: margin.Figures{Units: 2, Revenue: 48000, TimeCost: 6811, MaterialCost: 8480, Hours: 3.17, Margin: 32709, MarginPct: pct(68.1)},
						// 2253 + 925 + 625; 3000 + 1240; 24000 - 3803 - 4240.
						Actual: margin.Figures{Units: 1, Revenue: 24000, TimeCost: 3803, MaterialCost: 4240, Hours: 1.75, Margin: 15957, MarginPct: pct(66.5)}},
				},
				Total: margin.Line{
					Predicted: margin.Figures{Units: 5, Revenue: 48000, TimeCost: 7311, MaterialCost: 9980, Hours: 3.67, Margin: 30709, MarginPct: pct(64)},
					Actual:    margin.Figures{Units: 1, Revenue: 24000, TimeCost: 4303, MaterialCost: 5240, ScrapCost: 750, Hours: 2.25, Margin: 14457, MarginPct: pct(60.2)},
				},
			},
		},
		{
			// A work order scrapped at its first step: the weave's unit lost (4 seconds at
			// 22.50 is 2.5 cents, rounded away from zero to 3), the finishing scrapped with it
			// never started and costs nothing, predicted or actual.
			name: "scrapped before the next step started",
			in: margin.Input{
				Drop:    "spring",
				Ordered: map[string]int{"RUG-S": 1},
				Operations: []margin.Operation{
					{ID: 1, WorkOrder: 1, SKU: "RUG-S", Step: 0, Capability: "weave", Quantity: 1, Scrapped: 1, Finished: true,
						Standard: time.Hour, Runs: []margin.Run{{"weave-1", 4 * time.Second}}},
					{ID: 2, WorkOrder: 1, SKU: "RUG-S", Step: 1, Capability: "finish", Quantity: 1, Finished: true,
						Standard: 40 * time.Minute},
				},
			},
			want: margin.Margin{Drop: "spring", Currency: "EUR",
				Lines: []margin.Line{{SKU: "RUG-S", Price: 24000,
					// 24000 - 3 - 3000 = 20997, 87.4875 %: the finishing's material is never spent.
					Predicted: margin.Figures{Units: 1, Revenue: 24000, TimeCost: 3, MaterialCost: 3000, Margin: 20997, MarginPct: pct(87.5)},
					Actual:    margin.Figures{TimeCost: 3, MaterialCost: 3000, ScrapCost: 3003, Margin: -3003}}},
				Total: margin.Line{
					Predicted: margin.Figures{Units: 1, Revenue: 24000, TimeCost: 3, MaterialCost: 3000, Margin: 20997, MarginPct: pct(87.5)},
					Actual:    margin.Figures{TimeCost: 3, MaterialCost: 3000, ScrapCost: 3003, Margin: -3003}},
			},
		},
		{
			name: "a drop with no orders",
			in:   margin.Input{Drop: "empty"},
			want: margin.Margin{Drop: "empty", Currency: "EUR", Lines: []margin.Line{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := margin.Compute(studio(), tc.in)
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(tc.want, "", " ")
			if string(g) != string(w) {
				t.Errorf("margin:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}
