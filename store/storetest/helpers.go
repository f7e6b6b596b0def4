package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// T0 is the suite's "now"; microsecond precision, as the store keeps times.
var T0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// MustWrite runs fn in a Write of s, failing tb when it fails.
func MustWrite(tb testing.TB, s Store, fn func(book.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// MustRead runs fn in a Read of s, failing tb when it fails.
func MustRead(tb testing.TB, s Store, fn func(book.ReadTx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// Routing is the four-step routing of the fixtures: each step's name, capability, unit and setup
// times.
var Routing = []struct {
	name, capability string
	unit, setup      time.Duration
}{
	{"cut", "laser", 30 * time.Second, 5 * time.Minute},
	{"sew", "sewing", 4 * time.Minute, 10 * time.Minute},
	{"dye", "dye", 2 * time.Minute, 20 * time.Minute},
	{"pack", "pack", 20 * time.Second, time.Minute},
}

// Fixture is the order i of a drop as an import stores it: the order, its work order with
// four operations (the first ready, the others pending) and its order.received event.
func Fixture(drop string, i int) (book.Order, book.WorkOrder, []book.Operation, book.Event) {
	o := book.Order{
		OrderID:  fmt.Sprintf("%s-%07d", drop, i),
		Drop:     drop,
		SKU:      fmt.Sprintf("sku-%02d", i%40),
		Quantity: 1 + i%5,
		Customer: fmt.Sprintf("customer-%d", i%997),
		Priority: i % 3,
		Due:      T0.Add(time.Duration(i%500) * time.Hour),
		Notes:    "gift wrap",
		Hash:     fmt.Sprintf("%064x", i),
		IntakeAt: T0,
		Batch:    "batch-1",
	}
	wo := book.WorkOrder{OrderID: o.OrderID, Drop: o.Drop, SKU: o.SKU, Quantity: o.Quantity,
		Priority: o.Priority, Due: o.Due, State: book.WorkOpen, IntakeAt: o.IntakeAt}
	ops := make([]book.Operation, len(Routing))
	for seq, r := range Routing {
		ops[seq] = book.Operation{Seq: seq, Step: seq, Name: r.name, Capability: r.capability, Quantity: o.Quantity,
			UnitTime: r.unit, Setup: r.setup, State: book.Pending}
	}
	ops[0].State = book.Ready
	ops[2].ChangeoverAttr, ops[2].ChangeoverValue = "colour", []string{"red", "blue", "black"}[i%3]
	ev := book.Event{At: T0, Actor: "planner", Kind: book.EventOrderReceived, Drop: drop, OrderID: o.OrderID,
		Quantity: o.Quantity, Batch: o.Batch}
	return o, wo, ops, ev
}

// ImportOrders stores orders from to to-1 of a drop as Fixture makes them, in one Write, and
// returns the work orders with their operations.
func ImportOrders(tb testing.TB, s Store, drop string, from, to int) []WorkOrderOps {
	tb.Helper()
	var out []WorkOrderOps
	MustWrite(tb, s, func(tx book.Tx) error {
		for i := from; i < to; i++ {
			o, wo, ops, ev := Fixture(drop, i)
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
			out = append(out, WorkOrderOps{wo, ops})
		}
		return nil
	})
	return out
}

// WorkOrderOps is a work order ImportOrders stored, with its operations in seq order.
type WorkOrderOps struct {
	WO  book.WorkOrder
	Ops []book.Operation
}

// The comparisons below compare deeply: pointers by what they point to.

// SameTime compares optional times by the times they point to.
func SameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// SameOperation compares operations field by field.
func SameOperation(a, b book.Operation) bool {
	if !SameTime(a.QueuedAt, b.QueuedAt) || !SameTime(a.StartedAt, b.StartedAt) || !SameTime(a.EndedAt, b.EndedAt) {
		return false
	}
	a.QueuedAt, a.StartedAt, a.EndedAt = nil, nil, nil
	b.QueuedAt, b.StartedAt, b.EndedAt = nil, nil, nil
	return a == b
}

// SameOperations compares lists of operations, in order.
func SameOperations(a, b []book.Operation) bool { return slices.EqualFunc(a, b, SameOperation) }

// SameWorkOrder compares work orders field by field.
func SameWorkOrder(a, b book.WorkOrder) bool {
	if !SameTime(a.CompletedAt, b.CompletedAt) {
		return false
	}
	a.CompletedAt, b.CompletedAt = nil, nil
	return a == b
}

// SameQueueEntry compares queue entries field by field.
func SameQueueEntry(a, b book.QueueEntry) bool {
	if !SameOperation(a.Operation, b.Operation) {
		return false
	}
	a.Operation, b.Operation = book.Operation{}, book.Operation{}
	return a == b
}

// SameIdempotency compares records, telling a nil response from an empty one.
func SameIdempotency(a, b book.IdempotencyRecord) bool {
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

// Ptr returns a pointer to a copy of v, for the optional fields of the book's types.
func Ptr[T any](v T) *T { return &v }

// QueueAt sets operations to their state at a cell in one Write.
func QueueAt(t *testing.T, s Store, cell string, changes map[*book.Operation]book.State) {
	t.Helper()
	MustWrite(t, s, func(tx book.Tx) error {
		for op, st := range changes {
			op.State, op.Cell = st, cell
			if err := tx.UpdateOperation(op); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnitsOf returns the units of a work order, as "serial#number/order unit seq" with " x<op>:<reason>"
// for a scrapped one.
func UnitsOf(t *testing.T, s Store, workOrder int64) string {
	t.Helper()
	var out []string
	MustRead(t, s, func(tx book.ReadTx) error {
		units, err := tx.Units(workOrder)
		for _, u := range units {
			v := fmt.Sprintf("%s#%d/%d s%d", u.Serial, u.Number, u.OrderUnit, u.Seq)
			if u.Scrapped != nil {
				v += fmt.Sprintf(" x%d:%s", u.Scrapped.Operation, u.Scrapped.Reason)
			}
			out = append(out, v)
		}
		return err
	})
	return strings.Join(out, ", ")
}
