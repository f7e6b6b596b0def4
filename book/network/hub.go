package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Config is the hub's rules' configuration, from the hub's file.
type Config struct {
	// Drops are the network's drops, by id.
	Drops map[string]Drop
	// AckTimeout is how long a site has to acknowledge a routed order before it goes to the
	// next best site; 2 minutes when zero.
	AckTimeout time.Duration
	// PromiseTimeout is how long routing waits for the sites' promises; 10 s when zero.
	PromiseTimeout time.Duration
	// OnlineWithin is how recently a site must have spoken to be asked for promises; 90 s when
	// zero.
	OnlineWithin time.Duration
	// Now is the hub's clock; time.Now when nil.
	Now func() time.Time
	// Logger receives the hub's log; nothing is logged when nil.
	Logger *slog.Logger
}

// Drop is one of the network's drops: its date (the due date of a row without one) and the
// SKUs it sells.
type Drop struct {
	ID   string
	Date time.Time
	SKUs []string
}

func (d Drop) sells(sku string) bool {
	for _, s := range d.SKUs {
		if s == sku {
			return true
		}
	}
	return false
}

// Links sends messages to the sites; telemetry/link's *Link is one. Send is durable when it
// returns.
type Links interface {
	Send(to, kind string, body any) error
}

// ErrBadMessage refuses a message from a site whose body is not what its kind says.
var ErrBadMessage = errors.New("bad message")

// Rules applies the network's rules to its book: imports, routing, the sites' messages, moves.
// Its methods are safe for concurrent use. (The name Hub is the hub's id on the links.)
type Rules struct {
	cfg   Config
	store Store
	links Links
	log   *slog.Logger

	// mu serialises the hub's read-then-write changes of the book.
	mu sync.Mutex
	// roundMu lets one routing round run at a time.
	roundMu sync.Mutex
	// pending holds the promise requests of the round under way, by request id.
	pendingMu sync.Mutex
	pending   map[string]*promiseWait
	// wake asks Run for a routing round (after an import, a decline, a timeout).
	wake chan struct{}
	seq  uint64
}

// New returns the hub's rules over store, sending through links.
func New(cfg Config, store Store, links Links) *Rules {
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 2 * time.Minute
	}
	if cfg.PromiseTimeout <= 0 {
		cfg.PromiseTimeout = 10 * time.Second
	}
	if cfg.OnlineWithin <= 0 {
		cfg.OnlineWithin = 90 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Rules{cfg: cfg, store: store, links: links, log: log,
		pending: make(map[string]*promiseWait), wake: make(chan struct{}, 1)}
}

func (h *Rules) now() time.Time { return h.cfg.Now().UTC() }

// poke asks Run for a routing round soon.
func (h *Rules) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// SyncSites stores the sites of the hub's file (id, name, location), adding the new ones; what
// the sites said and whether they are gone is kept. A site without an id or a valid location
// is refused, and then nothing is stored.
func (h *Rules) SyncSites(ctx context.Context, sites []Site) error {
	seen := make(map[string]bool, len(sites))
	for i, s := range sites {
		switch {
		case s.ID == "":
			return fmt.Errorf("site %d: no id", i+1)
		case seen[s.ID]:
			return fmt.Errorf("site %q: listed twice", s.ID)
		case !s.Location.Valid():
			return fmt.Errorf("site %q: location (%g, %g) is not a place", s.ID, s.Location.Lat, s.Location.Lon)
		}
		seen[s.ID] = true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.store.Write(ctx, func(tx Tx) error {
		for _, s := range sites {
			if err := tx.PutSite(Site{ID: s.ID, Name: s.Name, Location: s.Location}); err != nil {
				return fmt.Errorf("storing site %q: %w", s.ID, err)
			}
		}
		return nil
	})
}

// Sites returns the network's sites, by id.
func (h *Rules) Sites(ctx context.Context) ([]Site, error) {
	var sites []Site
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		sites, err = tx.Sites()
		return err
	})
	return sites, err
}

// Orders returns the orders f selects, by order id.
func (h *Rules) Orders(ctx context.Context, f OrderFilter) ([]Order, error) {
	var orders []Order
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		orders, err = tx.Orders(f)
		return err
	})
	return orders, err
}

// Order returns an order and its routes, the first first; ErrUnknownOrder when the book holds
// none of that id.
func (h *Rules) Order(ctx context.Context, id string) (Order, []Route, error) {
	var (
		o      Order
		routes []Route
	)
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var (
			ok  bool
			err error
		)
		if o, ok, err = tx.Order(id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w %q", ErrUnknownOrder, id)
		}
		routes, err = tx.Routes(id)
		return err
	})
	return o, routes, err
}

// Tally counts the network's orders and units by site, drop and state.
func (h *Rules) Tally(ctx context.Context) ([]Tally, error) {
	var t []Tally
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		t, err = tx.Tally()
		return err
	})
	return t, err
}

// send sends a message after the change it tells of is committed. A failure is logged: the
// book holds the change, and Run sends the routes not acknowledged again at start.
func (h *Rules) send(to, kind string, body any) {
	if err := h.links.Send(to, kind, body); err != nil {
		h.log.Error("sending to site", "site", to, "kind", kind, "err", err)
	}
}

// outbox gathers the messages of one change, sent once it is committed.
type outbox struct {
	routes    map[string][]RoutedOrder
	withdraws map[string][]Withdrawal
	reroute   []string // orders put back to wait: a routing round is due
	// the repairs' messages, as the orders'; reroute holds repairs put back to wait too
	repairRoutes    map[string][]RoutedRepair
	repairWithdraws map[string][]RepairWithdrawal
}

func (b *outbox) route(site string, o Order) {
	if b.routes == nil {
		b.routes = make(map[string][]RoutedOrder)
	}
	b.routes[site] = append(b.routes[site], routed(o))
}

func (b *outbox) withdraw(site, orderID string, route int, reason string) {
	if b.withdraws == nil {
		b.withdraws = make(map[string][]Withdrawal)
	}
	b.withdraws[site] = append(b.withdraws[site], Withdrawal{OrderID: orderID, Route: route, Reason: reason})
}

// change runs fn in one change of the book, serialised with the hub's other changes, then sends
// the messages fn gathered (outside the lock: a link may call back) and, when it put orders
// back to wait, asks for a routing round.
func (h *Rules) change(ctx context.Context, fn func(tx Tx, out *outbox) error) (outbox, error) {
	var out outbox
	h.mu.Lock()
	err := h.store.Write(ctx, func(tx Tx) error {
		out = outbox{}
		return fn(tx, &out)
	})
	h.mu.Unlock()
	if err != nil {
		return outbox{}, err
	}
	h.flush(&out)
	if len(out.reroute) > 0 {
		h.poke()
	}
	return out, nil
}

// flush sends the gathered messages: the withdrawals first, so that a site given an order back
// hears of it in order.
func (h *Rules) flush(b *outbox) {
	for site, ws := range b.withdraws {
		h.send(site, KindWithdraw, WithdrawOrders{Orders: ws})
	}
	for site, os := range b.routes {
		h.send(site, KindRoute, RouteOrders{Orders: os})
	}
	h.flushRepairs(b)
}

// routed is an order as a RouteOrders message gives it to its site.
func routed(o Order) RoutedOrder {
	return RoutedOrder{OrderID: o.OrderID, Drop: o.Drop, SKU: o.SKU, Quantity: o.Quantity, Customer: o.Customer,
		Priority: o.Priority, Due: o.Due, Notes: o.Notes, Route: o.Route, AckBy: o.AckBy}
}
