package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web/i18n"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// Stops on the pages: the tablet asks for the reason of a stop of its cell once it has ended
// (the book's PromptStops), and the managers' page lists the stops awaiting a reason, those
// given one lately (to fix) and those never given one.

// stopRoutes registers the managers' page of stops.
func (p *Pages) stopRoutes(e *echo.Echo) {
	e.GET("/manager/stops", p.stopsPage, p.signedIn, p.may(api.PermStops))
	// The page's form is for those who read the page and may give reasons: managers and admins
	// (an operator gives them on the tablet).
	e.POST("/manager/stops/:id/reason", p.stopReason, p.signedIn, sameOrigin, smallForm, p.may(api.PermStops), p.may(api.PermOperate))
}

// stopAsk is a stop as the tablet's question shows it.
type stopAsk struct {
	book.Stop
	Minutes int
}

// stopPrompt is the tablet's question about its cell's stops: the newest one awaiting a
// reason, how many more wait after it, and the reasons to pick from, planned and unplanned.
type stopPrompt struct {
	Ask                *stopAsk
	More               int
	Planned, Unplanned []configs.StopReason
}

// reasonGroups splits the factory's reasons into the planned and the unplanned, in the order
// of the tree.
func reasonGroups(s configs.Stops) (planned, unplanned []configs.StopReason) {
	for _, r := range s.Reasons {
		if r.Planned {
			planned = append(planned, r)
		} else {
			unplanned = append(unplanned, r)
		}
	}
	return planned, unplanned
}

// stopPromptOf reads the question a cell's tablet asks; none when nothing waits.
func (p *Pages) stopPromptOf(ctx context.Context, cell string) (stopPrompt, error) {
	stops, err := p.book.PromptStops(ctx, cell)
	if err != nil || len(stops) == 0 {
		return stopPrompt{}, err
	}
	q := stopPrompt{Ask: &stopAsk{Stop: stops[0], Minutes: stopMinutes(stops[0], p.cfg.Now())}, More: len(stops) - 1}
	q.Planned, q.Unplanned = reasonGroups(p.factory().Stops)
	return q, nil
}

// stopMinutes is how long a stop lasted in whole minutes, rounded, at least 1.
func stopMinutes(s book.Stop, now time.Time) int {
	return max(1, int(s.Duration(now).Round(time.Minute)/time.Minute))
}

// stopKind names a kind of stop as the floor speaks of it.
func stopKind(l *i18n.Lang, k book.StopKind) string {
	switch k {
	case book.StopFault:
		return l.T("Machine fault")
	case book.StopLost:
		return l.T("Machine not answering")
	case book.StopReported:
		return l.T("Fault reported")
	case book.StopSetup:
		return l.T("Setup")
	case book.StopPaused:
		return l.T("Paused")
	case book.StopIdle:
		return l.T("Waiting to start")
	case book.StopCheck:
		return l.T("Waiting for a quality check")
	case book.StopNoWork:
		return l.T("No work")
	}
	return string(k)
}

// stopsWindow is how far back the managers' page of stops reads.
const stopsWindow = 7 * 24 * time.Hour

// stopsFixable is how long after a reason was given the managers' page offers to fix it.
const stopsFixable = 24 * time.Hour

// maxStopsShown bounds the stops the managers' page reads.
const maxStopsShown = 2000

// stopRow is a stop on the managers' page.
type stopRow struct {
	book.Stop
	Minutes int
	// Label is the label of its reason, "" without one.
	Label string
	// Open says that a reason may still be given (or fixed): the window has not closed.
	Open bool
}

// stopsPage is the managers' page of stops.
type stopsPage struct {
	Cells []configs.Cell
	Cell  string
	// Awaiting are the stops with no reason whose window is open, Given those given a reason in
	// the last day, NotGiven those whose window closed with no reason; newest first.
	Awaiting, Given, NotGiven []stopRow
	Planned, Unplanned        []configs.StopReason
	// Pick says whether the person may give reasons (a planner looks only).
	Pick bool
	// Done says what was just done, Problem why a reason was refused.
	Done, Problem string
	Window        time.Duration
}

// stopsTable is one table of the managers' page of stops.
type stopsTable struct {
	ID   string
	Rows []stopRow
	Page stopsPage
}

// Table returns the table of rows, with the HTML id id.
func (s stopsPage) Table(id string, rows []stopRow) stopsTable {
	return stopsTable{ID: id, Rows: rows, Page: s}
}

// stopsPage serves /manager/stops?cell=: the stops of the last 7 days at least the factory's
// prompt long (and every open one), no-work stops left out.
func (p *Pages) stopsPage(c echo.Context) error {
	return p.showStops(c, http.StatusOK, func(s *stopsPage) { s.Done = c.QueryParam("done") })
}

func (p *Pages) showStops(c echo.Context, status int, set func(*stopsPage)) error {
	page, err := p.stopsOf(c)
	if err != nil {
		return err
	}
	set(&page)
	return p.render(c, status, "stops", p.view(c, "Stops", page))
}

// stopsOf reads the managers' page of stops for the request's ?cell=.
func (p *Pages) stopsOf(c echo.Context) (stopsPage, error) {
	fac := p.factory()
	now := p.cfg.Now()
	st := fac.Stops
	pr, _ := who(c)
	page := stopsPage{Cells: fac.Cells, Cell: c.QueryParam("cell"), Pick: api.Allowed(pr.Role, api.PermOperate), Window: st.ReasonWindow}
	page.Planned, page.Unplanned = reasonGroups(st)
	if page.Cell != "" {
		if _, ok := fac.Cell(page.Cell); !ok {
			return page, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no cell %q in this factory.", page.Cell))
		}
	}
	stops, err := p.book.Stops(c.Request().Context(), book.StopFilter{Cell: page.Cell, From: now.Add(-stopsWindow), Limit: maxStopsShown})
	if err != nil {
		return page, err
	}
	for _, s := range slices.Backward(stops) {
		if s.Kind == book.StopNoWork || (s.End != nil && s.Duration(now) < st.Prompt) {
			continue
		}
		row := stopRow{Stop: s, Minutes: stopMinutes(s, now), Open: s.End == nil || !now.After(s.End.Add(st.ReasonWindow))}
		if r, ok := p.book.StopReasonOf(s); ok {
			row.Label = r.Label
		}
		switch {
		case s.Reason == "" && row.Open:
			page.Awaiting = append(page.Awaiting, row)
		case s.Reason == "":
			page.NotGiven = append(page.NotGiven, row)
		case s.ReasonAt != nil && now.Sub(*s.ReasonAt) < stopsFixable:
			page.Given = append(page.Given, row)
		}
	}
	return page, nil
}

// stopReason gives a stop the reason a manager picked, or fixes it, and shows the page again
// with what was done or why it was refused; nothing is stored when it is refused.
func (p *Pages) stopReason(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no stop %q.", c.Param("id")))
	}
	code := c.Request().PostFormValue("reason")
	st, err := p.book.GiveStopReason(c.Request().Context(), id, code, actor(c))
	var fe *book.FieldError
	status, problem := http.StatusOK, ""
	switch {
	case err == nil:
	case errors.As(err, &fe):
		status, problem = http.StatusUnprocessableEntity, fe.Error()
	case errors.Is(err, book.ErrNotFound):
		status, problem = http.StatusNotFound, fmt.Sprintf("There is no stop %d.", id)
	case errors.Is(err, book.ErrReasonWindowClosed), errors.Is(err, book.ErrNoWorkStop):
		status, problem = http.StatusConflict, err.Error()
	default:
		return err
	}
	if problem != "" {
		return p.showStops(c, status, func(s *stopsPage) { s.Problem = problem })
	}
	label := code
	if r, ok := p.book.StopReasonOf(st); ok {
		label = r.Label
	}
	// Back to the list, as it was filtered, so that a reload sends nothing again.
	to := "/manager/stops?done=" + url.QueryEscape(fmt.Sprintf("Stop %d: %s.", st.ID, label))
	if cell := c.QueryParam("cell"); cell != "" {
		to += "&cell=" + url.QueryEscape(cell)
	}
	return c.Redirect(http.StatusSeeOther, to)
}
