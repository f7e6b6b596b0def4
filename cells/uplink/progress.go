package uplink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// eventPage is how many events one read of the event log takes.
const eventPage = 500

// Run reports the site to the hub until ctx ends, and then returns nil: a Hello and its load
// at start and again after each Connected, its load every StatusEvery, and the progress of its
// network orders and repairs as the book's events touch them, from the cursor it keeps (after a
// restart it goes on where it stood). It looks at the event log when the book changes and every
// second (for the writes of another daemon on the same store). A failure to read the book or to send
// is logged and tried again later; an error is returned only when the first Hello cannot be
// sent.
func (u *Uplink) Run(ctx context.Context) error {
	if err := u.hello(); err != nil {
		return err
	}
	u.reportStatus(ctx)
	status := time.NewTicker(u.cfg.StatusEvery)
	defer status.Stop()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		changed := u.cfg.Book.Changed()
		if err := u.Follow(ctx); err != nil && ctx.Err() == nil {
			u.log.Warn("reporting progress to the hub failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-poll.C:
		case <-status.C:
			u.reportStatus(ctx)
		case <-u.greet:
			if err := u.hello(); err != nil {
				u.log.Warn("greeting the hub again failed", "err", err)
			}
			u.reportStatus(ctx)
		}
	}
}

// Connected tells the uplink that the link to the hub is up again (telemetry/link's
// Config.OnConnect): Run queues a Hello and a Status, for the hub learns what the site makes
// from its Hello and may have missed it (a hub that lost its book, a site marked gone). It
// returns at once; a call before Run starts is answered when it starts, and calls that come
// faster than Run answers them are answered once.
func (u *Uplink) Connected() {
	select {
	case u.greet <- struct{}{}:
	default:
	}
}

// reportStatus reports the site's load, logging a failure: the next report tries again.
func (u *Uplink) reportStatus(ctx context.Context) {
	if err := u.status(ctx); err != nil && ctx.Err() == nil {
		u.log.Warn("reporting the site's load to the hub failed", "err", err)
	}
}

// hello tells the hub what the site makes: for each drop of its factory, the SKUs it sells.
func (u *Uplink) hello() error {
	f := u.cfg.Book.Factory()
	makes := make(map[string][]string, len(f.Drops))
	for _, d := range f.Drops {
		skus := make([]string, 0, len(d.Windows))
		for sku := range d.Windows {
			skus = append(skus, sku)
		}
		slices.Sort(skus)
		makes[d.ID] = skus
	}
	return u.send(network.KindHello, network.Hello{Makes: makes, Repairs: u.cfg.Book.RepairKinds(), Cells: len(f.Cells)})
}

// status reports the site's load.
func (u *Uplink) status(ctx context.Context) error {
	l, err := u.load(ctx)
	if err != nil {
		return err
	}
	return u.send(network.KindStatus, network.Status{Load: l})
}

// Follow reports the progress of the network orders that the book's events since the cursor
// touch, one Progresses message per page of events, and moves the cursor past them once the
// message is sent (a crash in between sends it again: the hub keeps the highest version).
func (u *Uplink) Follow(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	for {
		events, err := u.cfg.Book.Events(ctx, book.EventFilter{AfterID: u.st.Cursor, Limit: eventPage})
		if err != nil {
			return fmt.Errorf("reading the book's events after %d: %w", u.st.Cursor, err)
		}
		if len(events) == 0 {
			return nil
		}
		touched := make(map[string]int64)
		for _, e := range events {
			if _, ok := u.st.Orders[e.OrderID]; ok && e.OrderID != "" {
				touched[e.OrderID] = e.ID
			}
		}
		if err := u.report(ctx, touched); err != nil {
			return err
		}
		if err := u.reportRepairs(ctx, u.touchedRepairs(events)); err != nil {
			return err
		}
		u.st.Cursor = events[len(events)-1].ID
		if err := u.save(); err != nil {
			return err
		}
		if len(events) < eventPage {
			return nil
		}
	}
}

// report sends the progress of the orders touched, each with its version; under mu.
func (u *Uplink) report(ctx context.Context, touched map[string]int64) error {
	if len(touched) == 0 {
		return nil
	}
	ids := make([]string, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := network.Progresses{Orders: make([]network.Progress, 0, len(ids))}
	for _, id := range ids {
		p, err := u.progress(ctx, id, touched[id])
		if err != nil {
			return err
		}
		out.Orders = append(out.Orders, p)
	}
	return u.send(network.KindProgress, out)
}

// progress is where a network order stands at the site now, reported as of version: withdrawn
// when the site gave it up (at the hub's request or a planner's); done when every work order of it is done; started when one of its
// operations left the queue or counted a unit; accepted otherwise. Made counts the units its
// work orders finished at their last operation, Good the units of its work orders done.
// Under mu.
func (u *Uplink) progress(ctx context.Context, id string, version int64) (network.Progress, error) {
	h := u.st.Orders[id]
	p := network.Progress{OrderID: id, Route: h.Route, State: network.Accepted, Version: version, At: u.cfg.Now().UTC()}
	d, err := u.cfg.Book.OrderDetail(ctx, id)
	if errors.Is(err, book.ErrUnknownOrder) {
		// Taken, then gone from the book (a store restored from an older copy): the site does
		// not have it.
		u.log.Warn("a network order taken is not in the book: reported withdrawn", "order", id)
		p.State = network.Withdrawn
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading order %q: %w", id, err)
	}
	started := false
	for _, wo := range d.WorkOrders {
		w, err := u.cfg.Book.WorkOrder(ctx, wo.ID)
		if err != nil {
			return p, fmt.Errorf("reading work order %d of order %q: %w", wo.ID, id, err)
		}
		var last book.Operation
		for _, op := range w.Operations {
			if op.Seq >= last.Seq {
				last = op
			}
			started = started || hasStarted(op)
		}
		p.Made += finished(last)
	}
	p.Good = d.Shortfall.Good
	switch {
	case h.Withdrawn || d.State == book.OrderWithdrawn:
		p.State = network.Withdrawn
	case d.State == book.OrderDone:
		p.State = network.Done
	case started:
		p.State = network.Started
	}
	return p, nil
}

// hasStarted says whether an operation has started: it left the queue or counted a unit.
func hasStarted(op book.Operation) bool {
	switch op.State {
	case book.Pending, book.Ready, book.Queued, book.Withdrawn:
		return op.UnitsDone > 0 || op.Scrapped > 0
	}
	return true
}

// finished is the units an operation finished: those it counted, or, once done, every unit it
// did not scrap (a completion need not count them).
func finished(op book.Operation) int {
	if op.State == book.Done {
		return max(op.Quantity-op.Scrapped, op.UnitsDone)
	}
	return op.UnitsDone
}
