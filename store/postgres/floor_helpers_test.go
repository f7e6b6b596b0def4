package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// The floor's tests need orders, work orders, operations and repairs in the store; these
// helpers insert them with plain SQL, so that the floor's methods are tested on their own.

// ft0 is the floor tests' "now"; microsecond precision, as the store keeps times.
var ft0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// openFloorStore opens a store on a fresh database, closed when the test ends; it returns the
// database's URL too, to open the store again.
func openFloorStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	url := pgtest.URL(tb)
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

// reopenFloorStore closes s and opens the store on url again, closed when the test ends.
func reopenFloorStore(tb testing.TB, s *Store, url string) *Store {
	tb.Helper()
	s.Close()
	s2, err := Open(context.Background(), url, nil)
	if err != nil {
		tb.Fatalf("Open again: %v", err)
	}
	tb.Cleanup(func() { s2.Close() })
	return s2
}

func floorWrite(tb testing.TB, s *Store, fn func(book.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

func floorRead(tb testing.TB, s *Store, fn func(book.ReadTx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// floorWO is a work order the helpers stored, with its operations' ids by seq.
type floorWO struct {
	wo  book.WorkOrder
	ops []int64
}

// floorOrders stores orders from to to-1 of a drop, each with a work order of 1 + i%5 units
// and four operations (cut, sew, dye, pack), as an import would, and returns them.
func floorOrders(tb testing.TB, s *Store, drop string, from, to int) []floorWO {
	tb.Helper()
	ctx := context.Background()
	var out []floorWO
	for i := from; i < to; i++ {
		wo := book.WorkOrder{OrderID: fmt.Sprintf("%s-%07d", drop, i), Drop: drop, SKU: fmt.Sprintf("sku-%02d", i%40),
			Quantity: 1 + i%5, Priority: i % 3, Due: ft0.Add(time.Duration(i%500) * time.Hour), State: book.WorkOpen,
			IntakeAt: ft0}
		if _, err := s.pool.Exec(ctx, `INSERT INTO orders (order_id, drop_id, sku, quantity, customer, priority, due, notes,
				hash, intake_at, batch) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, 'batch-1')`,
			wo.OrderID, drop, wo.SKU, wo.Quantity, fmt.Sprintf("customer-%d", i%997), wo.Priority, micros(wo.Due),
			fmt.Sprintf("%064x", i), micros(ft0)); err != nil {
			tb.Fatalf("inserting order %s: %v", wo.OrderID, err)
		}
		out = append(out, floorWO{wo: floorWorkOrder(tb, s, wo)})
		last := &out[len(out)-1]
		for seq, step := range []string{"cut", "sew", "dye", "pack"} {
			state := book.Pending
			if seq == 0 {
				state = book.Ready
			}
			var id int64
			if err := s.pool.QueryRow(ctx, `INSERT INTO operations (work_order, seq, name, capability, quantity,
					unit_time_ns, setup_ns, changeover_attr, changeover_value, state, cell, reason, scrapped, version, due,
					priority, step) VALUES ($1, $2, $3, $3, $4, 0, 0, '', '', $5, '', '', 0, 1, $6, $7, $2) RETURNING id`,
				last.wo.ID, seq, step, wo.Quantity, string(state), micros(wo.Due), wo.Priority).Scan(&id); err != nil {
				tb.Fatalf("inserting operation %s of work order %d: %v", step, last.wo.ID, err)
			}
			last.ops = append(last.ops, id)
		}
	}
	return out
}

// floorWorkOrder stores a work order of a stored order and returns it with its id.
func floorWorkOrder(tb testing.TB, s *Store, wo book.WorkOrder) book.WorkOrder {
	tb.Helper()
	var remakeOf *int64
	if wo.RemakeOf != 0 {
		remakeOf = &wo.RemakeOf
	}
	if err := s.pool.QueryRow(context.Background(), `INSERT INTO work_orders (order_id, drop_id, sku, quantity, priority,
			due, state, intake_at, remake_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, micros(wo.Due), string(wo.State), micros(wo.IntakeAt),
		remakeOf).Scan(&wo.ID); err != nil {
		tb.Fatalf("inserting a work order of order %s: %v", wo.OrderID, err)
	}
	return wo
}

// floorRepair stores a repair of a unit, received at intake, and returns its id.
func floorRepair(tb testing.TB, s *Store, seq int, customer, serial string, intake time.Time) string {
	tb.Helper()
	id := fmt.Sprintf("R-%04d", seq)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO repairs (id, seq, serial, item, kind, customer, contact,
			description, source, state, intake_at, link_hash, checklist, photos)
		VALUES ($1, $2, $3, '', 'repair', $4, '', '', 'counter', 'received', $5, $1, '', '')`,
		id, seq, serial, customer, micros(intake)); err != nil {
		tb.Fatalf("inserting repair %s: %v", id, err)
	}
	return id
}
