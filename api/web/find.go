package web

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
)

// Staff find a unit by its serial, an order by its id or a lot by its id from the box on the
// dashboard and the planner's page (a plain form GET, so that a barcode scanner typing a
// serial and Enter works), and read a unit's genealogy or an order's units. These pages name
// customers and people: any signed-in role, never the public (the public page is /u/{serial}).

// findPage is the answer to a search that found nothing, or could not be made.
type findPage struct {
	Query string
	// Problem says what was wrong: nothing found, or the search refused and why.
	Problem string
}

// find serves /manager/find?q=: it sends the browser to the unit's genealogy, the order's
// units or the lot's trace; otherwise it says why not.
func (p *Pages) find(c echo.Context) error {
	q := c.QueryParam("q")
	kind, err := p.book.Find(c.Request().Context(), q)
	page := findPage{Query: q}
	switch {
	case errors.Is(err, book.ErrNothingFound):
		page.Problem = "Nothing found for “" + q + "”: no repair has that id, no unit that serial, no order that id, and no operation made or consumed a lot of that id."
		return p.render(c, http.StatusNotFound, "find", p.view(c, "Find", page))
	case errors.Is(err, book.ErrInvalid):
		// What was refused is not given back to the box: it may hold a control character.
		page.Problem = "Cannot search for that: " + strings.TrimPrefix(err.Error(), book.ErrInvalid.Error()+": ") + "."
		page.Query = ""
		return p.render(c, http.StatusBadRequest, "find", p.view(c, "Find", page))
	case err != nil:
		return err
	}
	switch kind {
	case book.FoundRepair:
		id, _ := book.RepairIDOf(q)
		return c.Redirect(http.StatusSeeOther, repairURL(id))
	case book.FoundUnit:
		return c.Redirect(http.StatusSeeOther, unitURL(q))
	case book.FoundOrder:
		return c.Redirect(http.StatusSeeOther, "/manager/units?order="+url.QueryEscape(q))
	default:
		// A lot's trace names customers: a role that may not trace is told so here, not sent
		// to a page that refuses it.
		if pr, _ := who(c); !api.Allowed(pr.Role, api.PermTrace) {
			page.Problem = "“" + q + "” is a lot: only planners, managers and admins may trace lots."
			return p.render(c, http.StatusForbidden, "find", p.view(c, "Find", page))
		}
		return c.Redirect(http.StatusSeeOther, "/manager/trace?lot="+url.QueryEscape(q))
	}
}

// unitURL is the address of the genealogy page of the unit with a serial.
func unitURL(serial string) string { return "/manager/units/" + url.PathEscape(serial) }

// orderUnitsPage lists the units of an order.
type orderUnitsPage struct {
	Order book.Order
	Units []book.Unit
	// WorkOrders are the order's work orders by id, whose states tell their units'.
	WorkOrders map[int64]book.WorkOrder
}

// State says a unit's state (live, finished, or scrapped with where and why).
func (o orderUnitsPage) State(u book.Unit) string {
	return api.UnitStateText(u.StateIn(o.WorkOrders[u.WorkOrder]), u.Scrapped)
}

// orderUnits serves /manager/units?order=: the units of an order, each linking to its
// genealogy.
func (p *Pages) orderUnits(c echo.Context) error {
	id := c.QueryParam("order")
	if err := book.CheckFind("order", id); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Cannot list the units of that order: "+strings.TrimPrefix(err.Error(), book.ErrInvalid.Error()+": ")+".")
	}
	ctx := c.Request().Context()
	d, err := p.book.OrderDetail(ctx, id)
	if errors.Is(err, book.ErrUnknownOrder) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no order “"+id+"”.")
	}
	if err != nil {
		return err
	}
	units, err := p.book.UnitsOfOrder(ctx, id)
	if err != nil {
		return err
	}
	page := orderUnitsPage{Order: d.Order, Units: units, WorkOrders: make(map[int64]book.WorkOrder, len(d.WorkOrders))}
	for _, wo := range d.WorkOrders {
		page.WorkOrders[wo.ID] = wo
	}
	return p.render(c, http.StatusOK, "order_units", p.view(c, "Units of order "+id, page))
}

// genealogyPage is a unit's genealogy for the studio's staff.
type genealogyPage struct {
	book.Genealogy
	// Params are the params of each step, by operation id: "recipe 7 · temperature 55".
	Params map[int64]string
	unitCare
}

// PublicPage is the address of the unit's public page.
func (g genealogyPage) PublicPage() string { return "/u/" + url.PathEscape(g.Unit.Serial) }

// StateText says the unit's state, and where and why it was scrapped.
func (g genealogyPage) StateText() string { return api.UnitStateText(g.State, g.Unit.Scrapped) }

// TraceURL is the address of a lot's trace.
func (genealogyPage) TraceURL(lot string) string { return "/manager/trace?lot=" + url.QueryEscape(lot) }

// OrderUnitsURL is the address of the list of the units of the unit's order.
func (g genealogyPage) OrderUnitsURL() string {
	return "/manager/units?order=" + url.QueryEscape(g.Order.OrderID)
}

// genealogy serves /manager/units/{serial}.
func (p *Pages) genealogy(c echo.Context) error {
	serial := c.Param("serial")
	g, err := p.book.Genealogy(c.Request().Context(), serial)
	switch {
	case errors.Is(err, book.ErrUnknownUnit):
		return echo.NewHTTPError(http.StatusNotFound, "No unit has the serial “"+serial+"”.")
	case errors.Is(err, book.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, "That is not a serial: "+strings.TrimPrefix(err.Error(), book.ErrInvalid.Error()+": ")+".")
	case err != nil:
		return err
	}
	return p.showGenealogy(c, http.StatusOK, g, "")
}

// showGenealogy renders a unit's genealogy with status, and the problem of a care plan form
// when there is one.
func (p *Pages) showGenealogy(c echo.Context, status int, g book.Genealogy, problem string) error {
	serial := g.Unit.Serial
	care, err := p.unitCareOf(c, g, problem)
	if err != nil {
		return err
	}
	page := genealogyPage{Genealogy: g, Params: map[int64]string{}, unitCare: care}
	if prod, ok := p.factory().Product(g.WorkOrder.SKU); ok {
		for _, s := range g.Steps {
			if s.Operation.Step < 0 || s.Operation.Step >= len(prod.Routing) {
				continue
			}
			params := prod.Routing[s.Operation.Step].Params
			var out []string
			for _, k := range slices.Sorted(maps.Keys(params)) {
				out = append(out, k+" "+strconv.FormatFloat(params[k], 'f', -1, 64))
			}
			page.Params[s.Operation.ID] = strings.Join(out, " · ")
		}
	}
	return p.render(c, status, "genealogy", p.view(c, "Unit "+serial, page))
}
