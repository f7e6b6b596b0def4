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
	sums := ReasonSums{}
	for _, c := range cells {
		sums.AddStops(c, from, end, from, now, cfg)
	}
	return sums.Pareto(cfg)
}

// ReasonSum is the time and the count of stops of one reason in a part of a window.
type ReasonSum struct {
	Time  time.Duration
	Count int
}

// ReasonSums are the stops of a part of a window by reason code (Awaiting and NotGiven for
// those with none): sums of parts add up to the window's Pareto, so that the parts that can no
// longer change can be kept.
type ReasonSums map[string]ReasonSum

// Add adds o to s.
func (s ReasonSums) Add(o ReasonSums) {
	for code, r := range o {
		t := s[code]
		t.Time += r.Time
		t.Count += r.Count
		s[code] = t
	}
}

// AddStops adds the stops of c that count in a Pareto (not no-work, at least cfg.Prompt long)
// clipped to [from, end) and to the cell's working hours. A stop is counted in the part in
// which its first working moment at or after since lies (since zero: since the stop's start),
// so that a stop over several parts is counted once when their sums are added. It returns the
// ids of the stops it counted.
func (s ReasonSums) AddStops(c Cell, from, end, since, now time.Time, cfg configs.Stops) (counted []int64) {
	if !from.Before(end) {
		return nil
	}
	ws := windows(c.Hours, from, end)
	cs := newCellStops(c.Stops, now)
	cs.overlapping(from, end, func(st Stop) {
		if st.NoWork || st.length(now) < cfg.Prompt {
			return
		}
		t := clipped(st.Start, st.end(now), ws)
		if t == 0 {
			return
		}
		code := reasonCode(st, now, cfg)
		r := s[code]
		r.Time += t
		if first := maxTime(st.Start, since); !first.Before(from) || clipped(first, from, windows(c.Hours, first, from)) == 0 {
			r.Count++
			counted = append(counted, st.ID)
		}
		s[code] = r
	})
	return counted
}

// Part is a cell's stops by reason over one part of a window (a day), kept so that the parts
// of a window add up to its Pareto.
type Part struct {
	// Sums holds the part's stops, each counted in the part of its first working moment.
	Sums ReasonSums
	// Carried are the stops with working time in the part whose first working moment is before
	// it: a window that starts after that moment counts them in its first part they work in.
	Carried []Carried
	// Changing is true when some stop over the part lasts or ended after the closed moment:
	// its reason may still be given, so the part is not to be kept.
	Changing bool
}

// Carried is a stop a Part counts in an earlier part.
type Carried struct {
	ID     int64
	Reason string // the code it counts under
	First  time.Time
}

// Parts returns the Part of c over each of parts (in order, not overlapping), the stops sorted
// once for them all; closed is the moment after which a stop's reason may still change.
func Parts(c Cell, parts []Bucket, closed, now time.Time, cfg configs.Stops) []Part {
	out := make([]Part, len(parts))
	cs := newCellStops(c.Stops, now)
	for i, p := range parts {
		part := Part{Sums: ReasonSums{}}
		ws := windows(c.Hours, p.Start, p.End)
		cs.overlapping(p.Start, p.End, func(st Stop) {
			if st.End.IsZero() || st.End.After(closed) {
				part.Changing = true
			}
			if st.NoWork || st.length(now) < cfg.Prompt {
				return
			}
			t := clipped(st.Start, st.end(now), ws)
			if t == 0 {
				return
			}
			code := reasonCode(st, now, cfg)
			r := part.Sums[code]
			r.Time += t
			first, ok := time.Time{}, false
			if st.Start.Before(p.Start) {
				first, ok = firstWorking(c.Hours, st.Start, p.Start)
			}
			if ok {
				part.Carried = append(part.Carried, Carried{ID: st.ID, Reason: code, First: first})
			} else {
				r.Count++
			}
			part.Sums[code] = r
		})
		out[i] = part
	}
	return out
}

// firstWorking returns the first working moment in [a, b), or ok false when there is none.
func firstWorking(h *configs.Hours, a, b time.Time) (time.Time, bool) {
	for _, w := range windows(h, a, b) {
		if w[0].Before(w[1]) {
			return w[0], true
		}
	}
	return time.Time{}, false
}

// reasonCode is the code a stop counts under in a Pareto: its reason's, or Awaiting while a
// person may still give one, NotGiven after.
func reasonCode(s Stop, now time.Time, cfg configs.Stops) string {
	if s.Reason != "" {
		return s.Reason
	}
	if s.End.IsZero() || now.Sub(s.End) < cfg.ReasonWindow {
		return Awaiting
	}
	return NotGiven
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Pareto returns the sums as a Pareto: by reason with its label, most time first (then by
// code), with the cumulative percent. A reason with no stop counted and no time is left out.
func (s ReasonSums) Pareto(cfg configs.Stops) []ParetoEntry {
	out := make([]ParetoEntry, 0, len(s))
	var total time.Duration
	for code, r := range s {
		if r.Time == 0 && r.Count == 0 {
			continue
		}
		e := ParetoEntry{Reason: code, Label: code, Loss: configs.LossBreakdowns, Count: r.Count, Time: r.Time, Minutes: r.Time.Minutes()}
		switch rs, ok := cfg.StopReason(code); {
		case ok:
			e.Label, e.Planned, e.Loss = rs.Label, rs.Planned, rs.Loss
		case code == Awaiting:
			e.Label = "Awaiting a reason"
		case code == NotGiven:
			e.Label = "Not given"
		}
		total += r.Time
		out = append(out, e)
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
