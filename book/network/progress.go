package network

import (
	"fmt"
	"time"
)

// applyProgress applies a site's reports of its orders. A report is kept when it comes from the
// order's site, for one of that site's routes of the order, and its Version is above the one
// held. A report that the site started (or finished) an order that has moved away from it,
// while its new site has not started it, takes the order back: the first site to start wins,
// and the other gets a Withdraw. Any other report changes nothing and is logged.
func (h *Rules) applyProgress(tx Tx, out *outbox, from string, reports []Progress) error {
	now := h.now()
	for _, p := range reports {
		o, ok, err := tx.Order(p.OrderID)
		if err != nil {
			return err
		}
		if !ok {
			h.log.Warn("progress ignored", "site", from, "order", p.OrderID, "route", p.Route, "err", ErrUnknownOrder)
			continue
		}
		routes, err := tx.Routes(o.OrderID)
		if err != nil {
			return err
		}
		if !routeOf(routes, p.Route, from) {
			h.log.Warn("progress ignored: the route is not the site's", "site", from, "order", p.OrderID, "route", p.Route)
			continue
		}
		switch {
		case o.Site == from:
			err = h.keepProgress(tx, out, &o, from, p, now)
		case (p.State == Started || p.State == Done) && o.State.Moveable():
			err = h.takeBack(tx, out, &o, from, p, now)
		default:
			h.log.Info("progress ignored: the order is at another site", "site", from, "order", p.OrderID,
				"route", p.Route, "state", p.State, "current_site", o.Site, "current_state", o.State)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// routeOf reports whether route n of an order was at site.
func routeOf(routes []Route, n int, site string) bool {
	for _, r := range routes {
		if r.N == n && r.Site == site {
			return true
		}
	}
	return false
}

// keepProgress applies a report from the order's own site when it is newer than the one held.
func (h *Rules) keepProgress(tx Tx, out *outbox, o *Order, from string, p Progress, now time.Time) error {
	if p.Version <= o.Version {
		h.log.Info("progress ignored: not newer", "site", from, "order", o.OrderID, "version", p.Version, "held", o.Version)
		return nil
	}
	if p.State == Withdrawn {
		if !o.State.Moveable() {
			h.log.Warn("progress ignored: a started order cannot be withdrawn", "site", from, "order", o.OrderID)
			return nil
		}
		return h.unroute(tx, out, o, now, causeWithdrawn, false)
	}
	switch p.State {
	case Accepted, Started, Done:
	default:
		h.log.Warn("progress ignored: unknown state", "site", from, "order", o.OrderID, "state", p.State)
		return nil
	}
	if o.State == Done && p.State != Done {
		h.log.Info("progress ignored: the order is done", "site", from, "order", o.OrderID, "state", p.State)
		return nil
	}
	o.State, o.Made, o.Good, o.Version, o.AckBy, o.UpdatedAt = p.State, p.Made, p.Good, p.Version, time.Time{}, now
	if p.State == Done && o.DoneAt.IsZero() {
		o.DoneAt = p.At.UTC()
		if o.DoneAt.IsZero() {
			o.DoneAt = now
		}
	}
	if err := tx.UpdateOrder(*o); err != nil {
		return fmt.Errorf("storing progress of order %q: %w", o.OrderID, err)
	}
	return nil
}

// takeBack gives an order back to the site that started it after it moved away: its current
// route ends, its current site (if any) gets a Withdraw, and a new route records the site.
func (h *Rules) takeBack(tx Tx, out *outbox, o *Order, from string, p Progress, now time.Time) error {
	cause := fmt.Sprintf("taken back: site %s started it on its route %d", from, p.Route)
	if o.Site != "" {
		if err := tx.EndRoute(o.OrderID, o.Route, now, cause); err != nil {
			return fmt.Errorf("ending route %d of order %q: %w", o.Route, o.OrderID, err)
		}
		out.withdraw(o.Site, o.OrderID, o.Route, cause)
	}
	o.Route++
	o.State, o.Site, o.Made, o.Good, o.Version, o.AckBy, o.UpdatedAt = p.State, from, p.Made, p.Good, p.Version, time.Time{}, now
	if p.State == Done {
		o.DoneAt = p.At.UTC()
		if p.At.IsZero() {
			o.DoneAt = now
		}
	}
	r := Route{OrderID: o.OrderID, N: o.Route, Site: from, At: now, Cause: cause,
		Why: fmt.Sprintf("%s started the order first", from)}
	if err := tx.UpdateOrder(*o); err != nil {
		return fmt.Errorf("giving order %q back to site %q: %w", o.OrderID, from, err)
	}
	if err := tx.InsertRoute(r); err != nil {
		return fmt.Errorf("storing route %d of order %q: %w", r.N, o.OrderID, err)
	}
	h.log.Warn("order taken back by the site that started it", "order", o.OrderID, "site", from, "route", o.Route)
	return nil
}
