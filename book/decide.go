package book

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Priorities of a repair's work order: standard, and express (ahead of normal work).
const (
	RepairPriorityStandard = 1
	RepairPriorityExpress  = 9
)

// Decide records the customer's decision on the estimate of the repair whose link is link, at
// now, in one transaction. Approving (only an estimated repair, before its estimate expires)
// makes the work order of its services (order id the repair's and "-W", due the date chosen),
// dispatched, and the repair is approved; declining releases the care plan uses the estimate
// reserved. A repair decided before is a *DecidedError saying what was decided, and changes
// nothing; an estimate past its time is stored as expired (its uses released) and refused with
// an error wrapping ErrEstimateExpired, returned with the repair as it now stands; a forged or
// replaced link is ErrNotFound.
func (b *Book) Decide(ctx context.Context, link string, d Decision, now time.Time) (Repair, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var r Repair
	var expired bool
	err := b.store.Write(ctx, func(tx Tx) error {
		var err error
		if r, err = repairByLink(tx, link, now); err != nil {
			return err
		}
		if r.Decision != nil {
			return &DecidedError{Repair: r.ID, Decision: *r.Decision}
		}
		if r.State == RepairExpired {
			expired = true
			return b.expireIfDue(tx, &r, ActorCustomer, now)
		}
		if r.State != RepairEstimated {
			return &RepairStateError{Repair: r.ID, State: r.State, Action: "be decided", Want: []RepairState{RepairEstimated}}
		}
		if d.Approve && d.Express && r.Estimate.Express == nil {
			return fieldErr("express", "the estimate of repair %s offers no express date", r.ID)
		}
		if !d.Approve {
			d.Express = false
		}
		d.At = now
		r.Decision = &d
		kind := EventRepairDeclined
		if d.Approve {
			kind = EventRepairApproved
			due, priority := r.Estimate.Standard, RepairPriorityStandard
			if d.Express {
				due, priority = *r.Estimate.Express, RepairPriorityExpress
			}
			o := Order{OrderID: r.ID + workSuffix, SKU: configs.RepairSKU(r.Diagnosis.Services), Quantity: 1, Customer: r.Customer,
				Priority: priority, Due: due.UTC(), Hash: linkHash(r.ID + "\x00" + d.String()), IntakeAt: now}
			wo, err := b.insertRepairWork(tx, o)
			if err != nil {
				return err
			}
			r.WorkOrder = wo.ID
			r.State = RepairApproved
		} else {
			r.State = RepairDeclined
			if _, err := tx.ReleaseCarePlanUses(r.ID, now); err != nil {
				return fmt.Errorf("releasing the care plan uses of repair %s: %w", r.ID, err)
			}
		}
		if err := tx.UpdateRepair(r); err != nil {
			return fmt.Errorf("storing repair %s: %w", r.ID, err)
		}
		if err := b.event(tx, Event{At: now, Actor: string(ActorCustomer), Kind: kind, OrderID: r.ID, WorkOrder: r.WorkOrder,
			Reason: d.String()}); err != nil {
			return err
		}
		if d.Approve {
			_, err = b.dispatch(tx, now)
		}
		return err
	})
	if err != nil {
		return Repair{}, err
	}
	if expired {
		return r, fmt.Errorf("repair %s: %w at %s", r.ID, ErrEstimateExpired, r.Estimate.ExpiresAt.Format(time.RFC3339))
	}
	return r, nil
}

// expireIfDue stores r, whose estimate has expired, as expired and releases its care plan
// uses, unless it is stored so already.
func (b *Book) expireIfDue(tx Tx, r *Repair, actor Actor, now time.Time) error {
	stored, err := tx.Repair(r.ID)
	if err != nil {
		return fmt.Errorf("reading repair %s: %w", r.ID, err)
	}
	if stored.State != RepairEstimated {
		return nil
	}
	r.State = RepairExpired
	if err := tx.UpdateRepair(*r); err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	if _, err := tx.ReleaseCarePlanUses(r.ID, now); err != nil {
		return fmt.Errorf("releasing the care plan uses of repair %s: %w", r.ID, err)
	}
	return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventRepairExpired, OrderID: r.ID})
}

// ReturnRepair records that a repair's item was handed back or sent: from ready, declined or
// expired.
func (b *Book) ReturnRepair(ctx context.Context, id string, actor Actor) (Repair, error) {
	var r Repair
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		if r, err = readRepair(tx, id, now); err != nil {
			return err
		}
		prev := r.State
		switch r.State {
		case RepairExpired:
			if err := b.expireIfDue(tx, &r, actor, now); err != nil {
				return err
			}
		case RepairReady, RepairDeclined:
		default:
			return &RepairStateError{Repair: r.ID, State: r.State, Action: "be returned",
				Want: []RepairState{RepairReady, RepairDeclined, RepairExpired}}
		}
		r.State = RepairReturned
		r.ReturnedAt = &now
		if err := tx.UpdateRepair(r); err != nil {
			return fmt.Errorf("storing repair %s: %w", r.ID, err)
		}
		return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventRepairReturned, OrderID: r.ID, WorkOrder: r.WorkOrder,
			Reason: "from " + string(prev)})
	})
	if err != nil {
		return Repair{}, err
	}
	return r, nil
}
