package book

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellforge/cellforge/configs"
)

// An order the site has not started can be given up: the network's hub moves it to another
// site, or a planner takes it back. Its work orders and operations leave the open work (the
// plan, the queues, the shortfall, the ordered units of its drop) by taking the terminal
// states below, so that every reader that selects open work by state leaves them out without
// knowing of withdrawals; the order itself stays readable, with its Withdrawal.

// Withdrawn is the state of an operation whose order was withdrawn before it started.
const Withdrawn State = "withdrawn"

// WorkWithdrawn is the state of a work order whose order was withdrawn before it started.
const WorkWithdrawn WorkOrderState = "withdrawn"

// OrderWithdrawn is the state of an order withdrawn before any of its operations started.
const OrderWithdrawn OrderState = "withdrawn"

// EventOrderWithdrawn records an order's withdrawal: its reason and the units it no longer
// orders.
const EventOrderWithdrawn = "order.withdrawn"

// ErrStarted refuses to withdraw an order one of whose operations has started (or counted a
// unit, or scrapped one): its work goes on at this site.
var ErrStarted = errors.New("the order has started")

// Withdrawal is when, why and by whom an order was withdrawn.
type Withdrawal struct {
	OrderID string    `json:"order_id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Reason  string    `json:"reason"`
}

// Withdraw takes an order none of whose operations has started (each one pending, ready or
// queued, no unit counted or scrapped) out of the book's open work, in one transaction: its
// operations become Withdrawn and its work orders WorkWithdrawn, so that the plan, the cells'
// queues and tablets, the shortfall and remakes, turnaround, OEE and margins no longer count
// it, and its units no longer count among its drop's ordered units; the order stays readable,
// with the Withdrawal, and an EventOrderWithdrawn is appended (with an operation event for
// each operation). A reason is required.
//
// Withdrawing an order again changes nothing and returns its first Withdrawal. An order with a
// started operation is refused with an error wrapping ErrStarted; an order the book does not
// hold, with one wrapping ErrUnknownOrder; a repair's order, with ErrInvalid (a repair is
// handed back, not withdrawn).
func (b *Book) Withdraw(ctx context.Context, orderID, reason string, actor Actor) (Withdrawal, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Withdrawal{}, fieldErr("reason", "a reason is required to withdraw an order")
	case utf8.RuneCountInString(reason) > maxReason:
		return Withdrawal{}, fieldErr("reason", "the reason is longer than %d characters", maxReason)
	}
	var w Withdrawal
	err := b.store.Write(ctx, func(tx Tx) error {
		var err error
		w, err = b.withdraw(tx, orderID, reason, actor, b.clock())
		return err
	})
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdrawing order %q: %w", orderID, err)
	}
	return w, nil
}

// withdraw withdraws an order inside tx, or returns the withdrawal stored before.
func (b *Book) withdraw(tx Tx, orderID, reason string, actor Actor, now time.Time) (Withdrawal, error) {
	found, err := tx.Orders([]string{orderID})
	if err != nil {
		return Withdrawal{}, err
	}
	o, ok := found[orderID]
	switch {
	case !ok:
		return Withdrawal{}, fmt.Errorf("%w: %q", ErrUnknownOrder, orderID)
	case o.Withdrawn != nil:
		return *o.Withdrawn, nil
	case configs.IsRepairSKU(o.SKU):
		return Withdrawal{}, fmt.Errorf("%w: order %q is a repair's: a repair is handed back, not withdrawn", ErrInvalid, orderID)
	}
	work, err := unstarted(tx, orderID)
	if err != nil {
		return Withdrawal{}, err
	}
	for _, w := range work {
		if err := b.withdrawWork(tx, w, reason, actor, now); err != nil {
			return Withdrawal{}, err
		}
	}
	w := Withdrawal{OrderID: orderID, At: now, Actor: string(actor), Reason: reason}
	if err := tx.WithdrawOrder(w); err != nil {
		return Withdrawal{}, fmt.Errorf("recording the withdrawal: %w", err)
	}
	e := Event{At: now, Actor: string(actor), Kind: EventOrderWithdrawn, Drop: o.Drop, OrderID: orderID,
		Reason: reason, Quantity: o.Quantity}
	if len(work) > 0 {
		e.WorkOrder = work[0].ID
	}
	return w, b.event(tx, e)
}

// unstarted returns the work orders of an order with their operations, or an error wrapping
// ErrStarted naming the first work order or operation that has started.
func unstarted(tx Tx, orderID string) ([]OpenWork, error) {
	wos, err := tx.WorkOrdersOf([]string{orderID})
	if err != nil {
		return nil, err
	}
	out := make([]OpenWork, 0, len(wos))
	for _, wo := range wos {
		if wo.State != WorkOpen {
			return nil, fmt.Errorf("%w: its work order %d is %s", ErrStarted, wo.ID, wo.State)
		}
		ops, err := tx.Operations(wo.ID)
		if err != nil {
			return nil, fmt.Errorf("reading the operations of work order %d: %w", wo.ID, err)
		}
		for _, op := range ops {
			switch {
			case op.State != Pending && op.State != Ready && op.State != Queued:
				return nil, fmt.Errorf("%w: operation %d (%s) of work order %d is %s", ErrStarted, op.ID, op.Name, wo.ID, op.State)
			case op.UnitsDone > 0 || op.Scrapped > 0:
				return nil, fmt.Errorf("%w: operation %d (%s) of work order %d counted %d units and scrapped %d",
					ErrStarted, op.ID, op.Name, wo.ID, op.UnitsDone, op.Scrapped)
			}
		}
		out = append(out, OpenWork{WorkOrder: wo, Operations: ops})
	}
	return out, nil
}

// withdrawWork takes a work order and its operations out of the open work, each operation
// with an event (the cells' tablets follow them off their queues).
func (b *Book) withdrawWork(tx Tx, w OpenWork, reason string, actor Actor, now time.Time) error {
	for _, op := range w.Operations {
		prev := op.State
		op.State = Withdrawn
		op.Reason = reason
		if err := tx.UpdateOperation(&op); err != nil {
			return fmt.Errorf("withdrawing operation %d: %w", op.ID, err)
		}
		e := operationEvent(now, actor, w.WorkOrder, op.ID, op.Cell, prev, Withdrawn)
		e.Reason = reason
		if err := b.event(tx, e); err != nil {
			return err
		}
	}
	wo := w.WorkOrder
	wo.State = WorkWithdrawn
	if err := tx.UpdateWorkOrder(wo); err != nil {
		return fmt.Errorf("withdrawing work order %d: %w", wo.ID, err)
	}
	return nil
}
