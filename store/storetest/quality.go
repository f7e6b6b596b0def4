package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testInsertOperationAt: an operation inserted mid-routing takes its seq, the later ones move
// one place up (their step kept), it can be changed in the same transaction, the state counts
// count it, and all of it is read back after the store is opened again.
func testInsertOperationAt(t *testing.T, opener Opener) {
	s, path := opener.Open(t)
	w := ImportOrders(t, s, "d1", 0, 1)[0]
	n := len(w.Ops)
	var id int64
	MustWrite(t, s, func(tx book.Tx) error {
		first := w.Ops[0]
		first.State = book.Done
		if err := tx.UpdateOperation(&first); err != nil { // held back, sent with the insert
			return err
		}
		op := book.Operation{WorkOrder: w.WO.ID, Seq: 1, Step: 0, ReworkOf: first.ID, Name: "Rework: x",
			Capability: first.Capability, Quantity: first.Quantity, State: book.Pending}
		if err := tx.InsertOperationAt(&op); err != nil {
			return err
		}
		id = op.ID
		op.State = book.Ready
		return tx.UpdateOperation(&op)
	})
	check := func(s Store) {
		t.Helper()
		MustRead(t, s, func(tx book.ReadTx) error {
			ops, err := tx.Operations(w.WO.ID)
			if err != nil {
				return err
			}
			if len(ops) != n+1 {
				t.Fatalf("%d operations, want %d", len(ops), n+1)
			}
			for i, op := range ops {
				if op.Seq != i {
					t.Errorf("operation %d at seq %d, want %d", op.ID, op.Seq, i)
				}
			}
			if r := ops[1]; r.ID != id || r.Step != 0 || r.ReworkOf != w.Ops[0].ID || r.State != book.Ready || r.Version != 1 {
				t.Errorf("the inserted operation = %+v", r)
			}
			for i, op := range ops[2:] {
				if op.ID != w.Ops[i+1].ID || op.Step != i+1 || op.ReworkOf != 0 {
					t.Errorf("operation %d: step %d, rework of %d; want operation %d of step %d", op.ID, op.Step, op.ReworkOf, w.Ops[i+1].ID, i+1)
				}
			}
			_, byState, err := tx.Counts()
			if err != nil {
				return err
			}
			if byState[book.Ready] != 1 || byState[book.Done] != 1 || byState[book.Pending] != n-1 {
				t.Errorf("operation counts = %v", byState)
			}
			return nil
		})
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := opener.Reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	check(s2)
	err = s2.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertOperationAt(&book.Operation{WorkOrder: 999999, Seq: 1, State: book.Pending})
	})
	if !errors.Is(err, book.ErrNotFound) {
		t.Errorf("into an unknown work order: %v, want ErrNotFound", err)
	}
}

// testChecksAndNonConformances stores a check and the non-conformance it opened, reads them by
// operation, work order, id and filter, and stores a decision.
func testChecksAndNonConformances(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "d1", 0, 1)[0]
	op := w.Ops[0].ID
	v, lo, hi := 27.5, 29.0, 31.0
	c := book.CheckRecord{Operation: op, WorkOrder: w.WO.ID, Cell: "weave-1", SKU: w.WO.SKU, Step: 0, Units: 2,
		Outcomes: []book.CheckOutcome{{Name: "Even", Pass: true}, {Name: "Width", Measure: true, Unit: "cm", Value: &v, Min: &lo, Max: &hi}},
		By:       "person:ana", At: T0}
	passed := book.CheckRecord{Operation: op, WorkOrder: w.WO.ID, Cell: "weave-1", SKU: w.WO.SKU, Units: 2, Passed: true,
		Outcomes: []book.CheckOutcome{{Name: "Even", Pass: true}}, By: "person:ana", At: T0}
	nc := book.NonConformance{Operation: op, WorkOrder: w.WO.ID, Cell: "weave-1", SKU: w.WO.SKU, Failed: []string{"Width"},
		State: book.NCOpen, OpenedAt: T0, OpenedBy: "person:ana"}
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertCheck(&c); err != nil {
			return err
		}
		if err := tx.InsertCheck(&passed); err != nil {
			return err
		}
		nc.Check = c.ID
		return tx.InsertNonConformance(&nc)
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		for _, read := range []func() ([]book.CheckRecord, error){
			func() ([]book.CheckRecord, error) { return tx.Checks(op) },
			func() ([]book.CheckRecord, error) { return tx.WorkOrderChecks(w.WO.ID) },
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
		if got, err := tx.WorkOrderNonConformances(w.WO.ID); err != nil || len(got) != 1 || got[0].ID != nc.ID {
			t.Errorf("the work order's non-conformances = %+v, %v", got, err)
		}
		return nil
	})
	nc.State, nc.DecidedBy, nc.DecidedAt, nc.Note, nc.Rework = book.NCAccept, "person:max", &T0, "fine", 0
	MustWrite(t, s, func(tx book.Tx) error { return tx.DecideNonConformance(nc) })
	MustRead(t, s, func(tx book.ReadTx) error {
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
