package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// t0 is the test's "now"; microsecond precision, as the store keeps times.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func mustWrite(tb testing.TB, s Store, fn func(book.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

func mustRead(tb testing.TB, s Store, fn func(book.ReadTx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// routing is the four-step routing of the fixtures.
var routing = []struct {
	name, capability string
	unit, setup      time.Duration
}{
	{"cut", "laser", 30 * time.Second, 5 * time.Minute},
	{"sew", "sewing", 4 * time.Minute, 10 * time.Minute},
	{"dye", "dye", 2 * time.Minute, 20 * time.Minute},
	{"pack", "pack", 20 * time.Second, time.Minute},
}

// fixture is the order i of a drop as an import stores it: the order, its work order with
// four operations (the first ready, the others pending) and its order.received event.
func fixture(drop string, i int) (book.Order, book.WorkOrder, []book.Operation, book.Event) {
	o := book.Order{
		OrderID:  fmt.Sprintf("%s-%07d", drop, i),
		Drop:     drop,
		SKU:      fmt.Sprintf("sku-%02d", i%40),
		Quantity: 1 + i%5,
		Customer: fmt.Sprintf("customer-%d", i%997),
		Priority: i % 3,
		Due:      t0.Add(time.Duration(i%500) * time.Hour),
		Notes:    "gift wrap",
		Hash:     fmt.Sprintf("%064x", i),
		IntakeAt: t0,
		Batch:    "batch-1",
	}
	wo := book.WorkOrder{OrderID: o.OrderID, Drop: o.Drop, SKU: o.SKU, Quantity: o.Quantity,
		Priority: o.Priority, Due: o.Due, State: book.WorkOpen, IntakeAt: o.IntakeAt}
	ops := make([]book.Operation, len(routing))
	for seq, r := range routing {
		ops[seq] = book.Operation{Seq: seq, Step: seq, Name: r.name, Capability: r.capability, Quantity: o.Quantity,
			UnitTime: r.unit, Setup: r.setup, State: book.Pending}
	}
	ops[0].State = book.Ready
	ops[2].ChangeoverAttr, ops[2].ChangeoverValue = "colour", []string{"red", "blue", "black"}[i%3]
	ev := book.Event{At: t0, Actor: "planner", Kind: book.EventOrderReceived, Drop: drop, OrderID: o.OrderID,
		Quantity: o.Quantity, Batch: o.Batch}
	return o, wo, ops, ev
}

// importOrders stores orders from to to-1 of a drop as fixture makes them, in one Write, and
// returns the work orders with their operations.
func importOrders(tb testing.TB, s Store, drop string, from, to int) []woOps {
	tb.Helper()
	var out []woOps
	mustWrite(tb, s, func(tx book.Tx) error {
		for i := from; i < to; i++ {
			o, wo, ops, ev := fixture(drop, i)
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			if err := tx.InsertWorkOrder(&wo, ops); err != nil {
				return err
			}
			ev.WorkOrder = wo.ID
			if err := tx.AppendEvent(&ev); err != nil {
				return err
			}
			out = append(out, woOps{wo, ops})
		}
		return nil
	})
	return out
}

type woOps struct {
	wo  book.WorkOrder
	ops []book.Operation
}

// The comparisons below compare deeply: pointers by what they point to.

// sameTime compares optional times by the times they point to.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameOperation(a, b book.Operation) bool {
	if !sameTime(a.QueuedAt, b.QueuedAt) || !sameTime(a.StartedAt, b.StartedAt) || !sameTime(a.EndedAt, b.EndedAt) {
		return false
	}
	a.QueuedAt, a.StartedAt, a.EndedAt = nil, nil, nil
	b.QueuedAt, b.StartedAt, b.EndedAt = nil, nil, nil
	return a == b
}

func sameOperations(a, b []book.Operation) bool { return slices.EqualFunc(a, b, sameOperation) }

func sameWorkOrder(a, b book.WorkOrder) bool {
	if !sameTime(a.CompletedAt, b.CompletedAt) {
		return false
	}
	a.CompletedAt, b.CompletedAt = nil, nil
	return a == b
}

func sameQueueEntry(a, b book.QueueEntry) bool {
	if !sameOperation(a.Operation, b.Operation) {
		return false
	}
	a.Operation, b.Operation = book.Operation{}, book.Operation{}
	return a == b
}

// sameIdempotency compares records, telling a nil response from an empty one.
func sameIdempotency(a, b book.IdempotencyRecord) bool {
	return a.Principal == b.Principal && a.Key == b.Key && a.RequestHash == b.RequestHash &&
		a.Status == b.Status && a.CreatedAt == b.CreatedAt &&
		(a.Response == nil) == (b.Response == nil) && bytes.Equal(a.Response, b.Response)
}

// reopen closes s and opens the store at addr again, as a restarted daemon does; the new
// store is closed when t ends.
func reopen(tb testing.TB, opener Opener, s Store, addr string) Store {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("closing the store: %v", err)
	}
	s, err := opener.Reopen(tb, addr)
	if err != nil {
		tb.Fatalf("reopening the store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
