package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Bar is one vertical bar: its category label, its value and its tooltip.
type Bar struct {
	Label string
	Value float64
	// Title is the tooltip text (the <title> in the rect); "Label: value unit" when empty.
	Title string
}

// labelChars is the longest category or row label drawn in full; longer ones are cut with an
// ellipsis and shown whole in the tooltip.
const labelChars = 18

// Bars draws vertical bars with category labels under them; a histogram passes its bins as
// bars. Negative values hang below the zero line. A bar with a NaN or infinite value keeps its
// place and label but draws no rectangle. When labels would overlap only every k-th is drawn.
func Bars(o Options, bars []Bar) template.HTML {
	o = o.withDefaults("Bar chart")
	height := o.Height
	if height == 0 {
		height = defaultHeight
	}
	vmin, vmax := math.Inf(1), math.Inf(-1)
	count, maxAt := 0, -1
	for i, b := range bars {
		if !finite(b.Value) {
			continue
		}
		if maxAt < 0 || b.Value > bars[maxAt].Value {
			maxAt = i
		}
		vmin, vmax = math.Min(vmin, b.Value), math.Max(vmax, b.Value)
		count++
	}
	sc := newScale(o, math.Max(math.Abs(vmin), math.Abs(vmax)))
	desc := "Bar chart with no data."
	if count > 0 {
		desc = "Bar chart of " + strconv.Itoa(len(bars)) + " bars from " + sc.value(vmin) + " to " +
			sc.value(vmax) + "; highest: " + bars[maxAt].Label + "."
	}
	w := open(o, height, "chart-bars", desc, len(bars)*120)

	top := 16.0
	if sc.unit != "" {
		top = 26
	}
	p := box{x: 56, y: top}
	p.w = math.Max(float64(o.Width)-p.x-16, 20)
	p.h = math.Max(float64(height)-top-30, 20)
	if count == 0 {
		w.empty(o, p)
		return w.close()
	}
	yt := sc.ticks(vmin, vmax, clampInt(int(p.h/40), 2, 8))
	ya := linear(yt, p.bottom(), p.y)
	y := func(v float64) float64 { return ya(sc.at(v)) }
	w.yAxis(sc.unit, p, yt, ya)

	slot := p.w / float64(len(bars))
	gap := slot * 0.2
	if slot < 4 {
		gap = 0
	}
	widest := 0.0
	for _, b := range bars {
		widest = math.Max(widest, textWidth(truncate(b.Label, labelChars)))
	}
	every := max(1, int(math.Ceil((widest+8)/slot)))
	y0 := y(0)
	w.s(`<g class="bars">`)
	for i, b := range bars {
		if !finite(b.Value) {
			continue
		}
		y1 := y(b.Value)
		w.s(`<rect class="bar"`)
		w.attr("x", p.x+float64(i)*slot+gap/2)
		w.attr("y", math.Min(y0, y1))
		w.attr("width", slot-gap)
		w.attr("height", math.Abs(y1-y0))
		w.s(` fill="` + palette[0] + `"><title>`)
		if b.Title != "" {
			w.t(b.Title)
		} else {
			w.t(barTitle(b.Label, sc.value(b.Value)))
		}
		w.s(`</title></rect>`)
	}
	w.s(`</g><g class="labels">`)
	for i, b := range bars {
		if i%every != 0 || b.Label == "" {
			continue
		}
		w.text("label", p.x+(float64(i)+0.5)*slot, p.bottom()+17, "middle", "", truncate(b.Label, labelChars))
	}
	w.s(`</g>`)
	w.line("baseline", p.x, y0, p.right(), y0, axisColor)
	return w.close()
}

func barTitle(label, value string) string {
	if label == "" {
		return value
	}
	return label + ": " + value
}

// StackedRow is one horizontal bar of a stacked bar chart: its label and the size of each
// part, in the order of the chart's part names.
type StackedRow struct {
	Label string
	Parts []float64
}

// StackedHBars draws one horizontal bar per row with its parts stacked left to right in the
// order of parts, which also name the legend; for example rows are cells and parts are
// {"faults", "changeovers"} in minutes. Parts that are zero, negative, NaN or infinite are not
// drawn: a stack has no place for them. When o.Height is zero the height grows with the rows.
func StackedHBars(o Options, parts []string, rows []StackedRow) template.HTML {
	o = o.withDefaults("Stacked bar chart")
	names, total, count := stackExtent(parts, rows)

	labelW := 0.0
	for _, r := range rows {
		labelW = math.Max(labelW, textWidth(truncate(r.Label, labelChars)))
	}
	labelW = math.Min(labelW+16, float64(o.Width)*0.35)
	// The legend height is needed before the first element is written; measure it on a
	// scratch writer.
	var scratch writer
	legendH := scratch.legend(names, labelW, 8, float64(o.Width)-16)
	top := 8 + legendH + 8
	const lane, bottom = 24.0, 30.0
	height := o.Height
	if height == 0 {
		height = max(defaultHeight, int(math.Ceil(top+lane*float64(len(rows))+bottom)))
	}

	sc := newScale(o, total)
	desc := "Stacked bar chart with no data."
	if count > 0 {
		desc = "Stacked horizontal bars for " + strconv.Itoa(len(rows)) + " rows, parts " +
			strings.Join(names, ", ") + "; largest total " + sc.value(total) + "."
	}
	w := open(o, height, "chart-stacked", desc, count*120)
	w.legend(names, labelW, 8, float64(o.Width)-16)
	// Room on the right for the widest total written after its bar.
	totalW := 0.0
	for _, r := range rows {
		totalW = math.Max(totalW, textWidth(stackTotal(sc, r.Parts)))
	}
	p := box{x: labelW, y: top}
	p.w = math.Max(float64(o.Width)-p.x-math.Max(40, totalW+12), 20)
	p.h = math.Max(float64(height)-top-bottom, 20)
	if count == 0 {
		w.empty(o, p)
		return w.close()
	}

	xt := sc.ticks(0, total, clampInt(int(p.w/90), 2, 10))
	xa := linear(xt, p.x, p.right())
	x := func(v float64) float64 { return xa(sc.at(v)) }
	w.stackAxis(p, xt, xa, sc.unit)

	rowH := p.h / float64(max(len(rows), 1))
	barH := math.Min(rowH*0.7, 24)
	for i, r := range rows {
		cy := p.y + (float64(i)+0.5)*rowH
		w.s(`<g class="row">`)
		w.text("label", p.x-8, cy+4, "end", "", truncate(r.Label, labelChars))
		at := 0.0
		for j, v := range r.Parts {
			if !finite(v) || v <= 0 {
				continue
			}
			w.s(`<rect class="bar p` + strconv.Itoa(j) + `"`)
			w.attr("x", x(at))
			w.attr("y", cy-barH/2)
			w.attr("width", x(at+v)-x(at))
			w.attr("height", barH)
			w.s(` fill="` + color(j) + `"><title>`)
			w.t(r.Label + ", " + names[j] + ": " + sc.value(v))
			w.s(`</title></rect>`)
			at += v
		}
		if at > 0 {
			w.text("total", x(at)+4, cy+4, "start", mutedText, stackTotal(sc, r.Parts))
		}
		w.s(`</g>`)
	}
	return w.close()
}

// stackExtent names the parts (those parts does not name by their number) and returns the
// largest total of a row and how many parts drawn the rows hold.
func stackExtent(parts []string, rows []StackedRow) (names []string, total float64, count int) {
	names = append([]string(nil), parts...)
	for _, r := range rows {
		sum := 0.0
		for j, v := range r.Parts {
			if finite(v) && v > 0 {
				sum += v
				count++
			}
			for len(names) <= j {
				names = append(names, "Part "+strconv.Itoa(len(names)+1))
			}
		}
		total = math.Max(total, sum)
	}
	return names, total, count
}

// stackAxis draws the value axis of stacked bars under the plot p, with the ticks xt that xa
// maps onto it and a grid line for each, and unit, when set, left of it.
func (w *writer) stackAxis(p box, xt []float64, xa func(float64) float64, unit string) {
	w.s(`<g class="axis axis-x">`)
	for _, v := range xt {
		xx := xa(v)
		stroke := gridColor
		if v == 0 {
			stroke = axisColor
		}
		w.line("grid", xx, p.y, xx, p.bottom(), stroke)
		w.text("tick", xx, p.bottom()+17, "middle", "", formatNumber(v))
	}
	if unit != "" {
		// Under the row labels, left of the zero tick, where it cannot collide with a tick.
		w.text("unit", p.x-8, p.bottom()+17, "end", mutedText, unit)
	}
	w.s(`</g>`)
}

// stackTotal is the total written after a stacked bar: the sum of its parts drawn, "" for none.
func stackTotal(sc scale, parts []float64) string {
	at := 0.0
	for _, v := range parts {
		if finite(v) && v > 0 {
			at += v
		}
	}
	switch {
	case at <= 0:
		return ""
	case sc.dur:
		return sc.value(at)
	}
	return formatNumber(at)
}
