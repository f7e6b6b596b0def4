package postgres

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestInsertOperationAt: an operation inserted mid-routing takes its seq, the later ones move
// one place up (their step kept), it copies its work order's due and priority, the state
// counts count it, and an unknown work order is ErrNotFound with nothing changed.
func TestInsertOperationAt(t *testing.T) {
	s, _ := openRepairStore(t)
	ops := []seedOp{{capability: "weave", state: book.Done, quantity: 2}, {capability: "dye", state: book.Pending, quantity: 2},
		{capability: "pack", state: book.Pending, quantity: 2}}
	w := seedWorkOrder(t, s, "O1", "d1", "RUG", book.WorkOpen, ops)
	sqlOK(t, s, `UPDATE work_orders SET due = 777, priority = 3 WHERE id = $1`, w.id)
	var id int64
	writeOK(t, s, func(tx book.Tx) error {
		op := book.Operation{WorkOrder: w.id, Seq: 1, Step: 0, ReworkOf: w.ops[0], Name: "Rework: x",
			Capability: "weave", Quantity: 2, State: book.Pending}
		if err := tx.InsertOperationAt(&op); err != nil {
			return err
		}
		id = op.ID
		return nil
	})
	rows, err := s.pool.Query(context.Background(), `SELECT id, seq, step, COALESCE(rework_of, 0), due, priority, version
		FROM operations WHERE work_order = $1 ORDER BY seq`, w.id)
	if err != nil {
		t.Fatal(err)
	}
	type stored struct{ id, seq, step, reworkOf, due, priority, version int64 }
	var got []stored
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.id, &r.seq, &r.step, &r.reworkOf, &r.due, &r.priority, &r.version); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	at := micros(repairT0)
	want := []stored{{w.ops[0], 0, 0, 0, at, 0, 0}, {id, 1, 0, w.ops[0], 777, 3, 0}, {w.ops[1], 2, 1, 0, at, 0, 0}, {w.ops[2], 3, 2, 0, at, 0, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("operations =\n%+v\nwant\n%+v", got, want)
	}
	if c := operationCounts(t, s); c[book.Pending] != 3 || c[book.Done] != 1 {
		t.Errorf("operation counts = %v, want 3 pending and 1 done", c)
	}
	err = s.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertOperationAt(&book.Operation{WorkOrder: 999999, Seq: 1, State: book.Pending})
	})
	if !errors.Is(err, book.ErrNotFound) {
		t.Errorf("into an unknown work order: %v, want ErrNotFound", err)
	}
	if c := operationCounts(t, s); c[book.Pending] != 3 {
		t.Errorf("operation counts after the refusal = %v", c)
	}
}
