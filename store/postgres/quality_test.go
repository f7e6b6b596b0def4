package postgres

import (
	"context"
	"reflect"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestInsertOperationAt: an operation inserted mid-routing copies its work order's due and
// priority into its row, where the queue's order reads them, as in the SQLite store; the
// operations after it keep theirs. (Its seq, its step, the state counts and an unknown work
// order are the conformance suite's.)
func TestInsertOperationAt(t *testing.T) {
	s, _ := openTest(t)
	w := storetest.ImportOrders(t, s, "d1", 0, 1)[0]
	sqlOK(t, s, `UPDATE work_orders SET due = 777, priority = 3 WHERE id = $1`, w.WO.ID)
	first := w.Ops[0]
	op := book.Operation{WorkOrder: w.WO.ID, Seq: 1, Step: 0, ReworkOf: first.ID, Name: "Rework: x",
		Capability: first.Capability, Quantity: first.Quantity, State: book.Pending}
	storetest.MustWrite(t, s, func(tx book.Tx) error { return tx.InsertOperationAt(&op) })
	rows, err := s.pool.Query(context.Background(), `SELECT id, seq, due, priority FROM operations
		WHERE work_order = $1 ORDER BY seq`, w.WO.ID)
	if err != nil {
		t.Fatal(err)
	}
	type stored struct{ id, seq, due, priority int64 }
	var got []stored
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.id, &r.seq, &r.due, &r.priority); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	due, priority := micros(w.WO.Due), int64(w.WO.Priority)
	want := []stored{{first.ID, 0, due, priority}, {op.ID, 1, 777, 3}}
	for i, o := range w.Ops[1:] {
		want = append(want, stored{o.ID, int64(i + 2), due, priority})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("operations =\n%+v\nwant\n%+v", got, want)
	}
}
