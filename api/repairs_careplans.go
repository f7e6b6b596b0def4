package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
)

// carePlanRequest is the body of a care plan sale: for a unit (serial) or a customer, from
// start (now when absent).
type carePlanRequest struct {
	Plan     string     `json:"plan"`
	Serial   string     `json:"serial"`
	Customer string     `json:"customer"`
	Start    *time.Time `json:"start"`
}

func (s *Server) addCarePlan(c echo.Context) error {
	var req carePlanRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	h := book.CarePlanHolding{Plan: req.Plan, Serial: req.Serial, Customer: req.Customer, Actor: book.Actor(principal(c).ID)}
	if req.Start != nil {
		h.Start = *req.Start
	}
	h, err := s.book.AddCarePlan(c.Request().Context(), h)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h)
}

func (s *Server) listCarePlans(c echo.Context) error {
	serial, customer := c.QueryParam("serial"), c.QueryParam("customer")
	if serial == "" && customer == "" {
		return newError(http.StatusBadRequest, codeInvalid, "name a unit (serial=) or a customer (customer=), or both")
	}
	ss, err := s.book.CarePlans(c.Request().Context(), serial, customer, s.auth.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"care_plans": nonNil(ss)})
}
