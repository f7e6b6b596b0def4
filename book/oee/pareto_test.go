package oee

import (
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

func TestPareto(t *testing.T) {
	cfg := configs.DefaultStops() // prompt 2m, reason window 24h
	now := at(1, 12, 0, 0)        // Tuesday 12:00
	cells := []Cell{
		{ID: "a", Hours: weekdays8to16(), Stops: []Stop{
			{Start: at(0, 7, 30, 0), End: at(0, 9, 0, 0), Reason: "breakdown"},    // 60 min in hours
			{Start: at(0, 10, 0, 0), End: at(0, 10, 20, 0), Reason: "changeover"}, // 20 min
			{Start: at(0, 10, 30, 0), End: at(0, 10, 31, 59)},                     // under Prompt: out
			{Start: at(0, 11, 0, 0), End: at(0, 11, 10, 0)},                       // ended 24h50m ago: not given, 10 min
			{Start: at(0, 12, 0, 0), End: at(0, 14, 0, 0), NoWork: true},          // no-work: out
			{Start: at(0, 17, 0, 0), End: at(0, 18, 0, 0), Reason: "breakdown"},   // outside hours: out
			{Start: at(1, 11, 50, 0)},                                             // open: awaiting, 10 min
		}},
		{ID: "b", Stops: []Stop{
			{Start: at(0, 20, 0, 0), End: at(0, 20, 30, 0), Reason: "breakdown"}, // 30 min, no hours
			{Start: at(1, 0, 0, 0), End: at(1, 0, 15, 0)},                        // ended 11h45m ago: awaiting, 15 min
			{Start: at(1, 1, 0, 0), End: at(1, 1, 15, 0), Reason: "break"},       // 15 min, loss none: counted
		}},
	}
	// breakdown 90, awaiting 25, changeover 20, break 15, not-given 10: 160 minutes.
	// Cumulative: 90/160 = 56.25 %, 115/160 = 71.875 %, 135/160 = 84.375 %, 150/160 = 93.75 %, 100 %.
	want := []ParetoEntry{
		{Reason: "breakdown", Label: "Breakdown", Loss: configs.LossBreakdowns, Count: 2, Time: 90 * time.Minute, Minutes: 90, Cumulative: 56.25},
		{Reason: Awaiting, Label: "Awaiting a reason", Loss: configs.LossBreakdowns, Count: 2, Time: 25 * time.Minute, Minutes: 25, Cumulative: 71.875},
		{Reason: "changeover", Label: "Changeover", Planned: true, Loss: configs.LossSetup, Count: 1, Time: 20 * time.Minute, Minutes: 20, Cumulative: 84.375},
		{Reason: "break", Label: "Break", Planned: true, Loss: configs.LossNone, Count: 1, Time: 15 * time.Minute, Minutes: 15, Cumulative: 93.75},
		{Reason: NotGiven, Label: "Not given", Loss: configs.LossBreakdowns, Count: 1, Time: 10 * time.Minute, Minutes: 10, Cumulative: 100},
	}
	got := Pareto(cells, at(0, 0, 0, 0), at(2, 0, 0, 0), now, cfg)
	if len(got) != len(want) {
		t.Fatalf("got %d entries %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Cut to Monday 08:00-08:30: only the breakdown's half hour in it.
	cut := Pareto(cells, at(0, 8, 0, 0), at(0, 8, 30, 0), now, cfg)
	if len(cut) != 1 || cut[0].Time != 30*time.Minute || cut[0].Cumulative != 100 {
		t.Errorf("Monday 08:00-08:30: %+v, want the breakdown's 30 minutes", cut)
	}
	if none := Pareto(nil, at(0, 0, 0, 0), at(1, 0, 0, 0), now, cfg); len(none) != 0 {
		t.Errorf("no cells: %+v", none)
	}
}

func TestFirstPassYield(t *testing.T) {
	from, to := at(0, 0, 0, 0), at(1, 0, 0, 0)
	ops := []Operation{
		{ID: 1, Cell: "a", SKU: "RUG-S", Ended: at(0, 10, 0, 0), Done: 8, Scrapped: 2},
		{ID: 2, Cell: "b", SKU: "RUG-S", Ended: at(0, 11, 0, 0), Done: 5, Failed: true},
		{ID: 3, Cell: "b", SKU: "RUG-S", Ended: at(0, 12, 0, 0), Done: 5, Rework: true}, // left out
		{ID: 4, Cell: "a", SKU: "RUG-L", Ended: at(0, 13, 0, 0), Done: 3},
		{ID: 5, Cell: "a", SKU: "RUG-L", Done: 9},                        // open: left out
		{ID: 6, Cell: "a", SKU: "RUG-L", Ended: at(1, 0, 0, 0), Done: 9}, // ended at to: left out
		{ID: 7, Cell: "b", SKU: "RUG-L", Ended: at(0, 14, 0, 0), Scrapped: 1},
	}
	tests := []struct {
		name  string
		bySKU bool
		want  []Yield
	}{
		// RUG-L: 3 / (3 + 1); RUG-S: 8 / (8 + 2 + 5).
		{"by SKU", true, []Yield{{Key: "RUG-L", FirstPass: 3, Total: 4, Yield: 0.75}, {Key: "RUG-S", FirstPass: 8, Total: 15, Yield: 8.0 / 15}}},
		// a: (8 + 3) / (10 + 3); b: 0 / (5 + 1).
		{"by cell", false, []Yield{{Key: "a", FirstPass: 11, Total: 13, Yield: 11.0 / 13}, {Key: "b", FirstPass: 0, Total: 6, Yield: 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FirstPassYield(ops, from, to, tc.bySKU)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got %+v, want %+v", got[i], tc.want[i])
				}
			}
		})
	}
}
