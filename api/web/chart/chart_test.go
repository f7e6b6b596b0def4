package chart

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// node is an element of a parsed chart.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     string // character data directly inside the element
}

// parseSVG checks that h is one well-formed <svg> element with the accessibility attributes
// every chart must carry, and returns its tree.
func parseSVG(t testing.TB, h template.HTML) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(h)))
	d.Strict = true
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, h)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: make(map[string]string, len(tok.Attr))}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatalf("more than one root element:\n%s", h)
				}
				root = n
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(tok)) != "" {
					t.Fatalf("text outside the root element: %q", tok)
				}
				continue
			}
			stack[len(stack)-1].text += string(tok)
		default:
			t.Fatalf("unexpected token %T in chart output", tok)
		}
	}
	if root == nil || root.name != "svg" {
		t.Fatalf("root element is not <svg>:\n%s", h)
	}
	for k, want := range map[string]string{"xmlns": "http://www.w3.org/2000/svg", "width": "100%", "role": "img"} {
		if got := root.attr[k]; got != want {
			t.Errorf("svg %s = %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^0 0 [1-9][0-9]* [1-9][0-9]*$`).MatchString(root.attr["viewBox"]) {
		t.Errorf("svg viewBox = %q, want 0 0 W H", root.attr["viewBox"])
	}
	ids := strings.Fields(root.attr["aria-labelledby"])
	if len(ids) != 2 {
		t.Fatalf("aria-labelledby = %q, want the title and desc ids", root.attr["aria-labelledby"])
	}
	if len(root.children) < 2 || root.children[0].name != "title" || root.children[0].attr["id"] != ids[0] ||
		root.children[1].name != "desc" || root.children[1].attr["id"] != ids[1] {
		t.Errorf("svg does not start with <title id=%q> and <desc id=%q>", ids[0], ids[1])
	} else if root.children[0].text == "" || root.children[1].text == "" {
		t.Errorf("empty title %q or desc %q", root.children[0].text, root.children[1].text)
	}
	seen := map[string]bool{}
	coordRE := regexp.MustCompile(`\d\.\d\d`)
	root.walk(func(n *node) {
		if id := n.attr["id"]; id != "" {
			if seen[id] {
				t.Errorf("duplicate id %q", id)
			}
			seen[id] = true
		}
		for k, v := range n.attr {
			if strings.Contains(v, "NaN") || strings.Contains(v, "Inf") {
				t.Errorf("<%s %s=%q>: not a number", n.name, k, v)
			}
			switch k {
			case "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height", "d":
				if coordRE.MatchString(v) {
					t.Errorf("<%s %s=%q>: more than one decimal", n.name, k, v)
				}
			}
		}
	})
	return root
}

func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

func (n *node) hasClass(c string) bool { return slices.Contains(strings.Fields(n.attr["class"]), c) }

// all returns the elements named name (any name when empty) that have class c.
func (n *node) all(name, c string) []*node {
	var out []*node
	n.walk(func(m *node) {
		if (name == "" || m.name == name) && m.hasClass(c) {
			out = append(out, m)
		}
	})
	return out
}

// texts returns the content of the <text> elements with class c.
func (n *node) texts(c string) []string {
	var out []string
	for _, m := range n.all("text", c) {
		out = append(out, m.text)
	}
	return out
}

// tooltip returns the text of the element's <title> child.
func (n *node) tooltip() string {
	for _, c := range n.children {
		if c.name == "title" {
			return c.text
		}
	}
	return ""
}

func (n *node) num(t testing.TB, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.name, attr, n.attr[attr], err)
	}
	return v
}

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	day0 = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC) // a Monday
)

func at(h, m int) time.Time {
	return day0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// hourly returns n points an hour apart from 14:00 with values f(i).
func hourly(n int, f func(i int) float64) []TimePoint {
	pts := make([]TimePoint, n)
	for i := range pts {
		pts[i] = TimePoint{T: at(14+i, 0), V: f(i)}
	}
	return pts
}

func TestEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		render func() template.HTML
		class  string // elements with this class are counted
		want   int
		empty  bool // the empty message is shown
	}{
		{"lines nil", func() template.HTML { return Lines(Options{}, nil) }, "point", 0, true},
		{"lines series without points", func() template.HTML { return Lines(Options{}, []TimeSeries{{Name: "a"}}) }, "series", 0, true},
		{"lines single point", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Name: "a", Points: hourly(1, func(int) float64 { return 3 })}})
		}, "point", 1, false},
		{"lines all zero", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Points: hourly(5, func(int) float64 { return 0 })}})
		}, "point", 5, false},
		{"lines NaN and Inf skipped", func() template.HTML {
			vals := []float64{1, nan, 2, inf, math.Inf(-1), 3}
			return Lines(Options{}, []TimeSeries{{Points: hourly(len(vals), func(i int) float64 { return vals[i] })}})
		}, "point", 3, false},
		{"lines only NaN", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Points: hourly(3, func(int) float64 { return nan })}})
		}, "series", 0, true},
		{"lines same time", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Points: []TimePoint{{at(9, 0), 1}, {at(9, 0), 2}}}})
		}, "point", 2, false},
		{"lines huge values", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Points: []TimePoint{{at(9, 0), -math.MaxFloat64}, {at(10, 0), math.MaxFloat64}}}})
		}, "point", 2, false},
		{"lines zero times", func() template.HTML {
			return Lines(Options{}, []TimeSeries{{Points: []TimePoint{{time.Time{}, 1}, {at(10, 0), 2}}}})
		}, "point", 2, false},
		{"lines tiny size", func() template.HTML {
			return Lines(Options{Width: 40, Height: 20}, []TimeSeries{{Points: hourly(3, func(i int) float64 { return float64(i) })}})
		}, "point", 3, false},
		{"bars nil", func() template.HTML { return Bars(Options{}, nil) }, "bar", 0, true},
		{"bars all zero", func() template.HTML { return Bars(Options{}, []Bar{{"a", 0, ""}, {"b", 0, ""}}) }, "bar", 2, false},
		{"bars NaN skipped", func() template.HTML { return Bars(Options{}, []Bar{{"a", nan, ""}, {"b", 1, ""}, {"c", inf, ""}}) }, "bar", 1, false},
		{"bars only NaN", func() template.HTML { return Bars(Options{}, []Bar{{"a", nan, ""}}) }, "bar", 0, true},
		{"bars negative", func() template.HTML { return Bars(Options{}, []Bar{{"a", -3, ""}, {"b", 2, ""}}) }, "bar", 2, false},
		{"stacked nil", func() template.HTML { return StackedHBars(Options{}, nil, nil) }, "bar", 0, true},
		{"stacked rows without parts", func() template.HTML {
			return StackedHBars(Options{}, []string{"faults"}, []StackedRow{{Label: "a"}})
		}, "bar", 0, true},
		{"stacked bad parts skipped", func() template.HTML {
			return StackedHBars(Options{}, []string{"a", "b"}, []StackedRow{{"r", []float64{nan, -1, 0, 2, inf}}})
		}, "bar", 1, false},
		{"gantt no rows", func() template.HTML { return Gantt(Options{}, at(8, 0), at(16, 0), at(9, 0), nil, nil) }, "lane", 0, true},
		{"gantt empty lanes", func() template.HTML {
			return Gantt(Options{}, at(8, 0), at(16, 0), at(9, 0), []GanttRow{{Label: "a"}, {Label: "b"}}, nil)
		}, "lane", 2, false},
		{"gantt window from equals to", func() template.HTML {
			return Gantt(Options{}, at(8, 0), at(8, 0), at(8, 0), []GanttRow{{Bars: []GanttBar{{Start: at(8, 0), End: at(8, 10)}}}}, nil)
		}, "bar", 1, false},
		{"gantt window inverted", func() template.HTML {
			return Gantt(Options{}, at(16, 0), at(8, 0), time.Time{}, []GanttRow{{Bars: []GanttBar{{Start: at(9, 0), End: at(10, 0)}}}}, nil)
		}, "bar", 1, false},
		{"gantt zero times", func() template.HTML {
			return Gantt(Options{}, time.Time{}, time.Time{}, time.Time{}, []GanttRow{{Bars: []GanttBar{{}}}}, []Marker{{}})
		}, "bar", 1, false},
		{"gantt centuries wide", func() template.HTML {
			return Gantt(Options{}, time.Time{}, day0, day0, []GanttRow{{Bars: []GanttBar{{Start: day0.AddDate(-9, 0, 0), End: day0}}}}, nil)
		}, "bar", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.render()
			svg := parseSVG(t, h)
			if got := len(svg.all("", tt.class)); got != tt.want {
				t.Errorf("%d elements of class %q, want %d\n%s", got, tt.class, tt.want, h)
			}
			if got := slices.Contains(svg.texts("empty"), "No data yet"); got != tt.empty {
				t.Errorf("empty message shown = %v, want %v", got, tt.empty)
			}
		})
	}
}

func TestEmptyMessageAndTitle(t *testing.T) {
	svg := parseSVG(t, Bars(Options{Title: "Output", Empty: "Nothing woven yet"}, nil))
	if got := svg.texts("empty"); !slices.Equal(got, []string{"Nothing woven yet"}) {
		t.Errorf("empty message = %q, want the configured one", got)
	}
	if got := svg.children[0].text; got != "Output" {
		t.Errorf("title = %q, want Output", got)
	}
}

func TestIDsUniquePerCall(t *testing.T) {
	a := parseSVG(t, Lines(Options{Title: "Same"}, nil))
	b := parseSVG(t, Lines(Options{Title: "Same"}, nil))
	if a.attr["aria-labelledby"] == b.attr["aria-labelledby"] {
		t.Errorf("two charts share ids %q", a.attr["aria-labelledby"])
	}
}

func TestEscaping(t *testing.T) {
	const nasty = `Inès & <"S '27">`
	checks := []struct {
		name   string
		render func(label string) template.HTML
		class  string // the <text> class that must show the label
	}{
		{"lines legend", func(l string) template.HTML {
			return Lines(Options{Title: l, Desc: l}, []TimeSeries{{Name: l, Points: hourly(2, func(int) float64 { return 1 })}})
		}, "legend-label"},
		{"bars label", func(l string) template.HTML {
			return Bars(Options{Title: l, Desc: l}, []Bar{{Label: l, Value: 1, Title: l}})
		}, "label"},
		{"stacked row label", func(l string) template.HTML {
			return StackedHBars(Options{Title: l, Desc: l}, []string{l}, []StackedRow{{Label: l, Parts: []float64{1}}})
		}, "label"},
		{"gantt bar label", func(l string) template.HTML {
			return Gantt(Options{Title: l, Desc: l}, at(8, 0), at(16, 0), time.Time{},
				[]GanttRow{{Label: "cell", Bars: []GanttBar{{Start: at(8, 0), End: at(16, 0), Label: l, Title: l}}}},
				[]Marker{{At: at(12, 0), Label: l}})
		}, "bar-label"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			svg := parseSVG(t, c.render(nasty))
			if got := svg.children[0].text; got != nasty {
				t.Errorf("title = %q, want %q", got, nasty)
			}
			if got := svg.children[1].text; got != nasty {
				t.Errorf("desc = %q, want %q", got, nasty)
			}
			if got := svg.texts(c.class); !slices.Contains(got, nasty) {
				t.Errorf("%s texts = %q, want %q among them", c.class, got, nasty)
			}
		})
	}
	t.Run("long labels are cut", func(t *testing.T) {
		long := "a very long cell name & more"
		svg := parseSVG(t, Bars(Options{}, []Bar{{Label: long, Value: 1}}))
		if got, want := svg.texts("label"), []string{"a very long cell …"}; !slices.Equal(got, want) {
			t.Errorf("label = %q, want %q", got, want)
		}
		if got, want := svg.all("rect", "bar")[0].tooltip(), long+": 1"; got != want {
			t.Errorf("tooltip = %q, want %q", got, want)
		}
	})
	t.Run("bytes XML forbids", func(t *testing.T) {
		svg := parseSVG(t, Bars(Options{}, []Bar{{Label: "a\x00b\x01\xffc\uFFFE", Value: 1}}))
		if got, want := svg.texts("label"), []string{"ab\uFFFDc\uFFFD"}; !slices.Equal(got, want) {
			t.Errorf("label = %q, want %q", got, want)
		}
	})
}

func TestLinesTicks(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		name   string
		loc    *time.Location
		from   time.Time
		to     time.Time
		values []float64
		xTicks []string
		yTicks []string
	}{
		{"minutes", nil, at(14, 0), at(14, 20), []float64{1, 2}, []string{"14:00", "14:05", "14:10", "14:15", "14:20"}, []string{"0", "0.5", "1", "1.5", "2"}},
		{"hours", nil, at(14, 0), at(18, 0), []float64{0, 12}, []string{"14:00", "15:00", "16:00", "17:00", "18:00"}, []string{"0", "5", "10", "15"}},
		{"hours in location", cet, at(13, 0), at(15, 0), []float64{1500, 2500}, []string{"14:00", "14:30", "15:00", "15:30", "16:00"}, []string{"0", "500", "1k", "1.5k", "2k", "2.5k"}},
		{"days", nil, at(0, 0), at(72, 0), []float64{-3, 7}, []string{"Mon 1", "12:00", "Tue 2", "12:00", "Wed 3", "12:00", "Thu 4"}, []string{"-4", "-2", "0", "2", "4", "6", "8"}},
		{"weeks", nil, at(0, 0), day0.AddDate(0, 0, 60), []float64{0.1, 0.25}, []string{"1 Mar", "15 Mar", "29 Mar", "12 Apr", "26 Apr"}, []string{"0", "0.05", "0.1", "0.15", "0.2", "0.25"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := TimeSeries{Name: "output", Points: []TimePoint{{tt.from, tt.values[0]}, {tt.to, tt.values[1]}}}
			svg := parseSVG(t, Lines(Options{Loc: tt.loc}, []TimeSeries{s}))
			var xs, ys []string
			for _, g := range svg.all("g", "axis-x") {
				for _, tx := range g.all("text", "tick") {
					xs = append(xs, tx.text)
				}
			}
			for _, g := range svg.all("g", "axis-y") {
				for _, tx := range g.all("text", "tick") {
					ys = append(ys, tx.text)
				}
			}
			if !slices.Equal(xs, tt.xTicks) {
				t.Errorf("x ticks = %q, want %q", xs, tt.xTicks)
			}
			if !slices.Equal(ys, tt.yTicks) {
				t.Errorf("y ticks = %q, want %q", ys, tt.yTicks)
			}
		})
	}
}

func TestLinesSeriesAndMarkers(t *testing.T) {
	tests := []struct {
		name    string
		points  []int // points per series
		paths   int
		markers int
	}{
		{"two small series", []int{3, 5}, 2, 8},
		{"at the marker limit", []int{40}, 1, 40},
		{"above the marker limit", []int{41}, 1, 0},
		{"one small one large", []int{2, 100}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var series []TimeSeries
			for i, n := range tt.points {
				series = append(series, TimeSeries{Name: fmt.Sprintf("cell %d", i), Points: hourly(n, func(j int) float64 { return float64(j % 7) })})
			}
			svg := parseSVG(t, Lines(Options{YLabel: "units"}, series))
			if got := len(svg.all("path", "series")); got != tt.paths {
				t.Errorf("%d lines, want %d", got, tt.paths)
			}
			if got := len(svg.all("circle", "point")); got != tt.markers {
				t.Errorf("%d markers, want %d", got, tt.markers)
			}
			if got := len(svg.all("g", "legend-item")); got != len(tt.points) {
				t.Errorf("%d legend entries, want %d", got, len(tt.points))
			}
			if got := svg.texts("unit"); !slices.Equal(got, []string{"units"}) {
				t.Errorf("unit label = %q, want units", got)
			}
		})
	}
}

func TestLinesGapsAndOrder(t *testing.T) {
	// Unsorted points are drawn in time order; a NaN breaks the line into two pieces.
	s := TimeSeries{Name: "a", Points: []TimePoint{{at(16, 0), 3}, {at(14, 0), 1}, {at(15, 0), nan}, {at(17, 0), 4}}}
	svg := parseSVG(t, Lines(Options{}, []TimeSeries{s}))
	paths := svg.all("path", "series")
	if len(paths) != 1 {
		t.Fatalf("%d paths, want 1", len(paths))
	}
	d := paths[0].attr["d"]
	if strings.Count(d, "M") != 2 || strings.Count(d, "L") != 1 {
		t.Errorf("path d = %q, want a lone point then a segment (M, M L)", d)
	}
	pts := svg.all("circle", "point")
	for i := 1; i < len(pts); i++ {
		if pts[i].num(t, "cx") <= pts[i-1].num(t, "cx") {
			t.Errorf("markers not in time order: %v then %v", pts[i-1].attr, pts[i].attr)
		}
	}
	if got := pts[0].tooltip(); got != "a, Mon 1 Mar 14:00: 1" {
		t.Errorf("first marker tooltip = %q", got)
	}
}

func TestBars(t *testing.T) {
	bars := []Bar{
		{Label: "weave-1", Value: 1500},
		{Label: "weave-2", Value: 500, Title: "weave-2 needs a new warp"},
		{Label: "dye-1", Value: nan},
		{Label: "knit-1", Value: 0},
	}
	svg := parseSVG(t, Bars(Options{YLabel: "units"}, bars))
	rects := svg.all("rect", "bar")
	if len(rects) != 3 {
		t.Fatalf("%d bars, want 3 (the NaN is skipped)", len(rects))
	}
	if got := rects[0].tooltip(); got != "weave-1: 1.5k units" {
		t.Errorf("default tooltip = %q", got)
	}
	if got := rects[1].tooltip(); got != "weave-2 needs a new warp" {
		t.Errorf("custom tooltip = %q", got)
	}
	if h0, h1 := rects[0].num(t, "height"), rects[1].num(t, "height"); math.Abs(h0-3*h1) > 0.5 {
		t.Errorf("bar heights %v and %v, want 3:1", h0, h1)
	}
	if got := rects[2].num(t, "height"); got != 0 {
		t.Errorf("zero bar height = %v", got)
	}
	if got, want := svg.texts("label"), []string{"weave-1", "weave-2", "dye-1", "knit-1"}; !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}

	t.Run("crowded labels are thinned", func(t *testing.T) {
		many := make([]Bar, 200)
		for i := range many {
			many[i] = Bar{Label: fmt.Sprintf("bin %d", i), Value: float64(i)}
		}
		svg := parseSVG(t, Bars(Options{}, many))
		if got := len(svg.all("rect", "bar")); got != 200 {
			t.Errorf("%d bars, want 200", got)
		}
		labels := svg.texts("label")
		if len(labels) == 0 || len(labels) > 40 || labels[0] != "bin 0" {
			t.Errorf("%d labels starting %q, want a readable subset from bin 0", len(labels), labels[:min(1, len(labels))])
		}
	})
}

func TestStackedHBars(t *testing.T) {
	rows := []StackedRow{
		{Label: "weave-1", Parts: []float64{30, 10}},
		{Label: "dye-1", Parts: []float64{20, 0}},
		{Label: "knit-1", Parts: []float64{5, 5, 5}}, // one part more than names
	}
	svg := parseSVG(t, StackedHBars(Options{YLabel: "minutes"}, []string{"faults", "changeovers"}, rows))
	rects := svg.all("rect", "bar")
	if len(rects) != 6 {
		t.Fatalf("%d parts drawn, want 6 (zero parts are not drawn)", len(rects))
	}
	if got := len(svg.all("rect", "p0")); got != 3 {
		t.Errorf("%d faults parts, want 3", got)
	}
	w0, w1 := rects[0].num(t, "width"), rects[1].num(t, "width")
	if math.Abs(w0-3*w1) > 0.5 {
		t.Errorf("weave-1 part widths %v and %v, want 3:1", w0, w1)
	}
	if x0, x1 := rects[0].num(t, "x"), rects[1].num(t, "x"); math.Abs(x0+w0-x1) > 0.2 {
		t.Errorf("second part starts at %v, want the end of the first, %v", x1, x0+w0)
	}
	if rects[0].attr["fill"] == rects[1].attr["fill"] {
		t.Errorf("both parts filled %s", rects[0].attr["fill"])
	}
	if got := rects[1].tooltip(); got != "weave-1, changeovers: 10 minutes" {
		t.Errorf("tooltip = %q", got)
	}
	var legend []string
	for _, g := range svg.all("g", "legend") {
		legend = append(legend, g.texts("legend-label")...)
	}
	if want := []string{"faults", "changeovers", "Part 3"}; !slices.Equal(legend, want) {
		t.Errorf("legend = %q, want %q", legend, want)
	}
	if got, want := svg.texts("total"), []string{"40", "20", "15"}; !slices.Equal(got, want) {
		t.Errorf("totals = %q, want %q", got, want)
	}
}

func TestGanttClipsAndSkips(t *testing.T) {
	from, to := at(8, 0), at(16, 0)
	bar := func(label string, sh, sm, eh, em int) GanttBar {
		return GanttBar{Start: at(sh, sm), End: at(eh, em), Label: label, Title: label, Group: label[:1]}
	}
	rows := []GanttRow{
		{Label: "weave-1", Bars: []GanttBar{
			bar("a inside", 9, 0, 10, 0),
			bar("b starts before", 6, 0, 9, 0),
			bar("c ends after", 15, 0, 18, 0),
			bar("d spans", 6, 0, 18, 0),
		}},
		{Label: "dye-1", Bars: []GanttBar{
			bar("x before", 5, 0, 7, 0),
			bar("x after", 17, 0, 18, 0),
			bar("x ends at from", 6, 0, 8, 0),
			bar("x starts at to", 16, 0, 17, 0),
			bar("x instant outside", 7, 0, 7, 0),
		}},
		{Label: "knit-1", Bars: []GanttBar{
			bar("e instant", 12, 0, 12, 0),
			bar("f negative", 13, 0, 12, 0),
			bar("a again", 14, 0, 15, 0),
		}},
	}
	markers := []Marker{{At: at(12, 0), Label: "winter drop"}, {At: at(20, 0), Label: "outside"}}
	svg := parseSVG(t, Gantt(Options{}, from, to, at(11, 0), rows, markers))

	if got := len(svg.all("rect", "lane")); got != 3 {
		t.Errorf("%d lanes, want 3", got)
	}
	var titles []string
	for _, r := range svg.all("rect", "bar") {
		titles = append(titles, r.tooltip())
	}
	want := []string{"a inside", "b starts before", "c ends after", "d spans", "e instant", "f negative", "a again"}
	if !slices.Equal(titles, want) {
		t.Fatalf("bars drawn = %q, want %q", titles, want)
	}
	base := svg.all("line", "baseline")
	if len(base) != 1 {
		t.Fatalf("%d baselines, want 1", len(base))
	}
	left, right := base[0].num(t, "x1"), base[0].num(t, "x2")
	bars := svg.all("rect", "bar")
	for _, c := range []struct {
		i                  int
		clipStart, clipEnd bool
	}{{0, false, false}, {1, true, false}, {2, false, true}, {3, true, true}} {
		b := bars[c.i]
		if b.hasClass("clip-start") != c.clipStart || b.hasClass("clip-end") != c.clipEnd {
			t.Errorf("%s: class %q, want clip-start %v clip-end %v", titles[c.i], b.attr["class"], c.clipStart, c.clipEnd)
		}
		x0, x1 := b.num(t, "x"), b.num(t, "x")+b.num(t, "width")
		if x0 < left-0.1 || x1 > right+0.1 {
			t.Errorf("%s: drawn %v..%v, outside the window %v..%v", titles[c.i], x0, x1, left, right)
		}
		if c.clipStart && math.Abs(x0-left) > 0.1 {
			t.Errorf("%s: starts at %v, want the window start %v", titles[c.i], x0, left)
		}
		if c.clipEnd && math.Abs(x1-right) > 0.1 {
			t.Errorf("%s: ends at %v, want the window end %v", titles[c.i], x1, right)
		}
	}
	// 9:00-10:00 is one eighth of the window.
	if got, want := bars[0].num(t, "width"), (right-left)/8; math.Abs(got-want) > 0.2 {
		t.Errorf("one-hour bar is %v wide, want %v", got, want)
	}
	if bars[4].num(t, "width") <= 0 || bars[5].num(t, "width") <= 0 {
		t.Errorf("instant and negative bars are invisible: %v, %v", bars[4].attr, bars[5].attr)
	}
	if bars[0].attr["fill"] != bars[6].attr["fill"] || bars[0].attr["fill"] == bars[1].attr["fill"] {
		t.Errorf("fills %s, %s, %s: want one colour per group", bars[0].attr["fill"], bars[6].attr["fill"], bars[1].attr["fill"])
	}
	if got := svg.texts("marker-label"); !slices.Equal(got, []string{"winter drop"}) {
		t.Errorf("markers = %q, want only the one inside the window", got)
	}
	if got := len(svg.all("line", "now-line")); got != 1 {
		t.Errorf("%d now lines, want 1", got)
	}
	if got := svg.texts("label"); !slices.Equal(got, []string{"weave-1", "dye-1", "knit-1"}) {
		t.Errorf("lane labels = %q", got)
	}

	t.Run("now outside the window", func(t *testing.T) {
		svg := parseSVG(t, Gantt(Options{}, from, to, at(17, 0), rows, nil))
		if got := len(svg.all("line", "now-line")); got != 0 {
			t.Errorf("%d now lines, want 0", got)
		}
	})
}

func TestGanttHeightFromRows(t *testing.T) {
	viewH := func(rows int) int {
		svg := parseSVG(t, Gantt(Options{}, at(8, 0), at(16, 0), time.Time{}, make([]GanttRow, rows), nil))
		h, _ := strconv.Atoi(strings.Fields(svg.attr["viewBox"])[3])
		return h
	}
	if h1, h10 := viewH(1), viewH(10); h10 <= h1 || h10-h1 != 9*ganttLane {
		t.Errorf("heights %d for 1 row and %d for 10, want %v more per row", h1, h10, ganttLane)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"integer", 12, "12"},
		{"fraction", 0.25, "0.25"},
		{"float noise", 0.1 + 0.2, "0.3"},
		{"thousands", 1500, "1.5k"},
		{"rounds up to k", 999.9, "1k"},
		{"millions", 1234567, "1.23M"},
		{"billions", 2e9, "2G"},
		{"negative", -2500, "-2.5k"},
		{"small", 0.005, "0.005"},
		{"NaN", nan, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatNumber(tt.in); got != tt.want {
				t.Errorf("formatNumber(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		n      int
		want   []float64
	}{
		{"from zero", 3, 12, 5, []float64{0, 5, 10, 15}},
		{"negatives", -3, 7, 5, []float64{-4, -2, 0, 2, 4, 6, 8}},
		{"all zero", 0, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"all negative", -10, -2, 4, []float64{-10, -5, 0}},
		{"fractions", 0, 0.3, 3, []float64{0, 0.1, 0.2, 0.3}},
		{"infinite", 0, inf, 5, []float64{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := niceTicks(tt.lo, tt.hi, tt.n, false); !slices.Equal(got, tt.want) {
				t.Errorf("niceTicks(%v, %v, %d) = %v, want %v", tt.lo, tt.hi, tt.n, got, tt.want)
			}
		})
	}
}

func TestAppendCoord(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"integer", 12, "12"},
		{"one decimal", 12.34, "12.3"},
		{"rounds", 0.06, "0.1"},
		{"negative zero", -0.04, "0"},
		{"NaN", nan, "0"},
		{"huge", 1e300, "10000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendCoord(nil, tt.in)); got != tt.want {
				t.Errorf("appendCoord(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// gantt5000 is a plan of 50 cells with 100 operations each over two weeks, some of them
// reaching outside the window.
func gantt5000() (from, to time.Time, rows []GanttRow, markers []Marker) {
	from, to = day0, day0.AddDate(0, 0, 14)
	rows = make([]GanttRow, 50)
	for i := range rows {
		rows[i].Label = fmt.Sprintf("cell-%02d", i)
		rows[i].Bars = make([]GanttBar, 100)
		for j := range rows[i].Bars {
			start := from.Add(time.Duration(j*4-8)*time.Hour + time.Duration(i)*time.Minute)
			rows[i].Bars[j] = GanttBar{
				Start: start, End: start.Add(3 * time.Hour),
				Label: fmt.Sprintf("WO-%d", i*100+j), Title: fmt.Sprintf("work order %d & co", i*100+j),
				Group: fmt.Sprintf("drop-%d", j%6),
			}
		}
	}
	markers = []Marker{{At: from.AddDate(0, 0, 7), Label: "Spring '27"}}
	return from, to, rows, markers
}

func TestGantt5000(t *testing.T) {
	from, to, rows, markers := gantt5000()
	svg := parseSVG(t, Gantt(Options{Title: "Plan"}, from, to, from.Add(30*time.Hour), rows, markers))
	// Bars start every 4 hours from 8 hours before the window; those ending by the window
	// start (j = 0, 1) and those starting after it (84 per lane fit) are skipped.
	inWindow := 0
	for _, r := range rows {
		for _, b := range r.Bars {
			if b.End.After(from) && b.Start.Before(to) {
				inWindow++
			}
		}
	}
	if got := len(svg.all("rect", "bar")); got != inWindow || got == 0 || got == 5000 {
		t.Errorf("%d bars drawn, want %d of 5000", got, inWindow)
	}
}

func BenchmarkGantt5000(b *testing.B) {
	from, to, rows, markers := gantt5000()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = len(Gantt(Options{Title: "Plan"}, from, to, from.Add(30*time.Hour), rows, markers))
	}
	b.ReportMetric(float64(size), "bytes/chart")
}

func BenchmarkLines(b *testing.B) {
	series := make([]TimeSeries, 4)
	for i := range series {
		series[i].Name = fmt.Sprintf("cell-%d", i)
		series[i].Points = make([]TimePoint, 1000)
		for j := range series[i].Points {
			series[i].Points[j] = TimePoint{T: day0.Add(time.Duration(j) * time.Minute), V: float64((i + 1) * (j % 97))}
		}
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = len(Lines(Options{Title: "Output", YLabel: "units"}, series))
	}
	b.ReportMetric(float64(size), "bytes/chart")
}
