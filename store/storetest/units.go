package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testUnitsStoreAndScrap stores units, refuses a serial twice (naming the unit that holds
// it, with nothing of the refused ones stored), finds them by serial and marks the
// highest-numbered live ones scrapped; the owed labels of a work order carry its units'
// serials.
func testUnitsStoreAndScrap(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 3, 5) // quantities 4 and 5
	a, b := wos[0], wos[1]
	storeUnitsOnce(t, s, a, b)
	checkUnitsFound(t, s, a, b)
	scrapUnits(t, s, a)
	checkOwedLabelSerials(t, s, a)
}

// newUnit is unit n of wo with its serial and seq, made at T0.
func newUnit(wo book.WorkOrder, n int, serial string, seq int64) book.Unit {
	return book.Unit{WorkOrder: wo.ID, Number: n, OrderUnit: n, Serial: serial, Seq: seq, CreatedAt: T0}
}

// storeUnitsOnce stores no units, then units 1 to 3 of a, then refuses units of b with a
// serial or a seq of a's, and a unit number of a twice, storing nothing of the refused.
func storeUnitsOnce(t *testing.T, s Store, a, b WorkOrderOps) {
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertUnits(nil); err != nil {
			return err
		}
		return tx.InsertUnits([]book.Unit{newUnit(a.WO, 1, "A1", 1), newUnit(a.WO, 2, "A2", 2), newUnit(a.WO, 3, "A3", 3)})
	})
	err := s.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertUnits([]book.Unit{newUnit(b.WO, 1, "B1", 4), newUnit(b.WO, 2, "A2", 5)})
	})
	want := fmt.Sprintf(`unit 2 of work order %d: serial "A2" is unit 2 of work order %d (order "d1-0000003")`, b.WO.ID, a.WO.ID)
	if !errors.Is(err, book.ErrSerialTaken) || !strings.Contains(err.Error(), want) {
		t.Errorf("a serial twice = %v, want %s", err, want)
	}
	if got := UnitsOf(t, s, b.WO.ID); got != "" {
		t.Errorf("the refused write stored units %s", got)
	}
	err = s.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertUnits([]book.Unit{newUnit(b.WO, 1, "B1", 3)})
	})
	want = fmt.Sprintf(`units 1 to 1 of work order %d: a serial or seq is taken`, b.WO.ID)
	if !errors.Is(err, book.ErrSerialTaken) || !strings.Contains(err.Error(), want) {
		t.Errorf("a seq twice = %v, want %s", err, want)
	}
	err = s.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertUnits([]book.Unit{newUnit(a.WO, 1, "A9", 9)})
	})
	if err == nil || errors.Is(err, book.ErrSerialTaken) {
		t.Errorf("a unit number twice = %v, want an error that is not about serials", err)
	}
}

// checkUnitsFound reads the units stored by storeUnitsOnce by serial, by number, by order
// and by work order, and counts them.
func checkUnitsFound(t *testing.T, s Store, a, b WorkOrderOps) {
	MustRead(t, s, func(tx book.ReadTx) error {
		u, err := tx.Unit("A2")
		if err != nil || u.WorkOrder != a.WO.ID || u.Number != 2 || u.OrderID != "d1-0000003" || u.Drop != "d1" ||
			u.SKU != a.WO.SKU || !u.CreatedAt.Equal(T0) || u.Scrapped != nil {
			t.Errorf("Unit(A2) = %+v, %v", u, err)
		}
		if _, err := tx.Unit("B1"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("Unit(B1) = %v, want not found", err)
		}
		if u, err := tx.WorkOrderUnit(a.WO.ID, 3); err != nil || u.Serial != "A3" {
			t.Errorf("WorkOrderUnit(a, 3) = %+v, %v", u, err)
		}
		if _, err := tx.WorkOrderUnit(a.WO.ID, 4); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("WorkOrderUnit(a, 4) = %v, want not found", err)
		}
		if n, err := tx.UnitCount(a.WO.ID); err != nil || n != 3 {
			t.Errorf("UnitCount = %d, %v; want 3", n, err)
		}
		if n, err := tx.LastUnitSeq(); err != nil || n != 3 {
			t.Errorf("LastUnitSeq = %d, %v; want 3", n, err)
		}
		units, err := tx.UnitsOfOrder("d1-0000003")
		if err != nil || len(units) != 3 || units[2].Serial != "A3" {
			t.Errorf("UnitsOfOrder = %+v, %v", units, err)
		}
		traced, err := tx.TracedUnits([]int64{b.WO.ID, a.WO.ID})
		if err != nil || len(traced) != 3 || traced[0].Serial != "A1" || traced[2].Serial != "A3" || traced[2].Number != 3 ||
			traced[2].WorkOrder != a.WO.ID || traced[2].Scrapped != nil {
			t.Errorf("TracedUnits = %+v, %v", traced, err)
		}
		if traced, err := tx.TracedUnits(nil); err != nil || traced != nil {
			t.Errorf("TracedUnits(nil) = %+v, %v", traced, err)
		}
		if _, err := tx.TracedUnits(make([]int64, book.MaxWorkOrdersPerRead+1)); err == nil {
			t.Errorf("TracedUnits of %d work orders is no error", book.MaxWorkOrdersPerRead+1)
		}
		return nil
	})
}

// scrapUnits marks a's highest-numbered live units scrapped at its second operation: none
// above the units made, then the highest, then the rest, keeping the scrapped ones as they
// were; the scrapped units are traced with their scrapping.
func scrapUnits(t *testing.T, s Store, a WorkOrderOps) {
	op := a.Ops[1].ID
	for _, tc := range []struct {
		name   string
		keep   int
		marked int
		want   string
	}{
		{name: "above the units made: none", keep: 3, marked: 0,
			want: "A1#1/1 s1, A2#2/2 s2, A3#3/3 s3"},
		{name: "the highest", keep: 2, marked: 1,
			want: fmt.Sprintf("A1#1/1 s1, A2#2/2 s2, A3#3/3 s3 x%d:stain", op)},
		{name: "the scrapped ones stay as they were", keep: 0, marked: 2,
			want: fmt.Sprintf("A1#1/1 s1 x%[1]d:fire, A2#2/2 s2 x%[1]d:fire, A3#3/3 s3 x%[1]d:stain", op)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason := map[int]string{2: "stain", 0: "fire"}[tc.keep]
			MustWrite(t, s, func(tx book.Tx) error {
				n, err := tx.ScrapUnits(book.UnitsScrapped{WorkOrder: a.WO.ID, Keep: tc.keep, Operation: op, Reason: reason, At: T0})
				if n != tc.marked {
					t.Errorf("ScrapUnits marked %d, want %d", n, tc.marked)
				}
				return err
			})
			if got := UnitsOf(t, s, a.WO.ID); got != tc.want {
				t.Errorf("units = %s, want %s", got, tc.want)
			}
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		traced, err := tx.TracedUnits([]int64{a.WO.ID})
		if err != nil || len(traced) != 3 || traced[0].Scrapped == nil || traced[0].Scrapped.Reason != "fire" ||
			traced[0].Scrapped.Operation != op || !traced[0].Scrapped.At.Equal(T0) {
			t.Errorf("TracedUnits of scrapped units = %+v, %v", traced, err)
		}
		return nil
	})
}

// checkOwedLabelSerials: the labels owed for units 2 and 3 of a carry their serials.
func checkOwedLabelSerials(t *testing.T, s Store, a WorkOrderOps) {
	MustWrite(t, s, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "c1", Operation: a.Ops[3].ID, First: 2, Last: 3, At: T0})
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		labels, err := tx.OwedLabels("c1", 0)
		if err != nil || len(labels) != 2 || labels[0].Serial != "A2" || labels[1].Serial != "A3" {
			t.Errorf("owed labels = %+v, %v; want the serials A2 and A3", labels, err)
		}
		return nil
	})
}

// unitsPerInsert is how many units one statement of the SQLite store inserts: the behaviour
// below stores more than two statements' worth, so that a refused serial can be in a later one.
const unitsPerInsert = 200

// testInsertManyUnits stores units in several statements: all of them, or, when one of a
// later statement repeats a serial, none, with the repeated serial named.
func testInsertManyUnits(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 2)
	many := func(wo book.WorkOrder, n int, serial func(i int) string) []book.Unit {
		out := make([]book.Unit, n)
		for i := range out {
			out[i] = book.Unit{WorkOrder: wo.ID, Number: i + 1, OrderUnit: i + 1, Serial: serial(i), Seq: int64(wo.ID*1000 + int64(i)), CreatedAt: T0}
		}
		return out
	}
	MustWrite(t, s, func(tx book.Tx) error {
		return tx.InsertUnits(many(wos[0].WO, 2*unitsPerInsert+50, func(i int) string { return fmt.Sprintf("A%d", i) }))
	})
	for _, tc := range []struct {
		name   string
		serial func(i int) string
		want   string
	}{
		{name: "a serial stored before, in a later statement", serial: func(i int) string {
			if i == unitsPerInsert+7 {
				return "A3"
			}
			return fmt.Sprintf("B%d", i)
		}, want: fmt.Sprintf(`unit %d of work order %d: serial "A3" is unit 4 of work order %d`, unitsPerInsert+8, wos[1].WO.ID, wos[0].WO.ID)},
		{name: "a serial twice in one statement", serial: func(i int) string {
			if i == unitsPerInsert+9 {
				return fmt.Sprintf("B%d", unitsPerInsert+2)
			}
			return fmt.Sprintf("B%d", i)
		}, want: fmt.Sprintf(`unit %d of work order %d: serial "B%d" is also unit %d's`, unitsPerInsert+10, wos[1].WO.ID, unitsPerInsert+2, unitsPerInsert+3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Write(context.Background(), func(tx book.Tx) error {
				return tx.InsertUnits(many(wos[1].WO, 2*unitsPerInsert+50, tc.serial))
			})
			if !errors.Is(err, book.ErrSerialTaken) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("InsertUnits = %v, want %s", err, tc.want)
			}
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		a, err := tx.UnitCount(wos[0].WO.ID)
		if err != nil || a != 2*unitsPerInsert+50 {
			t.Errorf("UnitCount(A) = %d, %v; want %d", a, err, 2*unitsPerInsert+50)
		}
		if b, err := tx.UnitCount(wos[1].WO.ID); err != nil || b != 0 {
			t.Errorf("UnitCount(B) = %d, %v; want none stored", b, err)
		}
		return nil
	})
}

// testLiveUnitCount: a work order's live units are those below its lowest scrapped one.
func testLiveUnitCount(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 1)
	wo, op := wos[0].WO.ID, wos[0].Ops[0].ID
	count := func() int {
		var n int
		MustRead(t, s, func(tx book.ReadTx) error {
			var err error
			n, err = tx.LiveUnitCount(wo)
			return err
		})
		return n
	}
	for _, tc := range []struct {
		name string
		do   func(tx book.Tx) error
		want int
	}{
		{name: "no unit", do: func(tx book.Tx) error { return nil }, want: 0},
		{name: "three made", do: func(tx book.Tx) error {
			var us []book.Unit
			for n := 1; n <= 3; n++ {
				us = append(us, book.Unit{WorkOrder: wo, Number: n, OrderUnit: n, Serial: fmt.Sprint("S", n), Seq: int64(n), CreatedAt: T0})
			}
			return tx.InsertUnits(us)
		}, want: 3},
		{name: "the last scrapped", do: func(tx book.Tx) error {
			_, err := tx.ScrapUnits(book.UnitsScrapped{WorkOrder: wo, Keep: 2, Operation: op, Reason: "stain", At: T0})
			return err
		}, want: 2},
		{name: "all scrapped", do: func(tx book.Tx) error {
			_, err := tx.ScrapUnits(book.UnitsScrapped{WorkOrder: wo, Keep: 0, Operation: op, Reason: "fire", At: T0})
			return err
		}, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustWrite(t, s, tc.do)
			if got := count(); got != tc.want {
				t.Errorf("LiveUnitCount = %d, want %d", got, tc.want)
			}
		})
	}
}
