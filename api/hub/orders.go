package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/network"
)

// importBatch takes a batch of orders for one of the network's drops, CSV or JSON as its
// Content-Type says, each row with the customer's lat and lon: 201 with what it did, or 422
// with every row error and nothing stored. Under an Idempotency-Key, a retry of the batch gets
// the first answer again (Idempotent-Replayed: true), after a restart too, and the key used
// for another batch is refused (422); see book/network's idempotency.go.
func (s *server) importBatch(c echo.Context) error {
	r := c.Request()
	drop := c.Param("drop")
	idem, err := idempotency(c)
	if err != nil {
		return err
	}
	if r.ContentLength > s.maxBatch {
		return api.BatchTooLarge(s.maxBatch) // refused before any of it is read
	}
	body, err := readBatch(r, http.MaxBytesReader(c.Response(), r.Body, s.maxBatch), s.maxBatch)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return api.BatchTooLarge(tooBig.Limit)
	} else if err != nil {
		return fmt.Errorf("reading the batch of drop %q: %w", drop, err)
	}
	rows, err := intake.New(r.Header.Get(echo.HeaderContentType), bytes.NewReader(body), intake.WithLocation())
	if err != nil {
		return err
	}
	res, err := s.hub.Import(r.Context(), network.ImportRequest{Drop: drop, Rows: rows,
		Actor: principal(c).Name, MaxErrors: s.maxErrs, Idempotency: idem})
	if err != nil {
		return err
	}
	if res.Replayed {
		c.Response().Header().Set(headerReplayed, "true")
	}
	return c.JSON(http.StatusCreated, res)
}

// headerReplayed tells the client that the answer is the one remembered of its
// Idempotency-Key, as the site's API does.
const headerReplayed = "Idempotent-Replayed"

// idempotency reads a request's Idempotency-Key: nil without one. The key is the principal's
// own; the book identifies the request by its content.
func idempotency(c echo.Context) (*book.Idempotency, error) {
	key, err := api.IdempotencyKey(c.Request())
	if key == "" || err != nil {
		return nil, err
	}
	return &book.Idempotency{Principal: principal(c).Name, Key: key}, nil
}

// readBatch reads a batch's body whole (it is checked and stored whole), into a
// buffer sized once when the request says its length within the limit, rather than grown by
// doubling as it comes.
func readBatch(r *http.Request, body io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom grows a buffer with less room than MinRead
	}
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// orderPage is the most orders a JSON page holds, and a CSV page reads at a time.
const orderPage = 1000

// filter reads the order filters of a request: site, drop, state (one or several, by commas),
// after and limit.
func filter(c echo.Context) (network.OrderFilter, error) {
	f := network.OrderFilter{Site: c.QueryParam("site"), Drop: c.QueryParam("drop"), AfterID: c.QueryParam("after")}
	if st := c.QueryParam("state"); st != "" {
		for _, name := range strings.Split(st, ",") {
			state := network.OrderState(strings.TrimSpace(name))
			if !knownState(state) {
				return f, api.NewError(http.StatusBadRequest, api.CodeInvalid,
					"state %q is not an order state: one of waiting, routed, accepted, started, done", name)
			}
			f.States = append(f.States, state)
		}
	}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > orderPage {
			return f, api.NewError(http.StatusBadRequest, api.CodeInvalid, "limit %q is not a number of orders from 1 to %d", l, orderPage)
		}
		f.Limit = n
	}
	return f, nil
}

func knownState(s network.OrderState) bool {
	for _, k := range states {
		if k == s {
			return true
		}
	}
	return false
}

// ordersPage is a page of the orders list; Next, when set, is the after= of the next page.
type ordersPage struct {
	Orders []network.Order `json:"orders"`
	Next   string          `json:"next,omitempty"`
}

// listOrders answers the orders a filter selects: a page of JSON (100 unless limit says), or
// with Accept: text/csv or format=csv every order as CSV, read and written a page at a time.
func (s *server) listOrders(c echo.Context) error {
	f, err := filter(c)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return s.ordersCSV(c, f)
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	f.Limit++ // one more tells whether there is a next page
	orders, err := s.hub.Orders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	page := ordersPage{Orders: orders}
	if len(orders) == f.Limit {
		page.Orders = orders[:f.Limit-1]
		page.Next = page.Orders[len(page.Orders)-1].OrderID
	}
	if page.Orders == nil {
		page.Orders = []network.Order{}
	}
	return c.JSON(http.StatusOK, page)
}

func wantsCSV(c echo.Context) bool {
	if f := c.QueryParam("format"); f != "" {
		return f == "csv"
	}
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv")
}

// orderView is an order with its routes, each with the ranking and the reasons that chose it.
type orderView struct {
	Order  network.Order   `json:"order"`
	Routes []network.Route `json:"routes"`
}

func (s *server) getOrder(c echo.Context) error {
	o, routes, err := s.hub.Order(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if routes == nil {
		routes = []network.Route{}
	}
	return c.JSON(http.StatusOK, orderView{Order: o, Routes: routes})
}

type moveRequest struct {
	Site string `json:"site"`
}

// moveOrder routes an order not started to the site the body names.
func (s *server) moveOrder(c echo.Context) error {
	var req moveRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "the body must be JSON {\"site\": \"...\"}: %v", err)
	}
	if req.Site == "" {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "site is missing: name the site to move the order to")
	}
	o, err := s.hub.Move(c.Request().Context(), c.Param("id"), req.Site, principal(c).Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}
