package network

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Receive applies a verified message from a site (telemetry/link checked its signature and
// sequence). Every message records the site's last word; then by its kind: a Hello what the site
// makes and repairs, a Status its load, Promises the answer to a routing round's request, Acks and
// Progresses the orders' states, RepairAcks and RepairProgresses the repairs'. A message that
// does not fit the order's current site and route
// changes nothing but the last word, and is logged. A site the book does not hold:
// ErrUnknownSite, and nothing changes; a body that is not its kind's JSON: ErrBadMessage.
func (h *Rules) Receive(ctx context.Context, from, kind string, body []byte) error {
	var (
		makes map[string][]string
		load  *Load
		apply func(tx Tx, out *outbox) error
		// answer is a site's promises, handed to the round that asked once its word is stored
		answer *Promises
	)
	bad := func(err error) error { return fmt.Errorf("%w: %s from site %q: %w", ErrBadMessage, kind, from, err) }
	switch kind {
	case KindHello:
		var m Hello
		if err := json.Unmarshal(body, &m); err != nil {
			return bad(err)
		}
		makes = m.Makes
		if makes == nil {
			makes = map[string][]string{}
		}
		apply = func(tx Tx, out *outbox) error { return tx.SiteRepairs(from, m.Repairs) }
	case KindStatus:
		var m Status
		if err := json.Unmarshal(body, &m); err != nil {
			return bad(err)
		}
		load = &m.Load
	case KindPromise:
		var m Promises
		if err := json.Unmarshal(body, &m); err != nil {
			return bad(err)
		}
		if m.Error == "" {
			load = &m.Load
		}
		answer = &m
	case KindAck:
		var m Acks
		if err := json.Unmarshal(body, &m); err != nil {
			return bad(err)
		}
		apply = func(tx Tx, out *outbox) error { return h.applyAcks(tx, out, from, m.Orders) }
	case KindProgress:
		var m Progresses
		if err := json.Unmarshal(body, &m); err != nil {
			return bad(err)
		}
		apply = func(tx Tx, out *outbox) error { return h.applyProgress(tx, out, from, m.Orders) }
	case KindRepairAck, KindRepairProgress:
		var err error
		if apply, err = h.repairMessage(from, kind, body); err != nil {
			return bad(err)
		}
	default:
		h.log.Warn("message of an unknown kind ignored", "site", from, "kind", kind)
	}
	if err := h.said(ctx, from, makes, load, apply); err != nil {
		return err
	}
	if answer != nil && !h.deliverPromises(from, *answer) {
		h.log.Info("promises ignored: no routing round waits for them from this site", "site", from, "request", answer.ID)
	}
	return nil
}

// said records a site's word and applies the message's change, in one change of the book; the
// messages it calls for are sent once it is committed.
func (h *Rules) said(ctx context.Context, from string, makes map[string][]string, load *Load, apply func(Tx, *outbox) error) error {
	_, err := h.change(ctx, func(tx Tx, out *outbox) error {
		if _, ok, err := tx.Site(from); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w %q", ErrUnknownSite, from)
		}
		if err := tx.SiteSaid(from, h.now(), makes, load); err != nil {
			return fmt.Errorf("recording the word of site %q: %w", from, err)
		}
		if apply == nil {
			return nil
		}
		return apply(tx, out)
	})
	return err
}

// applyAcks applies a site's acknowledgements: taken, the order is accepted; declined, it waits
// to be routed again without the site. An ack for another route, or from a site that does not
// hold the order, is refused (logged; a Withdraw goes to the site if it took it). The orders
// are read and written in batches; each ack sees what the acks before it in the message did.
func (h *Rules) applyAcks(tx Tx, out *outbox, from string, acks []Ack) error {
	now := h.now()
	ids := make([]string, len(acks))
	for i, a := range acks {
		ids[i] = a.OrderID
	}
	current, err := ordersByID(tx, ids)
	if err != nil {
		return fmt.Errorf("reading the orders acknowledged: %w", err)
	}
	var changed []string // the orders to write, each once, in the order of their first change
	dirty := make(map[string]bool)
	var ends []RouteEnd
	for _, a := range acks {
		o, ok := current[a.OrderID]
		if !ok || o.Site != from || o.Route != a.Route {
			h.refuseAck(out, o, ok, from, a)
			continue
		}
		switch {
		case a.Taken && o.State == Routed:
			o.State, o.AckBy, o.UpdatedAt = Accepted, time.Time{}, now
		case !a.Taken && !o.State.Moveable():
			h.log.Warn("decline ignored: the site has started the order", "site", from, "order", o.OrderID, "state", o.State)
			continue
		case !a.Taken:
			ends = append(ends, unrouted(out, &o, now, causeDeclined+": "+a.Reason, false))
		default:
			continue // accepted already
		}
		if !dirty[o.OrderID] {
			dirty[o.OrderID], changed = true, append(changed, o.OrderID)
		}
		current[o.OrderID] = o
	}
	orders := make([]Order, len(changed))
	for i, id := range changed {
		orders[i] = current[id]
	}
	if err := tx.EndRoutes(ends); err != nil {
		return fmt.Errorf("ending the routes declined: %w", err)
	}
	if err := tx.UpdateOrders(orders); err != nil {
		return fmt.Errorf("storing the orders acknowledged: %w", err)
	}
	return nil
}

// refuseAck logs an acknowledgement that does not fit its order (o, held when known); a site
// that took an order routed elsewhere now gets a Withdraw, while a site that holds it under
// another route keeps it.
func (h *Rules) refuseAck(out *outbox, o Order, known bool, from string, a Ack) {
	err := ackRefusal(o, known, from, a)
	h.log.Warn("acknowledgement refused", "site", from, "order", a.OrderID, "route", a.Route, "taken", a.Taken, "err", err)
	if known && a.Taken && o.Site != from {
		out.withdraw(from, a.OrderID, a.Route, err.Error())
	}
}

// ackRefusal says why an acknowledgement does not fit its order.
func ackRefusal(o Order, known bool, from string, a Ack) error {
	switch {
	case !known:
		return fmt.Errorf("order %q route %d from site %q: %w", a.OrderID, a.Route, from, ErrUnknownOrder)
	case o.Site != from:
		return fmt.Errorf("order %q route %d from site %q: the order is not routed to that site now (site %q, route %d)",
			a.OrderID, a.Route, from, o.Site, o.Route)
	default:
		return fmt.Errorf("order %q route %d from site %q: the order's route is %d", a.OrderID, a.Route, from, o.Route)
	}
}

// unroute ends an order's current route for cause and puts the order back to wait for routing;
// withdraw sends its site a Withdraw.
func (h *Rules) unroute(tx Tx, out *outbox, o *Order, now time.Time, cause string, withdraw bool) error {
	end := unrouted(out, o, now, cause, withdraw)
	if err := tx.EndRoute(end.OrderID, end.N, end.At, end.Cause); err != nil {
		return fmt.Errorf("ending route %d of order %q: %w", end.N, end.OrderID, err)
	}
	if err := tx.UpdateOrder(*o); err != nil {
		return fmt.Errorf("putting order %q back to wait: %w", o.OrderID, err)
	}
	return nil
}

// unrouteAll puts orders back to wait as unroute does each, each's route ended for causeOf(it),
// with a batch write of the routes' ends and one of the orders.
func (h *Rules) unrouteAll(tx Tx, out *outbox, orders []Order, now time.Time, causeOf func(Order) string, withdraw bool) error {
	ends := make([]RouteEnd, len(orders))
	for i := range orders {
		ends[i] = unrouted(out, &orders[i], now, causeOf(orders[i]), withdraw)
	}
	if err := tx.EndRoutes(ends); err != nil {
		return fmt.Errorf("ending the routes of %d orders: %w", len(ends), err)
	}
	if err := tx.UpdateOrders(orders); err != nil {
		return fmt.Errorf("putting %d orders back to wait: %w", len(orders), err)
	}
	return nil
}

// unrouted puts o back to wait and out's rerouting, with a Withdraw to its site when withdraw;
// it returns the end of o's route for cause, for the caller to write with o.
func unrouted(out *outbox, o *Order, now time.Time, cause string, withdraw bool) RouteEnd {
	end := RouteEnd{OrderID: o.OrderID, N: o.Route, At: now, Cause: cause}
	if withdraw {
		out.withdraw(o.Site, o.OrderID, o.Route, cause)
	}
	o.State, o.Site, o.AckBy, o.Promise, o.UpdatedAt = Waiting, "", time.Time{}, time.Time{}, now
	o.Made, o.Good, o.Version = 0, 0, 0
	out.reroute = append(out.reroute, o.OrderID)
	return end
}
