package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testOwedLabels owes labels, refuses impossible ones with nothing of their transaction
// kept, reads them oldest first with their work orders, and forgets them one by one.
func testOwedLabels(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := importOrders(t, s, "d1", 0, 1)
	op := wos[0].ops[0]
	mustWrite(t, s, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 2, Last: 4, At: t0})
	})
	for _, tt := range []struct {
		name string
		l    book.LabelsOwed
	}{
		{name: "no unit 0", l: book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 0, Last: 1, At: t0}},
		{name: "last before first", l: book.LabelsOwed{Cell: "c1", Operation: op.ID, First: 3, Last: 2, At: t0}},
		{name: "unknown operation", l: book.LabelsOwed{Cell: "c1", Operation: 999999, First: 1, Last: 1, At: t0}},
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
	mustRead(t, s, func(tx book.ReadTx) error {
		labels, err := tx.OwedLabels("c1", 0)
		if err != nil {
			return err
		}
		var units []int
		for _, l := range labels {
			units = append(units, l.Unit)
			if l.OrderID != wos[0].wo.OrderID || l.WorkOrder != wos[0].wo.ID || l.Operation != op.ID || l.Cell != "c1" ||
				l.Drop != "d1" || l.SKU != wos[0].wo.SKU || l.Before != 0 || l.Serial != "" || l.Reprint || !l.OwedAt.Equal(t0) {
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
	mustWrite(t, s, func(tx book.Tx) error {
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
