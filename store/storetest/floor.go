package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testOwedLabels owes labels, refuses impossible ones with nothing of their transaction
// kept, reads them oldest first with their work orders, and forgets them one by one.
func testOwedLabels(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 1)
	op := wos[0].Ops[0]
	MustWrite(t, s, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 2, Last: 4, At: T0})
	})
	for _, tt := range []struct {
		name string
		l    book.LabelsOwed
	}{
		{name: "no unit 0", l: book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 0, Last: 1, At: T0}},
		{name: "last before first", l: book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 3, Last: 2, At: T0}},
		{name: "unknown operation", l: book.LabelsOwed{Cell: "c1", Operation: 999999, First: 1, Last: 1, At: T0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Write(context.Background(), func(tx book.Tx) error {
				if err := tx.SetCursor("tickets", 5); err != nil {
					return err
				}
				return tx.OweLabels(tt.l)
			})
			if err == nil {
				t.Fatal("Write succeeded")
			}
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		labels, err := tx.OwedLabels("c1", 0)
		if err != nil {
			return err
		}
		var units []int
		for _, l := range labels {
			units = append(units, l.Unit)
			if l.OrderID != wos[0].WO.OrderID || l.WorkOrder != wos[0].WO.ID || l.Operation != op.ID || l.Cell != "c1" ||
				l.Drop != "d1" || l.SKU != wos[0].WO.SKU || l.Before != 0 || l.Serial != "" || l.Reprint || !l.OwedAt.Equal(T0) {
				t.Errorf("owed label %+v", l)
			}
		}
		if !slices.Equal(units, []int{2, 3, 4}) {
			t.Errorf("owed units %v, want 2, 3, 4 and nothing of the refused writes", units)
		}
		if _, ok, err := tx.Cursor("tickets"); err != nil || ok {
			t.Errorf("a refused write left a cursor: %v %v", ok, err)
		}
		if labels, err := tx.OwedLabels("c2", 0); err != nil || len(labels) != 0 {
			t.Errorf("labels of another cell = %+v, %v", labels, err)
		}
		return nil
	})
	MustWrite(t, s, func(tx book.Tx) error {
		labels, err := tx.OwedLabels("c1", 1)
		if err != nil {
			return err
		}
		if len(labels) != 1 || labels[0].Unit != 2 {
			t.Errorf("the oldest label = %+v, want unit 2's alone", labels)
		}
		for _, want := range []bool{true, false} {
			if got, err := tx.DeleteOwedLabel(labels[0].ID); err != nil || got != want {
				return errors.Join(err, errors.New("DeleteOwedLabel did not say whether the label was owed"))
			}
		}
		if n, err := tx.CountOwedLabels("c1"); err != nil || n != 2 {
			return errors.Join(err, errors.New("wrong count after a delete"))
		}
		return nil
	})
}

// testOwedLabelsOfARemake: a remake's labels count on from the units of its order's work
// orders before it, and a reprint is told apart.
func testOwedLabelsOfARemake(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 3, 4) // quantity 4
	first := wos[0].WO
	remake := book.WorkOrder{OrderID: first.OrderID, Drop: first.Drop, SKU: first.SKU, Quantity: 2,
		Due: first.Due, State: book.WorkOpen, IntakeAt: T0, RemakeOf: first.ID}
	ops := []book.Operation{{Seq: 0, Name: "cut", Capability: "laser", Quantity: 2, State: book.Ready}}
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertWorkOrder(&remake, ops) })
	op := ops[0].ID
	MustWrite(t, s, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "c1", Operation: op, First: 1, Last: 1, Reprint: true, At: T0})
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		labels, err := tx.OwedLabels("c1", 0)
		if err != nil || len(labels) != 1 || labels[0].Before != 4 || !labels[0].Reprint || labels[0].WorkOrder != remake.ID {
			t.Errorf("the remake's label = %+v, %v; want 4 units before it, a reprint", labels, err)
		}
		return nil
	})
}

// testCellsDownAndReports stores cells out of service and faults reported, replacing and
// deleting them, and the operations a fault paused.
func testCellsDownAndReports(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 1)
	ops := make([]int64, len(wos[0].Ops))
	for i, op := range wos[0].Ops {
		ops[i] = op.ID
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for _, d := range []book.CellDown{
			{Cell: "sew-1", Reason: "needle", Actor: "ana", Since: T0},
			{Cell: "cut-1", Reason: "lens", Actor: "bo", Since: T0},
			{Cell: "sew-1", Reason: "thread", Actor: "cy", Since: T0.Add(time.Minute)}, // replaces
			{Cell: "dye-1", Reason: "vat", Actor: "bo", Since: T0},
		} {
			if err := tx.PutCellDown(d); err != nil {
				return err
			}
		}
		if err := tx.DeleteCellDown("dye-1"); err != nil {
			return err
		}
		if err := tx.DeleteCellDown("pack-1"); err != nil { // in service already
			return err
		}
		for _, r := range []book.CellReport{
			{Cell: "sew-1", Code: "E1", Reason: "jam", By: "ana", At: T0},
			{Cell: "sew-1", Code: "E2", Reason: "smoke", By: "cy", At: T0.Add(time.Minute)},
			{Cell: "cut-1", Reason: "lens", By: "bo", At: T0},
		} {
			if err := tx.PutCellReport(r); err != nil {
				return err
			}
		}
		for _, want := range []bool{true, false} {
			if got, err := tx.DeleteCellReport("cut-1"); err != nil || got != want {
				return errors.Join(err, errors.New("DeleteCellReport did not say whether there was a report"))
			}
		}
		for _, p := range []struct {
			cell string
			op   int64
		}{{"cut-1", ops[2]}, {"sew-1", ops[1]}, {"sew-1", ops[0]}, {"sew-1", ops[2]}, {"sew-1", ops[3]}} {
			if err := tx.AddFaultPaused(p.cell, p.op); err != nil {
				return err
			}
		}
		if err := tx.DeleteFaultPaused(ops[3]); err != nil {
			return err
		}
		if err := tx.DeleteFaultPaused(ops[3]); err != nil { // none: no error
			return err
		}
		return tx.SetCursor("tickets", 7)
	})
	if err := s.Write(context.Background(), func(tx book.Tx) error { return tx.AddFaultPaused("sew-1", 999999) }); err == nil {
		t.Error("a fault paused an operation that does not exist")
	}
	s = reopen(t, opener, s, addr)
	MustWrite(t, s, func(tx book.Tx) error { return tx.SetCursor("tickets", 9) })
	MustRead(t, s, func(tx book.ReadTx) error {
		down, err := tx.CellsDown()
		want := []book.CellDown{{Cell: "cut-1", Reason: "lens", Actor: "bo", Since: T0},
			{Cell: "sew-1", Reason: "thread", Actor: "cy", Since: T0.Add(time.Minute)}}
		if err != nil || !slices.Equal(down, want) {
			t.Errorf("CellsDown = %+v, %v; want %+v", down, err, want)
		}
		r, ok, err := tx.CellReport("sew-1")
		if err != nil || !ok || r != (book.CellReport{Cell: "sew-1", Code: "E2", Reason: "smoke", By: "cy", At: T0.Add(time.Minute)}) {
			t.Errorf("CellReport(sew-1) = %+v, %v, %v", r, ok, err)
		}
		if r, ok, err := tx.CellReport("cut-1"); err != nil || ok {
			t.Errorf("CellReport of a cleared report = %+v, %v, %v", r, ok, err)
		}
		paused, err := tx.FaultPaused("sew-1")
		if err != nil || !slices.Equal(paused, []int64{ops[0], ops[1], ops[2]}) {
			t.Errorf("FaultPaused(sew-1) = %v, %v; want %v (the third moved from cut-1)", paused, err, ops[:3])
		}
		if paused, err := tx.FaultPaused("cut-1"); err != nil || len(paused) != 0 {
			t.Errorf("FaultPaused(cut-1) = %v, %v; want none", paused, err)
		}
		if after, ok, err := tx.Cursor("tickets"); err != nil || !ok || after != 9 {
			t.Errorf("Cursor(tickets) = %d, %v, %v; want 9", after, ok, err)
		}
		return nil
	})
}
