package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testWithdrawOrder: a withdrawal is read with its order (inside its Write too), exact to the
// microsecond, and takes the order's units off its drop's; withdrawing an order twice or one
// not stored fails, a failed Write leaves no withdrawal, and a reopened store still has it.
func testWithdrawOrder(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	wos := ImportOrders(t, s, "drop-1", 0, 3)
	gone, kept := wos[1].WO, wos[2].WO
	before := dropUnits(t, s, "drop-1")
	w := book.Withdrawal{OrderID: gone.OrderID, At: T0.Add(90*time.Minute + 123*time.Microsecond),
		Actor: "hub", Reason: "routed to porto"}
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.WithdrawOrder(w); err != nil {
			return err
		}
		got, err := tx.Orders([]string{gone.OrderID})
		if err != nil {
			return err
		}
		if wd := got[gone.OrderID].Withdrawn; wd == nil || *wd != w {
			t.Errorf("Orders inside the Write: Withdrawn = %+v, want %+v", wd, w)
		}
		units, err := tx.DropUnits("drop-1")
		if err != nil {
			return err
		}
		if units[gone.SKU] != before[gone.SKU]-gone.Quantity {
			t.Errorf("DropUnits inside the Write: %s = %d, want %d", gone.SKU, units[gone.SKU], before[gone.SKU]-gone.Quantity)
		}
		return nil
	})
	check := func(t *testing.T, s Store) {
		t.Helper()
		MustRead(t, s, func(tx book.ReadTx) error {
			got, err := tx.Orders([]string{gone.OrderID, kept.OrderID})
			if err != nil {
				return err
			}
			if wd := got[gone.OrderID].Withdrawn; wd == nil || *wd != w {
				t.Errorf("Withdrawn of %s = %+v, want %+v", gone.OrderID, wd, w)
			}
			if wd := got[kept.OrderID].Withdrawn; wd != nil {
				t.Errorf("Withdrawn of %s = %+v, want none", kept.OrderID, wd)
			}
			return nil
		})
		units := dropUnits(t, s, "drop-1")
		if units[gone.SKU] != before[gone.SKU]-gone.Quantity || units[kept.SKU] != before[kept.SKU] {
			t.Errorf("DropUnits after the withdrawal = %v, want %s less %d of %v", units, gone.SKU, gone.Quantity, before)
		}
	}
	check(t, s)

	again := w
	again.Reason = "twice"
	if err := s.Write(t.Context(), func(tx book.Tx) error { return tx.WithdrawOrder(again) }); !errors.Is(err, opener.ErrConflict) {
		t.Errorf("withdrawing %s again: %v, want ErrConflict", gone.OrderID, err)
	}
	unknown := book.Withdrawal{OrderID: "nobody", At: T0, Actor: "hub", Reason: "x"}
	if err := s.Write(t.Context(), func(tx book.Tx) error { return tx.WithdrawOrder(unknown) }); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("withdrawing an order not stored: %v, want ErrNotFound", err)
	}
	abandoned := book.Withdrawal{OrderID: kept.OrderID, At: T0, Actor: "hub", Reason: "abandoned"}
	s.Write(t.Context(), func(tx book.Tx) error {
		if err := tx.WithdrawOrder(abandoned); err != nil {
			t.Errorf("WithdrawOrder(%s): %v", kept.OrderID, err)
		}
		return errors.New("abandoned")
	})
	check(t, s)

	s.Close()
	reopened, err := opener.Reopen(t, addr)
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	defer reopened.Close()
	check(t, reopened)
}

// testWithdrawnLeavesOpenWork: operations in state withdrawn and work orders in state
// withdrawn leave the queues, the ready operations, the cells' loads and the open work, and
// are counted under their own state.
func testWithdrawnLeavesOpenWork(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "drop-1", 0, 3)
	QueueAt(t, s, "cell-a", map[*book.Operation]book.State{&wos[0].Ops[0]: book.Queued, &wos[1].Ops[0]: book.Queued})
	gone := wos[1]
	MustWrite(t, s, func(tx book.Tx) error {
		for i := range gone.Ops {
			gone.Ops[i].State = book.Withdrawn
			if err := tx.UpdateOperation(&gone.Ops[i]); err != nil {
				return err
			}
		}
		gone.WO.State = book.WorkWithdrawn
		return tx.UpdateWorkOrder(gone.WO)
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		queue, err := tx.Queue("cell-a", 0)
		if err != nil {
			return err
		}
		if len(queue) != 1 || queue[0].ID != wos[0].Ops[0].ID {
			t.Errorf("Queue(cell-a) = %+v, want operation %d alone", queue, wos[0].Ops[0].ID)
		}
		ready, err := tx.ReadyOperations(0)
		if err != nil {
			return err
		}
		if len(ready) != 1 || ready[0].ID != wos[2].Ops[0].ID {
			t.Errorf("ReadyOperations = %+v, want operation %d alone", ready, wos[2].Ops[0].ID)
		}
		loads, err := tx.CellLoads()
		if err != nil {
			return err
		}
		if len(loads) != 1 || loads[0].Load != wos[0].Ops[0].StandardTime() {
			t.Errorf("CellLoads = %+v, want cell-a with %v", loads, wos[0].Ops[0].StandardTime())
		}
		open, err := tx.OpenOperations(0, wos[2].WO.ID)
		if err != nil {
			return err
		}
		for _, op := range open {
			if op.WorkOrder == gone.WO.ID {
				t.Errorf("OpenOperations holds operation %d of the withdrawn work order", op.ID)
			}
		}
		if len(open) != len(wos[0].Ops)+len(wos[2].Ops) {
			t.Errorf("OpenOperations = %d operations, want %d", len(open), len(wos[0].Ops)+len(wos[2].Ops))
		}
		withdrawn, err := tx.WorkOrders(book.WorkOrderFilter{State: book.WorkWithdrawn})
		if err != nil {
			return err
		}
		if len(withdrawn) != 1 || withdrawn[0].ID != gone.WO.ID {
			t.Errorf("WorkOrders(withdrawn) = %+v, want work order %d", withdrawn, gone.WO.ID)
		}
		wo, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		if wo[book.WorkWithdrawn] != 1 || wo[book.WorkOpen] != 2 || ops[book.Withdrawn] != len(gone.Ops) {
			t.Errorf("Counts = %v, %v: want 1 work order and %d operations withdrawn, 2 work orders open", wo, ops, len(gone.Ops))
		}
		return nil
	})
}

// dropUnits reads the units ordered of a drop.
func dropUnits(t *testing.T, s Store, drop string) map[string]int {
	t.Helper()
	var out map[string]int
	MustRead(t, s, func(tx book.ReadTx) error {
		var err error
		out, err = tx.DropUnits(drop)
		return err
	})
	return out
}
