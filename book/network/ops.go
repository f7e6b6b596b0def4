package network

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Expire puts the routed orders whose acknowledgement is overdue back to wait, their silent site
// excluded for them, and sends that site a Withdraw; the next routing round gives each to the
// next best site. It returns how many orders it took back.
func (h *Rules) Expire(ctx context.Context) (int, error) {
	now := h.now()
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		overdue, err := tx.Orders(OrderFilter{States: []OrderState{Routed}, AckBefore: now})
		if err != nil {
			return fmt.Errorf("reading the routed orders overdue: %w", err)
		}
		overdue = slices.DeleteFunc(overdue, func(o Order) bool { return o.State != Routed || !o.AckBy.Before(now) })
		return h.unrouteAll(tx, out, overdue, now, func(o Order) string {
			return fmt.Sprintf("%s: not acknowledged by %s", causeTimeout, o.AckBy.UTC().Format(time.RFC3339))
		}, true)
	})
	if err != nil {
		return 0, err
	}
	if len(out.reroute) > 0 {
		h.log.Info("routed orders not acknowledged in time", "orders", len(out.reroute))
	}
	return len(out.reroute), nil
}

// Move routes an order that has not started to another site, as a planner asks: its current
// site gets a Withdraw, the new one the order. An order already at that site changes nothing.
// Refusals: ErrUnknownOrder, ErrUnknownSite, ErrSiteGone, ErrCannotMake, ErrStarted.
func (h *Rules) Move(ctx context.Context, orderID, site, actor string) (Order, error) {
	var o Order
	now := h.now()
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		var err error
		if o, err = h.checkMove(tx, orderID, site); err != nil || o.Site == site {
			return err
		}
		cause := "moved by " + actor
		if o.Site != "" {
			if err := tx.EndRoute(o.OrderID, o.Route, now, cause); err != nil {
				return fmt.Errorf("ending route %d of order %q: %w", o.Route, o.OrderID, err)
			}
			out.withdraw(o.Site, o.OrderID, o.Route, cause)
		}
		o.Route++
		o.State, o.Site, o.AckBy, o.Promise, o.UpdatedAt = Routed, site, now.Add(h.cfg.AckTimeout), time.Time{}, now
		o.Made, o.Good, o.Version = 0, 0, 0
		if err := tx.UpdateOrder(o); err != nil {
			return fmt.Errorf("moving order %q to site %q: %w", o.OrderID, site, err)
		}
		r := Route{OrderID: o.OrderID, N: o.Route, Site: site, At: now, Cause: cause, Why: fmt.Sprintf("%s moved it to %s", actor, site)}
		if err := tx.InsertRoute(r); err != nil {
			return fmt.Errorf("storing route %d of order %q: %w", r.N, o.OrderID, err)
		}
		out.route(site, o)
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	if len(out.routes) > 0 {
		h.log.Info("order moved", "order", o.OrderID, "site", site, "route", o.Route, "actor", actor)
	}
	return o, nil
}

// checkMove returns the order to move to site, or why it cannot go there.
func (h *Rules) checkMove(tx ReadTx, orderID, site string) (Order, error) {
	o, ok, err := tx.Order(orderID)
	if err != nil {
		return Order{}, err
	} else if !ok {
		return Order{}, fmt.Errorf("%w %q", ErrUnknownOrder, orderID)
	}
	s, ok, err := tx.Site(site)
	switch {
	case err != nil:
		return Order{}, err
	case !ok:
		return Order{}, fmt.Errorf("moving order %q: %w %q", orderID, ErrUnknownSite, site)
	case s.Gone:
		return Order{}, fmt.Errorf("moving order %q to site %q: %w", orderID, site, ErrSiteGone)
	case !s.CanMake(o.Drop, o.SKU):
		return Order{}, fmt.Errorf("moving order %q to site %q (%s in drop %s): %w", orderID, site, o.SKU, o.Drop, ErrCannotMake)
	case !o.State.Moveable():
		return Order{}, fmt.Errorf("moving order %q: it is %s at site %q: %w", orderID, o.State, o.Site, ErrStarted)
	}
	return o, nil
}

// MarkGone marks a site gone: nothing is routed to it any more, and its orders that have not
// started go back to wait for routing (it is sent a Withdraw of them, should it come back), and
// so do its repairs not acknowledged yet. It returns how many orders and repairs it put back.
// Marking a gone site again changes nothing.
func (h *Rules) MarkGone(ctx context.Context, site, actor string) (rerouted int, err error) {
	now := h.now()
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		s, ok, err := tx.Site(site)
		if err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("marking a site gone: %w %q", ErrUnknownSite, site)
		}
		if !s.Gone {
			if err := tx.SetGone(site, now); err != nil {
				return fmt.Errorf("marking site %q gone: %w", site, err)
			}
		}
		orders, err := tx.Orders(OrderFilter{Site: site, States: []OrderState{Routed, Accepted}})
		if err != nil {
			return fmt.Errorf("reading the orders of site %q: %w", site, err)
		}
		orders = slices.DeleteFunc(orders, func(o Order) bool { return o.Site != site || !o.State.Moveable() })
		cause := causeGone + " (marked by " + actor + ")"
		if err := h.unrouteAll(tx, out, orders, now, func(Order) string { return cause }, true); err != nil {
			return err
		}
		return h.repairsGone(tx, out, site, actor, now)
	})
	if err != nil {
		return 0, err
	}
	h.log.Warn("site marked gone", "site", site, "actor", actor, "rerouted", len(out.reroute))
	return len(out.reroute), nil
}

// Run applies the hub's timers until ctx ends, and then returns nil: at start it sends again
// the routes not acknowledged (a Send lost to a crash between the commit and the link's queue
// is sent then), then it routes the waiting orders after an import, a decline or a timeout, and
// every 5 s, and takes back the orders not acknowledged in time every second. A failing step is
// logged and tried again at its next turn.
func (h *Rules) Run(ctx context.Context) error {
	if err := h.resendRoutes(ctx); err != nil && ctx.Err() == nil {
		h.log.Error("sending the routes not acknowledged again", "err", err)
	}
	if err := h.resendRepairRoutes(ctx); err != nil && ctx.Err() == nil {
		h.log.Error("sending the repairs' routes not acknowledged again", "err", err)
	}
	expire := time.NewTicker(time.Second)
	defer expire.Stop()
	route := time.NewTicker(5 * time.Second)
	defer route.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-expire.C:
			if _, err := h.Expire(ctx); err != nil && !errors.Is(err, context.Canceled) {
				h.log.Error("expiring routes", "err", err)
			}
			if _, err := h.ExpireRepairs(ctx); err != nil && !errors.Is(err, context.Canceled) {
				h.log.Error("expiring the repairs' routes", "err", err)
			}
			continue
		case <-route.C:
		case <-h.wake:
		}
		if _, err := h.RouteWaiting(ctx); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Error("routing the orders waiting", "err", err)
		}
		if _, err := h.RouteWaitingRepairs(ctx); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Error("routing the repairs waiting", "err", err)
		}
	}
}

// resendRoutes sends every site its routed orders not yet acknowledged. A site takes an order
// it holds as it is again without change, so sending twice is harmless.
func (h *Rules) resendRoutes(ctx context.Context) error {
	orders, err := h.Orders(ctx, OrderFilter{States: []OrderState{Routed}})
	if err != nil {
		return err
	}
	var out outbox
	for _, o := range orders {
		out.route(o.Site, o)
	}
	h.flush(&out)
	return nil
}
