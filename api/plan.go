package api

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells/planner"
)

// Planner is what the API shows of the floor's plan.
type Planner interface {
	// Current returns the current plan, nil before the first.
	Current() *planner.Plan
	// Promise plans candidate work orders with the open work without committing them and
	// returns the drop's forecast.
	Promise(ctx context.Context, drop string, cands []book.Candidate) (planner.DropForecast, error)
}

// planRetry is the Retry-After of an answer that needs the plan while the first one is being
// made: a book of 50,000 open work orders is planned within a few seconds of the start.
const planRetry = 2 * time.Second

// Planning reports whether a daemon with planner p (nil when it does not plan) plans the floor
// and its first plan is still being made. Meanwhile the book dispatches earliest due date first
// and reads queues in its own order, and what needs the plan answers 503 planning. The API and
// the pages both ask it.
func Planning(p Planner) bool { return p != nil && p.Current() == nil }

// currentPlan returns the plan, or the error that explains why there is none: 404 no_plan when
// the daemon does not plan, 503 planning with a Retry-After while the first plan is being made.
func (s *Server) currentPlan(c echo.Context) (*planner.Plan, error) {
	if s.planner == nil {
		return nil, newError(http.StatusNotFound, codeNoPlan, "this daemon does not plan the floor")
	}
	pl := s.planner.Current()
	if pl == nil {
		return nil, s.planning(c)
	}
	return pl, nil
}

// planning is the answer of what needs the plan while the first one is being made: 503
// planning with a Retry-After.
func (s *Server) planning(c echo.Context) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(planRetry/time.Second)))
	return newError(http.StatusServiceUnavailable, codePlanning, "the first plan is being made: try again in a moment")
}

func (s *Server) getPlan(c echo.Context) error {
	pl, err := s.currentPlan(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pl)
}

type planOperations struct {
	At         time.Time               `json:"planned_at"`
	Operations []planner.OperationSlot `json:"operations"`
}

func (s *Server) planOperations(c echo.Context) error {
	cell := c.QueryParam("cell")
	if cell != "" {
		if _, ok := s.book.Factory().Cell(cell); !ok {
			return newError(http.StatusNotFound, codeNotFound, "unknown cell %q", cell)
		}
	}
	pl, err := s.currentPlan(c)
	if err != nil {
		return err
	}
	out := planOperations{At: pl.At, Operations: pl.Slots(cell)}
	if out.Operations == nil {
		out.Operations = []planner.OperationSlot{}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) dropForecast(c echo.Context) error {
	d, ok := s.book.Factory().Drop(c.Param("drop"))
	if !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown drop %q", c.Param("drop"))
	}
	pl, err := s.currentPlan(c)
	if err != nil {
		return err
	}
	for _, f := range pl.Drops {
		if f.Drop == d.ID {
			return c.JSON(http.StatusOK, f)
		}
	}
	return c.JSON(http.StatusOK, planner.DropForecast{Drop: d.ID, Date: d.Date, OnTime: true, Late: []planner.LateOrder{}})
}

// promise answers whether a drop still ships on its date with a candidate batch, which is
// checked as an import would check it and then forgotten.
func (s *Server) promise(c echo.Context) error {
	r := c.Request()
	if _, ok := s.book.Factory().Drop(c.Param("drop")); !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown drop %q", c.Param("drop"))
	}
	if _, err := s.currentPlan(c); err != nil {
		return err
	}
	ct := r.Header.Get(echo.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/csv" && mt != "application/csv" && mt != "application/json") {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the batch as text/csv or application/json, not %q", ct)
	}
	rows, err := intake.New(ct, http.MaxBytesReader(c.Response(), r.Body, s.maxBatch))
	if err != nil {
		return s.batchReadError(c, err)
	}
	cands, err := s.book.PreviewImport(r.Context(), book.ImportRequest{Drop: c.Param("drop"), Rows: rows, MaxErrors: s.maxErrs})
	var tooMany *book.PreviewTooLargeError
	if errors.As(err, &tooMany) {
		return newError(http.StatusRequestEntityTooLarge, codeTooLarge, "%s", tooMany.Error())
	}
	if err != nil {
		return s.batchReadError(c, err)
	}
	f, err := s.planner.Promise(r.Context(), c.Param("drop"), cands)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}
