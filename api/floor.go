package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
)

// faultRequest is the body of POST /api/v1/cells/{cell}/fault.
type faultRequest struct {
	Code string `json:"code"`
}

// labelRequest is the body of POST /api/v1/cells/{cell}/labels.
type labelRequest struct {
	Operation int64 `json:"operation"`
	Unit      int   `json:"unit"`
}

// labelResponse is its answer.
type labelResponse struct {
	Serial string `json:"serial"`
	// Printed is false when the printer failed: the label is owed, and printed as soon as the
	// printer answers again. Problem says what failed.
	Printed bool   `json:"printed"`
	Problem string `json:"problem,omitempty"`
}

// floorCell checks that the request names a cell of the factory and that the daemon runs the
// floor.
func (s *Server) floorCell(c echo.Context) (string, error) {
	id := c.Param("cell")
	if _, ok := s.book.Factory().Cell(id); !ok {
		return "", newError(http.StatusNotFound, codeNotFound, "unknown cell %q", id)
	}
	if s.floor == nil {
		return "", newError(http.StatusConflict, codeNoFloor, "this daemon runs no cell controllers")
	}
	return id, nil
}

// once answers a write whose effect is outside the book at most once per Idempotency-Key.
func (s *Server) once(c echo.Context, raw []byte, fn func() (int, any, error)) error {
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	status, body, replayed, err := s.book.Once(c.Request().Context(), idem, func() (int, []byte, error) {
		status, v, err := fn()
		if err != nil {
			return 0, nil, err
		}
		body, err := json.Marshal(v)
		return status, body, err
	})
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSONBlob(status, body)
}

// reportFault records a fault a person reports at a cell: the cell goes down until it is reset.
func (s *Server) reportFault(c echo.Context) error {
	id, err := s.floorCell(c)
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req faultRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	reasons := s.book.Factory().Reasons
	if _, ok := reasons.Find(reasons.Fault, req.Code); !ok {
		valid := configs.Codes(reasons.Fault)
		e := newError(http.StatusBadRequest, codeInvalid, "unknown fault code %q: want one of %s", req.Code, strings.Join(valid, ", "))
		e.valid = valid
		return e
	}
	ctx := c.Request().Context()
	return s.once(c, raw, func() (int, any, error) {
		if err := s.floor.ReportFault(ctx, id, req.Code, principal(c).ID); err != nil {
			return 0, nil, err
		}
		st, _ := s.floor.CellStatus(id)
		return http.StatusAccepted, st, nil
	})
}

// reprintLabel prints the label of a finished unit again at a cell's label printer.
func (s *Server) reprintLabel(c echo.Context) error {
	id, err := s.floorCell(c)
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req labelRequest
	if err := optionalJSON(raw, &req); err != nil {
		return err
	}
	if req.Operation <= 0 || req.Unit < 0 {
		return newError(http.StatusBadRequest, codeInvalid,
			"operation %d, unit %d: want an operation id and a unit from 1, or 0 for the last unit finished", req.Operation, req.Unit)
	}
	ctx := c.Request().Context()
	return s.once(c, raw, func() (int, any, error) {
		serial, err := s.floor.ReprintLabel(ctx, id, req.Operation, req.Unit)
		switch {
		case err == nil:
			return http.StatusOK, labelResponse{Serial: serial, Printed: true}, nil
		case serial != "":
			// The label is owed and will print: a retry must not owe it again.
			return http.StatusAccepted, labelResponse{Serial: serial, Problem: err.Error()}, nil
		case errors.Is(err, cells.ErrNoPrinter):
			return 0, nil, newError(http.StatusConflict, codeNoPrinter, "cell %q has no label printer", id)
		case errors.Is(err, cells.ErrNotFinished):
			return 0, nil, newError(http.StatusConflict, codeNotFinished, "%v", err)
		case errors.Is(err, book.ErrUnknownOperation), errors.Is(err, book.ErrUnknownCell), errors.Is(err, book.ErrInvalid):
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("reprinting a label at cell %s: %w", id, err)
	})
}
