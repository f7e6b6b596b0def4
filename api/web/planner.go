package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/cellforge/cellforge/api"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/web/chart"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

// windowRow is a SKU's window in a drop.
type windowRow struct {
	SKU, Product    string
	Ordered, Window int
}

// Percent is how much of the window is sold, 0 to 100.
func (w windowRow) Percent() int {
	if w.Window == 0 {
		return 100
	}
	return min(100, 100*w.Ordered/w.Window)
}

// plannerDropPage is a drop's page.
type plannerDropPage struct {
	Drop    configs.Drop
	Row     dropRow
	Windows []windowRow
	Can     bool // may import orders
}

func (p *Pages) plannerHome(c echo.Context) error {
	rows, _, err := p.drops(c.Request().Context(), p.cfg.Now())
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "planner", p.view(c, "Planning", rows))
}

func (p *Pages) dropParam(c echo.Context) (configs.Drop, error) {
	d, ok := p.factory.Drop(c.Param("drop"))
	if !ok {
		return d, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no drop %q.", c.Param("drop")))
	}
	return d, nil
}

func (p *Pages) plannerDrop(c echo.Context) error {
	d, err := p.dropParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	units, err := p.book.DropUnits(ctx, d.ID)
	if err != nil {
		return err
	}
	page := plannerDropPage{Drop: d}
	rows, _, err := p.drops(ctx, p.cfg.Now())
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.ID == d.ID {
			page.Row = r
		}
	}
	for _, pr := range p.factory.Products {
		if w, ok := d.Windows[pr.SKU]; ok {
			page.Windows = append(page.Windows, windowRow{SKU: pr.SKU, Product: pr.Name, Ordered: units[pr.SKU], Window: w})
		}
	}
	pr, _ := who(c)
	page.Can = apiAllowedImport(pr.Role)
	return p.render(c, http.StatusOK, "planner_drop", p.view(c, d.Name, page))
}

// batchResult is what checking or storing a batch shows.
type batchResult struct {
	Drop     configs.Drop
	File     string
	Rows     []intake.RowError
	Problem  string // a problem with the whole upload
	Orders   int
	Units    int
	Promise  *planner.DropForecast
	Planning bool   // no promise yet: the first plan is being made
	Key      string // the Idempotency-Key that stores this very batch
	Stored   *book.ImportResult
	Replayed bool
	digest   [sha256.Size]byte // of the uploaded file
}

// OnTime says whether the drop still ships on its date with the batch.
func (r batchResult) OnTime() bool { return r.Promise == nil || r.Promise.OnTime }

// upload reads the uploaded batch of a form.
func (p *Pages) upload(c echo.Context) (name string, body []byte, problem string, err error) {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, p.cfg.MaxBatchBytes)
	fh, err := c.FormFile("batch")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, fmt.Sprintf("The file is larger than %d MiB: split it.", p.cfg.MaxBatchBytes>>20), nil
		}
		return "", nil, "Choose a CSV file of orders first.", nil
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, "", err
	}
	defer f.Close()
	body, err = io.ReadAll(f)
	if err != nil {
		return "", nil, "", err
	}
	if len(body) == 0 {
		return fh.Filename, nil, fh.Filename + " is empty.", nil
	}
	return fh.Filename, body, "", nil
}

// contentType is the batch's format by its name: JSON when it says so, CSV otherwise.
func contentType(name string) string {
	if len(name) > 5 && name[len(name)-5:] == ".json" {
		return "application/json"
	}
	return "text/csv"
}

// rowErrors returns the bad rows of a refused batch, or false when err is not about the rows.
func rowErrors(err error) ([]intake.RowError, bool) {
	var be *book.BatchError
	if errors.As(err, &be) {
		return be.Errors, true
	}
	var re intake.RowErrors
	if errors.As(err, &re) {
		return re, true
	}
	var one *intake.RowError
	if errors.As(err, &one) {
		return []intake.RowError{*one}, true
	}
	return nil, false
}

// readBatch reads the drop and the uploaded batch of a request. When the upload itself is
// wrong (no file, an empty or too large one, a bad CSV header) res says why and rows is nil.
func (p *Pages) readBatch(c echo.Context) (res batchResult, rows book.RowReader, err error) {
	if res.Drop, err = p.dropParam(c); err != nil {
		return res, nil, err
	}
	name, body, problem, err := p.upload(c)
	if err != nil {
		return res, nil, err
	}
	res.File, res.Problem = name, problem
	if problem != "" {
		return res, nil, nil
	}
	res.digest = sha256.Sum256(body)
	rows, err = intake.New(contentType(name), bytes.NewReader(body))
	if err != nil {
		bad, ok := rowErrors(err)
		if !ok {
			return res, nil, err
		}
		res.Rows = bad
		return res, nil, nil
	}
	return res, rows, nil
}

// checkBatch checks an uploaded batch as an import would, stores nothing, and shows every bad
// row, or the batch's figures and whether the drop still ships on its date with it.
func (p *Pages) checkBatch(c echo.Context) error {
	res, rows, err := p.readBatch(c)
	if err != nil || rows == nil {
		return p.batchAnswer(c, res, err)
	}
	ctx := c.Request().Context()
	cands, err := p.book.PreviewImport(ctx, book.ImportRequest{Drop: res.Drop.ID, Rows: rows})
	if err != nil {
		return p.batchAnswer(c, res, err)
	}
	res.Orders = len(cands)
	for _, cd := range cands {
		res.Units += cd.Order.Quantity
	}
	res.Planning = p.planning()
	if p.cfg.Planner != nil && !res.Planning {
		f, err := p.cfg.Planner.Promise(ctx, res.Drop.ID, cands)
		if err != nil {
			return err
		}
		res.Promise = &f
	}
	// The key that stores this very batch: the same file stored twice is stored once.
	pr, _ := who(c)
	key := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%x", pr.ID, res.Drop.ID, res.digest))
	res.Key = "batch-" + hex.EncodeToString(key[:16])
	return p.render(c, http.StatusOK, "batch_result", res)
}

// storeBatch stores a checked batch. The Idempotency-Key the check gave makes a second tap,
// or a retry after a lost answer, store it once.
func (p *Pages) storeBatch(c echo.Context) error {
	res, rows, err := p.readBatch(c)
	if err != nil || rows == nil {
		return p.batchAnswer(c, res, err)
	}
	pr, _ := who(c)
	var idem *book.Idempotency
	if key := c.Request().Header.Get("Idempotency-Key"); key != "" {
		idem = &book.Idempotency{Principal: pr.ID, Key: key}
	}
	stored, err := p.book.Import(c.Request().Context(), book.ImportRequest{
		Drop: res.Drop.ID, Rows: rows, Actor: book.Actor(pr.ID), Idempotency: idem,
	})
	if err != nil {
		// The book may have changed since the check (another batch took the window): the
		// answer says what fails now.
		return p.batchAnswer(c, res, err)
	}
	res.Stored, res.Replayed = &stored, stored.Replayed
	return p.render(c, http.StatusOK, "batch_result", res)
}

// batchAnswer shows a batch's problems: the upload's, or its bad rows when err refuses them.
// Any other error is the server's.
func (p *Pages) batchAnswer(c echo.Context, res batchResult, err error) error {
	if err != nil {
		bad, ok := rowErrors(err)
		if !ok {
			return err
		}
		res.Rows = bad
	}
	return p.render(c, http.StatusOK, "batch_result", res)
}

// ganttPage is the plan as a Gantt chart.
type ganttPage struct {
	SVG     template.HTML
	Days    int  // the window in days; 0 for the plan's span
	ToDrops bool // the plan's span stretched to the drop dates
	Choices []int
	Planned bool
	// Planning says that the first plan is being made; neither it nor Planned when the daemon
	// does not plan.
	Planning bool
	At       time.Time
	Late     int
	Slots    int            // planned operations in the window
	Shown    int            // those drawn
	Outside  []configs.Drop // drops whose date is outside the window
}

// ganttDays are the windows the Gantt page offers besides the whole plan.
var ganttDays = []int{1, 3, 7, 14, 30}

// ganttMaxBars bounds the operations one Gantt chart draws.
const ganttMaxBars = 5000

func (p *Pages) gantt(c echo.Context) error {
	// The window: the plan's own span by default, up to the drop dates, or a number of days.
	days, toDrops := 0, false
	switch s := c.QueryParam("days"); s {
	case "":
	case "drops":
		toDrops = true
	default:
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(ganttDays, n) {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("days=%q: show 1, 3, 7, 14 or 30 days, or drops.", s))
		}
		days = n
	}
	page := ganttPage{Days: days, ToDrops: toDrops, Choices: ganttDays, Planning: p.planning()}
	now := p.cfg.Now()
	from := now.Add(-2 * time.Hour)
	to := now.Add(time.Duration(days) * 24 * time.Hour)
	var pl *planner.Plan
	if p.cfg.Planner != nil {
		pl = p.cfg.Planner.Current()
	}
	if days == 0 {
		to = now.Add(8 * time.Hour)
		if pl != nil && pl.Makespan.After(now) {
			to = later(to, pl.Makespan.Add(pl.Makespan.Sub(now)/20))
		}
		if toDrops {
			for _, d := range p.factory.Drops {
				if d.Date.After(now) {
					to = later(to, d.Date.Add(24*time.Hour))
				}
			}
		}
		to = earlier(to, now.Add(366*24*time.Hour))
	}
	for _, d := range p.factory.Drops {
		if d.Date.Before(from) || d.Date.After(to) {
			page.Outside = append(page.Outside, d)
		}
	}
	rows := make([]chart.GanttRow, 0, len(p.factory.Cells))
	index := make(map[string]int)
	for _, cl := range p.factory.Cells {
		index[cl.ID] = len(rows)
		rows = append(rows, chart.GanttRow{Label: cl.ID})
	}
	if pl != nil {
		page.Planned, page.At, page.Late = true, pl.At, pl.Late
		slots := pl.Window(from, to)
		page.Slots = len(slots)
		if len(slots) > ganttMaxBars {
			// The earliest ones: what the floor does next.
			slices.SortFunc(slots, func(a, b planner.WorkSlot) int { return a.Start.Compare(b.Start) })
			slots = slots[:ganttMaxBars]
		}
		page.Shown = len(slots)
		for _, s := range slots {
			i, ok := index[s.Cell]
			if !ok {
				continue
			}
			rows[i].Bars = append(rows[i].Bars, chart.GanttBar{
				Start: s.Start, End: s.End, Label: s.OrderID, Group: s.Drop,
				Title: fmt.Sprintf("%s (%s), operation %d: %s – %s", s.OrderID, s.Drop, s.Operation,
					s.Start.In(p.loc).Format("Mon 2 Jan 15:04"), s.End.In(p.loc).Format("Mon 2 Jan 15:04")),
			})
		}
	}
	markers := make([]chart.Marker, 0, len(p.factory.Drops))
	for _, d := range p.factory.Drops {
		markers = append(markers, chart.Marker{At: d.Date, Label: d.ID})
	}
	page.SVG = chart.Gantt(chart.Options{
		Title: "The plan by cell", Loc: p.loc,
		Desc: fmt.Sprintf("Planned operations of each cell from %s to %s, coloured by drop, with the drop dates marked.",
			from.In(p.loc).Format("Mon 2 Jan 15:04"), to.In(p.loc).Format("Mon 2 Jan 2006 15:04")),
		Empty: "Nothing planned in this window",
	}, from, to, now, rows, markers)
	return p.render(c, http.StatusOK, "gantt", p.view(c, "Plan", page))
}

// apiAllowedImport says whether a role may import orders, as the API decides.
func apiAllowedImport(role string) bool { return api.Allowed(role, api.PermImport) }
