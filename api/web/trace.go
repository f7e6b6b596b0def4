package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
)

// tracePage is a manager's recall trace of a lot: the form, and once a lot is asked for, where
// it came from and the work orders it touched.
type tracePage struct {
	Lot string
	// Trace is the lot's trace; nil before a lot is asked for or when it could not be traced.
	Trace *book.LotTrace
	// Problem says why the lot asked for has no trace: unknown, or not a lot id.
	Problem string
}

// CSV is the address of the trace as CSV.
func (t tracePage) CSV() string {
	return "/api/v1/lots/" + url.PathEscape(t.Lot) + "/trace?format=csv"
}

// Roles and Materials say how a traced work order used the lot.
func (tracePage) Roles(wo book.TracedWorkOrder) string {
	return joinUses(wo, func(u book.TraceUse) string { return string(u.Role) })
}

// Materials says as which materials a traced work order consumed the lot.
func (tracePage) Materials(wo book.TracedWorkOrder) string {
	return joinUses(wo, func(u book.TraceUse) string { return u.Material })
}

// UnitCount is how many units the traced work orders have.
func (t tracePage) UnitCount() int {
	if t.Trace == nil {
		return 0
	}
	n := 0
	for _, wo := range t.Trace.WorkOrders {
		n += len(wo.Units)
	}
	return n
}

// UnitState says a traced unit's state, and where and why it was scrapped.
func (tracePage) UnitState(u book.TracedUnit) string {
	return api.UnitStateText(u.State, u.Scrapped)
}

func joinUses(wo book.TracedWorkOrder, field func(book.TraceUse) string) string {
	var out []string
	for _, u := range wo.Uses {
		if v := field(u); v != "" && !strings.Contains(strings.Join(out, "\x00")+"\x00", v+"\x00") {
			out = append(out, v)
		}
	}
	return strings.Join(out, "; ")
}

// trace serves /manager/trace: the form, and the trace of the lot it asks for (?lot=).
func (p *Pages) trace(c echo.Context) error {
	page := tracePage{Lot: c.QueryParam("lot")}
	if page.Lot != "" {
		tr, err := p.book.LotTrace(c.Request().Context(), page.Lot)
		switch {
		case errors.Is(err, book.ErrUnknownLot):
			page.Problem = "No operation made or consumed lot " + page.Lot + "."
		case errors.Is(err, book.ErrInvalid):
			page.Problem = err.Error()
		case err != nil:
			return err
		default:
			page.Trace = &tr
		}
	}
	return p.render(c, http.StatusOK, "trace", p.view(c, "Lot trace", page))
}
