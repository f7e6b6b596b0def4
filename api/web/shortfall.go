package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
)

// The Short list: the orders that lost units (scrapped at an operation, or with their whole
// work order) and lack them, or have them made again, with a button that makes them again. The
// planner's drop page shows a drop's, the dashboard every drop's. The button posts to the API
// (POST /api/v1/orders/{order}/remake) with the sign-in cookie, under an Idempotency-Key the
// page is given for the shortfall it shows: a double tap, a retry after a lost connection or a
// second tab of the same person makes one remake, and so does a tap by someone else, which
// the API refuses as no longer short.

// shortShown is how many orders the list shows; it counts the rest.
const shortShown = 50

// shortList is what the Short list shows.
type shortList struct {
	Drop  string // the drop listed; empty for every drop
	Rows  []shortRow
	Short int // the orders short of units, listed or not
	More  int // the orders the list leaves out
	Can   bool
}

// shortRow is an order of the list.
type shortRow struct {
	book.OrderDetail
	// Key is the Idempotency-Key of the remake of the shortfall shown.
	Key string
	// Remakes are the work orders that make its lost units again now.
	Remakes []book.WorkOrder
}

// remakeKey is the Idempotency-Key of a remake of an order's shortfall: the same for every
// request to make the units it has lost so far (a double tap, a second tab), another once it
// loses more.
func remakeKey(d book.OrderDetail) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", d.Order.OrderID, d.Shortfall.Lost))
	return "remake-" + hex.EncodeToString(sum[:12])
}

// shortList reads the Short list of a drop (every drop when drop is empty) for the person
// signed in.
func (p *Pages) shortList(c echo.Context, drop string) (shortList, error) {
	ds, err := p.book.Shortfalls(c.Request().Context(), drop)
	if err != nil {
		return shortList{}, err
	}
	pr, _ := who(c)
	l := shortList{Drop: drop, Can: api.Allowed(pr.Role, api.PermRemake)}
	for _, d := range ds {
		if d.Shortfall.Short > 0 {
			l.Short++
		}
		if len(l.Rows) == shortShown {
			l.More++
			continue
		}
		r := shortRow{OrderDetail: d, Key: remakeKey(d)}
		for _, wo := range d.WorkOrders {
			if wo.RemakeOf != 0 && wo.State == book.WorkOpen {
				r.Remakes = append(r.Remakes, wo)
			}
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// shortFragment is the Short list alone, which the page fetches again after a remake.
func (p *Pages) shortFragment(c echo.Context) error {
	drop := c.QueryParam("drop")
	if _, ok := p.factory().Drop(drop); drop != "" && !ok {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no drop %q.", drop))
	}
	l, err := p.shortList(c, drop)
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "shortfall", l)
}
