package chart

import (
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// axisTicks returns the tick labels of a chart's axis ("axis-x" or "axis-y").
func axisTicks(svg *node, axis string) []string {
	var out []string
	for _, g := range svg.all("g", axis) {
		out = append(out, g.texts("tick")...)
	}
	return out
}

// TestTextIsAtLeast12px: every chart is drawn at least as wide as its viewBox, so its text,
// 12 units high and nowhere smaller, is at least 12 px on screen at any page size.
func TestTextIsAtLeast12px(t *testing.T) {
	gantt := func(o Options) template.HTML {
		from, to, rows, markers := gantt5000()
		rows[0].Sub = "a cell id"
		rows[0].Bars[10].Late = true
		return Gantt(o, from, to, from.Add(30*time.Hour), rows[:3], markers)
	}
	charts := []struct {
		name   string
		render func(Options) template.HTML
	}{
		{"lines", func(o Options) template.HTML {
			return Lines(o, []TimeSeries{{Name: "a", Points: hourly(5, func(i int) float64 { return float64(i) })}})
		}},
		{"bars", func(o Options) template.HTML { return Bars(o, []Bar{{Label: "a", Value: 1}, {Label: "b", Value: 3}}) }},
		{"stacked", func(o Options) template.HTML {
			return StackedHBars(o, []string{"x", "y"}, []StackedRow{{Label: "a", Parts: []float64{1, 2}}})
		}},
		{"gantt", gantt},
		{"empty", func(o Options) template.HTML { return Lines(o, nil) }},
	}
	fontRE := regexp.MustCompile(`^[0-9.]+$`)
	for _, c := range charts {
		for _, width := range []int{0, 440, 900} {
			t.Run(fmt.Sprintf("%s %d wide", c.name, width), func(t *testing.T) {
				svg := parseSVG(t, c.render(Options{Width: width, YLabel: "units"}))
				vbw := strings.Fields(svg.attr["viewBox"])[2]
				if want := "min-width: " + vbw + "px"; svg.attr["style"] != want {
					t.Errorf("svg style = %q, want %q: drawn narrower than its viewBox, its text shrinks below %d px", svg.attr["style"], want, fontSize)
				}
				svg.walk(func(n *node) {
					fs, ok := n.attr["font-size"]
					if !ok {
						if n == svg {
							t.Errorf("the svg sets no font size")
						}
						return
					}
					if !fontRE.MatchString(fs) {
						t.Errorf("<%s font-size=%q>: not a size in user units", n.name, fs)
						return
					}
					if v, _ := strconv.ParseFloat(fs, 64); v < 12 {
						t.Errorf("<%s class=%q font-size=%q>: smaller than 12", n.name, n.attr["class"], fs)
					}
				})
			})
		}
	}
}

// TestCountsTickWholeNumbers: a chart of counts has no tick between two whole numbers.
func TestCountsTickWholeNumbers(t *testing.T) {
	one := []Bar{{Label: "<1d", Value: 1}, {Label: "1–2d", Value: 0}}
	tests := []struct {
		name   string
		svg    template.HTML
		axis   string
		counts bool
		want   []string
	}{
		{"one work order", Bars(Options{Counts: true}, one), "axis-y", true, []string{"0", "1"}},
		{"three work orders", Bars(Options{Counts: true}, []Bar{{Label: "a", Value: 3}}), "axis-y", true, []string{"0", "1", "2", "3"}},
		{"units per hour", Lines(Options{Counts: true}, []TimeSeries{{Name: "dye-1", Points: hourly(3, func(i int) float64 { return float64(i % 2) })}}), "axis-y", true, []string{"0", "1"}},
		{"stacked", StackedHBars(Options{Counts: true}, []string{"a"}, []StackedRow{{Label: "x", Parts: []float64{2}}}), "axis-x", true, []string{"0", "1", "2"}},
		{"many", Bars(Options{Counts: true}, []Bar{{Label: "a", Value: 1234}}), "axis-y", true, nil},
		{"not counts", Bars(Options{}, one), "axis-y", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticks := axisTicks(parseSVG(t, tt.svg), tt.axis)
			if len(ticks) < 2 {
				t.Fatalf("ticks %q", ticks)
			}
			if tt.want != nil && !slices.Equal(ticks, tt.want) {
				t.Errorf("ticks %q, want %q", ticks, tt.want)
			}
			fraction := slices.ContainsFunc(ticks, func(s string) bool { return strings.Contains(s, ".") && !strings.HasSuffix(s, "k") })
			if fraction == tt.counts {
				t.Errorf("ticks %q: fractions %v, want %v", ticks, fraction, !tt.counts)
			}
		})
	}
}

// TestDurationsReadInTheirUnit: durations are drawn on an axis in the unit that suits them,
// and every value reads in its own: 0.00074 h is 3 s.
func TestDurationsReadInTheirUnit(t *testing.T) {
	tests := []struct {
		name    string
		values  []float64 // seconds
		unit    string
		ticks   []string
		tooltip string // of the last point
	}{
		{"seconds", []float64{0.00074 * 3600, 1}, "seconds", []string{"0", "1", "2", "3"}, "a, Mon 1 Mar 15:00: 1 s"},
		{"minutes", []float64{30, 5400}, "minutes", []string{"0", "20", "40", "60", "80", "100"}, "a, Mon 1 Mar 15:00: 1 h 30 min"},
		{"hours", []float64{7200, 3 * 3600}, "hours", []string{"0", "1", "2", "3"}, "a, Mon 1 Mar 15:00: 3 h"},
		{"days", []float64{86400, 5 * 86400}, "days", []string{"0", "1", "2", "3", "4", "5"}, "a, Mon 1 Mar 15:00: 5 d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := TimeSeries{Name: "a", Points: hourly(len(tt.values), func(i int) float64 { return tt.values[i] })}
			svg := parseSVG(t, Lines(Options{Durations: true, YLabel: "hours"}, []TimeSeries{s}))
			if got := svg.texts("unit"); !slices.Equal(got, []string{tt.unit}) {
				t.Errorf("unit %q, want %q", got, tt.unit)
			}
			if got := axisTicks(svg, "axis-y"); !slices.Equal(got, tt.ticks) {
				t.Errorf("ticks %q, want %q", got, tt.ticks)
			}
			pts := svg.all("circle", "point")
			if got := pts[len(pts)-1].tooltip(); got != tt.tooltip {
				t.Errorf("tooltip %q, want %q", got, tt.tooltip)
			}
			if got := pts[0].tooltip(); tt.name == "seconds" && got != "a, Mon 1 Mar 14:00: 3 s" {
				t.Errorf("0.00074 h reads %q, want 3 s", got)
			}
		})
	}
	t.Run("stacked totals", func(t *testing.T) {
		svg := parseSVG(t, StackedHBars(Options{Durations: true}, []string{"faults", "changeovers"},
			[]StackedRow{{Label: "dye-1", Parts: []float64{3600, 300}}, {Label: "pack-1", Parts: []float64{2.6}}}))
		if got, want := svg.texts("total"), []string{"1 h 5 min", "3 s"}; !slices.Equal(got, want) {
			t.Errorf("totals %q, want %q", got, want)
		}
		if got := svg.all("rect", "p1")[0].tooltip(); got != "dye-1, changeovers: 5 min" {
			t.Errorf("tooltip %q", got)
		}
		if got := svg.texts("unit"); !slices.Equal(got, []string{"minutes"}) {
			t.Errorf("unit %q, want minutes", got)
		}
	})
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{-time.Second, "0"},
		{40 * time.Millisecond, "0.1 s"},
		{400 * time.Millisecond, "0.4 s"},
		{time.Duration(0.00074 * float64(time.Hour)), "3 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{4*time.Minute + 30*time.Second, "4 min 30 s"},
		{9*time.Minute + 59*time.Second + 700*time.Millisecond, "10 min"},
		{25*time.Minute + 40*time.Second, "26 min"},
		{59*time.Minute + 50*time.Second, "1 h"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min"},
		{47*time.Hour + 59*time.Minute + 40*time.Second, "2 d"},
		{76 * time.Hour, "3 d 4 h"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			if got := FormatDuration(tt.in); got != tt.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDailyAxisShowsDates: a chart of one point per day labels its axis with dates, however
// few days it covers.
func TestDailyAxisShowsDates(t *testing.T) {
	daily := func(days int) []TimePoint {
		pts := make([]TimePoint, days)
		for i := range pts {
			pts[i] = TimePoint{T: day0.AddDate(0, 0, i).Add(12 * time.Hour), V: float64(60 * (i + 1))}
		}
		return pts
	}
	tests := []struct {
		name string
		days int
		want []string // nil: only check that they are dates
	}{
		{"one day", 1, []string{"Mon 1 Mar"}},
		{"three days", 3, []string{"Mon 1 Mar", "Tue 2 Mar", "Wed 3 Mar"}},
		{"sixty days", 60, nil},
	}
	dateRE := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{1,2} [A-Z][a-z]{2}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := parseSVG(t, Lines(Options{Daily: true, Durations: true}, []TimeSeries{{Name: "winter median", Points: daily(tt.days)}}))
			ticks := axisTicks(svg, "axis-x")
			if tt.want != nil && !slices.Equal(ticks, tt.want) {
				t.Errorf("x ticks %q, want %q", ticks, tt.want)
			}
			if len(ticks) < 1 || len(ticks) > 10 {
				t.Errorf("%d x ticks: %q", len(ticks), ticks)
			}
			for _, tk := range ticks {
				if !dateRE.MatchString(tk) {
					t.Errorf("x tick %q is not a date", tk)
				}
			}
			if got := svg.all("circle", "point"); len(got) > 0 && got[0].tooltip() != "winter median, Mon 1 Mar: 1 min" {
				t.Errorf("tooltip %q", got[0].tooltip())
			}
		})
	}
}

// TestGanttLegendLanesAndLateMarks: the Gantt chart names its colour groups in a legend, in
// the order given, writes each lane's label and sub-label, and marks the late bars, which the
// legend explains.
func TestGanttLegendLanesAndLateMarks(t *testing.T) {
	from, to := at(8, 0), at(16, 0)
	rows := []GanttRow{
		{Label: "Jacquard loom 1 (wide)", Sub: "weave-1", Bars: []GanttBar{
			{Start: at(9, 0), End: at(10, 0), Label: "A-1", Group: "spring", Title: "A-1 on time"},
			{Start: at(10, 0), End: at(12, 0), Label: "A-2", Group: "summer", Late: true, Title: "A-2 late"},
		}},
		{Label: "Dye kitchen, vat A", Sub: "dye-1", Bars: []GanttBar{
			{Start: at(9, 0), End: at(11, 0), Label: "B-1", Group: "spring"},
			{Start: at(20, 0), End: at(21, 0), Label: "outside", Group: "autumn"},
		}},
	}
	svg := parseSVG(t, Gantt(Options{Groups: []string{"summer", "spring"}, LateLabel: "ends after its order's due"}, from, to, at(9, 0), rows, nil))
	var legend []string
	for _, g := range svg.all("g", "legend") {
		legend = append(legend, g.texts("legend-label")...)
	}
	if want := []string{"summer", "spring", "ends after its order's due"}; !slices.Equal(legend, want) {
		t.Errorf("legend %q, want %q (groups in the order given; none for bars outside the window)", legend, want)
	}
	bars := svg.all("rect", "bar")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}
	if bars[0].attr["fill"] != palette[1] || bars[1].attr["fill"] != palette[0] || bars[2].attr["fill"] != palette[1] {
		t.Errorf("fills %s %s %s: want spring %s, summer %s", bars[0].attr["fill"], bars[1].attr["fill"], bars[2].attr["fill"], palette[1], palette[0])
	}
	if !bars[1].hasClass("late") || bars[0].hasClass("late") || bars[2].hasClass("late") {
		t.Errorf("late classes: %q %q %q, want the second alone", bars[0].attr["class"], bars[1].attr["class"], bars[2].attr["class"])
	}
	if n := len(svg.all("rect", "late-mark")); n != 1 {
		t.Errorf("%d late marks, want 1", n)
	}
	if got := svg.texts("label"); !slices.Equal(got, []string{"Jacquard loom 1 (wide)", "Dye kitchen, vat A"}) {
		t.Errorf("lane labels %q", got)
	}
	if got := svg.texts("sublabel"); !slices.Equal(got, []string{"weave-1", "dye-1"}) {
		t.Errorf("lane sub-labels %q", got)
	}
	// The lanes hold two lines of text.
	if lanes := svg.all("rect", "lane"); lanes[0].num(t, "height") < 2*fontSize+8 {
		t.Errorf("lanes %v high, too low for two lines", lanes[0].num(t, "height"))
	}
	t.Run("no late bar, no late entry", func(t *testing.T) {
		rows[0].Bars[1].Late = false
		svg := parseSVG(t, Gantt(Options{}, from, to, at(9, 0), rows, nil))
		var legend []string
		for _, g := range svg.all("g", "legend") {
			legend = append(legend, g.texts("legend-label")...)
		}
		if want := []string{"spring", "summer"}; !slices.Equal(legend, want) {
			t.Errorf("legend %q, want %q", legend, want)
		}
	})
}

// TestStackedTotalsFitTheChart: the total written after the longest bar ends inside the chart,
// however long it reads.
func TestStackedTotalsFitTheChart(t *testing.T) {
	for _, width := range []int{440, 720} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			svg := parseSVG(t, StackedHBars(Options{Width: width, Durations: true}, []string{"faults", "changeovers"},
				[]StackedRow{{Label: "weave-1", Parts: []float64{3600, 2400}}, {Label: "dye-1", Parts: []float64{60}}}))
			for _, tx := range svg.all("text", "total") {
				if end := tx.num(t, "x") + textWidth(tx.text); end > float64(width) {
					t.Errorf("total %q ends at %v, past the chart's width %d", tx.text, end, width)
				}
			}
		})
	}
}
