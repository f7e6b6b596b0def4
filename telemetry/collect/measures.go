package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry"
)

// oeeLosses are the six big losses as the oee points name them.
var oeeLosses = []configs.Loss{configs.LossBreakdowns, configs.LossSetup, configs.LossSmallStops,
	configs.LossReducedSpeed, configs.LossStartupRejects, configs.LossProductionRejects}

// sampleOEE publishes each cell's OEE over the current shift and today, as of now: for each
// period (shift_, today_) availability, performance, quality and OEE as fractions, the planned
// production time and the minutes of each of the six big losses (breakdowns_min,
// setup_adjustments_min, ...), and the shift's name.
func (c *Collector) sampleOEE(ctx context.Context, now time.Time) error {
	from := now.Add(-24 * time.Hour)
	shifts, err := c.cfg.Book.OEE(ctx, book.OEEQuery{From: from, To: now, By: oee.ByShift})
	if err != nil {
		return fmt.Errorf("reading the cells' OEE by shift: %w", err)
	}
	days, err := c.cfg.Book.OEE(ctx, book.OEEQuery{From: from, To: now, By: oee.ByDay})
	if err != nil {
		return fmt.Errorf("reading the cells' OEE by day: %w", err)
	}
	if len(shifts.Buckets) == 0 || len(days.Buckets) == 0 {
		return nil
	}
	shift := shifts.Buckets[len(shifts.Buckets)-1]
	for i, cr := range shifts.Cells {
		if i >= len(days.Cells) || days.Cells[i].Cell != cr.Cell || !slices.Contains(c.cfg.Cells, cr.Cell) {
			continue
		}
		f := map[string]any{}
		put := func(prefix string, fig oee.Figures) {
			f[prefix+"availability"], f[prefix+"performance"], f[prefix+"quality"], f[prefix+"oee"] =
				fig.Availability, fig.Performance, fig.Quality, fig.OEE
			f[prefix+"planned_min"] = fig.Planned.Minutes()
			for _, l := range oeeLosses {
				f[prefix+strings.ReplaceAll(string(l), "-", "_")+"_min"] = fig.Loss(l).Minutes()
			}
		}
		put("shift_", cr.Buckets[len(cr.Buckets)-1])
		put("today_", days.Cells[i].Buckets[len(days.Cells[i].Buckets)-1])
		if shift.Shift != "" {
			f["shift"] = shift.Shift
		}
		c.publish(telemetry.Series{Kind: telemetry.KindOEE, Cell: cr.Cell}, telemetry.Point{Time: now, Fields: f})
	}
	return nil
}

// openStates are the states of a repair not yet handed back, each published as open_<state>.
var openStates = []book.RepairState{book.RepairRequested, book.RepairReceived, book.RepairEstimated,
	book.RepairApproved, book.RepairDeclined, book.RepairExpired, book.RepairReady}

// sampleRepairs publishes the repair measures of the RepairWindow up to now: repair and reuse
// rates with their counts, the turnaround of the repairs that got ready, the estimates approved
// and decided, the revenue approved (in the currency's units) and the repairs open in each
// state.
func (c *Collector) sampleRepairs(ctx context.Context, now time.Time) error {
	m, err := c.cfg.Book.RepairMeasures(ctx, now.Add(-RepairWindow), now)
	if err != nil {
		return fmt.Errorf("reading the repair measures: %w", err)
	}
	f := map[string]any{
		"repair_rate": m.RepairRate, "repaired_units": float64(m.RepairedUnits), "finished_units": float64(m.FinishedUnits),
		"reuse_rate": m.ReuseRate, "plan_customers": float64(m.PlanCustomers), "order_customers": float64(m.OrderCustomers),
		"ready": float64(m.Ready), "turnaround_median_s": m.MedianSeconds, "turnaround_p90_s": m.P90Seconds,
		"approved": float64(m.Approved), "decided": float64(m.Decided), "revenue": float64(m.Revenue) / 100,
	}
	for _, st := range openStates {
		f["open_"+string(st)] = float64(m.States[st])
	}
	c.publish(telemetry.Series{Kind: telemetry.KindRepairs}, telemetry.Point{Time: now, Fields: f})
	return nil
}

// sampleDrops publishes each drop's completed orders (work_orders_done: an order that lost
// units counts once, when the last of its remakes completes and it lacks none) and their
// median and p90 turnaround.
func (c *Collector) sampleDrops(ctx context.Context, now time.Time) error {
	for _, d := range c.cfg.Drops {
		t, err := c.cfg.Book.Turnaround(ctx, d)
		if err != nil {
			return fmt.Errorf("reading drop %s: %w", d, err)
		}
		c.publish(telemetry.Series{Kind: telemetry.KindDrop, Drop: d}, telemetry.Point{Time: now, Fields: map[string]any{
			"work_orders_done": float64(t.Count), "turnaround_median_s": t.MedianSeconds, "turnaround_p90_s": t.P90Seconds,
		}})
	}
	return nil
}
