package oee

import (
	"fmt"
	"math/bits"
	"sort"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Stop is an interval a cell did not make good product, as the book records it.
type Stop struct {
	ID int64
	// NoWork is true for a stop of a cell with nothing in its queue: not planned production time.
	NoWork bool
	Start  time.Time
	// End is zero while the stop lasts.
	End time.Time
	// Reason is the code of the stop's reason, "" while none is given.
	Reason string
}

// length is the stop's whole length, until now while it lasts.
func (s Stop) length(now time.Time) time.Duration { return s.end(now).Sub(s.Start) }

func (s Stop) end(now time.Time) time.Time {
	if s.End.IsZero() {
		return now
	}
	return s.End
}

// Count is units the book recorded at a moment at a cell: a machine's progress, a person's
// completion, a scrap.
type Count struct {
	Cell      string
	Operation int64
	At        time.Time
	Done      int
	Scrapped  int
}

// Operation is what OEE and first-pass yield need of an operation.
type Operation struct {
	ID       int64
	Cell     string
	SKU      string
	UnitTime time.Duration
	// Rework is true for a rework operation: none of its units is good.
	Rework bool
	// Failed is true when the operation's check failed (it has a non-conformance), whatever
	// the decision.
	Failed bool
	// GoodBefore is true when the operation had a good unit before the first of the counts given:
	// a scrap after it is a production reject, not a start-up one.
	GoodBefore bool
	// Ended is when the operation completed or was scrapped, zero while it is open.
	Ended time.Time
	// Done and Scrapped are the operation's units in all (first-pass yield).
	Done, Scrapped int
}

// Cell is one cell of a report: its working hours (nil: always) and its stops.
type Cell struct {
	ID    string
	Hours *configs.Hours
	Stops []Stop
}

// Input is what Compute reads.
type Input struct {
	// From and To are the window; Now is the moment of the report: nothing after it counts yet.
	From, To, Now time.Time
	By            By
	// Location is the factory's time zone (UTC when nil).
	Location *time.Location
	Stops    configs.Stops
	Cells    []Cell
	// Counts are the units counted at the cells, in any order; a count of a cell not in Cells is
	// left out, but still decides its operation's first good unit.
	Counts []Count
	// Operations holds every operation a count names.
	Operations map[int64]Operation
}

// Figures are a cell's (or the total's) OEE over one bucket or a whole window.
type Figures struct {
	Working  time.Duration `json:"working"`
	Excluded time.Duration `json:"excluded"`
	Planned  time.Duration `json:"planned"`
	// The six big losses as time.
	Breakdowns        time.Duration `json:"breakdowns"`
	Setup             time.Duration `json:"setup"`
	Run               time.Duration `json:"run"`
	SmallStops        time.Duration `json:"small_stops"`
	ReducedSpeed      time.Duration `json:"reduced_speed"`
	Ideal             time.Duration `json:"ideal"`
	NetRun            time.Duration `json:"net_run"`
	StartupRejects    time.Duration `json:"startup_rejects"`
	ProductionRejects time.Duration `json:"production_rejects"`
	FullyProductive   time.Duration `json:"fully_productive"`
	// Units: good, in all, and the rejects by kind.
	Good                  int `json:"good"`
	Total                 int `json:"total"`
	StartupRejectUnits    int `json:"startup_reject_units"`
	ProductionRejectUnits int `json:"production_reject_units"`
	// The factors, 0 to 1.
	Availability float64 `json:"availability"`
	Performance  float64 `json:"performance"`
	Quality      float64 `json:"quality"`
	OEE          float64 `json:"oee"`
}

// Loss returns the time of one of the six big losses.
func (f Figures) Loss(l configs.Loss) time.Duration {
	switch l {
	case configs.LossBreakdowns:
		return f.Breakdowns
	case configs.LossSetup:
		return f.Setup
	case configs.LossSmallStops:
		return f.SmallStops
	case configs.LossReducedSpeed:
		return f.ReducedSpeed
	case configs.LossStartupRejects:
		return f.StartupRejects
	case configs.LossProductionRejects:
		return f.ProductionRejects
	case configs.LossNone:
		return f.Excluded
	}
	return 0
}

// Step is one bar of a waterfall: a level (what is left) or a loss taken from it.
type Step struct {
	Name string        `json:"name"`
	Loss bool          `json:"loss"`
	Time time.Duration `json:"time"`
}

// Waterfall returns the figures as the waterfall from working time to fully productive time.
func (f Figures) Waterfall() []Step {
	return []Step{
		{Name: "working", Time: f.Working},
		{Name: "excluded", Loss: true, Time: f.Excluded},
		{Name: "planned", Time: f.Planned},
		{Name: string(configs.LossBreakdowns), Loss: true, Time: f.Breakdowns},
		{Name: string(configs.LossSetup), Loss: true, Time: f.Setup},
		{Name: "run", Time: f.Run},
		{Name: string(configs.LossSmallStops), Loss: true, Time: f.SmallStops},
		{Name: string(configs.LossReducedSpeed), Loss: true, Time: f.ReducedSpeed},
		{Name: "net-run", Time: f.NetRun},
		{Name: string(configs.LossStartupRejects), Loss: true, Time: f.StartupRejects},
		{Name: string(configs.LossProductionRejects), Loss: true, Time: f.ProductionRejects},
		{Name: "fully-productive", Time: f.FullyProductive},
	}
}

// Add adds o's durations and counts to f and takes the factors from the sums.
func (f *Figures) Add(o Figures) {
	f.Working += o.Working
	f.Excluded += o.Excluded
	f.Planned += o.Planned
	f.Breakdowns += o.Breakdowns
	f.Setup += o.Setup
	f.Run += o.Run
	f.SmallStops += o.SmallStops
	f.ReducedSpeed += o.ReducedSpeed
	f.Ideal += o.Ideal
	f.NetRun += o.NetRun
	f.StartupRejects += o.StartupRejects
	f.ProductionRejects += o.ProductionRejects
	f.FullyProductive += o.FullyProductive
	f.Good += o.Good
	f.Total += o.Total
	f.StartupRejectUnits += o.StartupRejectUnits
	f.ProductionRejectUnits += o.ProductionRejectUnits
	f.factors()
}

func (f *Figures) factors() {
	f.Availability, f.Performance, f.Quality = ratio(int64(f.Run), int64(f.Planned)), ratio(int64(f.NetRun), int64(f.Run)), ratio(int64(f.Good), int64(f.Total))
	f.OEE = f.Availability * f.Performance * f.Quality
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// CellReport is one cell's figures per bucket (in the order of Report.Buckets) and over the window.
type CellReport struct {
	Cell    string    `json:"cell"`
	Buckets []Figures `json:"buckets"`
	Total   Figures   `json:"total"`
}

// Report is OEE over a window: per cell per bucket, and the totals over the cells.
type Report struct {
	From    time.Time    `json:"from"`
	To      time.Time    `json:"to"`
	By      By           `json:"by"`
	Buckets []Bucket     `json:"buckets"`
	Cells   []CellReport `json:"cells"`
	// Totals are the sums over the cells per bucket; Total over the window.
	Totals []Figures `json:"totals"`
	Total  Figures   `json:"total"`
}

// Compute returns the report of in (see the package doc for the definitions).
func Compute(in Input) (Report, error) {
	buckets, err := Buckets(in.From, in.To, in.By, in.Location, in.Stops.Shifts)
	if err != nil {
		return Report{}, err
	}
	rep := Report{From: in.From, To: in.To, By: in.By, Buckets: buckets, Totals: make([]Figures, len(buckets))}
	units := classify(in.Counts, in.Operations)
	for _, c := range in.Cells {
		cr := CellReport{Cell: c.ID, Buckets: make([]Figures, len(buckets))}
		cs := newCellStops(c.Stops, in.Now)
		cu := units[c.ID]
		for i, b := range buckets {
			f := cellBucket(in, c, cs, cu, b)
			cr.Buckets[i] = f
			cr.Total.Add(f)
			rep.Totals[i].Add(f)
			rep.Total.Add(f)
		}
		rep.Cells = append(rep.Cells, cr)
	}
	return rep, nil
}

// span is the part of a bucket measured: within the window and up to now.
func span(in Input, b Bucket) (time.Time, time.Time) {
	start, end := b.Start, b.End
	if in.From.After(start) {
		start = in.From
	}
	if in.To.Before(end) {
		end = in.To
	}
	if !in.Now.IsZero() && in.Now.Before(end) {
		end = in.Now
	}
	return start, end
}

// windows returns the working windows of hours within [start, end).
func windows(h *configs.Hours, start, end time.Time) [][2]time.Time {
	if !start.Before(end) {
		return nil
	}
	if h == nil {
		return [][2]time.Time{{start, end}}
	}
	return h.Windows(start, end)
}

// clipped is the time of [a, b) within the windows, which are in order and apart: the first
// that ends after a is found by a binary search, and those that start at b or later are not
// looked at (a year's windows are 250 a cell).
func clipped(a, b time.Time, ws [][2]time.Time) time.Duration {
	var d time.Duration
	i := sort.Search(len(ws), func(i int) bool { return ws[i][1].After(a) })
	for _, w := range ws[i:] {
		if !w[0].Before(b) {
			break
		}
		s, e := w[0], w[1]
		if a.After(s) {
			s = a
		}
		if b.Before(e) {
			e = b
		}
		if s.Before(e) {
			d += e.Sub(s)
		}
	}
	return d
}

// cellStops are a cell's stops by start, with the latest end so far, so that the stops
// overlapping an interval are found by a binary search.
type cellStops struct {
	stops  []Stop
	maxEnd []time.Time
}

func newCellStops(stops []Stop, now time.Time) cellStops {
	s := append([]Stop(nil), stops...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	m := make([]time.Time, len(s))
	for i, st := range s {
		m[i] = st.end(now)
		if i > 0 && m[i-1].After(m[i]) {
			m[i] = m[i-1]
		}
	}
	return cellStops{stops: s, maxEnd: m}
}

// overlapping calls f for every stop overlapping [a, b).
func (cs cellStops) overlapping(a, b time.Time, f func(Stop)) {
	i := sort.Search(len(cs.maxEnd), func(i int) bool { return cs.maxEnd[i].After(a) })
	for ; i < len(cs.stops) && cs.stops[i].Start.Before(b); i++ {
		f(cs.stops[i])
	}
}

// unit is a count classified: its units good and rejected by kind, and their ideal times.
type unit struct {
	At                                   time.Time
	Good, Startup, Production            int
	Ideal, IdealStartup, IdealProduction time.Duration
}

// classify sorts the counts by time and tells each unit's kind, per cell.
func classify(counts []Count, ops map[int64]Operation) map[string][]unit {
	cs := append([]Count(nil), counts...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].At.Before(cs[j].At) })
	goodSeen := map[int64]bool{}
	n := map[string]int{}
	for _, c := range cs {
		n[c.Cell]++
	}
	out := make(map[string][]unit, len(n))
	for cell, k := range n {
		out[cell] = make([]unit, 0, k)
	}
	for _, c := range cs {
		op := ops[c.Operation]
		seen := goodSeen[c.Operation] || op.GoodBefore
		u := unit{At: c.At}
		if seen {
			u.Production += c.Scrapped
		} else {
			u.Startup += c.Scrapped
		}
		if op.Rework || op.Failed {
			u.Production += c.Done
		} else {
			u.Good += c.Done
			if c.Done > 0 {
				goodSeen[c.Operation] = true
			}
		}
		u.Ideal = op.UnitTime * time.Duration(c.Done+c.Scrapped)
		u.IdealStartup = op.UnitTime * time.Duration(u.Startup)
		u.IdealProduction = op.UnitTime * time.Duration(u.Production)
		out[c.Cell] = append(out[c.Cell], u)
	}
	return out
}

func cellBucket(in Input, c Cell, cs cellStops, units []unit, b Bucket) Figures {
	var f Figures
	start, end := span(in, b)
	if !start.Before(end) {
		return f
	}
	ws := windows(c.Hours, start, end)
	for _, w := range ws {
		f.Working += w[1].Sub(w[0])
	}
	var small time.Duration
	cs.overlapping(start, end, func(s Stop) {
		t := clipped(s.Start, s.end(in.Now), ws)
		if t == 0 {
			return
		}
		r, known := in.Stops.StopReason(s.Reason)
		switch {
		case s.NoWork || (known && r.Loss == configs.LossNone):
			f.Excluded += t
		case s.length(in.Now) < in.Stops.Prompt:
			small += t
		case known && r.Loss == configs.LossSetup:
			f.Setup += t
		default:
			f.Breakdowns += t
		}
	})
	f.Planned = f.Working - f.Excluded
	f.Run = f.Planned - f.Breakdowns - f.Setup
	var idealStartup, idealProduction time.Duration
	lo := sort.Search(len(units), func(i int) bool { return !units[i].At.Before(start) })
	for _, u := range units[lo:] {
		if !u.At.Before(end) {
			break
		}
		f.Good += u.Good
		f.StartupRejectUnits += u.Startup
		f.ProductionRejectUnits += u.Production
		f.Ideal += u.Ideal
		idealStartup += u.IdealStartup
		idealProduction += u.IdealProduction
	}
	f.Total = f.Good + f.StartupRejectUnits + f.ProductionRejectUnits
	f.NetRun = min(f.Ideal, f.Run)
	if f.NetRun < 0 {
		f.NetRun = 0
	}
	perf := f.Run - f.NetRun
	f.SmallStops = min(small, perf)
	f.ReducedSpeed = perf - f.SmallStops
	if f.Total > 0 {
		f.FullyProductive = mulDiv(f.NetRun, int64(f.Good), int64(f.Total))
	}
	rejects := f.NetRun - f.FullyProductive
	switch {
	case idealStartup+idealProduction > 0:
		f.StartupRejects = mulDiv(rejects, int64(idealStartup), int64(idealStartup+idealProduction))
	case f.StartupRejectUnits+f.ProductionRejectUnits > 0:
		f.StartupRejects = mulDiv(rejects, int64(f.StartupRejectUnits), int64(f.StartupRejectUnits+f.ProductionRejectUnits))
	}
	f.ProductionRejects = rejects - f.StartupRejects
	f.factors()
	return f
}

// mulDiv is d x a / b, exact in 128 bits and rounded down; d, a and b are not negative and
// a <= b.
func mulDiv(d time.Duration, a, b int64) time.Duration {
	if d <= 0 || a <= 0 || b <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(d), uint64(a))
	q, _ := bits.Div64(hi, lo, uint64(b))
	return time.Duration(q)
}

// String is the figures in a line, for test failures and logs.
func (f Figures) String() string {
	return fmt.Sprintf("W %v E %v P %v bd %v su %v R %v ss %v rs %v I %v net %v sr %v pr %v fp %v G %d T %d sru %d pru %d A %.4f Pf %.4f Q %.4f OEE %.4f",
		f.Working, f.Excluded, f.Planned, f.Breakdowns, f.Setup, f.Run, f.SmallStops, f.ReducedSpeed, f.Ideal, f.NetRun,
		f.StartupRejects, f.ProductionRejects, f.FullyProductive, f.Good, f.Total, f.StartupRejectUnits, f.ProductionRejectUnits,
		f.Availability, f.Performance, f.Quality, f.OEE)
}
