package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// promise answers a promise request: when the site would finish each order it could take if it
// took them all, planned with its own open work. A request past its expiry gets no answer (the
// hub has routed without it). An order the site cannot take (its drop or SKU not the site's, a
// row its book refuses) gets no promise; when the site cannot plan at all the answer says why.
func (u *Uplink) promise(ctx context.Context, req network.PromiseRequest) error {
	if now := u.cfg.Now(); now.After(req.Expires) {
		u.log.Info("promise request expired: not answered", "request", req.ID, "expired", req.Expires, "orders", len(req.Orders))
		return nil
	}
	load, err := u.load(ctx)
	if err != nil {
		return err
	}
	answer := network.Promises{ID: req.ID, Orders: []network.Promise{}, Load: load}
	cands, err := u.candidates(ctx, req.Orders)
	if err != nil {
		return err
	}
	promised, err := u.cfg.Planner.PromiseOrders(ctx, cands)
	switch {
	case err != nil && ctx.Err() != nil:
		return err
	case err != nil:
		answer.Error = fmt.Sprintf("the site could not plan the orders: %v", err)
	default:
		for _, c := range cands {
			p := promised[c.Order.OrderID]
			// The hub adds an order's hours to the site's backlog per cell: the order's cell
			// hours are spread over the site's cells as the load's are.
			perCell := network.Load{Hours: p.Hours, Cells: load.Cells}.PerCell()
			answer.Orders = append(answer.Orders, network.Promise{OrderID: c.Order.OrderID, End: p.End.UTC(), Hours: perCell})
		}
	}
	if answer.Repairs, err = u.repairPromises(ctx, req.Repairs); err != nil {
		return err
	}
	return u.send(network.KindPromise, answer)
}

// candidates returns the work orders the requested orders would make at the site, drop by
// drop, as the book would store them. Orders the book refuses are left out (the drop unknown
// here, an SKU it does not sell, a row it does not take); so are orders it holds already.
func (u *Uplink) candidates(ctx context.Context, orders []network.RoutedOrder) ([]book.Candidate, error) {
	byDrop := make(map[string][]network.RoutedOrder)
	var drops []string
	for _, o := range orders {
		if _, ok := byDrop[o.Drop]; !ok {
			drops = append(drops, o.Drop)
		}
		byDrop[o.Drop] = append(byDrop[o.Drop], o)
	}
	var out []book.Candidate
	for _, drop := range drops {
		cands, err := u.preview(ctx, drop, byDrop[drop])
		if err != nil {
			return nil, err
		}
		out = append(out, cands...)
	}
	return out, nil
}

// preview previews the orders of one drop; when the book refuses some rows, it previews the
// others again without them (leaving rows out cannot make another bad).
func (u *Uplink) preview(ctx context.Context, drop string, orders []network.RoutedOrder) ([]book.Candidate, error) {
	for range 2 {
		if len(orders) == 0 {
			return nil, nil
		}
		cands, err := u.cfg.Book.PreviewImport(ctx, book.ImportRequest{Drop: drop, Rows: &routedRows{orders: orders},
			Actor: Actor, MaxErrors: len(orders)})
		var batch *book.BatchError
		switch {
		case err == nil:
			return cands, nil
		case errors.Is(err, book.ErrUnknownDrop):
			u.log.Info("promise: orders of a drop the site does not sell left out", "drop", drop, "orders", len(orders))
			return nil, nil
		case errors.As(err, &batch):
			bad := make(map[int]bool, len(batch.Errors))
			for _, e := range batch.Errors {
				bad[e.Line] = true
			}
			kept := orders[:0:0]
			for i, o := range orders {
				if !bad[i+1] {
					kept = append(kept, o)
				}
			}
			u.log.Info("promise: orders the book refuses left out", "drop", drop, "orders", len(orders)-len(kept), "first", batch.Errors)
			orders = kept
		default:
			return nil, fmt.Errorf("previewing orders of drop %q: %w", drop, err)
		}
	}
	return nil, fmt.Errorf("previewing orders of drop %q: the book refused rows again after the bad ones were left out", drop)
}

// load measures the site's load: its open work, the cell hours of it not done, its cells and
// the end of its plan.
func (u *Uplink) load(ctx context.Context) (network.Load, error) {
	work, _, err := u.cfg.Book.OpenWork(ctx)
	if err != nil {
		return network.Load{}, fmt.Errorf("reading the site's open work: %w", err)
	}
	l := network.Load{OpenWorkOrders: len(work), Cells: len(u.cfg.Book.Factory().Cells), At: u.cfg.Now().UTC()}
	var left time.Duration
	for _, w := range work {
		for _, op := range w.Operations {
			if op.State == book.Done || op.State == book.Scrapped {
				continue
			}
			left += time.Duration(max(op.Quantity-op.Scrapped-op.UnitsDone, 0)) * op.UnitTime
			if op.UnitsDone == 0 && op.State != book.Running {
				left += op.Setup
			}
		}
	}
	l.Hours = left.Hours()
	if ph, ok := u.cfg.Planner.(planHolder); ok {
		if pl := ph.Current(); pl != nil {
			l.PlanEnd = pl.Makespan
		}
	}
	return l, nil
}
