package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// The staff's repairs: counter intake, the list and one repair, receiving a parcel, handing
// the item back, a new customer link, the estimate a diagnosis would make and the diagnosis
// itself; and the care plans staff sell. The customer's own pages are the web app's.

// repairRoutes registers the staff's repair and care plan routes: reads for any role, the
// counter's writes for PermRepairs, the diagnosis (which completes an operation) for
// PermOperate, care plans for PermSellCare.
func (s *Server) repairRoutes(v1 *echo.Group) {
	v1.POST("/repairs", s.openRepair, s.authenticated, s.require(PermRepairs))
	v1.GET("/repairs", s.listRepairs, s.authenticated)
	v1.GET("/repairs/:id", s.getRepair, s.authenticated)
	v1.POST("/repairs/:id/receive", s.receiveRepair, s.authenticated, s.require(PermRepairs))
	v1.POST("/repairs/:id/return", s.returnRepair, s.authenticated, s.require(PermRepairs))
	v1.POST("/repairs/:id/link", s.newRepairLink, s.authenticated, s.require(PermRepairs))
	v1.GET("/repairs/:id/estimate", s.previewEstimate, s.authenticated)
	v1.POST("/repairs/:id/diagnosis", s.diagnoseRepair, s.authenticated, s.require(PermOperate))
	v1.POST("/care-plans", s.addCarePlan, s.authenticated, s.require(PermSellCare))
	v1.GET("/care-plans", s.listCarePlans, s.authenticated)
}

// workPromiser is the planner's promise of one work order's dates, which an estimate needs.
type workPromiser interface {
	PromiseWork(ctx context.Context, cand book.Candidate) (planner.WorkPromise, error)
}

// repairLinkPath is the path of a repair's customer page under its link.
func repairLinkPath(link string) string { return "/r/" + link }

// repairIntakeRequest is the body of a counter intake.
type repairIntakeRequest struct {
	Serial      string            `json:"serial"`
	Item        string            `json:"item"`
	Kind        string            `json:"kind"`
	Customer    string            `json:"customer"`
	Contact     string            `json:"contact"`
	Description string            `json:"description"`
	Checklist   map[string]string `json:"checklist"`
}

// repairLinked is a repair with the path of its customer page, told only when the link is made.
type repairLinked struct {
	Repair book.Repair `json:"repair"`
	Link   string      `json:"link"`
}

func (s *Server) openRepair(c echo.Context) error {
	var req repairIntakeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, link, err := s.book.OpenRepair(c.Request().Context(), book.RepairIntake{
		Source: book.SourceCounter, Serial: req.Serial, Item: req.Item, Kind: req.Kind,
		Customer: req.Customer, Contact: req.Contact, Description: req.Description,
		Checklist: req.Checklist, Actor: book.Actor(principal(c).ID),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, repairLinked{Repair: r, Link: repairLinkPath(link)})
}

func (s *Server) listRepairs(c echo.Context) error {
	limit, err := intParam(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	f := book.RepairFilter{State: book.RepairState(c.QueryParam("state")), Serial: c.QueryParam("serial"),
		Customer: c.QueryParam("customer"), AfterID: c.QueryParam("after"), Limit: limit}
	if _, ok := book.RepairSeq(f.AfterID); f.AfterID != "" && !ok {
		return newError(http.StatusBadRequest, codeInvalid, "query parameter after=%q: want a repair id, such as R-000042", f.AfterID)
	}
	switch f.State {
	case "", book.RepairRequested, book.RepairReceived, book.RepairEstimated, book.RepairApproved,
		book.RepairDeclined, book.RepairExpired, book.RepairReady, book.RepairReturned:
	default:
		return newError(http.StatusBadRequest, codeInvalid,
			"state %q: want requested, received, estimated, approved, declined, expired, ready or returned", f.State)
	}
	rs, err := s.book.Repairs(c.Request().Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(rs) == limit {
		next = rs[len(rs)-1].ID
	}
	return c.JSON(http.StatusOK, map[string]any{"repairs": nonNil(rs), "next_after": next})
}

func (s *Server) getRepair(c echo.Context) error {
	r, err := s.book.Repair(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) receiveRepair(c echo.Context) error {
	if err := emptyBody(c); err != nil {
		return err
	}
	r, err := s.book.ReceiveRepair(c.Request().Context(), c.Param("id"), book.Actor(principal(c).ID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) returnRepair(c echo.Context) error {
	if err := emptyBody(c); err != nil {
		return err
	}
	r, err := s.book.ReturnRepair(c.Request().Context(), c.Param("id"), book.Actor(principal(c).ID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) newRepairLink(c echo.Context) error {
	if err := emptyBody(c); err != nil {
		return err
	}
	link, err := s.book.NewRepairLink(c.Request().Context(), c.Param("id"), book.Actor(principal(c).ID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"link": repairLinkPath(link)})
}

// emptyBody refuses a body other than nothing or {}.
func emptyBody(c echo.Context) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	return optionalJSON(raw, &struct{}{})
}

// Errors of a repair's estimate without the planner's dates.
var (
	// ErrNoPlanner is returned (wrapped) when the daemon does not plan the floor: an estimate
	// needs the planner's dates.
	ErrNoPlanner = errors.New("this daemon does not plan the floor: an estimate needs the planner's dates")
	// ErrPlanning is returned (wrapped) while the first plan is being made.
	ErrPlanning = errors.New("the first plan is being made: try again in a moment")
)

// RepairPlanner is what a repair's estimate needs of the floor's plan: whether the first is
// made; its promise of a work order's dates (planner.Planner.PromiseWork) is found by type
// assertion.
type RepairPlanner interface {
	Current() *planner.Plan
}

// RepairPromise returns the planner's standard and express dates of the work of repair id's
// services, planned as a repair of the current plan: ErrNoPlanner when p is nil or makes no
// promises, ErrPlanning before its first plan, a *book.FieldError for bad services. The API's
// estimate and diagnosis and the tablet's live estimate ask it.
func RepairPromise(ctx context.Context, b *book.Book, p RepairPlanner, id string, services []string) (planner.WorkPromise, error) {
	cand, err := b.RepairCandidate(services)
	if err != nil {
		return planner.WorkPromise{}, err
	}
	cand.Order.OrderID = id + "-W"
	w, ok := p.(workPromiser)
	switch {
	case p == nil || !ok:
		return planner.WorkPromise{}, ErrNoPlanner
	case p.Current() == nil:
		return planner.WorkPromise{}, ErrPlanning
	}
	out, err := w.PromiseWork(ctx, cand)
	if err != nil {
		return planner.WorkPromise{}, fmt.Errorf("promising the work of repair %s: %w", id, err)
	}
	return out, nil
}

// promiseRepair is RepairPromise with the daemon's planner, its errors as the API answers them.
func (s *Server) promiseRepair(c echo.Context, id string, services []string) (planner.WorkPromise, error) {
	var p RepairPlanner
	if s.planner != nil {
		p = s.planner
	}
	w, err := RepairPromise(c.Request().Context(), s.book, p, id, services)
	switch {
	case errors.Is(err, ErrNoPlanner):
		return w, newError(http.StatusNotFound, codeNoPlan, "%v", err)
	case errors.Is(err, ErrPlanning):
		return w, s.planning(c)
	}
	return w, err
}

// ServicesParam reads the services a request names in ?services=a,b, in order, blanks left
// out: the estimate's query, the API's and the tablet's.
func ServicesParam(c echo.Context) []string {
	var out []string
	for _, s := range strings.Split(c.QueryParam("services"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) previewEstimate(c echo.Context) error {
	id, services := c.Param("id"), ServicesParam(c)
	w, err := s.promiseRepair(c, id, services)
	if err != nil {
		return err
	}
	e, err := s.book.PreviewEstimate(c.Request().Context(), id, services, w.Standard, w.Express)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// diagnosisRequest is the body of a diagnosis.
type diagnosisRequest struct {
	Operation int64    `json:"operation"`
	Findings  string   `json:"findings"`
	Services  []string `json:"services"`
}

func (s *Server) diagnoseRepair(c echo.Context) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req diagnosisRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	id := c.Param("id")
	// The dates are the plan's now; a retry of a diagnosis made answers as the first did, with
	// the dates it priced.
	w, err := s.promiseRepair(c, id, req.Services)
	if err != nil {
		return err
	}
	r, replayed, err := s.book.DiagnoseOnce(c.Request().Context(), book.DiagnoseRequest{Repair: id,
		Operation: req.Operation, Findings: req.Findings, Services: req.Services, Standard: w.Standard,
		Express: w.Express, Actor: book.Actor(principal(c).ID), Idempotency: idem})
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, r)
}
