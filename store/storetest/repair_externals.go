package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testRepairExternals stores repairs with and without an external id: each is found by its
// own, an unknown one is book.ErrNotFound, an external id twice is refused and stores
// nothing, repairs without one never clash, and all of it survives reopening the store.
func testRepairExternals(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	with := book.Repair{ID: "R-000001", Seq: 1, Item: "a kilim made elsewhere", Kind: "rug", Customer: "Ana",
		Source: book.SourceCounter, State: book.RepairReceived, IntakeAt: T0, External: "NR-1"}
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertRepair(with, "hash-1") })
	for i, id := range []string{"R-000002", "R-000003"} {
		r := book.Repair{ID: id, Seq: int64(i + 2), Serial: "A-1", Kind: "rug", Customer: "Bo", Source: book.SourceCounter,
			State: book.RepairReceived, IntakeAt: T0}
		MustWrite(t, s, func(tx book.Tx) error { return tx.InsertRepair(r, "hash-"+id) })
	}
	twice := book.Repair{ID: "R-000004", Seq: 4, Serial: "A-2", Kind: "rug", Customer: "Cy", Source: book.SourceCounter,
		State: book.RepairReceived, IntakeAt: T0, External: "NR-1"}
	if err := s.Write(context.Background(), func(tx book.Tx) error { return tx.InsertRepair(twice, "hash-4") }); err == nil {
		t.Error("an external id twice was stored")
	}
	s = reopen(t, opener, s, addr)
	MustRead(t, s, func(tx book.ReadTx) error {
		r, err := tx.RepairByExternal("NR-1")
		if err != nil || r.ID != with.ID || r.External != "NR-1" {
			t.Errorf("RepairByExternal(NR-1) = %+v, %v; want %s", r, err, with.ID)
		}
		if r, err := tx.Repair("R-000002"); err != nil || r.External != "" {
			t.Errorf("a repair without an external id reads %+v, %v", r, err)
		}
		if _, err := tx.RepairByExternal("NR-9"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("RepairByExternal(NR-9) = %v; want ErrNotFound", err)
		}
		if _, err := tx.Repair("R-000004"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("the refused repair was stored: %v", err)
		}
		return nil
	})
}
