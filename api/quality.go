package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
)

// PermAccept is accepting units that failed their quality check as they are: a manager's call.
const PermAccept Permission = "accept units that failed their quality check"

// qualityRoutes registers the non-conformance routes: reads for any role, decisions for
// PermOperate (accepting takes PermAccept as well, checked by the book).
func (s *Server) qualityRoutes(v1 *echo.Group) {
	v1.GET("/nonconformances", s.listNonConformances, s.authenticated)
	v1.GET("/nonconformances/:id", s.getNonConformance, s.authenticated)
	v1.POST("/nonconformances/:id/decision", s.decideNonConformance, s.authenticated, s.require(PermOperate))
}

// checkAnswer is one answer of a complete action's checks, read raw so that a value of the
// wrong type is refused naming its item.
type checkAnswer struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
	Pass  json.RawMessage `json:"pass"`
}

// checkResults turns the answers of a complete action into the book's, or a
// *book.FieldError naming the item whose value or pass is not a number or a boolean.
func checkResults(answers []checkAnswer) ([]book.CheckResult, error) {
	if answers == nil {
		return nil, nil
	}
	out := make([]book.CheckResult, len(answers))
	for i, a := range answers {
		out[i].Name = a.Name
		if v := bytes.TrimSpace(a.Value); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || v[0] == '"' {
				return nil, &book.FieldError{Field: fmt.Sprintf("checks[%d].value", i), Reason: fmt.Sprintf("%s is not a number", v)}
			}
			out[i].Value = &f
		}
		if p := bytes.TrimSpace(a.Pass); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
			var b bool
			if err := json.Unmarshal(p, &b); err != nil {
				return nil, &book.FieldError{Field: fmt.Sprintf("checks[%d].pass", i), Reason: fmt.Sprintf("%s is not true or false", p)}
			}
			out[i].Pass = &b
		}
	}
	return out, nil
}

func (s *Server) listNonConformances(c echo.Context) error {
	limit, err := intParam(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	f := book.NCFilter{State: book.NCState(c.QueryParam("state")), Cell: c.QueryParam("cell"), Limit: limit}
	switch f.State {
	case "", book.NCOpen, book.NCRework, book.NCScrap, book.NCAccept:
	default:
		return newError(http.StatusBadRequest, codeInvalid, "state %q: want open, rework, scrap or accept", f.State)
	}
	ncs, err := s.book.NonConformances(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"nonconformances": nonNil(ncs)})
}

func (s *Server) getNonConformance(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	nc, err := s.book.NonConformance(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, nc)
}

// decisionRequest is the body of a non-conformance's decision.
type decisionRequest struct {
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

func (s *Server) decideNonConformance(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req decisionRequest
	if err := optionalJSON(raw, &req); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	who := principal(c)
	nc, err := s.book.DecideNonConformance(c.Request().Context(), book.NCDecision{ID: id, Decision: book.NCState(req.Decision),
		Note: req.Note, Actor: book.Actor(who.ID), MayAccept: Allowed(who.Role, PermAccept), Idempotency: idem})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, nc)
}
