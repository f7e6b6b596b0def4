package hub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book/network"
)

// repairRoutes adds the network's repairs to the API: a request in, the list, one repair with
// its routes and reasons, a move.
func (s *server) repairRoutes(v1 *echo.Group) {
	v1.POST("/repairs", s.submitRepair, require(permRoute))
	v1.GET("/repairs", s.listRepairs)
	v1.GET("/repairs/:id", s.getRepair)
	v1.POST("/repairs/:id/move", s.moveRepair, require(permRoute))
}

// maxRepairBody bounds a repair request's body.
const maxRepairBody = 1 << 16

// submitRepair takes a repair request of the network: 201 with the repair stored waiting, 200
// with the repair when the hub holds the same request under its id already, 409 when the id
// is another request's, 422 naming the field of a bad one. Under an Idempotency-Key, a retry
// gets the first answer again (Idempotent-Replayed: true) and the key used for another request
// is refused (422), as a batch's.
func (s *server) submitRepair(c echo.Context) error {
	var req network.RepairRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxRepairBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return api.NewError(http.StatusBadRequest, api.CodeInvalid,
			"the body must be a JSON repair request {\"id\", \"serial\" or \"item\", \"kind\", \"customer\", \"contact\", \"description\", \"lat\", \"lon\", \"due\"}: %v", err)
	}
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	r, created, replayed, err := s.hub.SubmitRepairOnce(c.Request().Context(), req, principal(c).Name, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set(headerReplayed, "true")
	}
	if created {
		return c.JSON(http.StatusCreated, r)
	}
	return c.JSON(http.StatusOK, r)
}

// repairsPage is a page of the repairs list; Next, when set, is the after= of the next page.
type repairsPage struct {
	Repairs []network.Repair `json:"repairs"`
	Next    string           `json:"next,omitempty"`
}

// repairFilter reads the repair filters of a request: site, state (one or several, by commas),
// after and limit.
func repairFilter(c echo.Context) (network.RepairFilter, error) {
	f := network.RepairFilter{Site: c.QueryParam("site"), AfterID: c.QueryParam("after")}
	if st := c.QueryParam("state"); st != "" {
		for _, name := range strings.Split(st, ",") {
			state := network.OrderState(strings.TrimSpace(name))
			if !knownState(state) {
				return f, api.NewError(http.StatusBadRequest, api.CodeInvalid,
					"state %q is not a repair state: one of waiting, routed, accepted, started, done", name)
			}
			f.States = append(f.States, state)
		}
	}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > orderPage {
			return f, api.NewError(http.StatusBadRequest, api.CodeInvalid, "limit %q is not a number of repairs from 1 to %d", l, orderPage)
		}
		f.Limit = n
	}
	return f, nil
}

// listRepairs answers a page of the repairs a filter selects (100 unless limit says).
func (s *server) listRepairs(c echo.Context) error {
	f, err := repairFilter(c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	f.Limit++ // one more tells whether there is a next page
	repairs, err := s.hub.Repairs(c.Request().Context(), f)
	if err != nil {
		return err
	}
	page := repairsPage{Repairs: repairs}
	if len(repairs) == f.Limit {
		page.Repairs = repairs[:f.Limit-1]
		page.Next = page.Repairs[len(page.Repairs)-1].ID
	}
	if page.Repairs == nil {
		page.Repairs = []network.Repair{}
	}
	return c.JSON(http.StatusOK, page)
}

// repairView is a repair with its routes, each with the ranking and the reasons that chose it.
type repairView struct {
	Repair network.Repair  `json:"repair"`
	Routes []network.Route `json:"routes"`
}

func (s *server) getRepair(c echo.Context) error {
	r, routes, err := s.hub.Repair(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if routes == nil {
		routes = []network.Route{}
	}
	return c.JSON(http.StatusOK, repairView{Repair: r, Routes: routes})
}

// moveRepair routes a repair its site has not opened to the site the body names.
func (s *server) moveRepair(c echo.Context) error {
	var req moveRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "the body must be JSON {\"site\": \"...\"}: %v", err)
	}
	if req.Site == "" {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "site is missing: name the site to move the repair to")
	}
	r, err := s.hub.MoveRepair(c.Request().Context(), c.Param("id"), req.Site, principal(c).Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// repairsBySite returns the first dashboardPage repairs of the orders' site and state filters,
// by site (those waiting first) and id; more says more match.
func (s *server) repairsBySite(ctx context.Context, of network.OrderFilter) (repairs []network.Repair, more bool, err error) {
	repairs, err = s.hub.Repairs(ctx, network.RepairFilter{Site: of.Site, States: of.States, Limit: dashboardPage + 1})
	if err != nil {
		return nil, false, err
	}
	if len(repairs) > dashboardPage {
		repairs, more = repairs[:dashboardPage], true
	}
	slices.SortStableFunc(repairs, func(a, b network.Repair) int { return cmp.Compare(a.Site, b.Site) })
	return repairs, more, nil
}
