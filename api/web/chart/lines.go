package chart

import (
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TimePoint is one value at one time.
type TimePoint struct {
	T time.Time
	V float64
}

// TimeSeries is a named sequence of points; the points need not be sorted.
type TimeSeries struct {
	Name   string
	Points []TimePoint
}

// markerLimit is the largest number of points for which each point gets a circle marker;
// beyond it markers would hide the line.
const markerLimit = 40

// Lines draws one line per series over a time x axis, with y ticks in 1-2-5 steps starting at
// 0 (unless there are negative values), time ticks chosen by the span ("14:00", "Mon 3",
// "3 Mar"), a legend, and a circle marker with a tooltip per point when a series has at most
// 40 points. NaN and infinite values are skipped and break the line, so a gap in the data
// shows as a gap.
func Lines(o Options, series []TimeSeries) template.HTML {
	o = o.withDefaults("Line chart")
	height := o.Height
	if height == 0 {
		height = defaultHeight
	}
	names, tmin, tmax, vmin, vmax, count := lineExtent(series)

	sc := newScale(o, math.Max(math.Abs(vmin), math.Abs(vmax)))
	when := formatWhen
	if o.Daily {
		when = formatDate
	}
	desc := "Line chart with no data."
	if count > 0 {
		desc = "Line chart of " + strings.Join(names, ", ") + " from " + formatDay(tmin.In(o.Loc)) +
			" to " + formatDay(tmax.In(o.Loc)) + "; values from " + sc.value(vmin) + " to " +
			sc.value(vmax) + "."
	}
	// A point costs about 14 bytes on a line and 170 more with a marker and its tooltip.
	hint := 0
	for _, s := range series {
		hint += 14 * len(s.Points)
		if len(s.Points) <= markerLimit {
			hint += 170 * len(s.Points)
		}
	}
	w := open(o, height, "chart-lines", desc, hint)

	top := 8.0
	top += w.legend(names, 56, top, float64(o.Width)-16)
	if sc.unit != "" {
		top += 18
	} else {
		top += 8
	}
	p := box{x: 56, y: top}
	p.w = math.Max(float64(o.Width)-p.x-24, 20)
	p.h = math.Max(float64(height)-top-30, 20)
	if count == 0 {
		w.empty(o, p)
		return w.close()
	}

	yt := sc.ticks(vmin, vmax, clampInt(int(p.h/40), 2, 8))
	ya := linear(yt, p.bottom(), p.y)
	y := func(v float64) float64 { return ya(sc.at(v)) }
	nticks := clampInt(int(p.w/90), 2, 10)
	var (
		from, to time.Time
		ticks    []timeTick
	)
	if o.Daily {
		from, to = dayWindow(tmin, tmax, o.Loc)
		ticks = dayTicks(from, to, o.Loc, nticks)
	} else {
		from, to = widen(tmin, tmax)
		ticks = timeTicks(from, to, o.Loc, nticks)
	}
	x := timeScale(from, to, p.x, p.right())
	w.timeAxis(p, ticks, x)
	w.yAxis(sc.unit, p, yt, ya)

	pts := make([]TimePoint, 0, 64)
	for i, s := range series {
		pts = append(pts[:0], s.Points...)
		slices.SortStableFunc(pts, func(a, b TimePoint) int { return a.T.Compare(b.T) })
		w.lineSeries(i, pts, len(s.Points) <= markerLimit, x, y, func(pt TimePoint) string {
			return names[i] + ", " + when(pt.T.In(o.Loc)) + ": " + sc.value(pt.V)
		})
	}
	return w.close()
}

// lineExtent names the series (those without a name by their number) and returns the extent of
// their finite points in time and value, and how many there are.
func lineExtent(series []TimeSeries) (names []string, tmin, tmax time.Time, vmin, vmax float64, count int) {
	vmin, vmax = math.Inf(1), math.Inf(-1)
	names = make([]string, len(series))
	for i, s := range series {
		names[i] = s.Name
		if names[i] == "" {
			names[i] = "Series " + strconv.Itoa(i+1)
		}
		for _, p := range s.Points {
			if !finite(p.V) {
				continue
			}
			if count == 0 || p.T.Before(tmin) {
				tmin = p.T
			}
			if count == 0 || p.T.After(tmax) {
				tmax = p.T
			}
			vmin, vmax = math.Min(vmin, p.V), math.Max(vmax, p.V)
			count++
		}
	}
	return names, tmin, tmax, vmin, vmax, count
}

// lineSeries draws series number i, its points pts in time order, as a line broken where a
// value is not finite, and, when markers, a marker on each point with tip as its tooltip.
func (w *writer) lineSeries(i int, pts []TimePoint, markers bool, x func(time.Time) float64, y func(float64) float64, tip func(TimePoint) string) {
	cls := "s" + strconv.Itoa(i)
	w.s(`<g class="series-group ` + cls + `">`)
	if slices.ContainsFunc(pts, func(p TimePoint) bool { return finite(p.V) }) {
		w.s(`<path class="series ` + cls + `" fill="none" stroke="` + color(i) +
			`" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" d="`)
		pen := false
		for _, pt := range pts {
			if !finite(pt.V) {
				pen = false
				continue
			}
			if pen {
				w.s("L")
			} else {
				w.s("M")
			}
			w.n(x(pt.T))
			w.s(" ")
			w.n(y(pt.V))
			pen = true
		}
		w.s(`"/>`)
	}
	if markers {
		for _, pt := range pts {
			if !finite(pt.V) {
				continue
			}
			w.s(`<circle class="point ` + cls + `"`)
			w.attr("cx", x(pt.T))
			w.attr("cy", y(pt.V))
			w.s(` r="3.5" fill="` + color(i) + `" stroke="#fff"><title>`)
			w.t(tip(pt))
			w.s(`</title></circle>`)
		}
	}
	w.s(`</g>`)
}

func unitSuffix(unit string) string {
	if unit == "" {
		return ""
	}
	return " " + unit
}
