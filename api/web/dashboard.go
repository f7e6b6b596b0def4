package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web/chart"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// The manager's dashboard. Every chart is a table first (what its CSV holds) and a picture of
// that table second, so that the picture and the download never disagree.

// window is how far back the floor charts look.
const window = 24 * time.Hour

// chartWidth is the width of the dashboard's charts: two of them side by side fit a 1024 px
// wide tablet, and a chart is never drawn narrower (package chart), so its text stays 12 px.
const chartWidth = 440

// table is a chart's data: what its CSV download holds.
type table struct {
	Header []string
	Rows   [][]string
}

// figure is one chart of the dashboard.
type figure struct {
	Name, Title, Caption string
	SVG                  template.HTML
}

// floorData is what the board and the floor charts are drawn from: the operations finished in
// the window, the fault periods, and what each cell does now.
type floorData struct {
	now      time.Time
	from     time.Time
	finished []book.QueueEntry
	faults   []book.Event
}

func (p *Pages) floorData(ctx context.Context) (floorData, error) {
	now := p.cfg.Now()
	d := floorData{now: now, from: now.Add(-window)}
	var err error
	if d.finished, err = p.book.FinishedOperations(ctx, d.from, 0); err != nil {
		return d, err
	}
	// Fault periods that began before the window still count from its start; a week back is
	// far enough for a fault that outlasted the whole window.
	d.faults, err = p.book.Events(ctx, book.EventFilter{
		Kinds: []string{book.EventCellFault, book.EventCellRecovered}, Since: d.from.Add(-7 * 24 * time.Hour),
	})
	return d, err
}

// faultTime returns how long each cell was out of service in [from, to), and since when the
// cells still down have been down.
func (d floorData) faultTime(from, to time.Time) (lost map[string]time.Duration, downSince map[string]time.Time) {
	lost = make(map[string]time.Duration)
	downSince = make(map[string]time.Time)
	add := func(cell string, a, b time.Time) {
		a, b = later(a, from), earlier(b, to)
		if b.After(a) {
			lost[cell] += b.Sub(a)
		}
	}
	for _, e := range d.faults {
		switch e.Kind {
		case book.EventCellFault:
			if _, down := downSince[e.Cell]; !down {
				downSince[e.Cell] = e.At
			}
		case book.EventCellRecovered:
			if since, down := downSince[e.Cell]; down {
				add(e.Cell, since, e.At)
				delete(downSince, e.Cell)
			}
		}
	}
	for cell, since := range downSince {
		add(cell, since, to)
	}
	return lost, downSince
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// good is the number of good units an operation finished.
func good(e book.QueueEntry) int {
	if e.State != book.Done {
		return 0
	}
	return max(0, e.Quantity-e.Scrapped)
}

// boardTile is a cell on the live board.
type boardTile struct {
	ID, Name   string
	Machine    machineView
	Job        *book.QueueEntry
	UnitsToday int
	FaultToday time.Duration
	DownSince  time.Time
	Queued     int
}

// State is the word the board shows for the cell.
func (t boardTile) State() string {
	switch {
	case t.Machine.Down != "":
		return "fault"
	case t.Job != nil && t.Job.State == book.Running:
		return "running"
	case t.Job != nil && t.Job.State == book.Paused:
		return "paused"
	}
	return "idle"
}

func (p *Pages) board(ctx context.Context, d floorData) ([]boardTile, error) {
	fac := p.factory()
	local := d.now.In(p.loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, p.loc)
	lost, downSince := d.faultTime(midnight, d.now)
	units := make(map[string]int)
	for _, e := range d.finished {
		if e.EndedAt != nil && !e.EndedAt.Before(midnight) {
			units[e.Cell] += good(e)
		}
	}
	tiles := make([]boardTile, 0, len(fac.Cells))
	for _, c := range fac.Cells {
		t := boardTile{ID: c.ID, Name: c.Name, Machine: p.machineOf(c.ID), UnitsToday: units[c.ID],
			FaultToday: lost[c.ID], DownSince: downSince[c.ID]}
		active, size, err := p.book.Active(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if len(active) > 0 {
			t.Job = &active[0]
		}
		for _, e := range active {
			t.UnitsToday += e.UnitsDone
		}
		t.Queued = size.Queued
		tiles = append(tiles, t)
	}
	return tiles, nil
}

// dropRow is a drop's progress.
type dropRow struct {
	ID, Name   string
	Date       time.Time
	Status     string // on-track, at-risk, late, done, short, no-orders, planning, unplanned
	Predicted  time.Time
	Open, Late int
	Turnaround book.Turnaround
}

// atRiskMargin is how close to its date a drop may be predicted to finish and still be on
// track: a day, or a tenth of the time left, whichever is more.
func atRiskMargin(now, date time.Time) time.Duration {
	return max(24*time.Hour, date.Sub(now)/10)
}

func (p *Pages) drops(ctx context.Context, now time.Time) ([]dropRow, map[string][]book.Completion, error) {
	fac := p.factory()
	var forecasts map[string]planner.DropForecast
	if drops, ok := p.forecasts(); ok {
		forecasts = make(map[string]planner.DropForecast, len(drops))
		for _, f := range drops {
			forecasts[f.Drop] = f
		}
	}
	completions := make(map[string][]book.Completion)
	rows := make([]dropRow, 0, len(fac.Drops))
	for _, d := range fac.Drops {
		done, err := p.book.Completions(ctx, d.ID)
		if err != nil {
			return nil, nil, err
		}
		completions[d.ID] = done
		r := dropRow{ID: d.ID, Name: d.Name, Date: d.Date, Turnaround: book.Summarize(d.ID, done)}
		f, planned := forecasts[d.ID]
		switch {
		case planned && f.Open > 0:
			r.Predicted, r.Open, r.Late = f.Completion, f.Open, len(f.Late)
			switch {
			case !f.OnTime:
				r.Status = "late"
			case d.Date.Sub(f.Completion) < atRiskMargin(now, d.Date):
				r.Status = "at-risk"
			default:
				r.Status = "on-track"
			}
		case forecasts != nil:
			// The plan holds no open work of the drop: none is open, or it came in after the
			// plan was made and the next plan will hold it.
			open, err := p.book.WorkOrders(ctx, book.WorkOrderFilter{Drop: d.ID, State: book.WorkOpen, Limit: 1})
			var short []book.OrderDetail
			if err == nil && len(open) == 0 {
				short, err = p.book.Shortfalls(ctx, d.ID)
			}
			if err != nil {
				return nil, nil, err
			}
			switch {
			case len(open) > 0:
				r.Status = "planning"
			case len(short) > 0:
				r.Status = "short" // nothing open, and units lost that nobody makes again
			case len(done) == 0:
				r.Status = "no-orders"
			default:
				r.Status = "done"
			}
		case p.cfg.Planner != nil:
			r.Status = "planning" // the first plan is being made
		default:
			r.Status = "unplanned"
		}
		rows = append(rows, r)
	}
	return rows, completions, nil
}

// Chart names, as the page and the CSV downloads know them.
const (
	chartTurnaroundHist  = "turnaround-hist"
	chartTurnaroundTrend = "turnaround-trend"
	chartThroughput      = "throughput"
	chartLostTime        = "lost-time"
)

var chartNames = []string{chartTurnaroundHist, chartTurnaroundTrend, chartThroughput, chartLostTime}

// charts computes the data of every chart.
type charts struct {
	tables  map[string]table
	figures []figure
}

func (p *Pages) charts(ctx context.Context) (charts, error) {
	d, err := p.floorData(ctx)
	if err != nil {
		return charts{}, err
	}
	_, completions, err := p.drops(ctx, d.now)
	if err != nil {
		return charts{}, err
	}
	return p.chartsOf(d, completions), nil
}

// chartsOf draws the charts from what the board and the drops read.
func (p *Pages) chartsOf(d floorData, completions map[string][]book.Completion) charts {
	out := charts{tables: make(map[string]table)}
	add := func(name, title, caption string, t table, svg template.HTML) {
		out.tables[name] = t
		out.figures = append(out.figures, figure{Name: name, Title: title, Caption: caption, SVG: svg})
	}
	t, svg := p.turnaroundHistogram(completions)
	add(chartTurnaroundHist, "Turnaround per drop", "Completed work orders by days from order to completion.", t, svg)
	t, svg = p.turnaroundTrend(completions, d.now)
	add(chartTurnaroundTrend, "Turnaround over time", "Median and p90 turnaround of the work orders completed each day, per drop.", t, svg)
	t, svg = p.throughput(d)
	add(chartThroughput, "Throughput per cell", "Good units finished per hour, last 24 hours.", t, svg)
	t, svg = p.lostTime(d)
	add(chartLostTime, "Lost time", "Time out of service for faults, and planned changeover time, per cell, last 24 hours.", t, svg)
	return out
}

// histogramBins are the turnaround bins, in days.
var histogramBins = []float64{1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 56}

func binLabel(i int) string {
	switch {
	case i == 0:
		return fmt.Sprintf("<%gd", histogramBins[0])
	case i == len(histogramBins):
		return fmt.Sprintf("≥%gd", histogramBins[i-1])
	}
	return fmt.Sprintf("%g–%gd", histogramBins[i-1], histogramBins[i])
}

func (p *Pages) turnaroundHistogram(completions map[string][]book.Completion) (table, template.HTML) {
	fac := p.factory()
	t := table{Header: []string{"drop", "bin", "from_days", "to_days", "work_orders"}}
	counts := make([]int, len(histogramBins)+1)
	perDrop := make(map[string][]int)
	for _, d := range fac.Drops {
		c := make([]int, len(counts))
		for _, done := range completions[d.ID] {
			days := done.Turnaround().Hours() / 24
			i, _ := slices.BinarySearch(histogramBins, days)
			if i < len(histogramBins) && histogramBins[i] == days {
				i++
			}
			c[i]++
			counts[i]++
		}
		perDrop[d.ID] = c
		for i, n := range c {
			lo, hi := "0", ""
			if i > 0 {
				lo = strconv.FormatFloat(histogramBins[i-1], 'g', -1, 64)
			}
			if i < len(histogramBins) {
				hi = strconv.FormatFloat(histogramBins[i], 'g', -1, 64)
			}
			t.Rows = append(t.Rows, []string{d.ID, binLabel(i), lo, hi, strconv.Itoa(n)})
		}
	}
	total := 0
	bars := make([]chart.Bar, len(counts))
	for i, n := range counts {
		total += n
		var parts []string
		for _, d := range fac.Drops {
			if k := perDrop[d.ID][i]; k > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", d.ID, k))
			}
		}
		bars[i] = chart.Bar{Label: binLabel(i), Value: float64(n), Title: fmt.Sprintf("%s: %d work orders (%s)", binLabel(i), n, strings.Join(parts, ", "))}
	}
	if total == 0 {
		bars = nil
	}
	return t, chart.Bars(chart.Options{
		Title: "Turnaround of completed work orders", YLabel: "work orders", Loc: p.loc, Width: chartWidth, Counts: true,
		Desc:  fmt.Sprintf("Histogram of the turnaround of %d completed work orders, in days from order to completion.", total),
		Empty: "No work order completed yet",
	}, bars)
}

func (p *Pages) turnaroundTrend(completions map[string][]book.Completion, now time.Time) (table, template.HTML) {
	t := table{Header: []string{"drop", "day", "completed", "median_seconds", "p90_seconds"}}
	var series []chart.TimeSeries
	for _, d := range p.factory().Drops {
		byDay := make(map[time.Time][]book.Completion)
		for _, c := range completions[d.ID] {
			l := c.CompletedAt.In(p.loc)
			day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, p.loc)
			byDay[day] = append(byDay[day], c)
		}
		days := make([]time.Time, 0, len(byDay))
		for day := range byDay {
			days = append(days, day)
		}
		slices.SortFunc(days, time.Time.Compare)
		med := chart.TimeSeries{Name: d.ID + " median"}
		p90 := chart.TimeSeries{Name: d.ID + " p90"}
		for _, day := range days {
			s := book.Summarize(d.ID, byDay[day])
			noon := day.Add(12 * time.Hour)
			med.Points = append(med.Points, chart.TimePoint{T: noon, V: s.Median.Seconds()})
			p90.Points = append(p90.Points, chart.TimePoint{T: noon, V: s.P90.Seconds()})
			t.Rows = append(t.Rows, []string{d.ID, day.Format(time.DateOnly), strconv.Itoa(s.Count),
				seconds(s.Median), seconds(s.P90)})
		}
		if len(days) > 0 {
			series = append(series, med, p90)
		}
	}
	return t, chart.Lines(chart.Options{
		Title: "Turnaround over time", Loc: p.loc, Width: chartWidth, Durations: true, Daily: true,
		Desc:  "Median and 90th percentile turnaround of the work orders completed each day, one pair of lines per drop.",
		Empty: "No work order completed yet",
	}, series)
}

// seconds is a duration in a CSV: whole seconds, or fractions of one below ten.
func seconds(d time.Duration) string {
	if d < 10*time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	}
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10)
}

func (p *Pages) throughput(d floorData) (table, template.HTML) {
	t := table{Header: []string{"cell", "hour", "good_units"}}
	start := d.now.Truncate(time.Hour).Add(-window + time.Hour)
	buckets := int(window / time.Hour)
	perCell := make(map[string][]int)
	for _, e := range d.finished {
		if e.EndedAt == nil || e.EndedAt.Before(start) {
			continue
		}
		i := int(e.EndedAt.Sub(start) / time.Hour)
		if i >= buckets {
			i = buckets - 1
		}
		if perCell[e.Cell] == nil {
			perCell[e.Cell] = make([]int, buckets)
		}
		perCell[e.Cell][i] += good(e)
	}
	var series []chart.TimeSeries
	for _, c := range p.factory().Cells {
		counts, ok := perCell[c.ID]
		if !ok {
			continue
		}
		s := chart.TimeSeries{Name: c.ID}
		for i, n := range counts {
			at := start.Add(time.Duration(i) * time.Hour)
			s.Points = append(s.Points, chart.TimePoint{T: at, V: float64(n)})
			t.Rows = append(t.Rows, []string{c.ID, at.In(p.loc).Format(time.RFC3339), strconv.Itoa(n)})
		}
		series = append(series, s)
	}
	return t, chart.Lines(chart.Options{
		Title: "Good units per cell per hour", YLabel: "units/hour", Loc: p.loc, Width: chartWidth, Counts: true,
		Desc:  "Good units each cell finished in each of the last 24 hours, one line per cell.",
		Empty: "No unit finished in the last 24 hours",
	}, series)
}

func (p *Pages) lostTime(d floorData) (table, template.HTML) {
	t := table{Header: []string{"cell", "fault_seconds", "changeovers", "changeover_seconds"}}
	lost, _ := d.faultTime(d.from, d.now)
	// A changeover is an operation whose changeover value differs from the one before it at
	// the same cell; its set-up time is the time it cost.
	changeovers := make(map[string]int)
	setup := make(map[string]time.Duration)
	byStart := slices.Clone(d.finished)
	slices.SortStableFunc(byStart, func(a, b book.QueueEntry) int {
		if a.StartedAt == nil || b.StartedAt == nil {
			return 0
		}
		return a.StartedAt.Compare(*b.StartedAt)
	})
	prev := make(map[string]string)
	for _, e := range byStart {
		if e.ChangeoverAttr == "" || e.StartedAt == nil {
			continue
		}
		key := e.Cell + "\x00" + e.ChangeoverAttr
		if v, ok := prev[key]; ok && v != e.ChangeoverValue {
			changeovers[e.Cell]++
			setup[e.Cell] += e.Setup
		}
		prev[key] = e.ChangeoverValue
	}
	var rows []chart.StackedRow
	for _, c := range p.factory().Cells {
		f, s := lost[c.ID], setup[c.ID]
		t.Rows = append(t.Rows, []string{c.ID, seconds(f), strconv.Itoa(changeovers[c.ID]), seconds(s)})
		if f > 0 || s > 0 {
			rows = append(rows, chart.StackedRow{Label: c.ID, Parts: []float64{f.Seconds(), s.Seconds()}})
		}
	}
	return t, chart.StackedHBars(chart.Options{
		Title: "Time lost to faults and changeovers", Loc: p.loc, Width: chartWidth, Durations: true,
		Desc:  "Time each cell spent out of service for faults, and the set-up time of its changeovers, in the last 24 hours.",
		Empty: "No fault or changeover in the last 24 hours",
	}, []string{"faults", "changeovers"}, rows)
}

// dashboardPage is the dashboard.
type dashboardPage struct {
	Board  []boardTile
	Drops  []dropRow
	Charts []figure
	At     time.Time
	Short  shortList
	// Late names the worst late orders of every drop; Planned says there is a plan to tell.
	Late    lateList
	Planned bool
	// Turnaround is this week's, last week's and all time's, over every drop.
	Turnaround []periodRow
	// OEE says that the reader may read OEE: the page fetches its section.
	OEE bool
}

func (p *Pages) dashboard(c echo.Context) error {
	page, completions, d, err := p.dashboardLive(c.Request().Context())
	if err == nil {
		page.Short, err = p.shortList(c, "")
	}
	if err != nil {
		return err
	}
	page.Charts = p.chartsOf(d, completions).figures
	pr, _ := who(c)
	page.OEE = api.Allowed(pr.Role, api.PermOEE)
	return p.render(c, http.StatusOK, "dashboard", p.view(c, "Dashboard", page))
}

// dashboardLive reads the live part of the dashboard, the board and the drops, and returns
// what the charts are drawn from as well.
func (p *Pages) dashboardLive(ctx context.Context) (dashboardPage, map[string][]book.Completion, floorData, error) {
	d, err := p.floorData(ctx)
	if err != nil {
		return dashboardPage{}, nil, d, err
	}
	page := dashboardPage{At: d.now}
	if page.Board, err = p.board(ctx, d); err != nil {
		return page, nil, d, err
	}
	var completions map[string][]book.Completion
	if page.Drops, completions, err = p.drops(ctx, d.now); err != nil {
		return page, nil, d, err
	}
	page.Turnaround = turnaroundPeriods(completions, d.now, p.loc)
	var forecasts []planner.DropForecast
	forecasts, page.Planned = p.forecasts()
	page.Late, err = p.lateOf(ctx, "late-orders", forecasts, dashboardLate, true)
	return page, completions, d, err
}

// boardFragment is the live part of the dashboard, fetched again as the floor changes.
func (p *Pages) boardFragment(c echo.Context) error {
	page, _, _, err := p.dashboardLive(c.Request().Context())
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "dashboard_live", page)
}

func (p *Pages) chartsFragment(c echo.Context) error {
	ch, err := p.charts(c.Request().Context())
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "dashboard_charts", dashboardPage{Charts: ch.figures})
}

func (p *Pages) chartCSV(c echo.Context) error {
	name := strings.TrimSuffix(c.Param("name"), ".csv")
	if !slices.Contains(chartNames, name) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no chart %q.", name))
	}
	ch, err := p.charts(c.Request().Context())
	if err != nil {
		return err
	}
	t := ch.tables[name]
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, p.cfg.Now().In(p.loc).Format("2006-01-02T1504")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(t.Header); err != nil {
		return nil
	}
	_ = w.WriteAll(t.Rows) // the client went away if this fails; nothing to tell it
	return nil
}

func (p *Pages) dashboardEvents(c echo.Context) error {
	return p.stream(c, anyCell, 2*time.Second)
}
