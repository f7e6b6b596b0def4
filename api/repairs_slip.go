package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
)

// SlipReprinter is a Floor that prints repairs' parcel slips again, found by type assertion:
// owed true with an error means the slip is owed and prints once the printer answers;
// cells.ErrNoSlipPrinter when the studio prints no slips.
type SlipReprinter interface {
	ReprintSlip(ctx context.Context, id string) (owed bool, err error)
}

// slipResponse is the answer of a slip reprint.
type slipResponse struct {
	Repair string `json:"repair"`
	// Printed is false when the printer failed: the slip is owed, and printed as soon as the
	// printer answers again. Problem says what failed.
	Printed bool   `json:"printed"`
	Problem string `json:"problem,omitempty"`
}

// reprintSlip prints a repair's parcel slip again at the studio's slip printer.
func (s *Server) reprintSlip(c echo.Context) error {
	id := c.Param("id")
	floor, ok := s.floor.(SlipReprinter)
	if !ok {
		return newError(http.StatusConflict, codeNoFloor, "this daemon runs no cell controllers")
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	return s.once(c, raw, func() (int, any, error) {
		owed, err := floor.ReprintSlip(ctx, id)
		switch {
		case err == nil:
			return http.StatusOK, slipResponse{Repair: id, Printed: true}, nil
		case owed:
			// The slip is owed and will print: a retry must not owe it again.
			return http.StatusAccepted, slipResponse{Repair: id, Problem: err.Error()}, nil
		case errors.Is(err, cells.ErrNoSlipPrinter):
			return 0, nil, newError(http.StatusConflict, codeNoPrinter, "the studio prints no parcel slips (aftercare.slip_printer)")
		case errors.Is(err, book.ErrNoAftercare):
			return 0, nil, newError(http.StatusNotFound, codeNotFound, "%v", err)
		case errors.Is(err, book.ErrNotFound):
			return 0, nil, newError(http.StatusNotFound, codeNotFound, "repair %q: no such repair", id)
		}
		return 0, nil, fmt.Errorf("reprinting the slip of repair %s: %w", id, err)
	})
}
