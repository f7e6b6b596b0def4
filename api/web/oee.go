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
	"github.com/cellforge/cellforge/book/margin"
	"github.com/cellforge/cellforge/book/oee"
)

// The dashboard's effectiveness section: OEE per cell today and over the last 7 days, its trend
// over 14 days, the six big losses, the Pareto of stop reasons, first-pass yield per SKU and the
// margin of each open drop, each with its CSV. The section is a fragment of its own, fetched when
// the page loads and again as the book changes, at most every few seconds (the page's script
// throttles it), since its figures read more than the board's.

func (p *Pages) oeeRoutes(e *echo.Echo) {
	e.GET("/manager/oee", p.oeeFragment, p.signedIn, p.may(api.PermOEE))
	e.GET("/manager/oee/:name", p.oeeCSV, p.signedIn, p.may(api.PermOEE))
}

// trendDays is how many days the OEE trend covers, today included; summaryDays the days of the
// summary's and the losses' window.
const (
	trendDays   = 14
	summaryDays = 7
)

// The names of the section's CSV files, in the order of its parts.
const (
	oeeCells   = "oee"
	oeeTrend   = "oee-trend"
	oeeLosses  = "losses"
	oeePareto  = "pareto"
	oeeFPY     = "fpy"
	oeeMargins = "margins"
)

var oeeParts = []string{oeeCells, oeeTrend, oeeLosses, oeePareto, oeeFPY, oeeMargins}

// oeeRow is one cell's figures today and over the last summaryDays.
type oeeRow struct {
	Cell        string
	Today, Week oee.Figures
}

// paretoRow is one reason of the Pareto as the page lists it.
type paretoRow struct {
	oee.ParetoEntry
	// Awaiting and NotGiven tell the two entries of stops without a reason.
	Awaiting, NotGiven bool
}

// marginRow is an open drop's margin as the page lists it.
type marginRow struct {
	Drop, Name string
	margin.Margin
}

// oeeSection is what the section shows; tables holds each part's CSV.
type oeeSection struct {
	At      time.Time
	From    time.Time // the first day of the summary
	Rows    []oeeRow
	Floor   oeeRow
	Trend   template.HTML
	Losses  template.HTML
	Pareto  []paretoRow
	Bars    template.HTML
	FPY     []oee.Yield
	Margins []marginRow
	// ShowMargins says that the reader may read margins.
	ShowMargins bool

	tables map[string]table
}

// midnight returns the start of t's day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// oeeSectionOf reads and draws the section as of now.
func (p *Pages) oeeSectionOf(ctx context.Context, now time.Time, margins bool) (oeeSection, error) {
	today := midnight(now, p.loc)
	trendFrom := today.AddDate(0, 0, -(trendDays - 1))
	weekFrom := today.AddDate(0, 0, -(summaryDays - 1))
	s := oeeSection{At: now, From: weekFrom, ShowMargins: margins, tables: map[string]table{}}
	if !now.After(trendFrom) {
		return s, fmt.Errorf("now %s is before the trend's start", now)
	}
	steps := []func() error{
		func() error { return p.oeePart(ctx, &s, today, trendFrom, weekFrom) },
		func() error { return p.paretoPart(ctx, &s, weekFrom) },
		func() error { return p.fpyPart(ctx, &s, weekFrom) },
	}
	if margins {
		steps = append(steps, func() error { return p.marginsPart(ctx, &s) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// oeePart reads OEE by day from trendFrom to now: each cell's today and last summaryDays, the
// floor's, the trend and the losses.
func (p *Pages) oeePart(ctx context.Context, s *oeeSection, today, trendFrom, weekFrom time.Time) error {
	rep, err := p.book.OEE(ctx, book.OEEQuery{From: trendFrom, To: s.At, By: oee.ByDay})
	if err != nil {
		return fmt.Errorf("reading OEE: %w", err)
	}

	// OEE per cell: today is the last day, the week the last summaryDays days.
	cells := table{Header: []string{"cell", "period", "from", "availability_pct", "performance_pct", "quality_pct", "oee_pct", "planned_minutes", "good", "total"}}
	trend := table{Header: []string{"cell", "day", "availability_pct", "performance_pct", "quality_pct", "oee_pct"}}
	losses := table{Header: []string{"cell", "planned_minutes", "breakdowns_minutes", "setup_adjustments_minutes", "small_stops_minutes", "reduced_speed_minutes", "startup_rejects_minutes", "production_rejects_minutes"}}
	var series []chart.TimeSeries
	var stacks []chart.StackedRow
	s.Floor.Cell = "floor"
	fig := func(row []string, f oee.Figures) []string {
		return append(row, pct(f.Availability), pct(f.Performance), pct(f.Quality), pct(f.OEE))
	}
	for _, cr := range rep.Cells {
		r := oeeRow{Cell: cr.Cell}
		ts := chart.TimeSeries{Name: cr.Cell}
		for i, f := range cr.Buckets {
			day := rep.Buckets[i].Start
			if !day.Before(today) {
				r.Today.Add(f)
			}
			if !day.Before(weekFrom) {
				r.Week.Add(f)
			}
			ts.Points = append(ts.Points, chart.TimePoint{T: day, V: f.OEE * 100})
			trend.Rows = append(trend.Rows, fig([]string{cr.Cell, day.In(p.loc).Format(time.DateOnly)}, f))
		}
		s.Rows = append(s.Rows, r)
		s.Floor.Today.Add(r.Today)
		s.Floor.Week.Add(r.Week)
		series = append(series, ts)
		stacks, losses.Rows = appendLosses(stacks, losses.Rows, cr.Cell, r.Week)
	}
	_, losses.Rows = appendLosses(nil, losses.Rows, "floor", s.Floor.Week)
	for _, r := range append(slices.Clone(s.Rows), s.Floor) {
		for _, per := range []struct {
			name string
			from time.Time
			f    oee.Figures
		}{{"today", today, r.Today}, {"last-7-days", weekFrom, r.Week}} {
			cells.Rows = append(cells.Rows, append(fig([]string{r.Cell, per.name, per.from.In(p.loc).Format(time.DateOnly)}, per.f),
				minutesText(per.f.Planned), strconv.Itoa(per.f.Good), strconv.Itoa(per.f.Total)))
		}
	}
	s.tables[oeeCells], s.tables[oeeTrend], s.tables[oeeLosses] = cells, trend, losses
	s.Trend = chart.Lines(chart.Options{
		Title: "OEE per cell per day", YLabel: "OEE %", Loc: p.loc, Width: chartWidth, Daily: true,
		Desc:  fmt.Sprintf("Each cell's OEE in percent on each of the last %d days, one line per cell.", trendDays),
		Empty: "No planned production time in the last 14 days",
	}, series)
	parts := make([]string, len(api.SixBigLosses))
	for i, l := range api.SixBigLosses {
		parts[i] = string(l)
	}
	s.Losses = chart.StackedHBars(chart.Options{
		Title: "The six big losses per cell", Loc: p.loc, Width: chartWidth, Durations: true,
		Desc:  "The time each cell lost in the last 7 days to breakdowns, set-up and adjustments, small stops, reduced speed, start-up rejects and production rejects.",
		Empty: "No loss in the last 7 days",
	}, parts, stacks)
	return nil
}

// paretoPart reads the Pareto of stop reasons from weekFrom to now.
func (p *Pages) paretoPart(ctx context.Context, s *oeeSection, weekFrom time.Time) error {
	es, err := p.book.StopPareto(ctx, weekFrom, s.At, "")
	if err != nil {
		return fmt.Errorf("reading the Pareto of stop reasons: %w", err)
	}
	pareto := table{Header: []string{"reason", "label", "planned", "loss", "count", "minutes", "cumulative_pct"}}
	var bars []chart.Bar
	for _, e := range es {
		s.Pareto = append(s.Pareto, paretoRow{ParetoEntry: e, Awaiting: e.Reason == oee.Awaiting, NotGiven: e.Reason == oee.NotGiven})
		pareto.Rows = append(pareto.Rows, []string{csvCell(e.Reason), csvCell(e.Label), strconv.FormatBool(e.Planned), string(e.Loss),
			strconv.Itoa(e.Count), minutesText(e.Time), strconv.FormatFloat(e.Cumulative, 'f', 1, 64)})
		bars = append(bars, chart.Bar{Label: paretoLabel(e), Value: e.Minutes,
			Title: fmt.Sprintf("%s: %s min in %d stops, %.1f %% cumulative", paretoLabel(e), minutesText(e.Time), e.Count, e.Cumulative)})
	}
	s.tables[oeePareto] = pareto
	s.Bars = chart.Bars(chart.Options{
		Title: "Stop reasons by minutes", YLabel: "minutes", Loc: p.loc, Width: chartWidth,
		Desc:  "The minutes of the stops of the last 7 days by reason, most first; awaiting: no reason yet, within the reason window; not given: none given in it.",
		Empty: "No stop in the last 7 days",
	}, bars)
	return nil
}

// fpyPart reads first-pass yield per SKU from weekFrom to now.
func (p *Pages) fpyPart(ctx context.Context, s *oeeSection, weekFrom time.Time) error {
	var err error
	if s.FPY, err = p.book.FirstPassYield(ctx, weekFrom, s.At, book.YieldBySKU); err != nil {
		return fmt.Errorf("reading first-pass yield: %w", err)
	}
	fpy := table{Header: []string{"sku", "first_pass", "total", "yield_pct"}}
	for _, y := range s.FPY {
		fpy.Rows = append(fpy.Rows, []string{csvCell(y.Key), strconv.Itoa(y.FirstPass), strconv.Itoa(y.Total), pct(y.Yield)})
	}
	s.tables[oeeFPY] = fpy
	return nil
}

// marginsPart reads the margin of each open drop: one with orders that has made fewer good
// units than ordered.
func (p *Pages) marginsPart(ctx context.Context, s *oeeSection) error {
	mt := table{Header: api.MarginCSVHeader}
	for _, d := range p.factory().Drops {
		m, err := p.book.Margin(ctx, d.ID)
		if err != nil {
			return fmt.Errorf("reading the margin of drop %s: %w", d.ID, err)
		}
		if m.Total.Predicted.Units == 0 || m.Total.Actual.Units >= m.Total.Predicted.Units {
			continue
		}
		s.Margins = append(s.Margins, marginRow{Drop: d.ID, Name: d.Name, Margin: m})
		mt.Rows = append(mt.Rows, api.MarginRows(m)...)
	}
	s.tables[oeeMargins] = mt
	return nil
}

// appendLosses adds a cell's losses as a stacked bar (in seconds, when it lost any time) and a
// CSV row (in minutes).
func appendLosses(stacks []chart.StackedRow, rows [][]string, cell string, f oee.Figures) ([]chart.StackedRow, [][]string) {
	row := []string{csvCell(cell), minutesText(f.Planned)}
	st := chart.StackedRow{Label: cell}
	var any bool
	for _, l := range api.SixBigLosses {
		d := f.Loss(l)
		row = append(row, minutesText(d))
		st.Parts = append(st.Parts, d.Seconds())
		any = any || d > 0
	}
	if any {
		stacks = append(stacks, st)
	}
	return stacks, append(rows, row)
}

// paretoLabel names a reason as the page shows it: its label, or what a stop without one awaits.
func paretoLabel(e oee.ParetoEntry) string {
	switch e.Reason {
	case oee.Awaiting:
		return "Awaiting a reason"
	case oee.NotGiven:
		return "Not given"
	}
	if e.Label != "" {
		return e.Label
	}
	return e.Reason
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) }

func minutesText(d time.Duration) string { return strconv.FormatFloat(d.Minutes(), 'f', 1, 64) }

// csvCell guards a text cell against a spreadsheet's formulas, as the API's CSV does.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// oeeFragment is the section, fetched when the dashboard loads and as the book changes.
func (p *Pages) oeeFragment(c echo.Context) error {
	pr, _ := who(c)
	s, err := p.oeeSectionOf(c.Request().Context(), p.cfg.Now(), api.Allowed(pr.Role, api.PermMargins))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "dashboard_oee", s)
}

// oeeCSV answers one part of the section as CSV.
func (p *Pages) oeeCSV(c echo.Context) error {
	name := strings.TrimSuffix(c.Param("name"), ".csv")
	if !slices.Contains(oeeParts, name) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no OEE table %q.", name))
	}
	pr, _ := who(c)
	mayMargins := api.Allowed(pr.Role, api.PermMargins)
	if name == oeeMargins && !mayMargins {
		return echo.NewHTTPError(http.StatusForbidden, fmt.Sprintf("a %s cannot %s", pr.Role, api.PermMargins))
	}
	now := p.cfg.Now()
	s, err := p.oeeSectionOf(c.Request().Context(), now, name == oeeMargins)
	if err != nil {
		return err
	}
	t := s.tables[name]
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, now.In(p.loc).Format("2006-01-02T1504")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(t.Header); err != nil {
		return nil
	}
	_ = w.WriteAll(t.Rows) // the client went away if this fails; nothing to tell it
	return nil
}
