package book

import (
	"context"
	"fmt"
	"time"
)

// The baseline dispatcher queues every ready operation at a cell: earliest due date first (then
// higher priority, then older work order), each to the least-loaded cell offering the
// capability it needs, load being the standard time already queued, running or paused there.
// It is what a studio does by hand, and the baseline the scheduler is measured against.

// Assignment is the dispatcher's decision for one operation.
type Assignment struct {
	Operation int64
	Cell      string
}

// AssignEDD decides where each ready operation goes. ready must be in dispatch order (earliest
// due first, as ReadyOperations returns them); loads is the current load per cell and is
// updated; capable maps a capability to the cells offering it, in preference order for ties.
// An operation whose capability no cell offers is left out.
func AssignEDD(ready []QueueEntry, loads map[string]time.Duration, capable map[string][]string) []Assignment {
	out := make([]Assignment, 0, len(ready))
	for _, op := range ready {
		best := ""
		for _, c := range capable[op.Capability] {
			if best == "" || loads[c] < loads[best] {
				best = c
			}
		}
		if best == "" {
			continue
		}
		loads[best] += op.StandardTime()
		out = append(out, Assignment{Operation: op.ID, Cell: best})
	}
	return out
}

// Dispatch queues every ready operation at a cell. The daemon calls it at start, so that work
// readied before a crash is queued; imports and transitions dispatch by themselves.
func (b *Book) Dispatch(ctx context.Context) (int, error) {
	var n int
	err := b.store.Write(ctx, func(tx Tx) error {
		var err error
		n, err = b.dispatch(tx, b.clock())
		return err
	})
	return n, err
}

// dispatch queues the ready operations inside tx and returns how many it queued.
func (b *Book) dispatch(tx Tx, now time.Time) (int, error) {
	ready, err := tx.ReadyOperations(0)
	if err != nil {
		return 0, fmt.Errorf("reading ready operations: %w", err)
	}
	if len(ready) == 0 {
		return 0, nil
	}
	current, err := tx.CellLoads()
	if err != nil {
		return 0, fmt.Errorf("reading cell loads: %w", err)
	}
	loads := make(map[string]time.Duration, len(current))
	for _, l := range current {
		loads[l.Cell] = l.Load
	}
	byID := make(map[int64]QueueEntry, len(ready))
	for _, e := range ready {
		byID[e.ID] = e
	}
	available := b.available()
	assigned, rest := b.assignPlanned(ready, loads, available)
	assigned = append(assigned, AssignEDD(rest, loads, available)...)
	for _, a := range assigned {
		e := byID[a.Operation]
		op := e.Operation
		op.State = Queued
		op.Cell = a.Cell
		op.QueuedAt = &now
		if err := tx.UpdateOperation(&op); err != nil {
			return 0, fmt.Errorf("queueing operation %d at %s: %w", op.ID, a.Cell, err)
		}
		if err := b.event(tx, Event{At: now, Actor: string(ActorDispatcher), Kind: EventOperation, Cell: a.Cell,
			Drop: e.Drop, OrderID: e.OrderID, WorkOrder: op.WorkOrder, Operation: op.ID, From: Ready, To: Queued}); err != nil {
			return 0, err
		}
	}
	return len(assigned), nil
}
