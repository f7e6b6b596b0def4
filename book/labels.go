package book

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Every unit finished at a cell holding a label printer owes a label. The book records the label
// as owed in the transaction that finishes the unit: when Progress counts it, or, for the units
// not counted, when the operation completes; that transaction makes the unit first if it has no
// record yet (see Unit), so that every label owed has its unit's serial. A reprint asked for is owed the same way. The
// cell's controller prints what its cell owes, oldest first, and forgets each label only once
// the printer confirmed it (LabelPrinted), so that a label is owed until it is printed, across
// restarts.

// OwedLabel is the label of a finished unit that a cell's label printer owes.
type OwedLabel struct {
	ID        int64
	Cell      string
	Operation int64
	WorkOrder int64
	OrderID   string
	Drop      string
	SKU       string
	// Unit is the unit's number within the operation, from 1.
	Unit int
	// Before is how many units the order's work orders before this one were to make: a
	// remake's units are numbered after them (OrderUnit), so that no two units of an order
	// share a number. Zero for an order's first work order.
	Before int
	// Serial is the unit's stored serial (see Unit): unit n of an operation is its work
	// order's unit n.
	Serial string
	// Reprint is true for a label asked for again (ReprintLabel).
	Reprint bool
	OwedAt  time.Time
}

// OrderUnit is the unit's number within its order, from 1: the number a label shows.
func (l OwedLabel) OrderUnit() int { return l.Before + l.Unit }

// unitsBefore returns how many units the work orders of wo's order before wo were to make.
func unitsBefore(tx ReadTx, wo WorkOrder) (int, error) {
	if wo.RemakeOf == 0 {
		return 0, nil // an order's first work order
	}
	wos, err := tx.WorkOrdersOf([]string{wo.OrderID})
	if err != nil {
		return 0, fmt.Errorf("reading the work orders of order %q: %w", wo.OrderID, err)
	}
	n := 0
	for _, w := range wos {
		if w.ID < wo.ID {
			n += w.Quantity
		}
	}
	return n, nil
}

// LabelsOwed are the labels of units First through Last of an operation, owed at once.
type LabelsOwed struct {
	Cell        string
	Operation   int64
	First, Last int
	Reprint     bool
	At          time.Time
}

// ErrNotFinished is returned (wrapped) when the label of a unit not finished yet is asked for.
var ErrNotFinished = errors.New("the unit is not finished yet")

// labeledCells returns the cells of f that hold a label printer.
func labeledCells(f *configs.Factory) map[string]bool {
	out := map[string]bool{}
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			if d.Kind == configs.KindLabelPrinter {
				out[c.ID] = true
			}
		}
	}
	return out
}

// oweLabels records the labels of units from+1..to of op, an operation of wo, as owed, when
// op's cell holds a label printer; a repair's work order owes none (it makes no units).
func (b *Book) oweLabels(tx Tx, wo WorkOrder, op Operation, from, to int, now time.Time) error {
	if !b.cfg().labeled[op.Cell] || to <= from || configs.IsRepairSKU(wo.SKU) {
		return nil
	}
	if err := tx.OweLabels(LabelsOwed{Cell: op.Cell, Operation: op.ID, First: from + 1, Last: to, At: now}); err != nil {
		return fmt.Errorf("owing the labels of units %d to %d of operation %d: %w", from+1, to, op.ID, err)
	}
	return nil
}

// ReprintLabel owes the label of unit unit (from 1; 0 is the last unit finished) of operation
// op again, at cell, where the operation must have run, and returns it. The unit must be
// finished: counted as done, or part of the operation's good units once it is done. The label
// is stored as owed when ReprintLabel returns: the cell's controller prints it.
func (b *Book) ReprintLabel(ctx context.Context, cell string, op int64, unit int) (OwedLabel, error) {
	cv := b.cfg()
	if _, ok := cv.cells[cell]; !ok {
		return OwedLabel{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	if !cv.labeled[cell] {
		return OwedLabel{}, fmt.Errorf("%w: cell %s has no label printer", ErrInvalid, cell)
	}
	if unit < 0 {
		return OwedLabel{}, fmt.Errorf("%w: unit %d: want 1 or more, or 0 for the last unit finished", ErrInvalid, unit)
	}
	var out OwedLabel
	err := b.store.Write(ctx, func(tx Tx) error {
		o, err := tx.Operation(op)
		if errors.Is(err, ErrNotFound) || err == nil && o.Cell != cell {
			return fmt.Errorf("%w: operation %d did not run at cell %s", ErrUnknownOperation, op, cell)
		}
		if err != nil {
			return fmt.Errorf("reading operation %d: %w", op, err)
		}
		finished := o.UnitsDone
		if o.State == Done {
			finished = max(finished, o.Quantity-o.Scrapped)
		}
		n := unit
		if n == 0 {
			n = finished
		}
		if n == 0 || n > finished {
			return fmt.Errorf("operation %d has %d units finished, not unit %d: %w", op, finished, max(n, 1), ErrNotFinished)
		}
		wo, err := tx.WorkOrder(o.WorkOrder)
		if err != nil {
			return fmt.Errorf("reading work order %d: %w", o.WorkOrder, err)
		}
		before, err := unitsBefore(tx, wo)
		if err != nil {
			return err
		}
		u, err := tx.WorkOrderUnit(wo.ID, n)
		if err != nil {
			return fmt.Errorf("reading the unit of the label: %w", err)
		}
		now := b.clock()
		if err := tx.OweLabels(LabelsOwed{Cell: cell, Operation: op, First: n, Last: n, Reprint: true, At: now}); err != nil {
			return fmt.Errorf("owing the label of unit %d of operation %d: %w", n, op, err)
		}
		out = OwedLabel{Cell: cell, Operation: op, WorkOrder: wo.ID, OrderID: wo.OrderID, Drop: wo.Drop, SKU: wo.SKU,
			Unit: n, Before: before, Serial: u.Serial, Reprint: true, OwedAt: now}
		return nil
	})
	if err != nil {
		return OwedLabel{}, err
	}
	return out, nil
}

// OwedLabels returns up to limit (all when limit <= 0) labels a cell owes, oldest first, and
// how many it owes in all.
func (b *Book) OwedLabels(ctx context.Context, cell string, limit int) ([]OwedLabel, int, error) {
	var (
		out   []OwedLabel
		total int
	)
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if out, err = tx.OwedLabels(cell, limit); err != nil {
			return fmt.Errorf("reading the labels cell %s owes: %w", cell, err)
		}
		if limit > 0 && len(out) == limit {
			total, err = tx.CountOwedLabels(cell)
			if err != nil {
				return fmt.Errorf("counting the labels cell %s owes: %w", cell, err)
			}
		} else {
			total = len(out)
		}
		return nil
	})
	return out, total, err
}

// LabelPrinted forgets an owed label: its printer confirmed it. A label no longer owed is no
// error.
func (b *Book) LabelPrinted(ctx context.Context, id int64) error {
	return b.store.Write(ctx, func(tx Tx) error {
		if _, err := tx.DeleteOwedLabel(id); err != nil {
			return fmt.Errorf("forgetting printed label %d: %w", id, err)
		}
		return nil
	})
}
