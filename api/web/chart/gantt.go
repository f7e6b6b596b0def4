package chart

import (
	"html/template"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// GanttBar is one span of time in a lane.
type GanttBar struct {
	Start, End time.Time
	// Label is drawn inside the bar when it fits.
	Label string
	// Title is the tooltip text; Label and the times when empty.
	Title string
	// Group picks the colour: bars of the same group share one, e.g. the drop ID. The legend
	// names the groups.
	Group string
	// Late marks the bar as late (e.g. planned to end after its order's due date): it is
	// hatched and outlined, and the legend says what the mark means.
	Late bool
}

// GanttRow is one lane of a Gantt chart, e.g. one cell.
type GanttRow struct {
	// Label names the lane; Sub, when set, is written under it, e.g. a cell's name and its id.
	Label, Sub string
	Bars       []GanttBar
}

// Marker is a labelled vertical dashed line across the lanes, e.g. a drop date.
type Marker struct {
	At    time.Time
	Label string
}

const (
	ganttLane   = 40.0 // two lines of text
	ganttMarks  = 26.0 // room for marker labels above the lanes
	ganttBottom = 30.0 // room for the time axis
	// ganttLabelChars is the longest lane label drawn in full.
	ganttLabelChars = 26
	lateColor       = "#000"
)

// Gantt draws one lane per row between from and to, with a time axis, the markers inside the
// window and a "now" line when now is within it. Bars are clipped to the window (a clipped
// end gets the class clip-start or clip-end) and bars entirely outside it are skipped. A bar
// that ends before it starts is drawn as an instant at its start, so the bad data stays
// visible. Colours follow Group, in the order of o.Groups and then of first appearance, and a
// legend above the lanes names the groups and, when a bar is late, the late mark. When
// o.Height is zero the height follows from the number of rows.
func Gantt(o Options, from, to, now time.Time, rows []GanttRow, markers []Marker) template.HTML {
	o = o.withDefaults("Gantt chart")
	if o.LateLabel == "" {
		o.LateLabel = "late"
	}
	from, to = widen(from, to)
	groups, names, late, nbars := ganttGroups(o.Groups, from, to, rows)
	// The legend's height is needed before the first element is written; measure it on a
	// scratch writer.
	var scratch writer
	legendH := scratch.ganttLegend(names, late, o.LateLabel, float64(o.Width)-8)
	top := 8 + legendH + ganttMarks

	height := o.Height
	if height == 0 {
		height = defaultHeight
		if len(rows) > 0 {
			height = int(math.Ceil(top + ganttLane*float64(len(rows)) + ganttBottom))
		}
	}
	labelW := 0.0
	for _, r := range rows {
		labelW = math.Max(labelW, textWidth(truncate(r.Label, ganttLabelChars)))
		labelW = math.Max(labelW, textWidth(truncate(r.Sub, ganttLabelChars)))
	}
	labelW = math.Min(labelW+16, float64(o.Width)*0.35)

	desc := "Gantt chart of " + strconv.Itoa(len(rows)) + " rows and " + strconv.Itoa(nbars) +
		" bars from " + formatDay(from.In(o.Loc)) + " to " + formatDay(to.In(o.Loc)) + "."
	w := open(o, height, "chart-gantt", desc, nbars*160+len(rows)*200)
	hatch := w.id + "-late"
	if late {
		w.s(`<defs><pattern id="` + hatch + `" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
			`<rect width="6" height="6" fill="none"/><line x1="0" y1="0" x2="0" y2="6" stroke="` + lateColor + `" stroke-width="2.5"/></pattern></defs>`)
	}
	w.ganttLegend(names, late, o.LateLabel, float64(o.Width)-8)
	p := box{x: labelW, y: top}
	p.w = math.Max(float64(o.Width)-p.x-24, 20)
	p.h = math.Max(float64(height)-top-ganttBottom, 20)
	if len(rows) == 0 {
		w.empty(o, p)
		return w.close()
	}
	x := timeScale(from, to, p.x, p.right())
	lane := p.h / float64(len(rows))
	barH := math.Max(math.Min(lane-8, 20), lane*0.6)

	w.ganttLanes(o, p, lane, rows)
	w.timeAxis(p, timeTicks(from, to, o.Loc, clampInt(int(p.w/90), 2, 10)), x)

	w.s(`<g class="bars">`)
	for i, r := range rows {
		y := p.y + float64(i)*lane + (lane-barH)/2
		for _, b := range r.Bars {
			w.ganttBar(o, b, groups[b.Group], hatch, from, to, x, y, barH)
		}
	}
	w.s(`</g>`)
	w.ganttMarkers(p, from, to, now, markers, x)
	return w.close()
}

// ganttGroups numbers the bars' groups, those of first (Options.Groups) first, then those of the
// bars drawn in the window from..to as they come; it returns the numbers, the groups in order,
// whether a bar drawn is late, and how many bars rows hold.
func ganttGroups(first []string, from, to time.Time, rows []GanttRow) (groups map[string]int, names []string, late bool, nbars int) {
	groups = make(map[string]int)
	group := func(g string) int {
		i, ok := groups[g]
		if !ok {
			i = len(names)
			groups[g] = i
			names = append(names, g)
		}
		return i
	}
	for _, g := range first {
		group(g)
	}
	for _, r := range rows {
		nbars += len(r.Bars)
		for _, b := range r.Bars {
			if b.End.After(from) && b.Start.Before(to) || b.Start.Equal(b.End) && !b.Start.Before(from) && !b.Start.After(to) {
				group(b.Group)
				late = late || b.Late
			}
		}
	}
	return groups, names, late, nbars
}

// ganttLanes draws the rows' lanes, striped, across the chart, each with its labels left of
// the plot p.
func (w *writer) ganttLanes(o Options, p box, lane float64, rows []GanttRow) {
	w.s(`<g class="lanes">`)
	for i, r := range rows {
		fill := "#fff"
		if i%2 == 1 {
			fill = "#f4f4f4"
		}
		y := p.y + float64(i)*lane
		w.s(`<rect class="lane"`)
		w.attr("x", 0)
		w.attr("y", y)
		w.attr("width", float64(o.Width))
		w.attr("height", lane)
		w.s(` fill="` + fill + `"/>`)
		switch {
		case r.Label != "" && r.Sub != "":
			w.text("label", p.x-8, y+lane/2-2, "end", "", truncate(r.Label, ganttLabelChars))
			w.text("sublabel", p.x-8, y+lane/2+12, "end", mutedText, truncate(r.Sub, ganttLabelChars))
		case r.Label != "" || r.Sub != "":
			w.text("label", p.x-8, y+lane/2+4, "end", "", truncate(r.Label+r.Sub, ganttLabelChars))
		}
	}
	w.s(`</g>`)
}

// ganttBar draws bar b, of group number g, on the lane at y with the bars' height barH, clipped
// to the window from..to that x maps onto the plot; hatch is the id of the late bars' pattern.
func (w *writer) ganttBar(o Options, b GanttBar, g int, hatch string, from, to time.Time, x func(time.Time) float64, y, barH float64) {
	start, end := b.Start, b.End
	if end.Before(start) {
		end = start
	}
	clipStart, clipEnd := false, false
	if end.Equal(start) {
		if start.Before(from) || start.After(to) {
			return
		}
	} else {
		if !end.After(from) || !start.Before(to) {
			return
		}
		if start.Before(from) {
			start, clipStart = from, true
		}
		if end.After(to) {
			end, clipEnd = to, true
		}
	}
	x0, x1 := x(start), x(end)
	if x1-x0 < 2 {
		// An instant or a very short bar still gets a visible mark.
		mid := (x0 + x1) / 2
		x0, x1 = mid-1, mid+1
	}
	w.s(`<rect class="bar g`)
	w.b = strconv.AppendInt(w.b, int64(g%len(palette)), 10)
	if clipStart {
		w.s(` clip-start`)
	}
	if clipEnd {
		w.s(` clip-end`)
	}
	if b.Late {
		w.s(` late`)
	}
	w.s(`"`)
	w.attr("x", x0)
	w.attr("y", y)
	w.attr("width", x1-x0)
	w.attr("height", barH)
	w.s(` rx="2" fill="`)
	w.s(color(g))
	if b.Late {
		w.s(`" stroke="` + lateColor + `" stroke-width="2"><title>`)
	} else {
		w.s(`" stroke="#fff"><title>`)
	}
	switch {
	case b.Title != "":
		w.t(b.Title)
	case b.Label != "":
		w.t(b.Label)
		w.s(", ")
		w.t(formatWhen(b.Start.In(o.Loc)))
		w.s(" – ")
		w.t(formatWhen(b.End.In(o.Loc)))
	default:
		w.t(formatWhen(b.Start.In(o.Loc)))
		w.s(" – ")
		w.t(formatWhen(b.End.In(o.Loc)))
	}
	w.s(`</title></rect>`)
	if b.Late {
		// The hatching over the colour; taps go through it to the bar.
		w.s(`<rect class="late-mark" pointer-events="none"`)
		w.attr("x", x0)
		w.attr("y", y)
		w.attr("width", x1-x0)
		w.attr("height", barH)
		w.s(` fill="url(#` + hatch + `)" fill-opacity=".55"/>`)
	}
	if b.Label != "" && float64(utf8.RuneCountInString(b.Label))*charW+8 <= x1-x0 {
		w.text("bar-label", x0+4, y+barH/2+4, "start", onColor(g), b.Label)
	}
}

// ganttMarkers draws the markers within the window from..to, and the now line when now is
// within it, across the plot p onto which x maps the window.
func (w *writer) ganttMarkers(p box, from, to, now time.Time, markers []Marker, x func(time.Time) float64) {
	bottom := p.bottom()
	for _, m := range markers {
		if m.At.Before(from) || m.At.After(to) {
			continue
		}
		xx := x(m.At)
		w.s(`<g class="marker">`)
		w.s(`<line class="marker-line"`)
		w.attr("x1", xx)
		w.attr("y1", p.y-6)
		w.attr("x2", xx)
		w.attr("y2", bottom)
		w.s(` stroke="#333" stroke-width="1.5" stroke-dasharray="5 3"/>`)
		w.text("marker-label", xx, p.y-10, anchorNear(xx, p), "", m.Label)
		w.s(`</g>`)
	}
	if !now.Before(from) && !now.After(to) {
		xx := x(now)
		w.s(`<g class="now">`)
		w.s(`<line class="now-line"`)
		w.attr("x1", xx)
		w.attr("y1", p.y-6)
		w.attr("x2", xx)
		w.attr("y2", bottom)
		w.s(` stroke="` + palette[3] + `" stroke-width="2"/>`)
		w.text("now-label", xx, p.y-10, anchorNear(xx, p), "#a33f00", "now")
		w.s(`</g>`)
	}
}

// anchorNear keeps a label at x inside the plot: labels near the right edge end at x.
func anchorNear(x float64, p box) string {
	switch {
	case x > p.right()-40:
		return "end"
	case x < p.x+40:
		return "start"
	default:
		return "middle"
	}
}

// ganttLegend writes a swatch and a name for each colour group and, when late, one for the late
// mark, from the top left and wrapping before maxX; it returns the height it used.
func (w *writer) ganttLegend(groups []string, late bool, lateLabel string, maxX float64) float64 {
	items := len(groups)
	if late {
		items++
	}
	if items == 0 {
		return 0
	}
	const x, y, row = 8.0, 8.0, 18.0
	cx, cy := x, y
	w.s(`<g class="legend">`)
	for i := range items {
		name := lateLabel
		if i < len(groups) {
			name = groups[i]
		}
		width := 12 + 6 + textWidth(name) + 16
		if cx > x && cx+width > maxX {
			cx = x
			cy += row
		}
		if i < len(groups) {
			w.s(`<g class="legend-item s` + strconv.Itoa(i) + `"><rect`)
			w.attr("x", cx)
			w.attr("y", cy)
			w.s(` width="12" height="12" rx="2" fill="` + color(i) + `"/>`)
		} else {
			w.s(`<g class="legend-item legend-late"><rect`)
			w.attr("x", cx)
			w.attr("y", cy)
			w.s(` width="12" height="12" rx="2" fill="url(#` + w.id + `-late)" stroke="` + lateColor + `" stroke-width="2"/>`)
		}
		w.text("legend-label", cx+18, cy+10.5, "start", "", name)
		w.s(`</g>`)
		cx += width
	}
	w.s(`</g>`)
	return cy - y + row
}
