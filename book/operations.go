package book

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// TransitionRequest asks for an action on an operation.
type TransitionRequest struct {
	Operation int64
	Action    Action
	Actor     Actor
	// Reason is required to pause and to scrap, and to complete with fewer good units than
	// the operation has left. It goes into the event of this transition only.
	Reason string
	// Quantity is the number of units to scrap; zero scraps every unit left.
	Quantity int
	// Good, to complete, is the number of good units the operation made in all, counted or
	// not: 1 to the units it has left (its quantity less what was scrapped). The units left
	// beyond it are short: they are scrapped with Reason in the same transaction, with an
	// event of their own. Nil completes every unit left as good.
	Good *int
	// Version, when not zero, must be the operation's current version: a client acting on what
	// it last saw is refused once the operation has changed under it.
	Version int64
	// Idempotency, when set, makes a retry of the request change nothing.
	Idempotency *Idempotency
	// Lots, to start, are the lots the operation consumes, by material (each one its step
	// names); a material left out is missing until RecordLots records it.
	Lots map[string]string
	// Checks, to complete, are the answers to the step's quality checklist, one per item; nil
	// for a step without one. A failed item keeps the operation from completing: it is paused
	// for the check and a non-conformance opens, for a person to decide (DecideNonConformance).
	Checks []CheckResult
}

// TransitionResult is the outcome of a transition.
type TransitionResult struct {
	Operation Operation `json:"operation"`
	WorkOrder WorkOrder `json:"work_order"`
	// Replayed is true when the result is the remembered answer to an earlier request with the
	// same idempotency key.
	Replayed bool `json:"-"`
	// NonConformance is the one a failed check opened, nil otherwise.
	NonConformance *NonConformance `json:"nonconformance,omitempty"`
}

// maxReason is the longest reason accepted, in characters.
const maxReason = 500

// Transition applies an action to an operation in one transaction, with everything it causes:
// completing an operation makes the units it finished that its work order lacks (see Unit),
// owes the labels of its units not counted yet (at a cell holding a label printer) and readies
// the next one in the routing and queues it at a cell, or completes the work order;
// completing with fewer good units than are left scraps the rest first; scrapping every unit
// left scraps the work order. Scrapped units are marked so (see Unit). Any action on an
// operation a cell fault paused takes it over from the fault: CellUp does not resume it. An
// illegal action is refused with a *TransitionError and changes nothing.
func (b *Book) Transition(ctx context.Context, req TransitionRequest) (TransitionResult, error) {
	reason := strings.TrimSpace(req.Reason)
	switch {
	case (req.Action == ActionPause || req.Action == ActionScrap) && reason == "":
		return TransitionResult{}, fmt.Errorf("%w: a reason is required to %s", ErrInvalid, req.Action)
	case utf8.RuneCountInString(reason) > maxReason:
		return TransitionResult{}, fmt.Errorf("%w: reason is longer than %d characters", ErrInvalid, maxReason)
	case req.Quantity < 0:
		return TransitionResult{}, fmt.Errorf("%w: quantity %d is negative", ErrInvalid, req.Quantity)
	case req.Quantity > 0 && req.Action != ActionScrap:
		return TransitionResult{}, fmt.Errorf("%w: quantity is only taken when scrapping or completing", ErrInvalid)
	case req.Good != nil && req.Action != ActionComplete:
		return TransitionResult{}, fmt.Errorf("%w: a good quantity is only taken when completing", ErrInvalid)
	case req.Good != nil && *req.Good < 1:
		return TransitionResult{}, fmt.Errorf("%w: quantity %d: a complete needs 1 good unit or more (scrap the job to throw away every unit left)", ErrInvalid, *req.Good)
	case len(req.Lots) > 0 && req.Action != ActionStart:
		return TransitionResult{}, fmt.Errorf("%w: lots are given to start (record them on a started operation with its lots)", ErrInvalid)
	case req.Checks != nil && req.Action != ActionComplete:
		return TransitionResult{}, fieldErr("checks", "checks are answered to complete")
	}
	if err := checkLots(req.Lots); err != nil {
		return TransitionResult{}, err
	}
	var res TransitionResult
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var replayed bool
		var err error
		res, replayed, err = idempotent(tx, req.Idempotency, now, func() (TransitionResult, error) {
			return b.transition(tx, req, reason, now)
		})
		res.Replayed = replayed
		return err
	})
	if err != nil {
		return TransitionResult{}, err
	}
	return res, nil
}

func (b *Book) transition(tx Tx, req TransitionRequest, reason string, now time.Time) (TransitionResult, error) {
	op, to, err := b.transitioning(tx, req)
	if err != nil {
		return TransitionResult{}, err
	}
	if err := b.awaitsDecision(tx, op); err != nil {
		return TransitionResult{}, err
	}
	wo, err := tx.WorkOrder(op.WorkOrder)
	if err != nil {
		return TransitionResult{}, fmt.Errorf("reading work order %d: %w", op.WorkOrder, err)
	}
	ops, err := tx.Operations(wo.ID)
	if err != nil {
		return TransitionResult{}, fmt.Errorf("reading operations of work order %d: %w", wo.ID, err)
	}
	var outcomes []CheckOutcome
	passed := true
	if req.Action == ActionComplete {
		// judged before anything changes: bad answers leave the book as it was
		if outcomes, passed, err = b.checkCompletion(req, op, wo); err != nil {
			return TransitionResult{}, err
		}
	}
	left := op.Quantity - op.Scrapped
	partial, err := b.scrapPart(tx, req, &op, wo, ops, left, reason, now)
	if err != nil {
		return TransitionResult{}, err
	}
	if partial {
		return TransitionResult{Operation: op, WorkOrder: wo}, nil
	}
	if !passed {
		// not completed: the operation waits, paused, for a person's decision
		if err := b.failCheck(tx, req.Actor, &op, wo, now); err != nil {
			return TransitionResult{}, err
		}
		nc, err := b.recordCheck(tx, req.Actor, op, wo, outcomes, false, now)
		if err != nil {
			return TransitionResult{}, err
		}
		return TransitionResult{Operation: op, WorkOrder: wo, NonConformance: nc}, nil
	}
	if err := b.changeState(tx, req, &op, wo, to, left, reason, now); err != nil {
		return TransitionResult{}, err
	}
	if req.Action == ActionStart {
		if err := b.startLots(tx, req, op, wo, now); err != nil {
			return TransitionResult{}, err
		}
	}
	if outcomes != nil {
		if _, err := b.recordCheck(tx, req.Actor, op, wo, outcomes, true, now); err != nil {
			return TransitionResult{}, err
		}
	}
	switch to {
	case Done:
		err = b.completed(tx, req.Actor, op, &wo, ops, now)
	case Scrapped:
		err = b.scrapped(tx, req.Actor, op, &wo, ops, reason, now)
	}
	if err != nil {
		return TransitionResult{}, err
	}
	return TransitionResult{Operation: op, WorkOrder: wo}, nil
}

// transitioning reads the operation req moves and the state it moves to, checking the
// version req expects and, for a start, that the operation's cell is free.
func (b *Book) transitioning(tx Tx, req TransitionRequest) (Operation, State, error) {
	op, err := tx.Operation(req.Operation)
	if errors.Is(err, ErrNotFound) {
		return Operation{}, "", fmt.Errorf("%w: %d", ErrUnknownOperation, req.Operation)
	}
	if err != nil {
		return Operation{}, "", fmt.Errorf("reading operation %d: %w", req.Operation, err)
	}
	if req.Version != 0 && req.Version != op.Version {
		return Operation{}, "", &StaleError{Operation: op.ID, Have: req.Version, Current: op.Version}
	}
	to, err := next(op, req.Action)
	if err != nil {
		return Operation{}, "", err
	}
	if to == Running {
		if err := b.checkCellFree(tx, op); err != nil {
			return Operation{}, "", err
		}
	}
	return op, to, nil
}

// scrapPart scraps the units req gives up of op's left ones: those a partial scrap names, in
// which case the transition ends there (it reports true), or those a complete is short of its
// good quantity, before the operation completes with the good ones. op and ops are updated in
// place.
func (b *Book) scrapPart(tx Tx, req TransitionRequest, op *Operation, wo WorkOrder, ops []Operation, left int, reason string, now time.Time) (bool, error) {
	if req.Action == ActionScrap && req.Quantity > left {
		return false, fmt.Errorf("%w: cannot scrap %d units, operation %d has %d left", ErrInvalid, req.Quantity, op.ID, left)
	}
	if req.Action == ActionScrap && req.Quantity > 0 && req.Quantity < left {
		// Some units are lost; the operation goes on with the rest, and so do the ones after it.
		if err := b.scrapSome(tx, op, wo, ops, req.Quantity, reason, req.Actor, now); err != nil {
			return false, err
		}
		return true, nil
	}
	if req.Action == ActionComplete && req.Good != nil {
		good := *req.Good
		if good > left {
			return false, fmt.Errorf("%w: quantity %d is more than the %d units operation %d has left", ErrInvalid, good, left, op.ID)
		}
		if short := left - good; short > 0 {
			if reason == "" {
				return false, fmt.Errorf("%w: a reason is required for the %d units short of the %d left (quantity %d)", ErrInvalid, short, left, good)
			}
			// The units short are scrapped before the operation completes with the good ones.
			if err := b.scrapSome(tx, op, wo, ops, short, reason, req.Actor, now); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// changeState moves op to the state to, as req's action does, stores it and records the event;
// left is the units op had left before the transition. op is updated in place.
func (b *Book) changeState(tx Tx, req TransitionRequest, op *Operation, wo WorkOrder, to State, left int, reason string, now time.Time) error {
	prev := op.State
	op.State = to
	switch req.Action {
	case ActionStart:
		if op.StartedAt == nil {
			op.StartedAt = &now
		}
		op.Reason = ""
	case ActionResume:
		op.Reason = ""
	case ActionPause:
		op.Reason = reason
	case ActionComplete:
		op.EndedAt = &now
	case ActionScrap:
		op.Reason = reason
		op.Scrapped = op.Quantity
		op.EndedAt = &now
	}
	if err := tx.UpdateOperation(op); err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	if req.Action == ActionScrap {
		if err := scrapUnits(tx, *op, reason, now); err != nil {
			return err
		}
	}
	if err := takeOver(tx, op.ID, prev); err != nil {
		return err
	}
	e := operationEvent(now, req.Actor, wo, op.ID, op.Cell, prev, to)
	// The event carries the reason given for this transition, never one an earlier pause or
	// scrap left on the operation.
	if req.Action == ActionPause || req.Action == ActionScrap {
		e.Reason = reason
	}
	if req.Action == ActionScrap {
		e.Quantity = left
	}
	return b.event(tx, e)
}

// completed does what op's completion causes: its units owe their labels, and the next
// operation of its work order is readied and dispatched, or, after the last, the work order
// wo is done. wo is updated in place.
func (b *Book) completed(tx Tx, actor Actor, op Operation, wo *WorkOrder, ops []Operation, now time.Time) error {
	// The good units not counted yet are made (if no step counted them before) and owe
	// their labels now.
	if err := b.makeUnits(tx, *wo, op.Quantity-op.Scrapped, now); err != nil {
		return err
	}
	if err := b.oweLabels(tx, *wo, op, op.UnitsDone, op.Quantity-op.Scrapped, now); err != nil {
		return err
	}
	if op.Seq+1 < len(ops) {
		nextOp := ops[op.Seq+1]
		prevState := nextOp.State
		nextOp.State = Ready
		if err := tx.UpdateOperation(&nextOp); err != nil {
			return fmt.Errorf("readying operation %d: %w", nextOp.ID, err)
		}
		if err := b.event(tx, operationEvent(now, actor, *wo, nextOp.ID, "", prevState, Ready)); err != nil {
			return err
		}
		if nextOp.ReworkOf == op.ID {
			if err := b.queueRework(tx, nextOp, *wo, op.Cell, now); err != nil {
				return err
			}
		}
		if _, err := b.dispatch(tx, now); err != nil {
			return err
		}
		return nil
	}
	wo.State = WorkDone
	wo.CompletedAt = &now
	if err := tx.UpdateWorkOrder(*wo); err != nil {
		return fmt.Errorf("completing work order %d: %w", wo.ID, err)
	}
	return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventWorkOrderCompleted,
		Cell: op.Cell, Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Quantity: op.Quantity - op.Scrapped})
}

// scrapped does what scrapping op causes: the operations after it in ops are scrapped too, and
// so is its work order wo, with reason. wo is updated in place.
func (b *Book) scrapped(tx Tx, actor Actor, op Operation, wo *WorkOrder, ops []Operation, reason string, now time.Time) error {
	for _, later := range ops[op.Seq+1:] {
		prevState := later.State
		later.State = Scrapped
		later.Reason = "work order scrapped at operation " + fmt.Sprint(op.ID)
		later.EndedAt = &now
		if err := tx.UpdateOperation(&later); err != nil {
			return fmt.Errorf("scrapping operation %d: %w", later.ID, err)
		}
		e := operationEvent(now, actor, *wo, later.ID, later.Cell, prevState, Scrapped)
		e.Reason = later.Reason
		if err := b.event(tx, e); err != nil {
			return err
		}
	}
	wo.State = WorkScrapped
	if err := tx.UpdateWorkOrder(*wo); err != nil {
		return fmt.Errorf("scrapping work order %d: %w", wo.ID, err)
	}
	return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventWorkOrderScrapped, Cell: op.Cell,
		Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Reason: reason})
}

// operationEvent is the event of operation op of work order wo, at cell, going from one state
// to another.
func operationEvent(now time.Time, actor Actor, wo WorkOrder, op int64, cell string, from, to State) Event {
	return Event{At: now, Actor: string(actor), Kind: EventOperation, Cell: cell, Drop: wo.Drop,
		OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op, From: from, To: to}
}

// scrapSome scraps n units of op, fewer than it has left, with reason: op goes on with the
// rest, and so do the operations after it in ops (its work order's, in routing order). op and
// ops are updated in place.
func (b *Book) scrapSome(tx Tx, op *Operation, wo WorkOrder, ops []Operation, n int, reason string, actor Actor, now time.Time) error {
	op.Scrapped += n
	op.Reason = reason
	if err := tx.UpdateOperation(op); err != nil {
		return fmt.Errorf("updating operation %d: %w", op.ID, err)
	}
	if err := scrapUnits(tx, *op, reason, now); err != nil {
		return err
	}
	if err := takeOver(tx, op.ID, op.State); err != nil {
		return err
	}
	if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventOperationScrap, Cell: op.Cell,
		Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, From: op.State, To: op.State,
		Reason: reason, Quantity: n}); err != nil {
		return err
	}
	// In place: a completion goes on to ready the next one, at its new version.
	for i := op.Seq + 1; i < len(ops); i++ {
		ops[i].Quantity -= n
		if err := tx.UpdateOperation(&ops[i]); err != nil {
			return fmt.Errorf("updating operation %d: %w", ops[i].ID, err)
		}
	}
	return nil
}

// takeOver forgets an operation as paused by a fault when a person acts on it while it is
// paused (prev is its state before the action), whatever the action: CellUp resumes it no more.
func takeOver(tx Tx, id int64, prev State) error {
	if prev != Paused {
		return nil
	}
	if err := tx.DeleteFaultPaused(id); err != nil {
		return fmt.Errorf("updating operation %d: %w", id, err)
	}
	return nil
}

// checkCellFree refuses to run a second operation at a cell: a cell works one job at a time.
func (b *Book) checkCellFree(tx Tx, op Operation) error {
	// A queue lists what runs first, so its head tells.
	q, err := tx.Queue(op.Cell, 1)
	if err != nil {
		return fmt.Errorf("reading queue of cell %s: %w", op.Cell, err)
	}
	if len(q) > 0 && q[0].State == Running && q[0].ID != op.ID {
		return &CellBusyError{Cell: op.Cell, Operation: q[0].ID}
	}
	return nil
}

func (b *Book) event(tx Tx, e Event) error {
	if err := tx.AppendEvent(&e); err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	return nil
}

// Operation returns an operation.
func (b *Book) Operation(ctx context.Context, id int64) (Operation, error) {
	var op Operation
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		op, err = tx.Operation(id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return op, fmt.Errorf("%w: %d", ErrUnknownOperation, id)
	}
	return b.withSlot(op), err
}

// WorkOrderDetail is a work order with its operations and its history.
type WorkOrderDetail struct {
	WorkOrder
	Operations []Operation `json:"operations"`
	History    []Event     `json:"history"`
}

// WorkOrder returns a work order with its operations and its event history.
func (b *Book) WorkOrder(ctx context.Context, id int64) (WorkOrderDetail, error) {
	var d WorkOrderDetail
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if d.WorkOrder, err = tx.WorkOrder(id); err != nil {
			return err
		}
		if d.Operations, err = tx.Operations(id); err != nil {
			return err
		}
		d.History, err = tx.Events(EventFilter{WorkOrder: id})
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return d, fmt.Errorf("%w: %d", ErrUnknownWorkOrder, id)
	}
	for i := range d.Operations {
		d.Operations[i] = b.withSlot(d.Operations[i])
	}
	return d, err
}

// WorkOrders lists work orders.
func (b *Book) WorkOrders(ctx context.Context, f WorkOrderFilter) ([]WorkOrder, error) {
	if f.Drop != "" {
		if _, ok := b.cfg().drops[f.Drop]; !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownDrop, f.Drop)
		}
	}
	var out []WorkOrder
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.WorkOrders(f)
		return err
	})
	return out, err
}

// Queue returns a cell's queue: what runs there now, then what is queued, in order.
func (b *Book) Queue(ctx context.Context, cell string, limit int) ([]QueueEntry, error) {
	q, _, err := b.queuePage(ctx, cell, limit, false)
	return q, err
}

// QueuePage returns the first limit entries of a cell's queue (all when limit <= 0), in
// Queue's order, and the size of the whole queue.
//
// With a plan the order is the plan's, not the store's: the whole queue is read by id from an
// index and ordered, and only the entries of the page are read whole, so that a tablet's page
// of a queue of thousands reads 50 rows, not thousands.
func (b *Book) QueuePage(ctx context.Context, cell string, limit int) ([]QueueEntry, QueueSize, error) {
	return b.queuePage(ctx, cell, limit, true)
}

// Active returns what runs or is paused at a cell, in the queue's order, and the size of its
// whole queue: what a board of the cells shows, without ordering the queued work.
func (b *Book) Active(ctx context.Context, cell string) ([]QueueEntry, QueueSize, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return nil, QueueSize{}, fmt.Errorf("%w: %q", ErrUnknownCell, cell)
	}
	var out []QueueEntry
	var size QueueSize
	err := b.store.Read(ctx, func(tx ReadTx) error {
		refs, err := tx.QueueOrder(cell)
		if err != nil {
			return err
		}
		size.Total = len(refs)
		var ids []int64
		for _, r := range refs {
			if r.State == Queued {
				size.Queued++
			} else {
				ids = append(ids, r.ID)
			}
		}
		if out, err = tx.QueueEntries(ids); err != nil {
			return err
		}
		// Running first, then paused, as the queue has them.
		slices.SortStableFunc(out, func(x, y QueueEntry) int {
			return slices.Index(ids, x.ID) - slices.Index(ids, y.ID)
		})
		for i := range out {
			out[i].Operation = b.withSlot(out[i].Operation)
		}
		return nil
	})
	return out, size, err
}

// queuePage is QueuePage; without a plan it reads the queue's order (to size it) only when
// sized is set.
func (b *Book) queuePage(ctx context.Context, cell string, limit int, sized bool) ([]QueueEntry, QueueSize, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return nil, QueueSize{}, fmt.Errorf("%w: %q", ErrUnknownCell, cell)
	}
	planned := b.plan.Load() != nil
	var out []QueueEntry
	var size QueueSize
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var refs []QueueRef
		if planned || sized {
			var err error
			if refs, err = tx.QueueOrder(cell); err != nil {
				return err
			}
		}
		size.Total = len(refs)
		for _, r := range refs {
			if r.State == Queued {
				size.Queued++
			}
		}
		if !planned {
			var err error
			out, err = tx.Queue(cell, limit)
			return err
		}
		refs = b.planOrder(refs)
		if limit > 0 && len(refs) > limit {
			refs = refs[:limit]
		}
		ids := make([]int64, len(refs))
		for i, r := range refs {
			ids[i] = r.ID
		}
		entries, err := tx.QueueEntries(ids)
		if err != nil {
			return err
		}
		byID := make(map[int64]QueueEntry, len(entries))
		for _, e := range entries {
			byID[e.ID] = e
		}
		out = make([]QueueEntry, 0, len(ids))
		for _, id := range ids {
			if e, ok := byID[id]; ok {
				e.Operation = b.withSlot(e.Operation)
				out = append(out, e)
			}
		}
		return nil
	})
	return out, size, err
}

// FinishedOperations returns up to limit (all when limit <= 0) operations done or scrapped that
// ended at or after since, by end time and then operation id, each with its work order's order
// id, drop, SKU, priority and due: what the floor produced in a window, for throughput per
// cell, units finished and the changeovers between consecutive operations at a cell. The zero
// since sets no bound. Operations scrapped with their work order before they reached a cell
// have no Cell.
func (b *Book) FinishedOperations(ctx context.Context, since time.Time, limit int) ([]QueueEntry, error) {
	var out []QueueEntry
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.FinishedOperations(since, limit)
		return err
	})
	return out, err
}

// Events lists the event log.
func (b *Book) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	var out []Event
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Events(f)
		return err
	})
	return out, err
}

// LastEventID returns the id of the latest event, 0 when there is none: where a reader of the
// events from now on starts.
func (b *Book) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		id, err = tx.LastEventID()
		return err
	})
	return id, err
}

// Counts returns the number of work orders per state and operations per state.
func (b *Book) Counts(ctx context.Context) (map[WorkOrderState]int, map[State]int, error) {
	var wos map[WorkOrderState]int
	var ops map[State]int
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		wos, ops, err = tx.Counts()
		return err
	})
	return wos, ops, err
}

// DropUnits returns the units ordered so far per SKU in a drop.
func (b *Book) DropUnits(ctx context.Context, drop string) (map[string]int, error) {
	if _, ok := b.cfg().drops[drop]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDrop, drop)
	}
	var units map[string]int
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		units, err = tx.DropUnits(drop)
		return err
	})
	return units, err
}

// ErrUnknownOrder is returned (wrapped) when an order id is not in the book.
var ErrUnknownOrder = errors.New("unknown order")

// Order returns an order and its latest work order: a remake, when it has one (OrderDetail
// returns them all).
func (b *Book) Order(ctx context.Context, orderID string) (Order, WorkOrder, error) {
	var (
		o  Order
		wo WorkOrder
	)
	err := b.store.Read(ctx, func(tx ReadTx) error {
		found, err := tx.Orders([]string{orderID})
		if err != nil {
			return err
		}
		var ok bool
		if o, ok = found[orderID]; !ok {
			return fmt.Errorf("%w: %q", ErrUnknownOrder, orderID)
		}
		wo, err = tx.WorkOrderByOrder(orderID)
		return err
	})
	return o, wo, err
}

// Orders returns the stored orders among ids, keyed by order id; ids the book does not hold are
// left out. It looks them up a thousand at a time, in one read.
func (b *Book) Orders(ctx context.Context, ids []string) (map[string]Order, error) {
	out := make(map[string]Order, len(ids))
	err := b.store.Read(ctx, func(tx ReadTx) error {
		for start := 0; start < len(ids); start += lookupChunk {
			found, err := tx.Orders(ids[start:min(start+lookupChunk, len(ids))])
			if err != nil {
				return fmt.Errorf("looking up order ids: %w", err)
			}
			maps.Copy(out, found)
		}
		return nil
	})
	return out, err
}

// Ping checks that the store answers.
func (b *Book) Ping(ctx context.Context) error {
	return b.store.Read(ctx, func(tx ReadTx) error {
		_, err := tx.Events(EventFilter{Limit: 1})
		return err
	})
}

// CellLoads returns the standard time queued, running or paused at each cell, with every cell
// of the factory present.
func (b *Book) CellLoads(ctx context.Context) (map[string]time.Duration, error) {
	cv := b.cfg()
	var loads []CellLoad
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		loads, err = tx.CellLoads()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Duration, len(cv.cells))
	for id := range cv.cells {
		out[id] = 0
	}
	for _, l := range loads {
		out[l.Cell] = l.Load
	}
	return out, nil
}
