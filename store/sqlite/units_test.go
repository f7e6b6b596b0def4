package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestUnitsMigrationGivesEarlierUnitsTheirLabelsSerials: the units counted before units were
// records are made by the migration with the serials their labels were printed with
// ("{order}-{n}", a remake's numbered after the work orders before it), scrapped where the
// work order's scraps leave them out, and numbered in the studio's sequence.
func TestUnitsMigrationGivesEarlierUnitsTheirLabelsSerials(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	wos := storetest.ImportOrders(t, s, "d1", 3, 5) // quantities 4 and 5
	untouched, a := wos[0], wos[1]
	var remake book.WorkOrder
	var remakeOps []book.Operation
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		// a: 5 to make; 1 lost at the first step after 3 were counted (4 done), 1 more lost at
		// the second, where 2 were counted: 3 live units of the 4 made
		done := t0.Add(time.Hour)
		ops := a.Ops
		ops[0].State, ops[0].UnitsDone, ops[0].Scrapped, ops[0].EndedAt, ops[0].StartedAt = book.Done, 3, 1, &done, &t0
		ops[1].State, ops[1].Quantity, ops[1].UnitsDone, ops[1].Scrapped, ops[1].Reason, ops[1].StartedAt =
			book.Running, 4, 2, 1, "stain", &done
		for i := range ops[:2] {
			if err := tx.UpdateOperation(&ops[i]); err != nil {
				return err
			}
		}
		// a remake of a's order, of 2, its first step done uncounted
		remake = book.WorkOrder{OrderID: a.WO.OrderID, Drop: a.WO.Drop, SKU: a.WO.SKU, Quantity: 2, State: book.WorkOpen,
			Due: a.WO.Due, IntakeAt: done, RemakeOf: a.WO.ID}
		for seq, op := range a.Ops {
			op.ID, op.Seq, op.Quantity, op.State, op.UnitsDone, op.Scrapped, op.Reason = 0, seq, 2, book.Pending, 0, 0, ""
			op.StartedAt, op.EndedAt = nil, nil
			remakeOps = append(remakeOps, op)
		}
		remakeOps[0].State = book.Done
		return tx.InsertWorkOrder(&remake, remakeOps)
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The database as it was before the migration: no units.
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var unitsSQL string
	for _, m := range ms {
		if strings.HasSuffix(m.name, "_units.sql") {
			unitsSQL = m.sql
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE units`, unitsSQL} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := a.WO.OrderID
	want := fmt.Sprintf("%[1]s-1#1/1 s1, %[1]s-2#2/2 s2, %[1]s-3#3/3 s3, %[1]s-4#4/4 s4 x%[2]d:stain", o, a.Ops[1].ID)
	if got := storetest.UnitsOf(t, s, a.WO.ID); got != want {
		t.Errorf("a's units = %s\nwant %s", got, want)
	}
	want = fmt.Sprintf("%[1]s-6#1/6 s5, %[1]s-7#2/7 s6", o)
	if got := storetest.UnitsOf(t, s, remake.ID); got != want {
		t.Errorf("the remake's units = %s\nwant %s", got, want)
	}
	if got := storetest.UnitsOf(t, s, untouched.WO.ID); got != "" {
		t.Errorf("a work order that counted nothing has units %s", got)
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		u, err := tx.Unit(o + "-1")
		if err != nil || !u.CreatedAt.Equal(t0) {
			t.Errorf("unit 1 = %+v, %v; want made when its first step started", u, err)
		}
		return nil
	})
}
