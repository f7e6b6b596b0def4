package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// route takes the orders routed to the site and acknowledges each, taken or declined. The
// orders to take are imported as one batch per drop (see takeDrop), so that a message of
// thousands of orders costs a few store transactions, not one each; the state records the
// orders taken before the acknowledgements leave. When the book cannot be written for now,
// what was taken so far is recorded and the error returned: the link hands the message over
// again, and the orders taken already are in the book as they are, so the batch taken again
// adds nothing twice (order ids are the book's idempotency keys).
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
	acks := make([]network.Ack, len(msg.Orders))
	// first is the index of each order id's first place in the message: a repeat is answered
	// as the first, since a batch takes an id once.
	first := make(map[string]int, len(msg.Orders))
	var drops []*dropOrders
	byDrop := make(map[string]*dropOrders)
	now := u.cfg.Now()
	for i, o := range msg.Orders {
		acks[i] = network.Ack{OrderID: o.OrderID, Route: o.Route}
		if _, seen := first[o.OrderID]; seen {
			continue
		}
		first[o.OrderID] = i
		if u.answer(&acks[i], o, had[o.OrderID], now) {
			continue
		}
		d := byDrop[o.Drop]
		if d == nil {
			d = &dropOrders{drop: o.Drop}
			byDrop[o.Drop] = d
			drops = append(drops, d)
		}
		d.index = append(d.index, i)
	}
	taken := make(map[string]held)
	for _, d := range drops {
		if err := u.takeDrop(ctx, d, msg.Orders, acks, taken); err != nil {
			return errors.Join(err, u.record(taken))
		}
	}
	for i, o := range msg.Orders {
		if j := first[o.OrderID]; j != i {
			acks[i].Taken, acks[i].Reason = acks[j].Taken, acks[j].Reason
		}
	}
	if err := u.record(taken); err != nil {
		return err
	}
	for _, a := range acks {
		u.log.Info("routed order answered", "order", a.OrderID, "route", a.Route, "taken", a.Taken, "reason", a.Reason)
	}
	return u.send(network.KindAck, network.Acks{Orders: acks})
}

// dropOrders are the orders of a message for one drop that the book must decide, by their
// index in the message.
type dropOrders struct {
	drop  string
	index []int
}

// answer answers a routed order that needs no import, had being the book's order of its id
// (zero when the book has none) and now the time the message is taken: one withdrawn here,
// held already, or past its deadline. It says whether it answered; if not, the book decides.
func (u *Uplink) answer(ack *network.Ack, o network.RoutedOrder, had book.Order, now time.Time) bool {
	if w := had.Withdrawn; w != nil {
		// Withdrawn here (at the hub's request or a planner's): the book keeps it so and would
		// not make it again.
		ack.Reason = fmt.Sprintf("order %q was withdrawn at this site on %s (%s) and cannot be taken again",
			o.OrderID, w.At.UTC().Format(time.RFC3339), w.Reason)
		return true
	}
	h, holds := u.st.Orders[o.OrderID]
	switch {
	case holds && h.Withdrawn:
		ack.Reason = fmt.Sprintf("order %q was withdrawn from this site (route %d) and cannot be taken again", o.OrderID, h.Route)
		return true
	case holds && h.Route >= o.Route:
		// Taken already: acknowledged again, whatever the time, since the site holds it.
		ack.Taken = true
		return true
	}
	if deadline := o.AckBy.Add(-u.cfg.Margin); !now.Before(deadline) {
		ack.Reason = fmt.Sprintf("route %d of order %q came too late: it had to be taken by %s (%s less a margin of %s for the clocks), it is %s",
			o.Route, o.OrderID, deadline.UTC().Format(time.RFC3339), o.AckBy.UTC().Format(time.RFC3339), u.cfg.Margin, now.UTC().Format(time.RFC3339))
		return true
	}
	return false
}

// takeDrop imports the orders of d as one batch and answers each in acks; taken gets the
// orders taken, under their routes. The book takes a batch whole or not at all: when it
// refuses some rows, those whose refusal stands are declined with the book's reasons and the
// rest imported again, until a batch is taken or no order is left. An error says the book
// could not answer for now; nothing of d is taken then.
func (u *Uplink) takeDrop(ctx context.Context, d *dropOrders, orders []network.RoutedOrder, acks []network.Ack, taken map[string]held) error {
	pending := d.index
	for len(pending) > 0 {
		rows := make([]network.RoutedOrder, len(pending))
		for k, i := range pending {
			rows[k] = orders[i]
		}
		_, err := u.cfg.Book.Import(ctx, book.ImportRequest{
			Drop:  d.drop,
			Rows:  &routedRows{orders: rows},
			Actor: Actor,
			// Every refused row listed, so that each is declined with its own reason.
			MaxErrors: 4*len(rows) + 4,
		})
		if err == nil {
			for _, i := range pending {
				acks[i].Taken = true
				taken[orders[i].OrderID] = held{Route: orders[i].Route}
			}
			return nil
		}
		var batch *book.BatchError
		if !errors.As(err, &batch) {
			reason, refused := dropRefusal(d.drop, err)
			if !refused {
				return fmt.Errorf("taking %d orders of drop %q: %w", len(rows), d.drop, err)
			}
			for _, i := range pending {
				acks[i].Reason = reason
			}
			return nil
		}
		declined := standingRefusals(batch, rows)
		if len(declined) == 0 {
			return fmt.Errorf("taking %d orders of drop %q: the book refused the batch without a row to decline: %w", len(rows), d.drop, err)
		}
		next := make([]int, 0, len(pending)-len(declined))
		for k, i := range pending {
			if reason, ok := declined[k+1]; ok {
				acks[i].Reason = reason
			} else {
				next = append(next, i)
			}
		}
		pending = next
	}
	return nil
}

// quantityColumn is the column of a row's quantity in the book's row errors: that of a
// quantity that is not a number of units, and that of a row past its SKU's window.
const quantityColumn = "quantity"

// standingRefusals returns the reasons, by line of rows, of the rows a refused batch refuses
// whatever the other rows: each with its first problem. A row's problems with its own content,
// or with the book, are its own. Not so a row past its SKU's window after another row of the
// SKU refused so: the book counted that row's units too, and without it this one may fit; it
// is left to be imported again. Neither are the rows past the last the refusal lists.
func standingRefusals(batch *book.BatchError, rows []network.RoutedOrder) map[int]string {
	reasons := make(map[int]string)
	seen := make(map[int]bool)
	overQuantity := make(map[string]bool) // SKUs with a row refused for its quantity
	for _, e := range batch.Errors {
		if e.Line < 1 || e.Line > len(rows) || seen[e.Line] {
			continue
		}
		seen[e.Line] = true
		if e.Column == quantityColumn {
			sku := rows[e.Line-1].SKU
			if overQuantity[sku] {
				continue
			}
			overQuantity[sku] = true
		}
		reasons[e.Line] = e.Reason
	}
	return reasons
}

// dropRefusal says whether the book's error for a batch of drop refuses every order of it for
// good, and why, in the book's words.
func dropRefusal(drop string, err error) (reason string, refused bool) {
	switch {
	case errors.Is(err, book.ErrUnknownDrop):
		return fmt.Sprintf("drop %q is not one of this site's drops", drop), true
	case errors.Is(err, book.ErrInvalid):
		return err.Error(), true
	}
	return "", false
}
