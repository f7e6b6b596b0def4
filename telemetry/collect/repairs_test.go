package collect_test

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/collect"
)

// TestRepairMeasuresTelemetry: a studio that takes repairs publishes its repair measures on
// cellforge/v1/<site>/repairs at the first step and then every RepairsEvery steps; one that
// takes none publishes nothing there.
func TestRepairMeasuresTelemetry(t *testing.T) {
	ctx := context.Background()
	const topic = "cellforge/v1/s/repairs"
	for _, tc := range []struct {
		name    string
		repairs bool
		want    int // points after 4 steps, every 3
	}{
		{name: "a studio that takes repairs", repairs: true, want: 2},
		{name: "no repairs", repairs: false, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, c := newBook(t, "S1,SCARF,1\n")
			b.Factory().Aftercare = &configs.Aftercare{
				EstimateValid: 14 * 24 * time.Hour,
				Currency:      "EUR",
				Diagnosis:     configs.Step{Name: "diagnosis", Capability: "pack", UnitTime: 30 * time.Minute},
				Kinds:         []configs.ItemKind{{ID: "ring", Name: "Ring"}},
			}
			for _, customer := range []string{"Ana", "Rui"} {
				if _, _, err := b.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Item: "silver ring", Kind: "ring",
					Customer: customer, Actor: "ines"}); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
			col := collect.New(collect.Config{Site: "s", Book: b, Publisher: rec, Cells: []string{"pack-1"}, Now: c.Now,
				Repairs: tc.repairs, RepairsEvery: 3})
			if err := col.Prime(ctx); err != nil {
				t.Fatal(err)
			}
			for range 4 {
				if err := col.Step(ctx); err != nil {
					t.Fatal(err)
				}
				c.Advance(5 * time.Second)
			}
			pts := rec.points[topic]
			if len(pts) != tc.want {
				t.Fatalf("%d points on %s after 4 steps, want %d", len(pts), topic, tc.want)
			}
			if tc.want == 0 {
				return
			}
			f := pts[0].Fields
			for field, want := range map[string]float64{"open_received": 2, "open_estimated": 0, "open_requested": 0,
				"decided": 0, "revenue": 0, "repair_rate": 0} {
				if f[field] != want {
					t.Errorf("%s = %v, want %v (fields %v)", field, f[field], want, f)
				}
			}
			if got := pts[1].Time.Sub(pts[0].Time); got != 15*time.Second {
				t.Errorf("points %s apart, want 3 steps of 5s", got)
			}
		})
	}
}
