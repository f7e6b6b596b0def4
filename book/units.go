package book

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// A unit becomes a record when it is first counted: in the transaction where an operation's
// finished units (counted by Progress, or its good units when it completes) outnumber the
// units its work order has, the missing ones are made, each with its serial from the studio's
// pattern (configs.Provenance.Serial). Normally that is at the first step. A serial never
// changes. A work order's live units are always its lowest-numbered ones: scrapping units marks
// the highest-numbered live ones scrapped, so that unit n at any later step, at a label
// printer too, is the work order's nth good unit, and its label carries that unit's serial.

// ErrSerialTaken is returned (wrapped) when a new unit's serial is another unit's: the studio's
// serial pattern does not tell the two apart (adding {seq} to it does).
var ErrSerialTaken = errors.New("the serial is another unit's")

// ErrUnknownUnit is returned (wrapped) when a serial names no unit.
var ErrUnknownUnit = errors.New("unknown unit")

// makeUnits makes the units numbered up to finished that work order wo lacks.
// A repair's work order (configs.IsRepairSKU) makes none: its item is a unit already, or
// was not made here.
func (b *Book) makeUnits(tx Tx, wo WorkOrder, finished int, now time.Time) error {
	if configs.IsRepairSKU(wo.SKU) {
		return nil
	}
	have, err := tx.UnitCount(wo.ID)
	if err != nil {
		return err
	}
	if finished <= have {
		return nil
	}
	before, err := unitsBefore(tx, wo)
	if err != nil {
		return err
	}
	seq, err := tx.LastUnitSeq()
	if err != nil {
		return err
	}
	year := now.In(b.zone()).Year()
	units := make([]Unit, 0, finished-have)
	for n := have + 1; n <= finished; n++ {
		seq++
		u := Unit{WorkOrder: wo.ID, OrderID: wo.OrderID, Drop: wo.Drop, SKU: wo.SKU,
			Number: n, OrderUnit: before + n, Seq: seq, CreatedAt: now}
		u.Serial = b.cfg().factory.Provenance.Serial.Format(configs.SerialFields{
			OrderID: wo.OrderID, SKU: wo.SKU, Drop: wo.Drop, OrderUnit: u.OrderUnit, Year: year, Seq: seq})
		units = append(units, u)
	}
	if err := tx.InsertUnits(units); err != nil {
		return fmt.Errorf("making units %d to %d of work order %d: %w", have+1, finished, wo.ID, err)
	}
	return nil
}

// zone is where a unit's year is told: the factory's working hours' time zone, UTC without.
func (b *Book) zone() *time.Location {
	if h := b.cfg().factory.Hours; h != nil && h.Location != nil {
		return h.Location
	}
	return time.UTC
}

// scrapUnits marks the live units of op's work order numbered above the units op has left
// (reason: why) as scrapped at op.
func scrapUnits(tx Tx, op Operation, reason string, now time.Time) error {
	keep := max(op.Quantity-op.Scrapped, 0)
	if _, err := tx.ScrapUnits(UnitsScrapped{WorkOrder: op.WorkOrder, Keep: keep, Operation: op.ID, Reason: reason, At: now}); err != nil {
		return fmt.Errorf("scrapping the units of work order %d at operation %d: %w", op.WorkOrder, op.ID, err)
	}
	return nil
}

// Unit returns the unit with a serial; a serial of no unit is an error wrapping ErrUnknownUnit
// and ErrNotFound.
func (b *Book) Unit(ctx context.Context, serial string) (Unit, error) {
	var u Unit
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		u, err = tx.Unit(serial)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Unit{}, fmt.Errorf("%w %q: %w", ErrUnknownUnit, serial, ErrNotFound)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("reading unit %q: %w", serial, err)
	}
	return u, nil
}

// Units returns the units of a work order, by number; a work order that made none has none.
func (b *Book) Units(ctx context.Context, workOrder int64) ([]Unit, error) {
	var out []Unit
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.WorkOrder(workOrder); err != nil {
			return err
		}
		var err error
		out, err = tx.Units(workOrder)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %d", ErrUnknownWorkOrder, workOrder)
	}
	return out, err
}

// UnitsOfOrder returns the units of an order, by work order (its first, then its remakes) and
// number.
func (b *Book) UnitsOfOrder(ctx context.Context, orderID string) ([]Unit, error) {
	var out []Unit
	err := b.store.Read(ctx, func(tx ReadTx) error {
		found, err := tx.Orders([]string{orderID})
		if err != nil {
			return err
		}
		if _, ok := found[orderID]; !ok {
			return fmt.Errorf("%w: %q", ErrUnknownOrder, orderID)
		}
		out, err = tx.UnitsOfOrder(orderID)
		return err
	})
	return out, err
}

// LiveUnits returns how many live units a work order has, its first live units up to head
// and its last live unit (the zero Unit when it has none): what shows a work order's units
// without reading them all, since a work order's live units are its units 1 to count.
func (b *Book) LiveUnits(ctx context.Context, workOrder int64, head int) (first []Unit, last Unit, count int, err error) {
	err = b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.WorkOrder(workOrder); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %d", ErrUnknownWorkOrder, workOrder)
		} else if err != nil {
			return err
		}
		var err error
		if count, err = tx.LiveUnitCount(workOrder); err != nil {
			return err
		}
		for n := 1; n <= min(head, count); n++ {
			u, err := tx.WorkOrderUnit(workOrder, n)
			if err != nil {
				return err
			}
			first = append(first, u)
		}
		if count > 0 {
			last, err = tx.WorkOrderUnit(workOrder, count)
		}
		return err
	})
	if err != nil {
		return nil, Unit{}, 0, fmt.Errorf("reading the live units of work order %d: %w", workOrder, err)
	}
	return first, last, count, nil
}
