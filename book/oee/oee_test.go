package oee

import (
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// at is 7 December 2026 (a Monday) at hh:mm:ss UTC, days later.
func at(days, h, m, s int) time.Time {
	return time.Date(2026, 12, 7+days, h, m, s, 0, time.UTC)
}

func sec(n int64) time.Duration { return time.Duration(n) * time.Second }

// weekdays8to16 are working hours from 08:00 to 16:00, Monday to Friday, in UTC.
func weekdays8to16() *configs.Hours {
	h := &configs.Hours{Location: time.UTC, Open: 8 * time.Hour, Close: 16 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = true
	}
	return h
}

func approx(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

// check compares every duration and count of got with want, and the factors with the ratios
// want's durations give.
func check(t *testing.T, what string, got, want Figures) {
	t.Helper()
	want.factors()
	if got.Working != want.Working || got.Excluded != want.Excluded || got.Planned != want.Planned ||
		got.Breakdowns != want.Breakdowns || got.Setup != want.Setup || got.Run != want.Run ||
		got.SmallStops != want.SmallStops || got.ReducedSpeed != want.ReducedSpeed || got.Ideal != want.Ideal ||
		got.NetRun != want.NetRun || got.StartupRejects != want.StartupRejects || got.ProductionRejects != want.ProductionRejects ||
		got.FullyProductive != want.FullyProductive || got.Good != want.Good || got.Total != want.Total ||
		got.StartupRejectUnits != want.StartupRejectUnits || got.ProductionRejectUnits != want.ProductionRejectUnits ||
		!approx(got.Availability, want.Availability) || !approx(got.Performance, want.Performance) ||
		!approx(got.Quality, want.Quality) || !approx(got.OEE, want.OEE) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestCompute(t *testing.T) {
	cfg := configs.DefaultStops() // prompt 2m; break: loss none; changeover: set-up; breakdown
	ops := map[int64]Operation{
		1: {ID: 1, UnitTime: 60 * time.Second},
		2: {ID: 2, UnitTime: 120 * time.Second, Rework: true},
		3: {ID: 3, UnitTime: 30 * time.Second, Failed: true},
		4: {ID: 4, UnitTime: 10 * time.Second, GoodBefore: true},
		5: {ID: 5, UnitTime: 100 * time.Second},
	}
	tests := []struct {
		name   string
		in     Input
		want   []Figures // per bucket of the one cell
		fig    func(Figures) float64
		factor float64
	}{
		{
			// Monday, working 08:00-16:00: W = 28,800 s.
			//  07:50-08:10 no reason, 20 min: breakdown, clipped to 08:00-08:10 = 600 s.
			//  10:00-10:15 break (loss none): excluded 900 s.
			//  11:00:00-11:01:59, 119 s, no reason, just under Prompt: small stop 119 s.
			//  11:30-11:32, 120 s, changeover, just at Prompt: set-up 120 s.
			//  12:00-12:30 no-work: excluded 1,800 s.
			//  15:50-16:20 breakdown: clipped to 15:50-16:00 = 600 s.
			// E = 2,700; P = 26,100; breakdowns 1,200; set-up 120; R = 24,780.
			// Units: op 1 (60 s): 09:00 2 scrapped (start-up: before its first good unit), 09:30
			// 300 done, 10:30 1 scrapped (production), 13:00 50 done; op 2, rework (120 s): 14:00
			// 10 done (production); op 3, check failed (30 s): 14:30 20 done (production).
			// T = 383, G = 350, start-up 2, production 31.
			// I = 60 x 353 + 120 x 10 + 30 x 20 = 22,980; net = min(I, R) = 22,980; performance
			// loss 1,800: small stops 119, reduced speed 1,681.
			// Fully productive = net x G / T = 22,980 x 350 / 383 = 21,000; rejects 1,980 split by
			// ideal time, start-up 120 : production 60 + 1,200 + 600 = 1,860: 120 and 1,860.
			name: "a working day with every kind of stop and reject",
			in: Input{
				From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(1, 12, 0, 0), By: ByDay, Stops: cfg,
				Cells: []Cell{{ID: "c", Hours: weekdays8to16(), Stops: []Stop{
					{Start: at(0, 7, 50, 0), End: at(0, 8, 10, 0)},
					{Start: at(0, 10, 0, 0), End: at(0, 10, 15, 0), Reason: "break"},
					{Start: at(0, 11, 0, 0), End: at(0, 11, 1, 59)},
					{Start: at(0, 11, 30, 0), End: at(0, 11, 32, 0), Reason: "changeover"},
					{Start: at(0, 12, 0, 0), End: at(0, 12, 30, 0), NoWork: true},
					{Start: at(0, 15, 50, 0), End: at(0, 16, 20, 0), Reason: "breakdown"},
				}}},
				Counts: []Count{
					{Cell: "c", Operation: 1, At: at(0, 13, 0, 0), Done: 50},
					{Cell: "c", Operation: 1, At: at(0, 9, 0, 0), Scrapped: 2},
					{Cell: "c", Operation: 1, At: at(0, 9, 30, 0), Done: 300},
					{Cell: "c", Operation: 1, At: at(0, 10, 30, 0), Scrapped: 1},
					{Cell: "c", Operation: 2, At: at(0, 14, 0, 0), Done: 10},
					{Cell: "c", Operation: 3, At: at(0, 14, 30, 0), Done: 20},
					{Cell: "other", Operation: 1, At: at(0, 9, 10, 0), Done: 1000},
				},
				Operations: ops,
			},
			want: []Figures{{
				Working: sec(28800), Excluded: sec(2700), Planned: sec(26100), Breakdowns: sec(1200), Setup: sec(120),
				Run: sec(24780), SmallStops: sec(119), ReducedSpeed: sec(1681), Ideal: sec(22980), NetRun: sec(22980),
				StartupRejects: sec(120), ProductionRejects: sec(1860), FullyProductive: sec(21000),
				Good: 350, Total: 383, StartupRejectUnits: 2, ProductionRejectUnits: 31,
			}},
			// OEE = 21,000 / 26,100.
			fig: func(f Figures) float64 { return f.OEE }, factor: 21000.0 / 26100,
		},
		{
			// Tuesday, now 12:00: W = 08:00-12:00 = 14,400; a stop open since 11:00 with no reason
			// counts until now: breakdowns 3,600; R = 10,800; no units: I = 0, reduced speed 10,800,
			// Q = 0 ("no units").
			name: "an open stop, the day measured up to now, no units",
			in: Input{
				From: at(1, 0, 0, 0), To: at(2, 0, 0, 0), Now: at(1, 12, 0, 0), By: ByDay, Stops: cfg,
				Cells: []Cell{{ID: "c", Hours: weekdays8to16(), Stops: []Stop{{Start: at(1, 11, 0, 0)}}}},
			},
			want: []Figures{{
				Working: sec(14400), Planned: sec(14400), Breakdowns: sec(3600), Run: sec(10800), ReducedSpeed: sec(10800),
			}},
			fig: func(f Figures) float64 { return f.Availability }, factor: 0.75,
		},
		{
			// Shifts early 06-14, late 14-22, night 22-06, no hours. Window Monday 06:00-22:00, now
			// after. 13:50-14:10 breakdown: 600 s in each shift. 13:59-14:02, 3 min with no reason:
			// its whole length decides, so both parts (60 s and 120 s) are breakdowns though each
			// is under Prompt. 21:00-23:00 changeover: 3,600 s in late, the night outside the window.
			// Early: W 28,800, bd 660, R 28,140; late: W 28,800, bd 720, set-up 3,600, R 24,480.
			// Units: op 5 (100 s) 13:00 10 done, 14:30 20 done: early I = 1,000, late I = 2,000.
			name: "stops crossing the edge of a shift",
			in: Input{
				From: at(0, 6, 0, 0), To: at(0, 22, 0, 0), Now: at(3, 0, 0, 0), By: ByShift,
				Stops: func() configs.Stops {
					s := configs.DefaultStops()
					s.Shifts = []configs.Shift{{Name: "early", Start: 6 * time.Hour}, {Name: "late", Start: 14 * time.Hour}, {Name: "night", Start: 22 * time.Hour}}
					return s
				}(),
				Cells: []Cell{{ID: "c", Stops: []Stop{
					{Start: at(0, 13, 50, 0), End: at(0, 13, 58, 0), Reason: "breakdown"},
					{Start: at(0, 13, 59, 0), End: at(0, 14, 2, 0)},
					{Start: at(0, 14, 2, 0), End: at(0, 14, 10, 0), Reason: "breakdown"},
					{Start: at(0, 21, 0, 0), End: at(0, 23, 0, 0), Reason: "changeover"},
				}}},
				Counts:     []Count{{Cell: "c", Operation: 5, At: at(0, 13, 0, 0), Done: 10}, {Cell: "c", Operation: 5, At: at(0, 14, 30, 0), Done: 20}},
				Operations: ops,
			},
			// 13:50-13:58 480 + 13:59-14:00 60 = 540 in early; 14:00-14:02 120 + 14:02-14:10 480 = 600 in late.
			want: []Figures{
				{Working: sec(28800), Planned: sec(28800), Breakdowns: sec(540), Run: sec(28260), ReducedSpeed: sec(27260),
					Ideal: sec(1000), NetRun: sec(1000), FullyProductive: sec(1000), Good: 10, Total: 10},
				{Working: sec(28800), Planned: sec(28800), Breakdowns: sec(600), Setup: sec(3600), Run: sec(24600), ReducedSpeed: sec(22600),
					Ideal: sec(2000), NetRun: sec(2000), FullyProductive: sec(2000), Good: 20, Total: 20},
			},
			fig: func(f Figures) float64 { return f.Quality }, factor: 1,
		},
		{
			// 08:00-16:00, a breakdown all day: R = 0, so Pf = 0 though 5 units were made (I 500).
			name: "no run time",
			in: Input{
				From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(2, 0, 0, 0), By: ByDay, Stops: cfg,
				Cells:      []Cell{{ID: "c", Hours: weekdays8to16(), Stops: []Stop{{Start: at(0, 7, 0, 0), End: at(0, 17, 0, 0), Reason: "breakdown"}}}},
				Counts:     []Count{{Cell: "c", Operation: 5, At: at(0, 9, 0, 0), Done: 5}},
				Operations: ops,
			},
			want: []Figures{{Working: sec(28800), Planned: sec(28800), Breakdowns: sec(28800), Ideal: sec(500), Good: 5, Total: 5}},
			fig:  func(f Figures) float64 { return f.Performance }, factor: 0,
		},
		{
			// No work all day: P = 0, A = 0.
			name: "no work",
			in: Input{
				From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(2, 0, 0, 0), By: ByDay, Stops: cfg,
				Cells: []Cell{{ID: "c", Hours: weekdays8to16(), Stops: []Stop{{Start: at(0, 8, 0, 0), End: at(0, 16, 0, 0), NoWork: true}}}},
			},
			want: []Figures{{Working: sec(28800), Excluded: sec(28800)}},
			fig:  func(f Figures) float64 { return f.Availability }, factor: 0,
		},
		{
			// 08:00-16:00, no stop: R = 28,800. Op 5 (100 s): 400 units done, I = 40,000 > R:
			// performance capped at 1, net = 28,800, no performance loss. A small stop of 60 s
			// would count only up to the loss: here it is 60 s of R, and the loss still 0.
			name: "performance above 100 % capped",
			in: Input{
				From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(2, 0, 0, 0), By: ByDay, Stops: cfg,
				Cells:      []Cell{{ID: "c", Hours: weekdays8to16(), Stops: []Stop{{Start: at(0, 9, 0, 0), End: at(0, 9, 1, 0)}}}},
				Counts:     []Count{{Cell: "c", Operation: 5, At: at(0, 10, 0, 0), Done: 400}},
				Operations: ops,
			},
			want: []Figures{{Working: sec(28800), Planned: sec(28800), Run: sec(28800), Ideal: sec(40000), NetRun: sec(28800),
				FullyProductive: sec(28800), Good: 400, Total: 400}},
			fig: func(f Figures) float64 { return f.Performance }, factor: 1,
		},
		{
			// Op 4 (10 s) had a good unit before the window: its first scrap (3) is a production
			// reject; op 1 scraps 4 then makes 100, scraps 1 in the same count as 10 done (the
			// scrap first: after the 100, production). Around the clock, the day: W = R = 86,400.
			// T = 3 + 4 + 100 + 1 + 10 = 118, G = 110, start-up 4, production 4.
			// I = 10 x 3 + 60 x 115 = 6,930 = net. FP = 6,930 x 110 / 118 = 762,300 / 118 =
			// 6,460.169... s, rounded down to the nanosecond: 6,460,169,491,525 ns. Rejects 469.830...:
			// ideal start-up 240, production 30 + 60 = 90: start-up = rejects x 240 / 330.
			name: "scrap before and after the first good unit",
			in: Input{
				From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(2, 0, 0, 0), By: ByDay, Stops: cfg,
				Cells: []Cell{{ID: "c"}},
				Counts: []Count{
					{Cell: "c", Operation: 4, At: at(0, 9, 0, 0), Scrapped: 3},
					{Cell: "c", Operation: 1, At: at(0, 9, 0, 0), Scrapped: 4},
					{Cell: "c", Operation: 1, At: at(0, 10, 0, 0), Done: 100},
					{Cell: "c", Operation: 1, At: at(0, 11, 0, 0), Done: 10, Scrapped: 1},
				},
				Operations: ops,
			},
			want: []Figures{{Working: sec(86400), Planned: sec(86400), Run: sec(86400), ReducedSpeed: sec(86400 - 6930),
				Ideal: sec(6930), NetRun: sec(6930), FullyProductive: 6460169491525,
				StartupRejects: (sec(6930) - 6460169491525) * 240 / 330, ProductionRejects: sec(6930) - 6460169491525 - (sec(6930)-6460169491525)*240/330,
				Good: 110, Total: 118, StartupRejectUnits: 4, ProductionRejectUnits: 4}},
			fig: func(f Figures) float64 { return f.Quality }, factor: 110.0 / 118,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Compute(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Cells) != 1 || len(rep.Cells[0].Buckets) != len(tc.want) {
				t.Fatalf("got %d cells, %v; want one with %d buckets", len(rep.Cells), rep.Cells, len(tc.want))
			}
			var total Figures
			for i, w := range tc.want {
				check(t, "bucket "+rep.Buckets[i].Start.String(), rep.Cells[0].Buckets[i], w)
				total.Add(w)
			}
			check(t, "cell total", rep.Cells[0].Total, total)
			check(t, "total", rep.Total, total)
			if got := tc.fig(rep.Cells[0].Buckets[0]); !approx(got, tc.factor) {
				t.Errorf("factor of the first bucket: %v, want %v", got, tc.factor)
			}
			for _, f := range rep.Cells[0].Buckets {
				// The waterfall closes: net run time minus the rejects is OEE x P.
				if f.NetRun-f.StartupRejects-f.ProductionRejects != f.FullyProductive ||
					f.Planned-f.Breakdowns-f.Setup != f.Run || f.Run-f.SmallStops-f.ReducedSpeed != f.NetRun {
					t.Errorf("the waterfall does not close: %v", f)
				}
				if fp := f.OEE * f.Planned.Seconds(); fp-f.FullyProductive.Seconds() > 1e-6 || f.FullyProductive.Seconds()-fp > 1e-6 {
					t.Errorf("OEE x P = %v s, fully productive %v", fp, f.FullyProductive)
				}
			}
		})
	}
}

func TestComputeTotalsOverCells(t *testing.T) {
	// Two cells around the clock on Monday, no stops. a: op 5 (100 s) 432 units, I = 43,200,
	// Pf 0.5; b: a breakdown 00:00-12:00 (R 43,200), 432 units: Pf 1. Total: P = 172,800, R =
	// 129,600, net = 43,200 + 43,200 = 86,400: A = 0.75, Pf = 86,400 / 129,600, Q = 1, OEE = 0.5.
	in := Input{
		From: at(0, 0, 0, 0), To: at(1, 0, 0, 0), Now: at(2, 0, 0, 0), By: ByDay, Stops: configs.DefaultStops(),
		Cells: []Cell{{ID: "a"}, {ID: "b", Stops: []Stop{{Start: at(0, 0, 0, 0), End: at(0, 12, 0, 0), Reason: "breakdown"}}}},
		Counts: []Count{
			{Cell: "a", Operation: 5, At: at(0, 12, 0, 0), Done: 432},
			{Cell: "b", Operation: 6, At: at(0, 13, 0, 0), Done: 432},
		},
		Operations: map[int64]Operation{5: {UnitTime: 100 * time.Second}, 6: {UnitTime: 100 * time.Second}},
	}
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Total
	if got.Planned != sec(172800) || got.Run != sec(129600) || got.NetRun != sec(86400) || !approx(got.Availability, 0.75) ||
		!approx(got.Performance, 86400.0/129600) || !approx(got.Quality, 1) || !approx(got.OEE, 0.5) || got.Good != 864 {
		t.Errorf("total %v", got)
	}
	if len(rep.Totals) != 1 || rep.Totals[0] != rep.Total {
		t.Errorf("totals per bucket %v, want the one day's %v", rep.Totals, rep.Total)
	}
	if rep.Cells[0].Total.Performance != 0.5 || rep.Cells[1].Total.Performance != 1 {
		t.Errorf("cells' performance %v and %v, want 0.5 and 1", rep.Cells[0].Total.Performance, rep.Cells[1].Total.Performance)
	}
}
