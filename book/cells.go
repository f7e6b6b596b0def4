package book

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"
)

// available returns the capable map without the cells that are down.
func (b *Book) available() map[string][]string {
	b.downMu.Lock()
	defer b.downMu.Unlock()
	if len(b.down) == 0 {
		return b.capable
	}
	out := make(map[string][]string, len(b.capable))
	for capability, cells := range b.capable {
		for _, c := range cells {
			if _, down := b.down[c]; !down {
				out[capability] = append(out[capability], c)
			}
		}
	}
	return out
}

// DownCells returns the cells out of service and why.
func (b *Book) DownCells() map[string]string {
	b.downMu.Lock()
	defer b.downMu.Unlock()
	return maps.Clone(b.down)
}

// CellDownResult says what taking a cell out of service did.
type CellDownResult struct {
	// Paused is the operation that was running at the cell and is now paused, or 0.
	Paused int64
	// Requeued is the number of operations queued at the cell that went back to ready, and
	// Dispatched how many of those (and others) the dispatcher queued at other cells.
	Requeued, Dispatched int
}

// CellDown takes a cell out of service (its machine is in fault, or unreachable) in one
// transaction: the operation running there is paused with the reason, the operations queued
// there go back to ready, and the dispatcher queues them at other cells offering their
// capability, if any. Until CellUp the dispatcher sends nothing to the cell. Taking a cell
// that is already down changes nothing.
func (b *Book) CellDown(ctx context.Context, cell, reason string, actor Actor) (CellDownResult, error) {
	if _, ok := b.cells[cell]; !ok {
		return CellDownResult{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return CellDownResult{}, fmt.Errorf("%w: a reason is required to take a cell out of service", ErrInvalid)
	}
	if utf8.RuneCountInString(reason) > maxReason {
		reason = string([]rune(reason)[:maxReason])
	}
	b.downMu.Lock()
	if _, down := b.down[cell]; down {
		b.downMu.Unlock()
		return CellDownResult{}, nil
	}
	b.down[cell] = reason
	b.downMu.Unlock()

	var res CellDownResult
	err := b.store.Write(ctx, func(tx Tx) error {
		res = CellDownResult{}
		now := b.clock()
		if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventCellFault, Cell: cell, Reason: reason}); err != nil {
			return err
		}
		queue, err := tx.Queue(cell, 0)
		if err != nil {
			return fmt.Errorf("reading queue of cell %s: %w", cell, err)
		}
		for _, e := range queue {
			op := e.Operation
			prev := op.State
			switch op.State {
			case Running:
				op.State = Paused
				op.Reason = reason
				res.Paused = op.ID
			case Queued:
				op.State = Ready
				op.Cell = ""
				op.QueuedAt = nil
				res.Requeued++
			default:
				continue
			}
			if err := tx.UpdateOperation(&op); err != nil {
				return fmt.Errorf("updating operation %d: %w", op.ID, err)
			}
			if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventOperation, Cell: cell, Drop: e.Drop,
				OrderID: e.OrderID, WorkOrder: op.WorkOrder, Operation: op.ID, From: prev, To: op.State, Reason: reason}); err != nil {
				return err
			}
		}
		res.Dispatched, err = b.dispatch(tx, now)
		return err
	})
	if err != nil {
		b.downMu.Lock()
		delete(b.down, cell)
		b.downMu.Unlock()
		return CellDownResult{}, err
	}
	return res, nil
}

// CellUp brings a cell back into service and dispatches the ready operations, which may now go
// to it. An operation paused by CellDown stays paused until someone (or the cell's controller)
// resumes it. Bringing up a cell that is up changes nothing and returns 0.
func (b *Book) CellUp(ctx context.Context, cell string, actor Actor) (dispatched int, err error) {
	if _, ok := b.cells[cell]; !ok {
		return 0, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	b.downMu.Lock()
	reason, down := b.down[cell]
	delete(b.down, cell)
	b.downMu.Unlock()
	if !down {
		return 0, nil
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventCellRecovered, Cell: cell,
			Reason: "recovered from: " + reason}); err != nil {
			return err
		}
		dispatched, err = b.dispatch(tx, now)
		return err
	})
	if err != nil {
		b.downMu.Lock()
		b.down[cell] = reason
		b.downMu.Unlock()
		return 0, err
	}
	return dispatched, nil
}

// ErrProgressBackwards is returned (wrapped) when a progress report counts fewer units than
// the operation already has: units made stay made.
var ErrProgressBackwards = errors.New("units done cannot go down")

// Progress records that done units of an operation are finished. The operation must be
// running or paused (a machine may count a last unit after a pause); done may not exceed the
// units left after scraps, nor be less than what was recorded before. Reporting the same count
// again changes nothing. Progress never completes the operation: whoever runs it decides that.
func (b *Book) Progress(ctx context.Context, operation int64, done int, actor Actor) (Operation, error) {
	var out Operation
	err := b.store.Write(ctx, func(tx Tx) error {
		op, err := tx.Operation(operation)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %d", ErrUnknownOperation, operation)
		}
		if err != nil {
			return fmt.Errorf("reading operation %d: %w", operation, err)
		}
		switch {
		case op.State != Running && op.State != Paused:
			return fmt.Errorf("%w: operation %d is %s; only a running or paused operation makes progress", ErrInvalid, op.ID, op.State)
		case done < op.UnitsDone:
			return fmt.Errorf("operation %d has %d units done, not %d: %w", op.ID, op.UnitsDone, done, ErrProgressBackwards)
		case done > op.Quantity-op.Scrapped:
			return fmt.Errorf("%w: operation %d has %d units to make, not %d", ErrInvalid, op.ID, op.Quantity-op.Scrapped, done)
		case done == op.UnitsDone:
			out = op
			return nil
		}
		wo, err := tx.WorkOrder(op.WorkOrder)
		if err != nil {
			return fmt.Errorf("reading work order %d: %w", op.WorkOrder, err)
		}
		added := done - op.UnitsDone
		op.UnitsDone = done
		if err := tx.UpdateOperation(&op); err != nil {
			return fmt.Errorf("updating operation %d: %w", op.ID, err)
		}
		out = op
		return b.event(tx, Event{At: b.clock(), Actor: string(actor), Kind: EventOperationProgress, Cell: op.Cell,
			Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, From: op.State, To: op.State,
			Quantity: added})
	})
	return out, err
}
