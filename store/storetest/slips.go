package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testOwedSlips owes parcel slips, reads them oldest first with their repairs, and forgets
// them one by one.
func testOwedSlips(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	r1 := storeRepair(t, s, 1, "ana", "d1-0000001-1", T0)
	r2 := storeRepair(t, s, 2, "bo", "d1-0000002-1", T0.Add(time.Hour))
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.OweSlip(r2, false, T0.Add(2*time.Hour)); err != nil {
			return err
		}
		return tx.OweSlip(r1, true, T0.Add(3*time.Hour))
	})
	if err := s.Write(context.Background(), func(tx book.Tx) error { return tx.OweSlip("R-9999", false, T0) }); err == nil {
		t.Error("a slip of a repair that does not exist was owed")
	}
	var first int64
	MustRead(t, s, func(tx book.ReadTx) error {
		slips, err := tx.OwedSlips(0)
		if err != nil || len(slips) != 2 {
			t.Fatalf("OwedSlips = %+v, %v", slips, err)
		}
		a, b := slips[0], slips[1]
		if a.Repair != r2 || a.Customer != "bo" || a.Serial != "d1-0000002-1" || !a.IntakeAt.Equal(T0.Add(time.Hour)) ||
			a.Reprint || !a.OwedAt.Equal(T0.Add(2*time.Hour)) || b.Repair != r1 || !b.Reprint || b.ID <= a.ID {
			t.Errorf("OwedSlips = %+v", slips)
		}
		first = a.ID
		if slips, err := tx.OwedSlips(1); err != nil || len(slips) != 1 || slips[0].ID != first {
			t.Errorf("OwedSlips(1) = %+v, %v; want the oldest", slips, err)
		}
		return nil
	})
	MustWrite(t, s, func(tx book.Tx) error {
		for _, want := range []bool{true, false} {
			if got, err := tx.DeleteOwedSlip(first); err != nil || got != want {
				return errors.Join(err, errors.New("DeleteOwedSlip did not say whether the slip was owed"))
			}
		}
		if n, err := tx.CountOwedSlips(); err != nil || n != 1 {
			return errors.Join(err, errors.New("wrong count after a delete"))
		}
		return nil
	})
}

// storeRepair stores a repair of a unit, received at intake, and returns its id.
func storeRepair(t *testing.T, s Store, seq int, customer, serial string, intake time.Time) string {
	t.Helper()
	r := book.Repair{ID: fmt.Sprintf("R-%04d", seq), Seq: int64(seq), Serial: serial, Kind: "repair", Customer: customer,
		Source: book.SourceCounter, State: book.RepairReceived, IntakeAt: intake}
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertRepair(r, r.ID) })
	return r.ID
}
