package network

import (
	"context"
	"errors"
	"time"

	"github.com/cellforge/cellforge/book"
)

// Store keeps the network's book. Read and Write each run fn in one transaction: Write's
// changes commit together when fn returns nil and not at all otherwise. A store that cannot
// reach its database returns an error wrapping book.ErrUnavailable.
type Store interface {
	Read(ctx context.Context, fn func(ReadTx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// ReadTx reads the network's book within a transaction.
type ReadTx interface {
	// Sites returns every site the book holds, by id.
	Sites() ([]Site, error)
	// Site returns one site; ok is false when the book holds none of that id.
	Site(id string) (s Site, ok bool, err error)
	// Order returns one order; ok is false when the book holds none of that id.
	Order(id string) (o Order, ok bool, err error)
	// OrdersByID returns the orders the book holds of ids, in no particular order; ids it does
	// not hold are left out.
	OrdersByID(ids []string) ([]Order, error)
	// Orders returns the orders f selects, by order id.
	Orders(f OrderFilter) ([]Order, error)
	// Routes returns an order's routes, the first first.
	Routes(orderID string) ([]Route, error)
	// RoutesOf returns the routes of the orders of ids, by order id and then the first first;
	// ids the book does not hold have none.
	RoutesOf(ids []string) ([]Route, error)
	// Tally counts the orders and their units by site, drop and state.
	Tally() ([]Tally, error)
	// Repair returns one repair; ok is false when the book holds none of that id.
	Repair(id string) (r Repair, ok bool, err error)
	// Repairs returns the repairs f selects, by id.
	Repairs(f RepairFilter) ([]Repair, error)
	// RepairRoutes returns a repair's routes, the first first (Route.OrderID is the repair's
	// id).
	RepairRoutes(repairID string) ([]Route, error)
	// Idempotency returns the record of principal's Idempotency-Key; ok is false when the book
	// holds none (expired records may still be held: their age is the caller's to judge).
	Idempotency(principal, key string) (rec book.IdempotencyRecord, ok bool, err error)
}

// Tx reads and writes the network's book within a transaction.
type Tx interface {
	ReadTx
	// PutSite stores a site's id, name and location from the hub's file, adding it when new;
	// what the site said (Makes, Load, LastWord) and Gone are kept.
	PutSite(s Site) error
	// SiteSaid records that a site spoke at at; makes, when not nil, replaces what it makes,
	// and load, when not nil, its load.
	SiteSaid(id string, at time.Time, makes map[string][]string, load *Load) error
	// SetGone marks a site gone at at.
	SetGone(id string, at time.Time) error
	// InsertOrders adds new orders (a batch may hold hundreds of thousands).
	InsertOrders(orders []Order) error
	// UpdateOrder writes every field of an order the book holds.
	UpdateOrder(o Order) error
	// InsertRoute adds an order's route.
	InsertRoute(r Route) error
	// EndRoute records that an order's route n ended at at, and why.
	EndRoute(orderID string, n int, at time.Time, cause string) error
	// UpdateOrders writes every field of orders the book holds, as UpdateOrder each, in one
	// go: an order it does not hold (an error wrapping ErrUnknownOrder) or an order twice in
	// orders refuses the whole batch, naming the order, and nothing of it is written.
	UpdateOrders(orders []Order) error
	// InsertRoutes adds routes, as InsertRoute each, in one go: an order the book does not hold
	// (ErrUnknownOrder) or a route number its order has already, or that is twice in routes,
	// refuses the whole batch, naming the order, and nothing of it is written.
	InsertRoutes(routes []Route) error
	// EndRoutes records the ends of routes, as EndRoute each, in one go: a route the book does
	// not hold (ErrUnknownOrder), or one twice in ends, refuses the whole batch, naming the
	// order, and nothing of it is written.
	EndRoutes(ends []RouteEnd) error
	// SiteRepairs records the kinds of items a site said it repairs.
	SiteRepairs(id string, kinds []string) error
	// InsertRepair adds a new repair.
	InsertRepair(r Repair) error
	// UpdateRepair writes every field of a repair the book holds.
	UpdateRepair(r Repair) error
	// InsertRepairRoute adds a repair's route (Route.OrderID is the repair's id).
	InsertRepairRoute(r Route) error
	// EndRepairRoute records that a repair's route n ended at at, and why.
	EndRepairRoute(repairID string, n int, at time.Time, cause string) error
	// PutIdempotency stores the record of an Idempotency-Key, replacing the one its principal
	// had of it.
	PutIdempotency(rec book.IdempotencyRecord) error
	// ExpireIdempotency drops the records of Idempotency-Keys created before before.
	ExpireIdempotency(before time.Time) error
}

// RouteEnd is the end of an order's route N: at At, for Cause.
type RouteEnd struct {
	OrderID string
	N       int
	At      time.Time
	Cause   string
}

// OrderFilter selects orders. Zero fields select everything; AfterID and Limit page through
// them by order id.
type OrderFilter struct {
	Drop   string
	Site   string
	States []OrderState
	// AckBefore, when set, selects the routed orders whose acknowledgement was due before it.
	AckBefore time.Time
	AfterID   string
	Limit     int
}

// Tally is the count of a site's orders of a drop in one state, with their units.
type Tally struct {
	Site   string     `json:"site"` // empty for the orders waiting
	Drop   string     `json:"drop"`
	State  OrderState `json:"state"`
	Orders int        `json:"orders"`
	Units  int        `json:"units"` // the orders' quantities
	Made   int        `json:"made"`
	Good   int        `json:"good"`
}

// Errors of the hub's rules.
var (
	ErrUnknownSite  = errors.New("unknown site")
	ErrUnknownOrder = errors.New("unknown order")
	ErrUnknownDrop  = errors.New("unknown drop")
	// ErrStarted refuses to move an order its site has started.
	ErrStarted = errors.New("the order has started at its site")
	// ErrSiteGone refuses to route an order to a site marked gone.
	ErrSiteGone = errors.New("the site is gone")
	// ErrCannotMake refuses to move an order to a site that does not make its SKU.
	ErrCannotMake = errors.New("the site does not make the order's SKU")
)
