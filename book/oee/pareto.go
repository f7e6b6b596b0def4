package oee

import (
	"sort"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// The codes the Pareto gives stops with no reason.
const (
	// Awaiting: the stop lasts, or ended less than ReasonWindow ago: a person may still say why.
	Awaiting = "awaiting"
	// NotGiven: the window closed with no reason.
	NotGiven = "not-given"
)

// ParetoEntry is one reason of a Pareto of stops.
type ParetoEntry struct {
	Reason  string        `json:"reason"`
	Label   string        `json:"label"`
	Planned bool          `json:"planned"`
	Loss    configs.Loss  `json:"loss,omitempty"`
	Count   int           `json:"count"`
	Time    time.Duration `json:"time"`
	Minutes float64       `json:"minutes"`
	// Cumulative is the percent of all the Pareto's time this entry and those before it hold.
	Cumulative float64 `json:"cumulative"`
}

// Pareto returns the stops of cells that are not no-work and at least cfg.Prompt long, clipped
// to [from, min(to, now)) and to each cell's working hours, by reason, most time first (then by
// code), with the cumulative percent. A stop left with no time once clipped is not counted.
func Pareto(cells []Cell, from, to, now time.Time, cfg configs.Stops) []ParetoEntry {
	end := to
	if !now.IsZero() && now.Before(end) {
		end = now
	}
	by := map[string]*ParetoEntry{}
	var total time.Duration
	for _, c := range cells {
		ws := windows(c.Hours, from, end)
		cs := newCellStops(c.Stops, now)
		cs.overlapping(from, end, func(s Stop) {
			if s.NoWork || s.length(now) < cfg.Prompt {
				return
			}
			t := clipped(s.Start, s.end(now), ws)
			if t == 0 {
				return
			}
			code := s.Reason
			if code == "" {
				code = NotGiven
				if s.End.IsZero() || now.Sub(s.End) < cfg.ReasonWindow {
					code = Awaiting
				}
			}
			e := by[code]
			if e == nil {
				e = &ParetoEntry{Reason: code, Label: code, Loss: configs.LossBreakdowns}
				switch r, ok := cfg.StopReason(code); {
				case ok:
					e.Label, e.Planned, e.Loss = r.Label, r.Planned, r.Loss
				case code == Awaiting:
					e.Label = "Awaiting a reason"
				case code == NotGiven:
					e.Label = "Not given"
				}
				by[code] = e
			}
			e.Count++
			e.Time += t
			total += t
		})
	}
	out := make([]ParetoEntry, 0, len(by))
	for _, e := range by {
		e.Minutes = e.Time.Minutes()
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time > out[j].Time
		}
		return out[i].Reason < out[j].Reason
	})
	var cum time.Duration
	for i := range out {
		cum += out[i].Time
		out[i].Cumulative = 100 * ratio(int64(cum), int64(total))
	}
	return out
}

// Yield is the first-pass yield of a SKU or a cell.
type Yield struct {
	// Key is the SKU or the cell.
	Key string `json:"key"`
	// FirstPass is the units done at operations whose check did not fail; Total the units done
	// and scrapped.
	FirstPass int     `json:"first_pass"`
	Total     int     `json:"total"`
	Yield     float64 `json:"yield"`
}

// FirstPassYield returns the first-pass yield by SKU (bySKU) or by cell of the operations ended
// in [from, to), rework operations left out, by key.
func FirstPassYield(ops []Operation, from, to time.Time, bySKU bool) []Yield {
	by := map[string]*Yield{}
	for _, op := range ops {
		if op.Rework || op.Ended.IsZero() || op.Ended.Before(from) || !op.Ended.Before(to) {
			continue
		}
		key := op.Cell
		if bySKU {
			key = op.SKU
		}
		y := by[key]
		if y == nil {
			y = &Yield{Key: key}
			by[key] = y
		}
		if !op.Failed {
			y.FirstPass += op.Done
		}
		y.Total += op.Done + op.Scrapped
	}
	out := make([]Yield, 0, len(by))
	for _, y := range by {
		y.Yield = ratio(int64(y.FirstPass), int64(y.Total))
		out = append(out, *y)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
