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

// TestChecksAndNonConformances stores a check and the non-conformance it opened, reads them by
// operation, work order, id and filter, and stores a decision.
func TestChecksAndNonConformances(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
	w := seedWorkOrder(t, s, "O1", "d1", "RUG", book.WorkOpen, []seedOp{{capability: "weave", state: book.Done, quantity: 2}})
	op := w.ops[0]
	v, lo, hi := 27.5, 29.0, 31.0
	c := book.CheckRecord{Operation: op, WorkOrder: w.id, Cell: "weave-1", SKU: "RUG", Step: 0, Units: 2,
		Outcomes: []book.CheckOutcome{{Name: "Even", Pass: true}, {Name: "Width", Measure: true, Unit: "cm", Value: &v, Min: &lo, Max: &hi}},
		By:       "person:ana", At: t0}
	passed := book.CheckRecord{Operation: op, WorkOrder: w.id, Cell: "weave-1", SKU: "RUG", Units: 2, Passed: true,
		Outcomes: []book.CheckOutcome{{Name: "Even", Pass: true}}, By: "person:ana", At: t0}
	nc := book.NonConformance{Operation: op, WorkOrder: w.id, Cell: "weave-1", SKU: "RUG", Failed: []string{"Width"},
		State: book.NCOpen, OpenedAt: t0, OpenedBy: "person:ana"}
	writeOK(t, s, func(tx book.Tx) error {
		if err := tx.InsertCheck(&c); err != nil {
			return err
		}
		if err := tx.InsertCheck(&passed); err != nil {
			return err
		}
		nc.Check = c.ID
		return tx.InsertNonConformance(&nc)
	})
	readOK(t, s, func(tx book.ReadTx) error {
		for _, read := range []func() ([]book.CheckRecord, error){
			func() ([]book.CheckRecord, error) { return tx.Checks(op) },
			func() ([]book.CheckRecord, error) { return tx.WorkOrderChecks(w.id) },
		} {
			cs, err := read()
			if err != nil || len(cs) != 2 || !reflect.DeepEqual(cs[0], c) || !reflect.DeepEqual(cs[1], passed) {
				t.Errorf("checks = %+v, %v; want %+v and %+v", cs, err, c, passed)
			}
		}
		if cs, err := tx.Checks(op + 1); err != nil || len(cs) != 0 {
			t.Errorf("checks of another operation = %+v, %v", cs, err)
		}
		for _, f := range []book.NCFilter{{}, {State: book.NCOpen}, {Cell: "weave-1"}, {State: book.NCOpen, Cell: "weave-1", Limit: 1}} {
			got, err := tx.NonConformances(f)
			if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], nc) {
				t.Errorf("non-conformances of %+v = %+v, %v; want %+v", f, got, err, nc)
			}
		}
		for _, f := range []book.NCFilter{{State: book.NCRework}, {Cell: "pack-1"}} {
			if got, err := tx.NonConformances(f); err != nil || len(got) != 0 {
				t.Errorf("non-conformances of %+v = %+v, %v", f, got, err)
			}
		}
		if got, err := tx.WorkOrderNonConformances(w.id); err != nil || len(got) != 1 || got[0].ID != nc.ID {
			t.Errorf("the work order's non-conformances = %+v, %v", got, err)
		}
		return nil
	})
	nc.State, nc.DecidedBy, nc.DecidedAt, nc.Note, nc.Rework = book.NCAccept, "person:max", &t0, "fine", 0
	writeOK(t, s, func(tx book.Tx) error { return tx.DecideNonConformance(nc) })
	readOK(t, s, func(tx book.ReadTx) error {
		got, err := tx.NonConformance(nc.ID)
		if err != nil || !reflect.DeepEqual(got, nc) {
			t.Errorf("decided = %+v, %v; want %+v", got, err, nc)
		}
		if _, err := tx.NonConformance(nc.ID + 1); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("an unknown one: %v", err)
		}
		return nil
	})
	err := s.Write(context.Background(), func(tx book.Tx) error {
		return tx.DecideNonConformance(book.NonConformance{ID: nc.ID + 1, State: book.NCScrap})
	})
	if !errors.Is(err, book.ErrNotFound) {
		t.Errorf("deciding an unknown one: %v", err)
	}
	err = s.Write(context.Background(), func(tx book.Tx) error {
		second := nc
		return tx.InsertNonConformance(&second)
	})
	if err == nil {
		t.Error("a second non-conformance of one check was stored")
	}
}
