package postgres

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestOwedLabelsOfARemake: a remake's labels count on from the units of its order's work
// orders before it, and a reprint is told apart.
func TestOwedLabelsOfARemake(t *testing.T) {
	s, _ := openFloorStore(t)
	wos := floorOrders(t, s, "d1", 3, 4) // quantity 4
	first := wos[0].wo
	remake := floorWorkOrder(t, s, book.WorkOrder{OrderID: first.OrderID, Drop: first.Drop, SKU: first.SKU, Quantity: 2,
		Due: first.Due, State: book.WorkOpen, IntakeAt: ft0, RemakeOf: first.ID})
	var op int64
	if err := s.pool.QueryRow(t.Context(), `INSERT INTO operations (work_order, seq, name, capability, quantity, unit_time_ns,
			setup_ns, changeover_attr, changeover_value, state, cell, reason, scrapped, version, due, priority)
		VALUES ($1, 0, 'cut', 'laser', 2, 0, 0, '', '', 'ready', '', '', 0, 1, 0, 0) RETURNING id`, remake.ID).Scan(&op); err != nil {
		t.Fatal(err)
	}
	floorWrite(t, s, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "c1", Operation: op, First: 1, Last: 1, Reprint: true, At: ft0})
	})
	floorRead(t, s, func(tx book.ReadTx) error {
		labels, err := tx.OwedLabels("c1", 0)
		if err != nil || len(labels) != 1 || labels[0].Before != 4 || !labels[0].Reprint || labels[0].WorkOrder != remake.ID {
			t.Errorf("the remake's label = %+v, %v; want 4 units before it, a reprint", labels, err)
		}
		return nil
	})
}

// TestCellsDownAndReports stores cells out of service and faults reported, replacing and
// deleting them, and the operations a fault paused.
func TestCellsDownAndReports(t *testing.T) {
	s, url := openFloorStore(t)
	wos := floorOrders(t, s, "d1", 0, 1)
	ops := wos[0].ops
	floorWrite(t, s, func(tx book.Tx) error {
		for _, d := range []book.CellDown{
			{Cell: "sew-1", Reason: "needle", Actor: "ana", Since: ft0},
			{Cell: "cut-1", Reason: "lens", Actor: "bo", Since: ft0},
			{Cell: "sew-1", Reason: "thread", Actor: "cy", Since: ft0.Add(time.Minute)}, // replaces
			{Cell: "dye-1", Reason: "vat", Actor: "bo", Since: ft0},
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
			{Cell: "sew-1", Code: "E1", Reason: "jam", By: "ana", At: ft0},
			{Cell: "sew-1", Code: "E2", Reason: "smoke", By: "cy", At: ft0.Add(time.Minute)},
			{Cell: "cut-1", Reason: "lens", By: "bo", At: ft0},
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
	if err := s.Write(t.Context(), func(tx book.Tx) error { return tx.AddFaultPaused("sew-1", 999999) }); err == nil {
		t.Error("a fault paused an operation that does not exist")
	}
	s = reopenFloorStore(t, s, url)
	floorWrite(t, s, func(tx book.Tx) error { return tx.SetCursor("tickets", 9) })
	floorRead(t, s, func(tx book.ReadTx) error {
		down, err := tx.CellsDown()
		want := []book.CellDown{{Cell: "cut-1", Reason: "lens", Actor: "bo", Since: ft0},
			{Cell: "sew-1", Reason: "thread", Actor: "cy", Since: ft0.Add(time.Minute)}}
		if err != nil || !slices.Equal(down, want) {
			t.Errorf("CellsDown = %+v, %v; want %+v", down, err, want)
		}
		r, ok, err := tx.CellReport("sew-1")
		if err != nil || !ok || r != (book.CellReport{Cell: "sew-1", Code: "E2", Reason: "smoke", By: "cy", At: ft0.Add(time.Minute)}) {
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
