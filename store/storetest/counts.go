package storetest

import (
	"errors"
	"maps"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testCounts checks the counts the store keeps by state, inside a Write and after it, against
// the states of the work orders and operations it holds; an abandoned Write counts nothing.
func testCounts(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 5)
	QueueAt(t, s, "laser-1", map[*book.Operation]book.State{&w[0].Ops[0]: book.Running, &w[1].Ops[0]: book.Queued})
	MustWrite(t, s, func(tx book.Tx) error {
		op := w[0].Ops[0]
		op.State = book.Done
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		wo := w[4].WO
		wo.State = book.WorkScrapped
		if err := tx.UpdateWorkOrder(wo); err != nil {
			return err
		}
		// counts inside the transaction include its changes
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		if wos[book.WorkScrapped] != 1 || ops[book.Done] != 1 || ops[book.Running] != 0 {
			t.Errorf("counts inside the Write: %v %v", wos, ops)
		}
		return nil
	})
	s.Write(t.Context(), func(tx book.Tx) error {
		o, wo, ops, _ := Fixture("drop-1", 99)
		tx.InsertOrder(o)
		tx.InsertWorkOrder(&wo, ops)
		return errors.New("abandoned")
	})

	wantWO := map[book.WorkOrderState]int{}
	wantOps := map[book.State]int{}
	// count the states of every work order and operation, as read one by one
	MustRead(t, s, func(tx book.ReadTx) error {
		wos, err := tx.WorkOrders(book.WorkOrderFilter{})
		if err != nil {
			return err
		}
		for _, wo := range wos {
			wantWO[wo.State]++
			ops, err := tx.Operations(wo.ID)
			if err != nil {
				return err
			}
			for _, op := range ops {
				wantOps[op.State]++
			}
		}
		return nil
	})
	if wantWO[book.WorkOpen] != 4 || wantOps[book.Pending] != 15 {
		t.Fatalf("fixture changed: %v %v", wantWO, wantOps)
	}

	MustRead(t, s, func(tx book.ReadTx) error {
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		// states that emptied count 0
		for st, n := range wos {
			if n == 0 {
				delete(wos, st)
			}
		}
		for st, n := range ops {
			if n == 0 {
				delete(ops, st)
			}
		}
		if !maps.Equal(wos, wantWO) {
			t.Errorf("work order counts = %v, want %v", wos, wantWO)
		}
		if !maps.Equal(ops, wantOps) {
			t.Errorf("operation counts = %v, want %v", ops, wantOps)
		}
		return nil
	})
}
