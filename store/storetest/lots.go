package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testOperationLots stores the lots of operations and reads them back after the store opens
// again: a correction replaces a consumed lot, the lot sequence goes on, a made lot's id is
// the studio's alone (a second one is refused and leaves nothing of its transaction), and a
// lot's uses come with their work orders and customers.
func testOperationLots(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 2)
	a, b := wos[0].Ops[0].ID, wos[1].Ops[0].ID
	var seqs []int64
	MustWrite(t, s, func(tx book.Tx) error {
		for _, l := range []book.OperationLot{
			{Operation: a, Lot: "dye-001", Role: book.LotMade, RecordedAt: T0, Actor: "ana"},
			{Operation: a, Material: "yarn", Lot: "Y-9", Role: book.LotConsumed, RecordedAt: T0, Actor: "ana"},
			{Operation: a, Material: "yarn", Lot: "Y-1", Role: book.LotConsumed, RecordedAt: T0, Actor: "bo"},
			{Operation: b, Material: "yarn", Lot: "Y-1", Role: book.LotConsumed, RecordedAt: T0, Actor: "ana"},
		} {
			if err := tx.PutOperationLot(l); err != nil {
				return err
			}
		}
		for range 2 {
			n, err := tx.NextLotSeq()
			if err != nil {
				return err
			}
			seqs = append(seqs, n)
		}
		return nil
	})
	err := s.Write(context.Background(), func(tx book.Tx) error {
		if err := tx.PutOperationLot(book.OperationLot{Operation: b, Material: "warp", Lot: "W-1", Role: book.LotConsumed, RecordedAt: T0}); err != nil {
			return err
		}
		return tx.PutOperationLot(book.OperationLot{Operation: b, Lot: "dye-001", Role: book.LotMade, RecordedAt: T0})
	})
	if err == nil {
		t.Fatal("a second lot made with the same id was stored")
	}
	s = reopen(t, opener, s, addr)
	MustWrite(t, s, func(tx book.Tx) error {
		n, err := tx.NextLotSeq()
		seqs = append(seqs, n)
		return err
	})
	if !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Errorf("lot sequence = %v, want 1, 2, 3", seqs)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		lots, err := tx.OperationLots(a)
		if err != nil {
			return err
		}
		if len(lots) != 2 || lots[0].Role != book.LotMade || lots[0].Lot != "dye-001" ||
			lots[1].Material != "yarn" || lots[1].Lot != "Y-1" || lots[1].Actor != "bo" || !lots[1].RecordedAt.Equal(T0) ||
			lots[1].Role != book.LotConsumed {
			t.Errorf("lots of operation %d = %+v", a, lots)
		}
		if lots, err := tx.OperationLots(b); err != nil || len(lots) != 1 {
			t.Errorf("lots of operation %d = %+v, %v; want its yarn lot alone", b, lots, err)
		}
		uses, err := tx.LotUses("Y-1")
		if err != nil {
			return err
		}
		if len(uses) != 2 || uses[0].Operation != a || uses[1].Operation != b || uses[0].WorkOrder.ID != wos[0].WO.ID ||
			uses[1].WorkOrder.OrderID != wos[1].WO.OrderID || uses[0].Customer != "customer-0" || uses[0].Step != "cut" ||
			uses[0].State != book.Ready || !uses[1].WorkOrder.Due.Equal(wos[1].WO.Due) || uses[1].WorkOrder.Quantity != 2 ||
			uses[0].WorkOrder.CompletedAt != nil || uses[0].WorkOrder.State != book.WorkOpen {
			t.Errorf("uses of Y-1 = %+v", uses)
		}
		if uses, err := tx.LotUses("Y-9"); err != nil || len(uses) != 0 {
			t.Errorf("uses of the corrected lot Y-9 = %+v, %v; want none", uses, err)
		}
		like, err := tx.LotsLike("Y-", 10)
		if err != nil {
			return err
		}
		if !slices.Equal(like, []string{"Y-1"}) {
			t.Errorf("LotsLike(Y-) = %q", like)
		}
		if like, err := tx.LotsLike("", 0); err != nil || !slices.Equal(like, []string{"Y-1", "dye-001"}) {
			t.Errorf("LotsLike('', all) = %q, %v", like, err)
		}
		if like, err := tx.LotsLike("", 1); err != nil || !slices.Equal(like, []string{"Y-1"}) {
			t.Errorf("LotsLike('', 1) = %q, %v", like, err)
		}
		return nil
	})
}
