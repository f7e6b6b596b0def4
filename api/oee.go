package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
)

// OEE, the six big losses, the Pareto of stop reasons and first-pass yield, for the managers'
// and planners' reports: JSON, or CSV as the other reports (?format=csv, or an Accept that
// prefers text/csv). The definitions are book/oee's.

// DefaultOEEDays is the window a report covers when ?from= is left out: the last 7 days to ?to=
// (now when left out), from midnight in the factory's time zone 6 days before to's day, so that
// the days closed for good are the book's kept figures.
const DefaultOEEDays = 7

// MaxOEEWindow is the longest window a report covers: a year and a bit.
const MaxOEEWindow = 400 * 24 * time.Hour

func (s *Server) oeeRoutes(v1 *echo.Group) {
	v1.GET("/oee", s.oeeReport, s.authenticated, s.require(PermOEE))
	v1.GET("/oee/losses", s.oeeLosses, s.authenticated, s.require(PermOEE))
	v1.GET("/oee/pareto", s.oeePareto, s.authenticated, s.require(PermOEE))
	v1.GET("/quality/fpy", s.firstPassYield, s.authenticated, s.require(PermOEE))
}

// OEEWindow reads a report's window from ?from= and ?to= (RFC 3339, or a date as 2026-11-02,
// midnight in loc): the last DefaultOEEDays days to now when left out. A from not before to, a
// window over MaxOEEWindow or a time that does not parse is a FieldError naming the parameter.
func OEEWindow(from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	parse := func(name, v string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			return t, nil
		}
		return time.Time{}, &book.FieldError{Field: name, Reason: fmt.Sprintf("%q is not a time as 2026-11-02T08:00:00Z (RFC 3339) or a date as 2026-11-02", v)}
	}
	t, f := now, time.Time{}
	var err error
	if to != "" {
		if t, err = parse("to", to); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if from != "" {
		if f, err = parse("from", from); err != nil {
			return time.Time{}, time.Time{}, err
		}
	} else {
		y, m, d := t.In(loc).Date()
		f = time.Date(y, m, d-(DefaultOEEDays-1), 0, 0, 0, 0, loc)
	}
	switch {
	case !f.Before(t):
		return time.Time{}, time.Time{}, &book.FieldError{Field: "from", Reason: fmt.Sprintf("%s is not before to %s", f.Format(time.RFC3339), t.Format(time.RFC3339))}
	case t.Sub(f) > MaxOEEWindow:
		return time.Time{}, time.Time{}, &book.FieldError{Field: "from", Reason: fmt.Sprintf("the window from %s to %s is longer than %d days", f.Format(time.RFC3339), t.Format(time.RFC3339), int(MaxOEEWindow/(24*time.Hour)))}
	}
	return f, t, nil
}

// oeeQuery reads a report's window, ?by= (shift, day or week; def when left out) and ?cell=
// (every cell when left out; an unknown one is a FieldError naming cell).
func (s *Server) oeeQuery(c echo.Context, def oee.By) (book.OEEQuery, error) {
	f := s.book.Factory()
	loc := time.UTC
	if f.Hours != nil && f.Hours.Location != nil {
		loc = f.Hours.Location
	}
	from, to, err := OEEWindow(c.QueryParam("from"), c.QueryParam("to"), s.book.Now(), loc)
	if err != nil {
		return book.OEEQuery{}, err
	}
	q := book.OEEQuery{From: from, To: to, By: def, Cell: c.QueryParam("cell")}
	switch by := oee.By(c.QueryParam("by")); by {
	case "":
	case oee.ByShift, oee.ByDay, oee.ByWeek:
		q.By = by
	default:
		return book.OEEQuery{}, &book.FieldError{Field: "by", Reason: fmt.Sprintf("%q is not shift, day or week", by)}
	}
	if q.Cell != "" {
		if _, ok := f.Cell(q.Cell); !ok {
			return book.OEEQuery{}, &book.FieldError{Field: "cell", Reason: fmt.Sprintf("unknown cell %q", q.Cell)}
		}
	}
	return q, nil
}

// OEEFigures are a cell's figures over a bucket or a window as the API shows them: times in
// minutes, the factors as fractions, and the waterfall.
type OEEFigures struct {
	WorkingMinutes         float64     `json:"working_minutes"`
	ExcludedMinutes        float64     `json:"excluded_minutes"`
	PlannedMinutes         float64     `json:"planned_minutes"`
	RunMinutes             float64     `json:"run_minutes"`
	IdealMinutes           float64     `json:"ideal_minutes"`
	NetRunMinutes          float64     `json:"net_run_minutes"`
	FullyProductiveMinutes float64     `json:"fully_productive_minutes"`
	Good                   int         `json:"good"`
	Total                  int         `json:"total"`
	StartupRejectUnits     int         `json:"startup_reject_units"`
	ProductionRejectUnits  int         `json:"production_reject_units"`
	Availability           float64     `json:"availability"`
	Performance            float64     `json:"performance"`
	Quality                float64     `json:"quality"`
	OEE                    float64     `json:"oee"`
	Losses                 []OEELoss   `json:"losses"`
	Waterfall              []Waterfall `json:"waterfall"`
}

// OEELoss is one of the six big losses in minutes.
type OEELoss struct {
	Loss    configs.Loss `json:"loss"`
	Minutes float64      `json:"minutes"`
}

// Waterfall is a bar of the waterfall from working time to fully productive time: a level, or a
// loss taken from the level before it.
type Waterfall struct {
	Name    string  `json:"name"`
	Loss    bool    `json:"loss"`
	Minutes float64 `json:"minutes"`
}

// SixBigLosses are the six big losses in the order of the waterfall.
var SixBigLosses = []configs.Loss{configs.LossBreakdowns, configs.LossSetup, configs.LossSmallStops,
	configs.LossReducedSpeed, configs.LossStartupRejects, configs.LossProductionRejects}

// NewOEEFigures shows f as the API does.
func NewOEEFigures(f oee.Figures) OEEFigures {
	v := OEEFigures{
		WorkingMinutes: minutes(f.Working), ExcludedMinutes: minutes(f.Excluded), PlannedMinutes: minutes(f.Planned),
		RunMinutes: minutes(f.Run), IdealMinutes: minutes(f.Ideal), NetRunMinutes: minutes(f.NetRun),
		FullyProductiveMinutes: minutes(f.FullyProductive),
		Good:                   f.Good, Total: f.Total, StartupRejectUnits: f.StartupRejectUnits, ProductionRejectUnits: f.ProductionRejectUnits,
		Availability: f.Availability, Performance: f.Performance, Quality: f.Quality, OEE: f.OEE,
	}
	for _, l := range SixBigLosses {
		v.Losses = append(v.Losses, OEELoss{Loss: l, Minutes: minutes(f.Loss(l))})
	}
	for _, st := range f.Waterfall() {
		v.Waterfall = append(v.Waterfall, Waterfall{Name: st.Name, Loss: st.Loss, Minutes: minutes(st.Time)})
	}
	return v
}

// oeeCell is a cell's figures per bucket and over the window.
type oeeCell struct {
	Cell    string       `json:"cell"`
	Buckets []OEEFigures `json:"buckets"`
	Total   OEEFigures   `json:"total"`
}

// oeeView is GET /api/v1/oee's answer.
type oeeView struct {
	From    time.Time    `json:"from"`
	To      time.Time    `json:"to"`
	By      oee.By       `json:"by"`
	Buckets []oee.Bucket `json:"buckets"`
	Cells   []oeeCell    `json:"cells"`
	// Totals are the floor's (every cell asked) per bucket, Total over the window.
	Totals []OEEFigures `json:"totals"`
	Total  OEEFigures   `json:"total"`
}

// OEECSVHeader is the header row of GET /api/v1/oee as CSV: one row per cell and bucket, times
// in minutes, the factors in percent.
var OEECSVHeader = []string{"cell", "start", "end", "shift", "working minutes", "excluded minutes", "planned minutes",
	"breakdowns", "setup-adjustments", "run minutes", "small-stops", "reduced-speed", "net run minutes",
	"startup-rejects", "production-rejects", "fully productive minutes", "good", "total",
	"availability %", "performance %", "quality %", "oee %"}

// OEERows returns the CSV rows of a report under OEECSVHeader.
func OEERows(r oee.Report) [][]string {
	var rows [][]string
	for _, cr := range r.Cells {
		for i, f := range cr.Buckets {
			b := r.Buckets[i]
			rows = append(rows, []string{cell(cr.Cell), b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339), cell(b.Shift),
				mins(f.Working), mins(f.Excluded), mins(f.Planned), mins(f.Breakdowns), mins(f.Setup), mins(f.Run),
				mins(f.SmallStops), mins(f.ReducedSpeed), mins(f.NetRun), mins(f.StartupRejects), mins(f.ProductionRejects),
				mins(f.FullyProductive), strconv.Itoa(f.Good), strconv.Itoa(f.Total),
				pct(f.Availability), pct(f.Performance), pct(f.Quality), pct(f.OEE)})
		}
	}
	return rows
}

func mins(d time.Duration) string { return strconv.FormatFloat(minutes(d), 'f', 2, 64) }

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) }

// oeeReport answers GET /api/v1/oee?from=&to=&by=&cell=.
func (s *Server) oeeReport(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	q, err := s.oeeQuery(c, oee.ByDay)
	if err != nil {
		return err
	}
	r, err := s.book.OEE(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(c, "oee.csv", OEECSVHeader, OEERows(r))
	}
	v := oeeView{From: r.From, To: r.To, By: r.By, Buckets: r.Buckets, Total: NewOEEFigures(r.Total),
		Cells: make([]oeeCell, 0, len(r.Cells)), Totals: make([]OEEFigures, 0, len(r.Totals))}
	for _, cr := range r.Cells {
		oc := oeeCell{Cell: cr.Cell, Total: NewOEEFigures(cr.Total), Buckets: make([]OEEFigures, 0, len(cr.Buckets))}
		for _, f := range cr.Buckets {
			oc.Buckets = append(oc.Buckets, NewOEEFigures(f))
		}
		v.Cells = append(v.Cells, oc)
	}
	for _, f := range r.Totals {
		v.Totals = append(v.Totals, NewOEEFigures(f))
	}
	return c.JSON(http.StatusOK, v)
}

// lossesCell is a cell's six big losses over the window, and its working and planned time.
type lossesCell struct {
	Cell           string    `json:"cell"`
	PlannedMinutes float64   `json:"planned_minutes"`
	Losses         []OEELoss `json:"losses"`
}

// LossesCSVHeader is the header row of GET /api/v1/oee/losses as CSV: a row per cell and one for
// the floor ("total"), the losses in minutes.
var LossesCSVHeader = []string{"cell", "planned minutes", "breakdowns", "setup-adjustments", "small-stops", "reduced-speed",
	"startup-rejects", "production-rejects"}

// oeeLosses answers GET /api/v1/oee/losses?from=&to=&cell=: the six big losses per cell over
// the window.
func (s *Server) oeeLosses(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	q, err := s.oeeQuery(c, oee.ByDay)
	if err != nil {
		return err
	}
	r, err := s.book.OEE(c.Request().Context(), q)
	if err != nil {
		return err
	}
	view := func(id string, f oee.Figures) lossesCell {
		return lossesCell{Cell: id, PlannedMinutes: minutes(f.Planned), Losses: NewOEEFigures(f).Losses}
	}
	if asCSV {
		var rows [][]string
		row := func(id string, f oee.Figures) {
			r := []string{cell(id), mins(f.Planned)}
			for _, l := range SixBigLosses {
				r = append(r, mins(f.Loss(l)))
			}
			rows = append(rows, r)
		}
		for _, cr := range r.Cells {
			row(cr.Cell, cr.Total)
		}
		row("total", r.Total)
		return writeCSV(c, "oee-losses.csv", LossesCSVHeader, rows)
	}
	out := struct {
		From  time.Time    `json:"from"`
		To    time.Time    `json:"to"`
		Cells []lossesCell `json:"cells"`
		Total lossesCell   `json:"total"`
	}{From: r.From, To: r.To, Total: view("", r.Total), Cells: make([]lossesCell, 0, len(r.Cells))}
	for _, cr := range r.Cells {
		out.Cells = append(out.Cells, view(cr.Cell, cr.Total))
	}
	return c.JSON(http.StatusOK, out)
}

// ParetoCSVHeader is the header row of GET /api/v1/oee/pareto as CSV.
var ParetoCSVHeader = []string{"reason", "label", "planned", "loss", "count", "minutes", "cumulative %"}

// ParetoRows returns the CSV rows of a Pareto under ParetoCSVHeader.
func ParetoRows(es []oee.ParetoEntry) [][]string {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, []string{cell(e.Reason), cell(e.Label), strconv.FormatBool(e.Planned), string(e.Loss),
			strconv.Itoa(e.Count), mins(e.Time), strconv.FormatFloat(e.Cumulative, 'f', 1, 64)})
	}
	return rows
}

// oeePareto answers GET /api/v1/oee/pareto?from=&to=&cell=: the stop reasons by minutes.
func (s *Server) oeePareto(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	q, err := s.oeeQuery(c, oee.ByDay)
	if err != nil {
		return err
	}
	es, err := s.book.StopPareto(c.Request().Context(), q.From, q.To, q.Cell)
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(c, "oee-pareto.csv", ParetoCSVHeader, ParetoRows(es))
	}
	if es == nil {
		es = []oee.ParetoEntry{}
	}
	return c.JSON(http.StatusOK, struct {
		From    time.Time         `json:"from"`
		To      time.Time         `json:"to"`
		Cell    string            `json:"cell,omitempty"`
		Reasons []oee.ParetoEntry `json:"reasons"`
	}{q.From, q.To, q.Cell, es})
}

// FPYCSVHeader is the header row of GET /api/v1/quality/fpy as CSV.
var FPYCSVHeader = []string{"by", "key", "first pass", "total", "yield %"}

// firstPassYield answers GET /api/v1/quality/fpy?from=&to=&by=sku|cell.
func (s *Server) firstPassYield(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	f := s.book.Factory()
	loc := time.UTC
	if f.Hours != nil && f.Hours.Location != nil {
		loc = f.Hours.Location
	}
	from, to, err := OEEWindow(c.QueryParam("from"), c.QueryParam("to"), s.book.Now(), loc)
	if err != nil {
		return err
	}
	by := book.YieldBy(c.QueryParam("by"))
	switch by {
	case "":
		by = book.YieldBySKU
	case book.YieldBySKU, book.YieldByCell:
	default:
		return &book.FieldError{Field: "by", Reason: fmt.Sprintf("%q is not sku or cell", by)}
	}
	ys, err := s.book.FirstPassYield(c.Request().Context(), from, to, by)
	if err != nil {
		return err
	}
	if asCSV {
		rows := make([][]string, 0, len(ys))
		for _, y := range ys {
			rows = append(rows, []string{string(by), cell(y.Key), strconv.Itoa(y.FirstPass), strconv.Itoa(y.Total), pct(y.Yield)})
		}
		return writeCSV(c, "fpy-by-"+string(by)+".csv", FPYCSVHeader, rows)
	}
	if ys == nil {
		ys = []oee.Yield{}
	}
	return c.JSON(http.StatusOK, struct {
		From time.Time    `json:"from"`
		To   time.Time    `json:"to"`
		By   book.YieldBy `json:"by"`
		Rows []oee.Yield  `json:"rows"`
	}{from, to, by, ys})
}

// writeCSV answers with a header row and rows as the CSV file named file.
func writeCSV(c echo.Context, file string, header []string, rows [][]string) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, file))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(header)
	_ = w.WriteAll(rows) // the client went away if this fails; nothing to tell it
	return nil
}
