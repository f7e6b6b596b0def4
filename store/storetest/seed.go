package storetest

import (
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The floor's reports (OEE, margins, repairs, stops) read work orders whose operations are
// far along: done, scrapped, with counts and ends. The helpers below store such work orders
// and their events directly, through the book's own methods, rather than driving each one
// there step by step.

// monday is the time these fixtures start at: 08:00 UTC on a Monday, with microseconds.
var monday = time.Date(2026, 11, 2, 8, 0, 0, 123000, time.UTC)

// seedOp is an operation of a seeded work order.
type seedOp struct {
	capability, cell string
	state            book.State
	quantity         int
	unitTime         time.Duration
	scrapped, done   int
	endedAt          *time.Time
	reworkOf         int64
}

// seededWorkOrder is what seedWorkOrder stored.
type seededWorkOrder struct {
	ID  int64
	Ops []int64
}

// seedWorkOrder stores an order of one unit of sku in drop, its work order in state and its
// operations in seq order (each named after its capability, its step its seq), all due and
// taken in at monday.
func seedWorkOrder(t testing.TB, s Store, orderID, drop, sku string, state book.WorkOrderState, ops []seedOp) seededWorkOrder {
	t.Helper()
	o := book.Order{OrderID: orderID, Drop: drop, SKU: sku, Quantity: 1, Customer: "Ana", Due: monday, IntakeAt: monday}
	wo := book.WorkOrder{OrderID: orderID, Drop: drop, SKU: sku, Quantity: 1, Due: monday, State: state, IntakeAt: monday}
	stored := make([]book.Operation, len(ops))
	for seq, op := range ops {
		stored[seq] = book.Operation{Seq: seq, Step: seq, Name: op.capability, Capability: op.capability, Quantity: op.quantity,
			UnitTime: op.unitTime, State: op.state, Cell: op.cell, Scrapped: op.scrapped, UnitsDone: op.done,
			EndedAt: op.endedAt, ReworkOf: op.reworkOf}
	}
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return tx.InsertWorkOrder(&wo, stored)
	})
	w := seededWorkOrder{ID: wo.ID}
	for _, op := range stored {
		w.Ops = append(w.Ops, op.ID)
	}
	return w
}

// seedEvent appends e to the event log and returns its id.
func seedEvent(t testing.TB, s Store, e book.Event) int64 {
	t.Helper()
	MustWrite(t, s, func(tx book.Tx) error { return tx.AppendEvent(&e) })
	return e.ID
}
