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

// TestOEETelemetry: each cell's OEE over the current shift and today is published on
// cellforge/v1/<site>/oee/<cell> at the first step and then every OEEEvery steps, with a
// breakdown of 10 minutes at 08:00 on a Monday counted in the early shift (from 06:00) and the
// day (from midnight).
func TestOEETelemetry(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,1\n")
	b.Factory().Stops.Shifts = []configs.Shift{{Name: "night", Start: 0}, {Name: "early", Start: 6 * time.Hour}, {Name: "late", Start: 14 * time.Hour}}
	if _, err := b.TrackStop(ctx, "weave-1", book.StopCondition{Kind: book.StopFault, Reason: "breakdown"}); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Minute)
	if _, err := b.TrackStop(ctx, "weave-1", book.StopCondition{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Minute) // 08:15
	rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
	col := collect.New(collect.Config{Site: "s", Book: b, Publisher: rec, Cells: []string{"weave-1", "pack-1"}, Now: c.Now, OEEEvery: 2})
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := col.Step(ctx); err != nil {
			t.Fatal(err)
		}
		c.Advance(5 * time.Second)
	}
	const topic = "cellforge/v1/s/oee/weave-1"
	pts := rec.points[topic]
	if len(pts) != 2 || len(rec.points["cellforge/v1/s/oee/pack-1"]) != 2 {
		t.Fatalf("%d points on %s after 3 steps, every 2, want 2 (topics %v)", len(pts), topic, rec.points)
	}
	if s := rec.series[topic]; s.Kind != telemetry.KindOEE || s.Cell != "weave-1" {
		t.Errorf("series %+v", s)
	}
	f := pts[0].Fields
	for field, want := range map[string]any{
		"shift": "early", "shift_planned_min": 135.0, "shift_breakdowns_min": 10.0, "shift_availability": 125.0 / 135,
		"today_planned_min": 495.0, "today_breakdowns_min": 10.0, "today_availability": 485.0 / 495,
		"today_setup_adjustments_min": 0.0, "shift_oee": 0.0, "today_quality": 0.0,
	} {
		if got, ok := f[field]; !ok || (got != want && !(isFloat(got) && isFloat(want) && near(got.(float64), want.(float64)))) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	if got := pts[1].Time.Sub(pts[0].Time); got != 10*time.Second {
		t.Errorf("points %s apart, want 2 steps of 5s", got)
	}
}

func isFloat(v any) bool { _, ok := v.(float64); return ok }

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
