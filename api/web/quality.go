package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// The managers' page of quality: the open non-conformances, decided there (rework, scrap, or
// accept with a note, managers and admins only), and those decided in the last 7 days.

// qualityRoutes registers the managers' page of quality.
func (p *Pages) qualityRoutes(e *echo.Echo) {
	e.GET("/manager/quality", p.qualityPage, p.signedIn)
	e.POST("/manager/quality/:id/decision", p.qualityDecision, p.signedIn, sameOrigin, smallForm, p.may(api.PermOperate))
}

// decidedShown is how far back the page lists decided non-conformances.
const decidedShown = 7 * 24 * time.Hour

// maxNCsRead bounds the non-conformances the page reads.
const maxNCsRead = 1000

// qualityPage is the managers' page of quality.
type qualityPage struct {
	Open, Decided []book.NonConformance
	// Decide says whether the person may decide (a planner looks only), Accept whether they
	// may accept units as they are.
	Decide, Accept bool
	Done, Problem  string
}

func (p *Pages) qualityPage(c echo.Context) error {
	return p.showQuality(c, http.StatusOK, func(q *qualityPage) { q.Done = c.QueryParam("done") })
}

func (p *Pages) showQuality(c echo.Context, status int, set func(*qualityPage)) error {
	ncs, err := p.book.NonConformances(c.Request().Context(), book.NCFilter{Limit: maxNCsRead})
	if err != nil {
		return err
	}
	pr, _ := who(c)
	q := qualityPage{Decide: api.Allowed(pr.Role, api.PermOperate), Accept: api.Allowed(pr.Role, api.PermAccept)}
	since := p.cfg.Now().Add(-decidedShown)
	for _, nc := range slices.Backward(ncs) {
		switch {
		case nc.State == book.NCOpen:
			q.Open = append(q.Open, nc)
		case nc.DecidedAt != nil && nc.DecidedAt.After(since):
			q.Decided = append(q.Decided, nc)
		}
	}
	set(&q)
	return p.render(c, status, "quality", p.view(c, "Quality", q))
}

// qualityDecision decides a non-conformance from the page: back to the page when done, or
// the page with why it was refused, nothing changed.
func (p *Pages) qualityDecision(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no non-conformance %q.", c.Param("id")))
	}
	r := c.Request()
	pr, _ := who(c)
	nc, err := p.book.DecideNonConformance(r.Context(), book.NCDecision{ID: id, Decision: book.NCState(r.PostFormValue("decision")),
		Note: r.PostFormValue("note"), Actor: book.Actor(pr.ID), MayAccept: api.Allowed(pr.Role, api.PermAccept)})
	var fe *book.FieldError
	var decided *book.NCDecidedError
	status, problem := http.StatusOK, ""
	switch {
	case err == nil:
	case errors.As(err, &fe):
		status, problem = http.StatusUnprocessableEntity, fe.Error()
	case errors.Is(err, book.ErrForbidden):
		status, problem = http.StatusForbidden, "Only a manager accepts units that failed their check."
	case errors.As(err, &decided), errors.Is(err, book.ErrNotDecidable):
		status, problem = http.StatusConflict, err.Error()
	case errors.Is(err, book.ErrNotFound):
		status, problem = http.StatusNotFound, fmt.Sprintf("There is no non-conformance %d.", id)
	default:
		return err
	}
	if problem != "" {
		return p.showQuality(c, status, func(q *qualityPage) { q.Problem = problem })
	}
	return c.Redirect(http.StatusSeeOther, "/manager/quality?done="+url.QueryEscape(fmt.Sprintf("Non-conformance %d: %s.", nc.ID, nc.State)))
}

// checkLimits says a measurement's limits as the checklist shows them: "158–162", or one bound
// when the other is unbounded.
func checkLimits(c configs.Check) string {
	lo, hi := !math.IsInf(c.Min, -1), !math.IsInf(c.Max, 1)
	switch {
	case lo && hi:
		return fmt.Sprintf("%g–%g", c.Min, c.Max)
	case lo:
		return fmt.Sprintf("≥ %g", c.Min)
	case hi:
		return fmt.Sprintf("≤ %g", c.Max)
	}
	return ""
}
