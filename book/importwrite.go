package book

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/configs"
)

// The write phase of an import: the orders of a checked batch go into the book, each with its
// work order and operations and an order.received event, the first operation of each is
// queued at a cell, and a batch.imported event closes the batch.
//
// A batch of fewer than Config.LargeBatch new orders is written in one store transaction,
// which then dispatches every ready operation. A larger one would hold the store's write lock
// for seconds, and every tablet action would wait behind it; so, when the store can
// (BatchStore), it is written in many short transactions between which the floor's writes go,
// invisible until the last one, which makes it visible whole (see BatchStore). The batch's
// first operations are then queued as they are inserted: the book decides their cells first,
// earliest due first to the least-loaded capable cell as the dispatcher would, against the
// cell loads and the cells in service when the write begins. The last transaction, with the
// book whole again, puts right what changed meanwhile: an operation queued at a cell that has
// gone out of service goes back to ready, and the dispatcher then queues every ready
// operation, as after any import.

// defaultLargeBatch is the number of new orders from which an import is written in several
// transactions, unless Config says otherwise: about the most that one transaction writes in a
// tenth of a second.
const defaultLargeBatch = 500

// errReplayedMeanwhile ends the write of a large batch whose idempotency key another request
// used while it was being written: that request's answer is the one to give, and this batch
// must leave nothing behind.
var errReplayedMeanwhile = errors.New("the idempotency key was used meanwhile")

// storeBatch writes the fresh rows of a checked batch and returns what the import did. result
// holds the counts of the checks (rows, unchanged).
func (b *Book) storeBatch(ctx context.Context, drop configs.Drop, fresh []intake.Row, req ImportRequest, result ImportResult) (ImportResult, error) {
	if len(fresh) < b.largeBatch || !b.notify.batches() {
		return b.storeWhole(ctx, drop, fresh, req, result)
	}
	return b.storeLarge(ctx, drop, fresh, req, result)
}

// storeWhole writes a batch in one transaction.
func (b *Book) storeWhole(ctx context.Context, drop configs.Drop, fresh []intake.Row, req ImportRequest, result ImportResult) (ImportResult, error) {
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var replayed bool
		var err error
		result, replayed, err = idempotent(tx, req.Idempotency, now, func() (ImportResult, error) {
			r := result
			if len(fresh) == 0 {
				return r, nil
			}
			r.Batch = fmt.Sprintf("%s-%d", drop.ID, now.UnixMicro())
			if err := b.insertBatch(tx, drop, fresh, r.Batch, req.Actor, now); err != nil {
				return r, err
			}
			r.Created = len(fresh)
			r.Queued, err = b.dispatch(tx, now)
			return r, err
		})
		result.Replayed = replayed
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	return result, nil
}

// storeLarge writes a batch through the store's WriteBatch: see the comment at the top.
func (b *Book) storeLarge(ctx context.Context, drop configs.Drop, fresh []intake.Row, req ImportRequest, result ImportResult) (ImportResult, error) {
	// A retry of a batch stored before answers as the first request did, writing nothing.
	// finish looks again, in the transaction that would make the batch visible.
	if r, found, err := b.rememberedImport(ctx, req.Idempotency); err != nil {
		return ImportResult{}, err
	} else if found {
		return r, nil
	}

	now := b.clock()
	batch := fmt.Sprintf("%s-%d", drop.ID, now.UnixMicro())
	cells, err := b.assignFirst(ctx, drop, fresh)
	if err != nil {
		return ImportResult{}, err
	}
	assigned := 0
	byCell := make(map[string]int)
	for _, c := range cells {
		if c != "" {
			assigned++
			byCell[c]++
		}
	}

	// the ids the store gives the work orders and first operations, for the queued events
	workOrders := make([]int64, len(fresh))
	firsts := make([]int64, len(fresh))
	fill := func(tx BatchTx) error {
		return b.fillBatch(tx, drop, fresh, cells, batch, req.Actor, now, workOrders, firsts)
	}

	var replayed bool
	finish := func(tx Tx) error {
		var err error
		result, replayed, err = idempotent(tx, req.Idempotency, now, func() (ImportResult, error) {
			r := result
			r.Batch, r.Created = batch, len(fresh)
			if err := b.event(tx, Event{At: now, Actor: string(req.Actor), Kind: EventBatchImported, Drop: drop.ID,
				Quantity: len(fresh), Batch: batch}); err != nil {
				return r, err
			}
			requeued, err := b.unqueueAtDownCells(tx, byCell, now)
			if err != nil {
				return r, err
			}
			n, err := b.dispatch(tx, now)
			r.Queued = assigned - requeued + n
			return r, err
		})
		if replayed {
			return errReplayedMeanwhile
		}
		return err
	}

	err = b.notify.WriteBatch(ctx, len(fresh)+assigned, fill, finish)
	switch {
	case errors.Is(err, errReplayedMeanwhile):
		result.Replayed = true
		return result, nil
	case err != nil:
		return ImportResult{}, err
	}
	return result, nil
}

// rememberedImport returns the result of the import stored before under the idempotency key
// idem, with Replayed set, and whether there is one.
func (b *Book) rememberedImport(ctx context.Context, idem *Idempotency) (ImportResult, bool, error) {
	if idem == nil || idem.Key == "" {
		return ImportResult{}, false, nil
	}
	var r ImportResult
	var found bool
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		r, found, err = remembered[ImportResult](tx, idem, b.clock())
		return err
	})
	if err != nil {
		return ImportResult{}, false, err
	}
	if found {
		r.Replayed = true
		return r, true, nil
	}
	return ImportResult{}, false, nil
}

// fillBatch stores the orders fresh of drop, imported by actor as batch, with their work
// orders, the first operations queued at cells (by index of fresh, "" for none), and their
// events; it notes the ids the store gave the work orders and first operations in workOrders
// and firsts.
func (b *Book) fillBatch(tx BatchTx, drop configs.Drop, fresh []intake.Row, cells []string, batch string, actor Actor, now time.Time, workOrders, firsts []int64) error {
	for i, r := range fresh {
		o := newOrder(drop, r, batch, now)
		if err := tx.InsertOrder(o); err != nil {
			return fmt.Errorf("storing order %q (line %d): %w", r.OrderID, r.Line, err)
		}
		wo := newWorkOrder(o)
		ops := b.routing(o)
		if cells[i] != "" {
			queue(&ops[0], cells[i], now)
		}
		if err := tx.InsertWorkOrder(&wo, ops); err != nil {
			return fmt.Errorf("storing work order of order %q (line %d): %w", r.OrderID, r.Line, err)
		}
		workOrders[i] = wo.ID
		if len(ops) > 0 {
			firsts[i] = ops[0].ID
		}
	}
	// the events as a Write would append them: every order received, then every queueing
	for i, r := range fresh {
		e := Event{At: now, Actor: string(actor), Kind: EventOrderReceived, Drop: drop.ID,
			OrderID: r.OrderID, WorkOrder: workOrders[i], Quantity: r.Quantity, Batch: batch}
		if err := tx.AppendEvent(&e); err != nil {
			return fmt.Errorf("appending %s event: %w", e.Kind, err)
		}
	}
	for _, i := range dispatchOrder(drop, fresh, cells) {
		e := Event{At: now, Actor: string(ActorDispatcher), Kind: EventOperation, Cell: cells[i], Drop: drop.ID,
			OrderID: fresh[i].OrderID, WorkOrder: workOrders[i], Operation: firsts[i], From: Ready, To: Queued}
		if err := tx.AppendEvent(&e); err != nil {
			return fmt.Errorf("appending %s event: %w", e.Kind, err)
		}
	}
	return nil
}

// assignFirst decides the cell of the first operation of each new work order, "" for those
// that no cell in service can take: earliest due first (then higher priority, then row order,
// which is work order order), each to the least-loaded capable cell, after the load queued at
// each cell now. The plan has none of them yet, so the baseline dispatcher decides them all.
func (b *Book) assignFirst(ctx context.Context, drop configs.Drop, fresh []intake.Row) ([]string, error) {
	var current []CellLoad
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		current, err = tx.CellLoads()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading cell loads: %w", err)
	}
	loads := make(map[string]time.Duration, len(current))
	for _, l := range current {
		loads[l.Cell] = l.Load
	}
	ready := make([]QueueEntry, 0, len(fresh))
	for _, i := range dispatchOrder(drop, fresh, nil) {
		steps := b.cfg().products[fresh[i].SKU].Routing
		if len(steps) == 0 {
			continue
		}
		ready = append(ready, QueueEntry{Operation: Operation{ID: int64(i), Capability: steps[0].Capability,
			Quantity: fresh[i].Quantity, UnitTime: steps[0].UnitTime, Setup: steps[0].Setup}})
	}
	cells := make([]string, len(fresh))
	for _, a := range AssignEDD(ready, loads, b.available()) {
		cells[a.Operation] = a.Cell
	}
	return cells, nil
}

// dispatchOrder returns the indexes of the rows in the order the dispatcher takes their first
// operations: earliest due first, then higher priority first, then row order. With cells, only
// the rows whose first operation has a cell.
func dispatchOrder(drop configs.Drop, fresh []intake.Row, cells []string) []int {
	order := make([]int, 0, len(fresh))
	for i := range fresh {
		if cells == nil || cells[i] != "" {
			order = append(order, i)
		}
	}
	due := func(i int) time.Time {
		if d := fresh[i].Due; !d.IsZero() {
			return d
		}
		return drop.Date
	}
	slices.SortStableFunc(order, func(i, j int) int {
		if c := due(i).Compare(due(j)); c != 0 {
			return c
		}
		return cmp.Compare(fresh[j].Priority, fresh[i].Priority)
	})
	return order
}

// queue makes op queued at cell, as the dispatcher leaves it: the transition from ready counts
// in its version, as when a ready operation is updated.
func queue(op *Operation, cell string, now time.Time) {
	op.State, op.Cell, op.QueuedAt = Queued, cell, &now
	op.Version++
}

// unqueueAtDownCells sends back to ready the operations queued at the cells of byCell that
// are now out of service: a large batch decided its cells when its write began, and a cell
// may have gone down since. It returns how many it sent back, for the dispatcher to queue
// elsewhere. Only the batch's operations can be queued there: taking a cell down unqueued the
// others, and the dispatcher sends nothing to a cell that is down.
func (b *Book) unqueueAtDownCells(tx Tx, byCell map[string]int, now time.Time) (int, error) {
	n := 0
	for cell, reason := range b.DownCells() {
		if byCell[cell] == 0 {
			continue
		}
		entries, err := tx.Queue(cell, 0)
		if err != nil {
			return n, fmt.Errorf("reading queue of cell %s: %w", cell, err)
		}
		for _, e := range entries {
			if e.State != Queued {
				continue
			}
			op := e.Operation
			op.State, op.Cell, op.QueuedAt = Ready, "", nil
			if err := tx.UpdateOperation(&op); err != nil {
				return n, fmt.Errorf("updating operation %d: %w", op.ID, err)
			}
			if err := b.event(tx, Event{At: now, Actor: string(ActorDispatcher), Kind: EventOperation, Cell: cell,
				Drop: e.Drop, OrderID: e.OrderID, WorkOrder: op.WorkOrder, Operation: op.ID, From: Queued, To: Ready,
				Reason: reason}); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
