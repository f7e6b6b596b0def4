package chart

import (
	"html/template"
	"math"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Options holds what all charts share: the accessible name and summary, the size of the
// viewBox, the unit of the value axis, the time zone of time labels and the empty message.
type Options struct {
	// Title is the chart's accessible name, rendered as the SVG <title>.
	Title string
	// Desc is a one-sentence summary for screen readers, rendered as <desc>; when empty a
	// summary is generated from the data.
	Desc string
	// Width and Height are the viewBox size in px; they default to 720x280. Gantt and
	// StackedHBars derive the height from the number of rows when Height is zero.
	Width, Height int
	// YLabel is the unit of the value axis, e.g. "units" or "hours".
	YLabel string
	// Loc is the time zone of time axis labels; time.UTC when nil.
	Loc *time.Location
	// Empty is drawn in the plot area when there is nothing to draw; "No data yet" when empty.
	Empty string
	// Counts says that the values are counts: the value axis ticks whole numbers only.
	Counts bool
	// Durations says that the values are durations in seconds: the value axis reads in the unit
	// that suits the largest value (seconds, minutes, hours or days) and is labelled with it
	// instead of YLabel, and a value in a tooltip or a total reads as people say a duration
	// ("3 s", "2 h 5 min"; FormatDuration).
	Durations bool
	// Daily says that a line chart has one point per day: its time axis shows the dates, and a
	// single day spans a day.
	Daily bool
	// Groups, for a Gantt chart, orders its colour groups and its legend: the i-th group takes
	// the i-th colour. Groups it does not name follow in order of first appearance.
	Groups []string
	// LateLabel, for a Gantt chart, is the legend's name of the mark of late bars; "late" when
	// empty.
	LateLabel string
}

const (
	defaultWidth  = 720
	defaultHeight = 280
	// fontSize is the size of every text of a chart in viewBox units, which are screen pixels
	// or more, since a chart is never drawn narrower than its viewBox.
	fontSize = 12
	// charW is the estimated advance of one character at fontSize, used to lay out labels
	// without measuring text.
	charW     = 7.0
	textColor = "#222"
	mutedText = "#555"
	gridColor = "#e3e3e3"
	axisColor = "#767676"
	fontStack = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
)

// palette is Okabe-Ito, ordered so that the first colours have good contrast on white;
// yellow, the weakest on white, comes last.
var palette = [...]string{
	"#0072B2", // blue
	"#E69F00", // orange
	"#009E73", // bluish green
	"#D55E00", // vermillion
	"#CC79A7", // reddish purple
	"#56B4E9", // sky blue
	"#000000", // black
	"#F0E442", // yellow
}

// onPalette is the text colour with the higher WCAG contrast on each palette colour.
var onPalette = [...]string{"#fff", "#000", "#000", "#000", "#000", "#000", "#fff", "#000"}

func color(i int) string   { return palette[i%len(palette)] }
func onColor(i int) string { return onPalette[i%len(onPalette)] }

// seq makes element ids unique across calls, so several charts can share a page.
var seq atomic.Uint64

func (o Options) withDefaults(title string) Options {
	if o.Width <= 0 {
		o.Width = defaultWidth
	}
	if o.Height < 0 {
		o.Height = 0
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Empty == "" {
		o.Empty = "No data yet"
	}
	if o.Title == "" {
		o.Title = title
	}
	return o
}

// box is a rectangle in viewBox coordinates.
type box struct{ x, y, w, h float64 }

func (b box) right() float64  { return b.x + b.w }
func (b box) bottom() float64 { return b.y + b.h }

// writer appends SVG to a byte slice; charts with thousands of elements are written without
// templates or intermediate strings.
type writer struct {
	b  []byte
	id string // the chart's element id, a prefix for the ids of its parts
}

func (w *writer) s(str string) { w.b = append(w.b, str...) }

// n writes a coordinate with at most one decimal.
func (w *writer) n(v float64) { w.b = appendCoord(w.b, v) }

// t writes text escaped for XML content and attribute values.
func (w *writer) t(str string) { w.b = appendEscaped(w.b, str) }

// attr writes ` name="value"` with a coordinate value.
func (w *writer) attr(name string, v float64) {
	w.b = append(w.b, ' ')
	w.b = append(w.b, name...)
	w.b = append(w.b, '=', '"')
	w.b = appendCoord(w.b, v)
	w.b = append(w.b, '"')
}

// open writes the <svg> element with its <title>, <desc> and white background.
func open(o Options, height int, class, desc string, sizeHint int) *writer {
	id := "chart-" + strconv.FormatUint(seq.Add(1), 10)
	w := &writer{b: make([]byte, 0, 2048+sizeHint), id: id}
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	w.s(strconv.Itoa(o.Width))
	w.s(" ")
	w.s(strconv.Itoa(height))
	// Never drawn narrower than its viewBox: its text is then at least fontSize px on screen.
	w.s(`" width="100%" style="min-width: ` + strconv.Itoa(o.Width) + `px" role="img" aria-labelledby="`)
	w.s(id + "-title " + id + "-desc")
	w.s(`" class="chart `)
	w.s(class)
	w.s(`" font-family="` + fontStack + `" font-size="` + strconv.Itoa(fontSize) + `" fill="` + textColor + `">`)
	w.s(`<title id="` + id + `-title">`)
	w.t(o.Title)
	w.s(`</title><desc id="` + id + `-desc">`)
	if o.Desc != "" {
		desc = o.Desc
	}
	w.t(desc)
	w.s(`</desc>`)
	w.s(`<rect class="background" width="`)
	w.s(strconv.Itoa(o.Width))
	w.s(`" height="`)
	w.s(strconv.Itoa(height))
	w.s(`" fill="#fff"/>`)
	return w
}

func (w *writer) close() template.HTML {
	w.s(`</svg>`)
	return template.HTML(w.b)
}

// text writes a <text> element; anchor is "start", "middle" or "end".
func (w *writer) text(class string, x, y float64, anchor, fill, content string) {
	w.s(`<text class="`)
	w.s(class)
	w.s(`"`)
	w.attr("x", x)
	w.attr("y", y)
	if anchor != "start" {
		w.s(` text-anchor="`)
		w.s(anchor)
		w.s(`"`)
	}
	if fill != "" {
		w.s(` fill="`)
		w.s(fill)
		w.s(`"`)
	}
	w.s(`>`)
	w.t(content)
	w.s(`</text>`)
}

// line writes a <line> element.
func (w *writer) line(class string, x1, y1, x2, y2 float64, stroke string) {
	w.s(`<line class="`)
	w.s(class)
	w.s(`"`)
	w.attr("x1", x1)
	w.attr("y1", y1)
	w.attr("x2", x2)
	w.attr("y2", y2)
	w.s(` stroke="`)
	w.s(stroke)
	w.s(`"/>`)
}

// empty writes the empty message in the middle of the plot area.
func (w *writer) empty(o Options, p box) {
	w.s(`<rect class="plot" fill="none" stroke="` + gridColor + `"`)
	w.attr("x", p.x)
	w.attr("y", p.y)
	w.attr("width", p.w)
	w.attr("height", p.h)
	w.s(`/>`)
	w.text("empty", p.x+p.w/2, p.y+p.h/2+4, "middle", mutedText, o.Empty)
}

// legend writes one swatch and name per entry from (x, y), wrapping before maxX, and returns
// the height it used.
func (w *writer) legend(names []string, x, y, maxX float64) float64 {
	if len(names) == 0 {
		return 0
	}
	const row = 18
	w.s(`<g class="legend">`)
	cx, cy := x, y
	for i, name := range names {
		width := 12 + 6 + textWidth(name) + 16
		if cx > x && cx+width > maxX {
			cx = x
			cy += row
		}
		w.s(`<g class="legend-item s` + strconv.Itoa(i) + `"><rect`)
		w.attr("x", cx)
		w.attr("y", cy)
		w.s(` width="12" height="12" rx="2" fill="` + color(i) + `"/>`)
		w.text("legend-label", cx+18, cy+10.5, "start", "", name)
		w.s(`</g>`)
		cx += width
	}
	w.s(`</g>`)
	return cy - y + row
}

// yAxis writes horizontal grid lines and value labels for ticks over p, and the unit above.
func (w *writer) yAxis(unit string, p box, ticks []float64, y func(float64) float64) {
	w.s(`<g class="axis axis-y">`)
	for _, v := range ticks {
		yy := y(v)
		stroke := gridColor
		if v == 0 {
			stroke = axisColor
		}
		w.line("grid", p.x, yy, p.right(), yy, stroke)
		w.text("tick", p.x-6, yy+4, "end", "", formatNumber(v))
	}
	if unit != "" {
		w.text("unit", 8, p.y-10, "start", mutedText, unit)
	}
	w.s(`</g>`)
}

// timeAxis writes vertical grid lines and time labels under p.
func (w *writer) timeAxis(p box, ticks []timeTick, x func(time.Time) float64) {
	w.s(`<g class="axis axis-x">`)
	w.line("baseline", p.x, p.bottom(), p.right(), p.bottom(), axisColor)
	for _, tk := range ticks {
		xx := x(tk.t)
		w.line("grid", xx, p.y, xx, p.bottom(), gridColor)
		w.text("tick", xx, p.bottom()+17, "middle", "", tk.label)
	}
	w.s(`</g>`)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// textWidth estimates the rendered width of s at fontSize.
func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * charW }

// truncate shortens s to at most limit runes, ending with an ellipsis when cut.
func truncate(s string, limit int) string {
	limit = max(limit, 1)
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// appendCoord appends v rounded to one decimal, without a trailing ".0"; non-finite values
// become 0 so a bad input never produces an unparsable attribute.
func appendCoord(b []byte, v float64) []byte {
	if !finite(v) {
		return append(b, '0')
	}
	v = math.Max(-1e7, math.Min(1e7, v))
	r := math.Round(v*10) / 10
	if r == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, r, 'f', -1, 64)
}

// appendEscaped appends s escaped for XML text and attribute values. Invalid UTF-8 and
// characters XML forbids become U+FFFD (or are dropped, for control characters), so a stray
// byte in a label cannot break the document.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '"':
				b = append(b, "&#34;"...)
			case c == '\'':
				b = append(b, "&#39;"...)
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
				// dropped: not allowed (or not visible) in XML text
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// formatNumber formats v compactly for labels: three significant digits at most, with k, M
// and G suffixes from a thousand up: 0.25, 12, 1.5k, 2.4M.
func formatNumber(v float64) string {
	if !finite(v) {
		return ""
	}
	v = roundSig(v, 3)
	a := math.Abs(v)
	suffix := ""
	switch {
	case a >= 1e9:
		v, suffix = roundSig(v/1e9, 3), "G"
	case a >= 1e6:
		v, suffix = roundSig(v/1e6, 3), "M"
	case a >= 1e3:
		v, suffix = roundSig(v/1e3, 3), "k"
	}
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + suffix
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 || !finite(v) {
		return v
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(v))))
	if r := math.Round(v*p) / p; finite(r) {
		return r
	}
	return v
}

// niceTicks returns evenly spaced values in steps of 1, 2 or 5 times a power of ten that
// cover lo..hi with at most about n intervals; whole keeps the steps whole numbers. The range
// always includes zero, so bars and lines are not exaggerated; all-zero data gets the range
// 0..1.
func niceTicks(lo, hi float64, n int, whole bool) []float64 {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if !finite(lo) || !finite(hi) || !finite(hi-lo) {
		return []float64{0, 1}
	}
	if hi == lo {
		hi = lo + 1
	}
	if n < 1 {
		n = 1
	}
	step := niceStep((hi - lo) / float64(n))
	if whole {
		step = math.Max(step, 1)
	}
	start := math.Floor(lo/step) * step
	end := math.Ceil(hi/step) * step
	ticks := make([]float64, 0, n+2)
	for i := 0; i <= 2*n+2; i++ {
		v := start + float64(i)*step
		if v > end+step/2 {
			break
		}
		ticks = append(ticks, roundSig(v, 12))
	}
	return ticks
}

// niceStep returns the smallest 1-2-5 step not below raw.
func niceStep(raw float64) float64 {
	if !(raw > 0) || !finite(raw) {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / pow; {
	case f <= 1:
		return pow
	case f <= 2:
		return 2 * pow
	case f <= 5:
		return 5 * pow
	default:
		return 10 * pow
	}
}

// linear maps the span of ticks onto the pixel range [a, b].
func linear(ticks []float64, a, b float64) func(float64) float64 {
	lo, hi := ticks[0], ticks[len(ticks)-1]
	if hi == lo {
		hi = lo + 1
	}
	k := (b - a) / (hi - lo)
	return func(v float64) float64 { return a + (v-lo)*k }
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// scale is how a chart's value axis reads: its ticks, their labels and the axis's unit, and how
// a single value reads in a tooltip or a total.
type scale struct {
	div   float64 // one axis unit in the values' unit
	unit  string  // the axis's label
	whole bool    // whole-number ticks
	dur   bool    // the values are seconds
}

// durationUnits are the units a duration axis reads in, largest first.
var durationUnits = []struct {
	secs float64
	name string
}{{86400, "days"}, {3600, "hours"}, {60, "minutes"}, {1, "seconds"}}

// newScale returns the value scale of o for values up to vmax in magnitude.
func newScale(o Options, vmax float64) scale {
	s := scale{div: 1, unit: o.YLabel, whole: o.Counts}
	if !o.Durations {
		return s
	}
	s.dur = true
	u := durationUnits[len(durationUnits)-1]
	for _, c := range durationUnits {
		if vmax >= 2*c.secs {
			u = c
			break
		}
	}
	s.div, s.unit = u.secs, u.name
	return s
}

// ticks returns the axis ticks, in axis units, covering values lo..hi (in the values' unit).
func (s scale) ticks(lo, hi float64, n int) []float64 {
	return niceTicks(lo/s.div, hi/s.div, n, s.whole)
}

// at returns a value in axis units.
func (s scale) at(v float64) float64 { return v / s.div }

// value is how one value reads in a tooltip, a total or a summary.
func (s scale) value(v float64) string {
	if s.dur {
		return FormatDuration(time.Duration(v * float64(time.Second)))
	}
	return formatNumber(v) + unitSuffix(s.unit)
}

// FormatDuration writes a duration as people say it, in the unit that suits it and rounded to
// its last unit: "3 d 4 h", "2 h 5 min", "12 min", "4 min 30 s", "3 s", "0.4 s"; "0" for none.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	// Rounding may carry into the next unit up (59 min 50 s is 1 h): round again by the
	// rounded value's unit.
	for range 2 {
		d = d.Round(precision(d))
	}
	switch {
	case d >= 48*time.Hour:
		return twoUnits(d/(24*time.Hour), "d", d%(24*time.Hour)/time.Hour, "h")
	case d >= time.Hour:
		return twoUnits(d/time.Hour, "h", d%time.Hour/time.Minute, "min")
	case d >= 10*time.Minute:
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	case d >= time.Minute:
		return twoUnits(d/time.Minute, "min", d%time.Minute/time.Second, "s")
	case d >= time.Second:
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	}
	return strconv.FormatFloat(math.Max(d.Seconds(), 0.1), 'f', 1, 64) + " s"
}

// precision is what a duration of d's size is rounded to.
func precision(d time.Duration) time.Duration {
	switch {
	case d >= 48*time.Hour:
		return time.Hour
	case d >= 10*time.Minute:
		return time.Minute
	case d >= time.Second:
		return time.Second
	}
	return 100 * time.Millisecond
}

func twoUnits(a time.Duration, ua string, b time.Duration, ub string) string {
	s := strconv.FormatInt(int64(a), 10) + " " + ua
	if b != 0 {
		s += " " + strconv.FormatInt(int64(b), 10) + " " + ub
	}
	return s
}
