package book

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
)

// available returns the capable map without the cells that are down.
func (b *Book) available() map[string][]string {
	cv := b.cfg()
	b.downMu.Lock()
	defer b.downMu.Unlock()
	if len(b.down) == 0 {
		return cv.capable
	}
	out := make(map[string][]string, len(cv.capable))
	for capability, cells := range cv.capable {
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

// CellDown is a cell out of service, as stored.
type CellDown struct {
	Cell   string
	Reason string
	// Actor took the cell down (its controller).
	Actor string
	Since time.Time
}

// CellReport is a fault a person reported at a cell: it holds the cell out of service until
// it is cleared (the cell is reset).
type CellReport struct {
	Cell string
	// Code is the code of the factory's fault reason it was reported with; "" for a report
	// stored before codes were kept.
	Code string
	// Reason is the reason the cell goes down with.
	Reason string
	// By is who reported it.
	By string
	At time.Time
}

// ErrFaultReported is returned (wrapped) by CellUp while a fault a person reported holds the
// cell down.
var ErrFaultReported = errors.New("a fault reported at the cell holds it down until it is reset")

// Load reads what the store holds of the cells out of service, so that the dispatcher keeps
// sending nothing to them after a restart. Call it once, before the book takes work; cells
// the factory no longer has are ignored.
func (b *Book) Load(ctx context.Context) error { return b.readDown(ctx) }

// CellDownResult says what taking a cell out of service did.
type CellDownResult struct {
	// Paused is the operation that was running at the cell and is now paused, or 0.
	Paused int64
	// Requeued is the number of operations queued at the cell that went back to ready, and
	// Dispatched how many of those (and others) the dispatcher queued at other cells.
	Requeued, Dispatched int
}

// CellDown takes a cell out of service (its machine is in fault, or unreachable, or a person
// reported a fault) in one transaction: the cell is stored as down with the reason, the
// operation running there is paused with the reason and recorded as paused by the fault, the
// operations queued there go back to ready, and the dispatcher queues them at other cells
// offering their capability, if any. Until CellUp the dispatcher sends nothing to the cell,
// across restarts too (see Load). Taking a cell that is already down changes nothing.
func (b *Book) CellDown(ctx context.Context, cell, reason string, actor Actor) (CellDownResult, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return CellDownResult{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	reason, err := cellReason(reason, "to take a cell out of service")
	if err != nil {
		return CellDownResult{}, err
	}
	b.downSync.RLock()
	defer b.downSync.RUnlock()
	b.downMu.Lock()
	if _, down := b.down[cell]; down {
		b.downMu.Unlock()
		return CellDownResult{}, nil
	}
	b.down[cell] = reason
	b.downMu.Unlock()

	var res CellDownResult
	err = b.store.Write(ctx, func(tx Tx) error {
		res = CellDownResult{}
		now := b.clock()
		if err := tx.PutCellDown(CellDown{Cell: cell, Reason: reason, Actor: string(actor), Since: now}); err != nil {
			return fmt.Errorf("storing cell %s as down: %w", cell, err)
		}
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
			if op.State == Paused {
				if err := tx.AddFaultPaused(cell, op.ID); err != nil {
					return fmt.Errorf("recording operation %d as paused by the fault: %w", op.ID, err)
				}
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

// cellReason trims a reason and cuts it to the longest accepted; an empty one is refused.
func cellReason(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", fmt.Errorf("%w: a reason is required %s", ErrInvalid, what)
	}
	if utf8.RuneCountInString(reason) > maxReason {
		reason = string([]rune(reason)[:maxReason])
	}
	return reason, nil
}

// CellUpResult says what bringing a cell back into service did.
type CellUpResult struct {
	// Resumed are the operations the fault had paused that run again.
	Resumed []int64
	// Dispatched is how many ready operations the dispatcher queued.
	Dispatched int
}

// CellUp brings a cell back into service in one transaction: the operations that taking it
// down paused are resumed (unless a person acted on them since: a person's pause stays), and
// the ready operations are dispatched, which may now go to it. Bringing up a cell that is up
// changes nothing. While a fault a person reported holds the cell, CellUp fails with
// ErrFaultReported and changes nothing.
func (b *Book) CellUp(ctx context.Context, cell string, actor Actor) (CellUpResult, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return CellUpResult{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	b.downSync.RLock()
	defer b.downSync.RUnlock()
	b.downMu.Lock()
	reason, down := b.down[cell]
	delete(b.down, cell)
	b.downMu.Unlock()
	if !down {
		return CellUpResult{}, nil
	}
	var res CellUpResult
	err := b.store.Write(ctx, func(tx Tx) error {
		res = CellUpResult{}
		now := b.clock()
		if r, held, err := tx.CellReport(cell); err != nil {
			return fmt.Errorf("reading the fault reported at cell %s: %w", cell, err)
		} else if held {
			return fmt.Errorf("cell %s: %w (%s)", cell, ErrFaultReported, r.Reason)
		}
		if err := tx.DeleteCellDown(cell); err != nil {
			return fmt.Errorf("storing cell %s as up: %w", cell, err)
		}
		if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventCellRecovered, Cell: cell,
			Reason: "recovered from: " + reason}); err != nil {
			return err
		}
		paused, err := tx.FaultPaused(cell)
		if err != nil {
			return fmt.Errorf("reading the operations the fault at cell %s paused: %w", cell, err)
		}
		for _, id := range paused {
			// transition forgets the operation as paused by the fault, whatever it does.
			_, err := b.transition(tx, TransitionRequest{Operation: id, Action: ActionResume, Actor: actor}, "", now)
			var te *TransitionError
			var busy *CellBusyError
			switch {
			case errors.As(err, &te) || errors.As(err, &busy):
				// It is no longer paused, or another job runs there: nothing to resume.
				if err := tx.DeleteFaultPaused(id); err != nil {
					return fmt.Errorf("forgetting operation %d as paused by the fault: %w", id, err)
				}
			case err != nil:
				return fmt.Errorf("resuming operation %d: %w", id, err)
			default:
				res.Resumed = append(res.Resumed, id)
			}
		}
		res.Dispatched, err = b.dispatch(tx, now)
		return err
	})
	if err != nil {
		b.downMu.Lock()
		b.down[cell] = reason
		b.downMu.Unlock()
		return CellUpResult{}, err
	}
	return res, nil
}

// ReportFault stores a fault a person (r.By) reported at a cell (r.Cell) with a reason code and
// the reason the cell goes down with: it holds the cell down, across restarts, until
// ClearReport. The cell's controller takes the cell down with the reason. A second report
// replaces the first. The time of the report is the book's.
func (b *Book) ReportFault(ctx context.Context, r CellReport) error {
	if _, ok := b.cfg().cells[r.Cell]; !ok {
		return fmt.Errorf("%w: %s", ErrUnknownCell, r.Cell)
	}
	reason, err := cellReason(r.Reason, "to report a fault")
	if err != nil {
		return err
	}
	r.Reason, r.At = reason, b.clock()
	return b.store.Write(ctx, func(tx Tx) error {
		if err := tx.PutCellReport(r); err != nil {
			return fmt.Errorf("storing the fault reported at cell %s: %w", r.Cell, err)
		}
		return nil
	})
}

// CellReset is a reset of a cell, as ClearReport records it.
type CellReset struct {
	// Actor reset the cell (a person's principal).
	Actor Actor
	// Note says what was done about the fault; it may be empty.
	Note string
	// Machine says that the cell's machine was told to reset: the reset is recorded even
	// when no fault was reported.
	Machine bool
}

// ClearReport forgets the fault reported at a cell, as a reset of the cell does, and reports
// whether there was one. When there was one, or the reset told the cell's machine to reset,
// it appends a cell.reset event with the actor and the note, in the same transaction. The
// cell comes back when nothing else holds it down.
func (b *Book) ClearReport(ctx context.Context, cell string, reset CellReset) (bool, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return false, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	note, err := ResetNote(reset.Note)
	if err != nil {
		return false, err
	}
	var was bool
	err = b.store.Write(ctx, func(tx Tx) error {
		var err error
		was, err = tx.DeleteCellReport(cell)
		if err != nil {
			return fmt.Errorf("clearing the fault reported at cell %s: %w", cell, err)
		}
		if !was && !reset.Machine {
			return nil
		}
		return b.event(tx, Event{At: b.clock(), Actor: string(reset.Actor), Kind: EventCellReset, Cell: cell, Reason: note})
	})
	return was, err
}

// ResetNote returns the note of a reset trimmed, or an error wrapping ErrInvalid when it is
// longer than a reason may be. Check a note with it before the reset does anything.
func ResetNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > maxReason {
		return "", fmt.Errorf("%w: the note is %d characters, at most %d", ErrInvalid, n, maxReason)
	}
	return note, nil
}

// Outage is what holds a cell out of service, as stored: why and since when, and the fault a
// person reported, if any.
type Outage struct {
	// Reason is why the cell is out of service, "" while it is in service (a fault was
	// reported and the cell's controller has not taken it down yet).
	Reason string
	Since  time.Time
	// Report is the fault a person reported, nil when none.
	Report *CellReport
}

// Outages returns the outage of every cell that is out of service or holds a reported fault,
// by cell id, read in one transaction.
func (b *Book) Outages(ctx context.Context) (map[string]Outage, error) {
	out := make(map[string]Outage)
	err := b.store.Read(ctx, func(tx ReadTx) error {
		clear(out)
		down, err := tx.CellsDown()
		if err != nil {
			return fmt.Errorf("reading the cells out of service: %w", err)
		}
		for _, d := range down {
			out[d.Cell] = Outage{Reason: d.Reason, Since: d.Since}
		}
		for _, c := range b.cfg().factory.Cells {
			r, ok, err := tx.CellReport(c.ID)
			if err != nil {
				return fmt.Errorf("reading the fault reported at cell %s: %w", c.ID, err)
			}
			if ok {
				o := out[c.ID]
				o.Report = &r
				out[c.ID] = o
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CellHold is what holds a cell out of service.
type CellHold struct {
	// Down is why the cell is out of service, "" when it is in service.
	Down string
	// Reported is the reason of a fault a person reported, "" when none.
	Reported string
	// ReportedCode is the code of the factory's fault reason that fault was reported with.
	ReportedCode string
}

// Hold returns what holds a cell out of service, what its controller starts from: the fault a
// person reported, read from the store, and why the book holds the cell down, as Load read it
// from the store and CellDown and CellUp changed it since (none before Load).
func (b *Book) Hold(ctx context.Context, cell string) (CellHold, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return CellHold{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	var h CellHold
	err := b.store.Read(ctx, func(tx ReadTx) error {
		r, ok, err := tx.CellReport(cell)
		if err != nil {
			return fmt.Errorf("reading the fault reported at cell %s: %w", cell, err)
		}
		if ok {
			h.Reported, h.ReportedCode = r.Reason, r.Code
		}
		return nil
	})
	if err != nil {
		return CellHold{}, err
	}
	b.downMu.Lock()
	h.Down = b.down[cell]
	b.downMu.Unlock()
	return h, nil
}

// ErrProgressBackwards is returned (wrapped) when a progress report counts fewer units than
// the operation already has: units made stay made.
var ErrProgressBackwards = errors.New("units done cannot go down")

// Progress records that done units of an operation are finished. The operation must be
// running or paused (a machine may count a last unit after a pause); done may not exceed the
// units left after scraps, nor be less than what was recorded before. Reporting the same count
// again changes nothing. Progress never completes the operation: whoever runs it decides that.
// The units counted that their work order lacks are made (see Unit), and at a cell holding a
// label printer each unit counted owes its label, in the same transaction.
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
		now := b.clock()
		if err := b.makeUnits(tx, wo, done, now); err != nil {
			return err
		}
		if err := b.oweLabels(tx, wo, op, done-added, done, now); err != nil {
			return err
		}
		return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventOperationProgress, Cell: op.Cell,
			Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, From: op.State, To: op.State,
			Quantity: added})
	})
	return out, err
}
