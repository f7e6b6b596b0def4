package book

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Slot is where and when the plan puts an operation.
type Slot struct {
	Cell  string    `json:"cell"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Plan is what the book asks of the scheduler's current plan: the slot of an operation. The
// book does not know how plans are made; the daemon hands it one with UsePlan.
type Plan interface {
	// Slot returns where and when the plan puts an operation, ok false if it does not plan it.
	Slot(operation int64) (slot Slot, ok bool)
}

type planHolder struct{ Plan }

// UsePlan makes the book follow a plan: the dispatcher queues a ready operation at the cell the
// plan gives it (when that cell is up and offers the operation's capability; otherwise the
// earliest-due-date baseline decides), queues are read in the plan's order, and operations are
// returned with their planned slot. It may be called once, before the book is used
// concurrently, or again at any time to replace the plan.
func (b *Book) UsePlan(p Plan) { b.plan.Store(&planHolder{p}) }

// slot returns the plan's slot of an operation, if a plan is in use and has one.
func (b *Book) slot(op int64) (Slot, bool) {
	h := b.plan.Load()
	if h == nil {
		return Slot{}, false
	}
	return h.Slot(op)
}

// withSlot returns op with its planned slot, if any.
func (b *Book) withSlot(op Operation) Operation {
	if s, ok := b.slot(op.ID); ok {
		op.Plan = &s
	}
	return op
}

// planOrder puts a cell's queue, in the store's order, in the plan's: what runs, then what is
// paused (as the store orders them), then the queued operations by planned start; queued
// operations the plan does not hold yet keep the store's order after the planned ones.
func (b *Book) planOrder(refs []QueueRef) []QueueRef {
	type planned struct {
		QueueRef
		rank  int
		start time.Time
		ok    bool
	}
	ps := make([]planned, len(refs))
	for i, r := range refs {
		ps[i] = planned{QueueRef: r, rank: 2}
		switch r.State {
		case Running:
			ps[i].rank = 0
		case Paused:
			ps[i].rank = 1
		default:
			if s, ok := b.slot(r.ID); ok {
				ps[i].start, ps[i].ok = s.Start, true
			}
		}
	}
	slices.SortStableFunc(ps, func(x, y planned) int {
		if c := cmp.Compare(x.rank, y.rank); c != 0 || x.rank < 2 {
			return c
		}
		switch {
		case x.ok && y.ok:
			return x.start.Compare(y.start)
		case x.ok:
			return -1
		case y.ok:
			return 1
		}
		return 0
	})
	out := make([]QueueRef, len(ps))
	for i, p := range ps {
		out[i] = p.QueueRef
	}
	return out
}

// assignPlanned queues at their planned cells the ready operations the plan places at a cell
// that is up and offers their capability, and returns the others for the baseline dispatcher.
func (b *Book) assignPlanned(ready []QueueEntry, loads map[string]time.Duration, available map[string][]string) (assigned []Assignment, rest []QueueEntry) {
	if b.plan.Load() == nil {
		return nil, ready
	}
	for _, e := range ready {
		s, ok := b.slot(e.ID)
		if ok && slices.Contains(available[e.Capability], s.Cell) {
			assigned = append(assigned, Assignment{Operation: e.ID, Cell: s.Cell})
			loads[s.Cell] += e.StandardTime()
			continue
		}
		rest = append(rest, e)
	}
	return assigned, rest
}

// OpenWork is a work order that is not finished, with its operations in routing order.
type OpenWork struct {
	WorkOrder
	Operations []Operation
}

// OpenWork returns every open work order with its operations: what a scheduler plans. It also
// returns the id of the latest event the snapshot includes.
func (b *Book) OpenWork(ctx context.Context) ([]OpenWork, int64, error) {
	var out []OpenWork
	var last int64
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if last, err = tx.LastEventID(); err != nil {
			return err
		}
		// A page of work orders, then their operations in one read.
		const page = 1000
		var after int64
		for {
			wos, err := tx.WorkOrders(WorkOrderFilter{State: WorkOpen, AfterID: after, Limit: page})
			if err != nil {
				return fmt.Errorf("reading open work orders: %w", err)
			}
			if len(wos) == 0 {
				return nil
			}
			ops, err := tx.OpenOperations(after, wos[len(wos)-1].ID)
			if err != nil {
				return err
			}
			for _, wo := range wos {
				w := OpenWork{WorkOrder: wo}
				for len(ops) > 0 && ops[0].WorkOrder == wo.ID {
					w.Operations = append(w.Operations, ops[0])
					ops = ops[1:]
				}
				out = append(out, w)
			}
			after = wos[len(wos)-1].ID
			if len(wos) < page {
				return nil
			}
		}
	})
	return out, last, err
}

// Candidate is a work order a batch would create, not stored: its order and its operations.
type Candidate struct {
	Order      Order
	Operations []Operation
}

// MaxPreviewOrders is the most new orders PreviewImport returns. A promise check plans each of
// them, with its operations, beside the open work: a hundred thousand, a studio's biggest
// batch, take the daemon to about 200 MB; millions of the shortest rows would take gigabytes
// and hours to plan.
const MaxPreviewOrders = 100_000

// PreviewTooLargeError says that a good batch would create more orders than PreviewImport
// returns: Orders new orders of Units units in all.
type PreviewTooLargeError struct {
	Orders, Units int
}

func (e *PreviewTooLargeError) Error() string {
	return fmt.Sprintf("the batch is good: %d new orders, %d units; a promise check plans at most %d new orders at once: check a part of it",
		e.Orders, e.Units, MaxPreviewOrders)
}

// PreviewImport checks a batch as Import does and returns the work orders it would create,
// without storing anything: for a promise check before the batch is committed. Rows the book
// already holds as they are create nothing and are left out. A bad batch is refused with a
// *BatchError, as Import refuses it; a good one of more than MaxPreviewOrders new orders with a
// *PreviewTooLargeError.
func (b *Book) PreviewImport(ctx context.Context, req ImportRequest) ([]Candidate, error) {
	p, err := b.PreviewBatch(ctx, req)
	return p.Candidates, err
}

// BatchPreview is what storing a good batch would do: the work orders it would create, and how
// many of its orders the book already holds as they are, which storing leaves unchanged.
type BatchPreview struct {
	Candidates []Candidate
	Unchanged  int
}

// PreviewBatch is PreviewImport with the count of the batch's orders already in the book as they
// are: a batch stored before previews no candidate and all its orders unchanged.
func (b *Book) PreviewBatch(ctx context.Context, req ImportRequest) (BatchPreview, error) {
	drop, ok := b.cfg().drops[req.Drop]
	if !ok {
		return BatchPreview{}, fmt.Errorf("%w: %q", ErrUnknownDrop, req.Drop)
	}
	held, bad, _, err := b.readBatch(drop, req, false)
	if err != nil {
		return BatchPreview{}, err
	}
	unchanged, err := b.checkHeld(ctx, drop, held, bad)
	if err != nil {
		return BatchPreview{}, err
	}
	if n, units := held.count(); n > MaxPreviewOrders {
		return BatchPreview{Unchanged: unchanged}, &PreviewTooLargeError{Orders: n, Units: units}
	}
	fresh := held.fresh()
	now := b.clock()
	out := BatchPreview{Candidates: make([]Candidate, len(fresh)), Unchanged: unchanged}
	for i, r := range fresh {
		o := newOrder(drop, r, "", now)
		out.Candidates[i] = Candidate{Order: o, Operations: b.routing(o)}
	}
	return out, nil
}
