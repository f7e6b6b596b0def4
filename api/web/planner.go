package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
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
	Short   shortList
	// Late names the drop's late orders; Planned says there is a plan to tell.
	Late    lateList
	Planned bool
}

func (p *Pages) plannerHome(c echo.Context) error {
	rows, _, err := p.drops(c.Request().Context(), p.cfg.Now())
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "planner", p.view(c, "Planning", rows))
}

func (p *Pages) dropParam(c echo.Context) (configs.Drop, error) {
	d, ok := p.factory().Drop(c.Param("drop"))
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
	for _, pr := range p.factory().Products {
		if w, ok := d.Windows[pr.SKU]; ok {
			page.Windows = append(page.Windows, windowRow{SKU: pr.SKU, Product: pr.Name, Ordered: units[pr.SKU], Window: w})
		}
	}
	forecasts, planned := p.forecasts()
	page.Planned = planned
	if i := slices.IndexFunc(forecasts, func(f planner.DropForecast) bool { return f.Drop == d.ID }); i >= 0 {
		forecasts = forecasts[i : i+1]
	} else {
		forecasts = nil
	}
	if page.Late, err = p.lateOf(ctx, "late-orders", forecasts, batchErrors, false); err != nil {
		return err
	}
	pr, _ := who(c)
	page.Can = apiAllowedImport(pr.Role)
	if page.Short, err = p.shortList(c, d.ID); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "planner_drop", p.view(c, d.Name, page))
}

// batchErrors is how many problems of a refused batch the page lists, the first by line; it
// counts the rest.
const batchErrors = 100

// batchResult is what checking or storing a batch shows.
type batchResult struct {
	Drop configs.Drop
	File string
	// Rows are the first problems of a refused batch, at most batchErrors; Problems and
	// BadRows count them all.
	Rows     []intake.RowError
	Problems int
	BadRows  int
	Problem  string // a problem with the whole upload
	// Orders and Units count the batch's new orders; Unchanged those the book already holds
	// as they are, which storing leaves alone.
	Orders    int
	Units     int
	Unchanged int
	Promise   *planner.DropForecast
	// Late names the late orders of the drop with the batch, the first batchErrors of them;
	// LateNew counts those of the batch.
	Late     lateList
	LateNew  int
	Planning bool // no promise yet: the first plan is being made
	// TooMany says the good batch has more new orders than a promise check plans.
	TooMany  bool
	Key      string // the Idempotency-Key that stores this very batch
	Stored   *book.ImportResult
	Replayed bool
}

// Verdicts of a good batch's check, as the page colours and words them.
const (
	verdictOnTime     = "on-time"     // the drop ships on its date, every order by its due date
	verdictOrdersLate = "orders-late" // the drop ships on its date, some orders late
	verdictDropLate   = "drop-late"   // the drop misses its date
	verdictUnknown    = "unknown"     // no promise: too many orders, or no plan
)

// Verdict is what the check of a good batch found.
func (r batchResult) Verdict() string {
	switch {
	case r.Promise == nil:
		return verdictUnknown
	case !r.Promise.OnTime:
		return verdictDropLate
	case r.Late.All > 0:
		return verdictOrdersLate
	}
	return verdictOnTime
}

// setPromise puts the drop's forecast with the batch into r, and the late orders it names.
func (r *batchResult) setPromise(f planner.DropForecast) {
	r.Promise = &f
	r.Late = lateList{ID: "promise-late"}
	r.Late.Rows, r.Late.All = worstLate([]planner.DropForecast{f}, batchErrors)
	r.LateNew = 0
	for _, l := range f.Late {
		if l.WorkOrder == 0 {
			r.LateNew++
		}
	}
}

// AlreadyStored says that every order of the batch is in the book as it is: storing it would
// do nothing.
func (r batchResult) AlreadyStored() bool { return r.Orders == 0 && r.Unchanged > 0 }

// More is how many problems the page does not list.
func (r batchResult) More() int { return r.Problems - len(r.Rows) }

// LateOld counts the late orders already in the book.
func (r batchResult) LateOld() int { return r.Late.All - r.LateNew }

// MaxPromiseOrders is the most new orders a promise check plans.
func (batchResult) MaxPromiseOrders() int { return book.MaxPreviewOrders }

// upload is the uploaded batch of a form, read as it arrives: nothing holds the whole file.
type upload struct {
	name   string
	body   io.Reader // the file, through the digest
	digest hash.Hash // of the file's bytes read so far
}

// rest reads what the batch's reader left of the file, so that the digest is of the whole.
func (u *upload) rest() error {
	_, err := io.Copy(io.Discard, u.body)
	return err
}

// openUpload finds the uploaded batch of a multipart form, the field "batch"; problem says what
// is wrong when there is none or it is empty.
func (p *Pages) openUpload(c echo.Context) (u *upload, problem string, err error) {
	r := c.Request()
	// The file may be MaxBatchBytes, the form around it a little more.
	r.Body = http.MaxBytesReader(c.Response(), r.Body, p.cfg.MaxBatchBytes+formRoom)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "Choose a CSV file of orders first.", nil
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "Choose a CSV file of orders first.", nil
		}
		if err != nil {
			if problem := p.uploadProblem(err); problem != "" {
				return nil, problem, nil
			}
			return nil, "The upload is not a form with a file: choose a CSV file of orders.", nil
		}
		if part.FormName() != "batch" || part.FileName() == "" {
			continue // NextPart reads past what is left of it
		}
		u := &upload{name: part.FileName(), digest: sha256.New()}
		file := &fileLimit{r: part, limit: p.cfg.MaxBatchBytes}
		br := bufio.NewReader(io.TeeReader(file, u.digest))
		if _, err := br.Peek(1); errors.Is(err, io.EOF) {
			return nil, u.name + " is empty.", nil
		} else if err != nil {
			if problem := p.uploadProblem(err); problem != "" {
				return nil, problem, nil
			}
			return nil, "", err
		}
		u.body = br
		return u, "", nil
	}
}

// formRoom is what a form may hold besides its file: the parts' headers and boundaries.
const formRoom = 64 << 10

// fileLimit fails a read past limit bytes with an *http.MaxBytesError, as the body's limit does.
type fileLimit struct {
	r     io.Reader
	limit int64
	read  int64
}

func (f *fileLimit) Read(p []byte) (int, error) {
	if f.read > f.limit {
		return 0, &http.MaxBytesError{Limit: f.limit}
	}
	// Up to one byte past the limit, to tell a file of the limit from a longer one.
	if room := f.limit + 1 - f.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := f.r.Read(p)
	f.read += int64(n)
	if f.read > f.limit {
		return n - int(f.read-f.limit), &http.MaxBytesError{Limit: f.limit}
	}
	return n, err
}

// uploadProblem says what is wrong with an upload that failed to read, or "" when it is not the
// upload's fault.
func (p *Pages) uploadProblem(err error) string {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Sprintf("The file is larger than %d MiB, the most one batch may be: split it.", p.cfg.MaxBatchBytes>>20)
	case errors.Is(err, api.ErrSlowBody):
		return "The upload came too slowly and was cut off: try again on a better connection."
	}
	return ""
}

// contentType is the batch's format by its name: JSON when it says so, CSV otherwise.
func contentType(name string) string {
	if len(name) > 5 && name[len(name)-5:] == ".json" {
		return "application/json"
	}
	return "text/csv"
}

// rowErrors returns the first problems of a refused batch and the counts of them all, or false
// when err is not about the rows.
func rowErrors(err error) (first []intake.RowError, problems, badRows int, ok bool) {
	var be *book.BatchError
	if errors.As(err, &be) {
		return be.Errors, be.Problems, be.BadRows, true
	}
	var re intake.RowErrors
	if errors.As(err, &re) {
		// The header's problems, all on its line.
		return re[:min(len(re), batchErrors)], len(re), 1, true
	}
	var one *intake.RowError
	if errors.As(err, &one) {
		return []intake.RowError{*one}, 1, 1, true
	}
	return nil, 0, 0, false
}

// readBatch reads the drop and starts reading the uploaded batch of a request. When the upload
// itself is wrong (no file, an empty or too large one, a bad CSV header) res says why and rows
// is nil.
func (p *Pages) readBatch(c echo.Context) (res batchResult, u *upload, rows book.RowReader, err error) {
	if res.Drop, err = p.dropParam(c); err != nil {
		return res, nil, nil, err
	}
	u, res.Problem, err = p.openUpload(c)
	if err != nil || u == nil {
		return res, nil, nil, err
	}
	res.File = u.name
	rows, err = intake.New(contentType(u.name), u.body)
	if err != nil {
		return res, nil, nil, p.batchProblem(&res, err)
	}
	return res, u, rows, nil
}

// batchProblem puts a refused batch's problems, or an upload's, into res; any other error is the
// server's and comes back.
func (p *Pages) batchProblem(res *batchResult, err error) error {
	if problem := p.uploadProblem(err); problem != "" {
		res.Problem = problem
		return nil
	}
	var ok bool
	if res.Rows, res.Problems, res.BadRows, ok = rowErrors(err); ok {
		return nil
	}
	return err
}

// checkBatch checks an uploaded batch as an import would, stores nothing, and shows the first
// bad rows and the count of them all, or the batch's figures and whether the drop still ships
// on its date with it.
func (p *Pages) checkBatch(c echo.Context) error {
	res, u, rows, err := p.readBatch(c)
	if err != nil || rows == nil {
		return p.batchAnswer(c, res, err)
	}
	ctx := c.Request().Context()
	preview, err := p.book.PreviewBatch(ctx, book.ImportRequest{Drop: res.Drop.ID, Rows: rows, MaxErrors: batchErrors})
	var tooMany *book.PreviewTooLargeError
	if errors.As(err, &tooMany) {
		// Good, but too big to plan: its figures and the button to store it, no promise.
		res.TooMany, res.Orders, res.Units, err = true, tooMany.Orders, tooMany.Units, nil
	}
	if err != nil {
		return p.batchAnswer(c, res, err)
	}
	if err := u.rest(); err != nil {
		return p.batchAnswer(c, res, err)
	}
	res.Unchanged = preview.Unchanged
	// The customers of the batch, to name its late orders: the candidates themselves, a hundred
	// thousand orders with their operations, are let go while the promise is planned.
	customers := make(map[string]string)
	for _, cd := range preview.Candidates {
		res.Orders++
		res.Units += cd.Order.Quantity
		if cd.Order.Customer != "" {
			customers[cd.Order.OrderID] = cd.Order.Customer
		}
	}
	res.Planning = p.planning()
	if !res.TooMany && res.Orders > 0 && p.cfg.Planner != nil && !res.Planning {
		f, err := p.cfg.Planner.Promise(ctx, res.Drop.ID, preview.Candidates)
		if err != nil {
			return err
		}
		res.setPromise(f)
		if err := p.nameCustomers(ctx, res.Late.Rows, customers); err != nil {
			return err
		}
	}
	// The key that stores this very batch: the same file stored twice is stored once.
	pr, _ := who(c)
	key := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%x", pr.ID, res.Drop.ID, u.digest.Sum(nil)))
	res.Key = "batch-" + hex.EncodeToString(key[:16])
	return p.render(c, http.StatusOK, "batch_result", res)
}

// storeBatch stores a checked batch. The Idempotency-Key the check gave makes a second tap,
// or a retry after a lost answer, store it once.
func (p *Pages) storeBatch(c echo.Context) error {
	res, _, rows, err := p.readBatch(c)
	if err != nil || rows == nil {
		return p.batchAnswer(c, res, err)
	}
	pr, _ := who(c)
	var idem *book.Idempotency
	if key := c.Request().Header.Get("Idempotency-Key"); key != "" {
		idem = &book.Idempotency{Principal: pr.ID, Key: key}
	}
	stored, err := p.book.Import(c.Request().Context(), book.ImportRequest{
		Drop: res.Drop.ID, Rows: rows, Actor: book.Actor(pr.ID), Idempotency: idem, MaxErrors: batchErrors,
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
		if err := p.batchProblem(&res, err); err != nil {
			return err
		}
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
	LateOps  int            // those drawn planned to end after their order's due date
	Outside  []configs.Drop // drops whose date is outside the window
	// LateOrders names the late orders of every drop.
	LateOrders lateList
}

// ganttWidth is the Gantt chart's width: it fits a 1024 px wide tablet, and the chart is never
// drawn narrower (package chart), so its text stays 12 px.
const ganttWidth = 900

// ganttDays are the windows the Gantt page offers besides the whole plan.
var ganttDays = []int{1, 3, 7, 14, 30}

// ganttMaxBars bounds the operations one Gantt chart draws.
const ganttMaxBars = 5000

func (p *Pages) gantt(c echo.Context) error {
	fac := p.factory()
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
			for _, d := range fac.Drops {
				if d.Date.After(now) {
					to = later(to, d.Date.Add(24*time.Hour))
				}
			}
		}
		to = earlier(to, now.Add(366*24*time.Hour))
	}
	for _, d := range fac.Drops {
		if d.Date.Before(from) || d.Date.After(to) {
			page.Outside = append(page.Outside, d)
		}
	}
	rows := make([]chart.GanttRow, 0, len(fac.Cells))
	index := make(map[string]int)
	for _, cl := range fac.Cells {
		index[cl.ID] = len(rows)
		name := cl.Name
		if name == "" {
			name = cl.ID
		}
		rows = append(rows, chart.GanttRow{Label: name, Sub: cl.ID})
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
			late := s.End.After(s.Due)
			title := fmt.Sprintf("%s (%s), operation %d: %s – %s", s.OrderID, s.Drop, s.Operation,
				s.Start.In(p.loc).Format("Mon 2 Jan 15:04"), s.End.In(p.loc).Format("Mon 2 Jan 15:04"))
			if late {
				page.LateOps++
				title += fmt.Sprintf("; late: due %s, ends %s after", s.Due.In(p.loc).Format("Mon 2 Jan 15:04"), chart.FormatDuration(s.End.Sub(s.Due)))
			}
			rows[i].Bars = append(rows[i].Bars, chart.GanttBar{
				Start: s.Start, End: s.End, Label: s.OrderID, Group: s.Drop, Late: late, Title: title,
			})
		}
		var err error
		if page.LateOrders, err = p.lateOf(c.Request().Context(), "late-orders", pl.Drops, batchErrors, true); err != nil {
			return err
		}
	}
	markers := make([]chart.Marker, 0, len(fac.Drops))
	groups := make([]string, 0, len(fac.Drops))
	for _, d := range fac.Drops {
		markers = append(markers, chart.Marker{At: d.Date, Label: d.ID})
		groups = append(groups, d.ID)
	}
	page.SVG = chart.Gantt(chart.Options{
		Title: "The plan by cell", Loc: p.loc, Width: ganttWidth, Groups: groups,
		LateLabel: "late: ends after its order's due date",
		Desc: fmt.Sprintf("Planned operations of each cell from %s to %s, coloured by drop, late work hatched, with the drop dates marked.",
			from.In(p.loc).Format("Mon 2 Jan 15:04"), to.In(p.loc).Format("Mon 2 Jan 2006 15:04")),
		Empty: "Nothing planned in this window",
	}, from, to, now, rows, markers)
	return p.render(c, http.StatusOK, "gantt", p.view(c, "Plan", page))
}

// apiAllowedImport says whether a role may import orders, as the API decides.
func apiAllowedImport(role string) bool { return api.Allowed(role, api.PermImport) }
