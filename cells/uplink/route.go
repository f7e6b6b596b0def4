package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// route takes the orders routed to the site and acknowledges each, taken or declined. An order
// is imported as a batch of its own (its order id the idempotency key), so that a bad one
// declines itself only; the state records the orders taken before the acknowledgements leave.
// When the book cannot be written for now, what was taken so far is recorded and the error
// returned: the link hands the message over again and the orders taken already are unchanged.
func (u *Uplink) route(ctx context.Context, msg network.RouteOrders) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	ids := make([]string, len(msg.Orders))
	for i, o := range msg.Orders {
		ids[i] = o.OrderID
	}
	had, err := u.cfg.Book.Orders(ctx, ids)
	if err != nil {
		return fmt.Errorf("looking up the orders routed: %w", err)
	}
	acks := make([]network.Ack, 0, len(msg.Orders))
	taken := make(map[string]held)
	for _, o := range msg.Orders {
		ack, took, err := u.take(ctx, o, had[o.OrderID])
		if err != nil {
			return errors.Join(err, u.record(taken))
		}
		if took {
			taken[o.OrderID] = held{Route: o.Route}
		}
		acks = append(acks, ack)
	}
	if err := u.record(taken); err != nil {
		return err
	}
	for _, a := range acks {
		u.log.Info("routed order answered", "order", a.OrderID, "route", a.Route, "taken", a.Taken, "reason", a.Reason)
	}
	return u.send(network.KindAck, network.Acks{Orders: acks})
}

// take answers one routed order, had being the book's order of its id (zero when the book has
// none). took says the state must record the order under its route. An error says the book
// could not answer for now.
func (u *Uplink) take(ctx context.Context, o network.RoutedOrder, had book.Order) (ack network.Ack, took bool, err error) {
	ack = network.Ack{OrderID: o.OrderID, Route: o.Route}
	if w := had.Withdrawn; w != nil {
		// Withdrawn here (at the hub's request or a planner's): the book keeps it so and would
		// not make it again.
		ack.Reason = fmt.Sprintf("order %q was withdrawn at this site on %s (%s) and cannot be taken again",
			o.OrderID, w.At.UTC().Format(time.RFC3339), w.Reason)
		return ack, false, nil
	}
	h, holds := u.st.Orders[o.OrderID]
	switch {
	case holds && h.Withdrawn:
		ack.Reason = fmt.Sprintf("order %q was withdrawn from this site (route %d) and cannot be taken again", o.OrderID, h.Route)
		return ack, false, nil
	case holds && h.Route >= o.Route:
		// Taken already: acknowledged again, whatever the time, since the site holds it.
		ack.Taken = true
		return ack, false, nil
	}
	now := u.cfg.Now()
	if deadline := o.AckBy.Add(-u.cfg.Margin); !now.Before(deadline) {
		ack.Reason = fmt.Sprintf("route %d of order %q came too late: it had to be taken by %s (%s less a margin of %s for the clocks), it is %s",
			o.Route, o.OrderID, deadline.UTC().Format(time.RFC3339), o.AckBy.UTC().Format(time.RFC3339), u.cfg.Margin, now.UTC().Format(time.RFC3339))
		return ack, false, nil
	}
	_, err = u.cfg.Book.Import(ctx, book.ImportRequest{
		Drop:        o.Drop,
		Rows:        &routedRows{orders: []network.RoutedOrder{o}},
		Actor:       Actor,
		Idempotency: &book.Idempotency{Principal: string(Actor), Key: o.OrderID},
		MaxErrors:   1,
	})
	if reason, refused := refusal(o, err); refused {
		ack.Reason = reason
		return ack, false, nil
	}
	if err != nil {
		return ack, false, fmt.Errorf("taking order %q (route %d): %w", o.OrderID, o.Route, err)
	}
	ack.Taken = true
	return ack, true, nil
}

// refusal says whether the book's answer to an import refuses the order for good, and why, in
// the book's words.
func refusal(o network.RoutedOrder, err error) (reason string, refused bool) {
	var batch *book.BatchError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &batch):
		if len(batch.Errors) > 0 {
			return batch.Errors[0].Reason, true
		}
		return batch.Error(), true
	case errors.Is(err, book.ErrUnknownDrop):
		return fmt.Sprintf("drop %q is not one of this site's drops", o.Drop), true
	case errors.Is(err, book.ErrIdempotencyMismatch):
		return fmt.Sprintf("order id %q was taken at this site with other content", o.OrderID), true
	case errors.Is(err, book.ErrInvalid):
		return err.Error(), true
	}
	return "", false
}
