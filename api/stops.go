package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// Stops: the intervals the cells did not make good product, for the managers' reports (a list,
// JSON or CSV), the tablet's question (a cell's stops awaiting a reason) and the answer to it.

func (s *Server) stopRoutes(v1 *echo.Group) {
	v1.GET("/stops", s.listStops, s.authenticated, s.require(PermStops))
	v1.GET("/cells/:cell/stops/prompt", s.promptStops, s.authenticated)
	v1.PUT("/stops/:id/reason", s.giveStopReason, s.authenticated, s.require(PermOperate))
}

// stopView is a stop as the API shows it: with its reason's label, branch and loss, and its
// length in minutes (until now while it lasts).
type stopView struct {
	book.Stop
	Minutes     float64      `json:"minutes"`
	ReasonLabel string       `json:"reason_label,omitempty"`
	Planned     bool         `json:"planned,omitempty"`
	Loss        configs.Loss `json:"loss,omitempty"`
}

func (s *Server) stopView(st book.Stop, now time.Time) stopView {
	v := stopView{Stop: st, Minutes: minutes(st.Duration(now))}
	if r, ok := s.book.StopReasonOf(st); ok {
		v.ReasonLabel, v.Planned, v.Loss = r.Label, r.Planned, r.Loss
	}
	return v
}

// minutes is d in minutes, to the hundredth.
func minutes(d time.Duration) float64 {
	return float64(d.Round(600*time.Millisecond)/(600*time.Millisecond)) / 100
}

// StopsCSVHeader is the header row of the stops as CSV.
var StopsCSVHeader = []string{"id", "cell", "kind", "operation", "detail", "start", "end", "minutes", "reason", "reason label",
	"planned", "loss", "reason by", "auto"}

// listStops lists the stops ?cell=, ?from= and ?to= (RFC 3339) select, ?unexplained=true the
// ended ones without a reason, paged by ?after= (a stop id) and ?limit=; JSON or, when asked
// (?format=csv, or an Accept that prefers text/csv), CSV.
func (s *Server) listStops(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	f := book.StopFilter{Cell: c.QueryParam("cell")}
	if f.Limit, err = intParam(c, "limit", defaultLimit, 1, maxLimit); err != nil {
		return err
	}
	if f.AfterID, err = int64Param(c, "after", 0, 0, 1<<62); err != nil {
		return err
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if *dst, err = timeParam(c, name); err != nil {
			return err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return newError(http.StatusBadRequest, codeInvalid, "query parameter to=%q: want a time after from=%q", c.QueryParam("to"), c.QueryParam("from"))
	}
	switch u := c.QueryParam("unexplained"); u {
	case "", "false":
	case "true":
		f.Unexplained = true
	default:
		return newError(http.StatusBadRequest, codeInvalid, "query parameter unexplained=%q: want true or false", u)
	}
	stops, err := s.book.Stops(c.Request().Context(), f)
	if err != nil {
		return err
	}
	now := s.auth.now()
	if !asCSV {
		views := make([]stopView, 0, len(stops))
		for _, st := range stops {
			views = append(views, s.stopView(st, now))
		}
		next := int64(0)
		if len(stops) == f.Limit {
			next = stops[len(stops)-1].ID
		}
		return c.JSON(http.StatusOK, map[string]any{"stops": views, "next_after": next})
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	name := "stops"
	if f.Cell != "" {
		name += "-" + fileSafe(f.Cell)
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(StopsCSVHeader)
	for _, st := range stops {
		_ = w.Write(s.stopRow(st, now)) // the client went away if this fails; nothing to tell it
	}
	w.Flush()
	return nil
}

// stopRow is a stop's row under StopsCSVHeader. Text cells that a spreadsheet would take for a
// formula start with a quote.
func (s *Server) stopRow(st book.Stop, now time.Time) []string {
	v := s.stopView(st, now)
	op, end, planned := "", "", ""
	if st.Operation != 0 {
		op = strconv.FormatInt(st.Operation, 10)
	}
	if st.End != nil {
		end = st.End.Format(time.RFC3339)
	}
	if st.Reason != "" {
		planned = strconv.FormatBool(v.Planned)
	}
	return []string{strconv.FormatInt(st.ID, 10), cell(st.Cell), string(st.Kind), op, cell(st.Detail), st.Start.Format(time.RFC3339), end,
		strconv.FormatFloat(v.Minutes, 'f', 2, 64), cell(st.Reason), cell(v.ReasonLabel), planned, string(v.Loss), cell(st.ReasonBy),
		strconv.FormatBool(st.Auto)}
}

// reasonView is a reason of the factory's tree, for the buttons of the tablet's question.
type reasonView struct {
	Code    string `json:"code"`
	Label   string `json:"label"`
	Planned bool   `json:"planned"`
}

// promptStops answers the tablet's question: the cell's stops that ended without a reason,
// long enough to ask about, within the reason window, newest first; with the reasons to pick.
func (s *Server) promptStops(c echo.Context) error {
	stops, err := s.book.PromptStops(c.Request().Context(), c.Param("cell"))
	if err != nil {
		return err
	}
	now := s.auth.now()
	views := make([]stopView, 0, len(stops))
	for _, st := range stops {
		views = append(views, s.stopView(st, now))
	}
	tree := s.book.Factory().Stops.Reasons
	reasons := make([]reasonView, 0, len(tree))
	for _, r := range tree {
		reasons = append(reasons, reasonView{Code: r.Code, Label: r.Label, Planned: r.Planned})
	}
	return c.JSON(http.StatusOK, map[string]any{"stops": views, "reasons": reasons})
}

// stopReasonRequest is the body of PUT /stops/{id}/reason.
type stopReasonRequest struct {
	Reason string `json:"reason"`
}

// giveStopReason gives a stop its reason, or fixes it; the same reason again changes nothing.
func (s *Server) giveStopReason(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req stopReasonRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	st, err := s.book.GiveStopReason(c.Request().Context(), id, req.Reason, book.Actor(principal(c).ID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.stopView(st, s.auth.now()))
}

// timeParam reads an RFC 3339 time from the query, the zero time when it is absent.
func timeParam(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, newError(http.StatusBadRequest, codeInvalid, "query parameter %s=%q: want a time as 2026-11-02T08:00:00Z (RFC 3339)", name, v)
	}
	return t, nil
}
