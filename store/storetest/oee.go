package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// oeeFixture is SCARF x3 at weave-1 (20 min a unit) in drop winter: started 08:00, its machine
// counts 1 at 09:00, a person scraps 1 at 09:30 and completes the last one at 10:00; its check
// failed (a non-conformance). A rework operation of it completes at 10:30 at weave-1; an
// operation at dye-1 of drop summer is scrapped whole at 10:45; an event with no cell counts
// nothing. It returns the ids of the operations: weave, rework, dye.
func oeeFixture(t *testing.T, s Store) (weave, rework, dye int64) {
	t.Helper()
	at := func(m int) time.Time { return monday.Add(time.Duration(m) * time.Minute) }
	w := seedWorkOrder(t, s, "S1", "winter", "SCARF", book.WorkOpen, []seedOp{
		{capability: "weave", cell: "weave-1", state: book.Done, quantity: 3, unitTime: 20 * time.Minute, scrapped: 1, done: 1, endedAt: Ptr(at(120))},
		{capability: "pack", state: book.Pending, quantity: 3},
	})
	weave = w.Ops[0]
	rw := seedWorkOrder(t, s, "S2", "winter", "SCARF", book.WorkOpen, []seedOp{
		{capability: "weave", cell: "weave-1", state: book.Done, quantity: 1, unitTime: 20 * time.Minute, endedAt: Ptr(at(150)), reworkOf: weave},
	})
	rework = rw.Ops[0]
	d := seedWorkOrder(t, s, "T1", "summer", "TOTE", book.WorkOpen, []seedOp{
		{capability: "dye", cell: "dye-1", state: book.Scrapped, quantity: 2, unitTime: time.Minute, scrapped: 2, endedAt: Ptr(at(165))},
	})
	dye = d.Ops[0]
	ev := func(m int, kind, cell string, op int64, from, to book.State, q int) {
		seedEvent(t, s, book.Event{At: at(m), Actor: "cell:" + cell, Kind: kind, Cell: cell, Drop: "winter", Operation: op,
			From: from, To: to, Quantity: q})
	}
	ev(0, book.EventOperation, "weave-1", weave, book.Queued, book.Running, 0)
	ev(60, book.EventOperationProgress, "weave-1", weave, "", "", 1)
	ev(90, book.EventOperationScrap, "weave-1", weave, "", "", 1)
	ev(120, book.EventOperation, "weave-1", weave, book.Running, book.Done, 0)
	ev(125, book.EventOperationProgress, "", weave, "", "", 5)
	ev(130, book.EventOperation, "weave-1", rework, book.Queued, book.Running, 0)
	ev(150, book.EventOperation, "weave-1", rework, book.Running, book.Done, 0)
	ev(160, book.EventOperation, "dye-1", dye, book.Queued, book.Running, 0)
	ev(165, book.EventOperation, "dye-1", dye, book.Running, book.Scrapped, 2)
	MustWrite(t, s, func(tx book.Tx) error {
		c := book.CheckRecord{Operation: weave, WorkOrder: w.ID, Cell: "weave-1", SKU: "SCARF", Units: 3, By: "person:ana", At: time.UnixMicro(0)}
		if err := tx.InsertCheck(&c); err != nil {
			return err
		}
		return tx.InsertNonConformance(&book.NonConformance{Check: c.ID, Operation: weave, WorkOrder: w.ID, Cell: "weave-1", SKU: "SCARF",
			Failed: []string{}, State: book.NCOpen, OpenedAt: time.UnixMicro(0), OpenedBy: "person:ana"})
	})
	return weave, rework, dye
}

// testUnitCounts: progress counts what it added, a completion what its operation had not
// counted, a scrap what it scrapped, and a whole scrap the units left; a scrap after a good unit
// before the window knows of it; the window is [from, to); a cell narrows it; an event with no
// cell counts nothing.
func testUnitCounts(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	weave, rework, dye := oeeFixture(t, s)
	at := func(m int) time.Time { return monday.Add(time.Duration(m) * time.Minute) }
	unit := 20 * time.Minute
	progress := book.UnitCount{At: at(60), Cell: "weave-1", Operation: weave, Done: 1, UnitTime: unit, Failed: true}
	scrap := book.UnitCount{At: at(90), Cell: "weave-1", Operation: weave, Scrapped: 1, UnitTime: unit, Failed: true}
	done := book.UnitCount{At: at(120), Cell: "weave-1", Operation: weave, Done: 1, UnitTime: unit, Failed: true}
	reworked := book.UnitCount{At: at(150), Cell: "weave-1", Operation: rework, Done: 1, UnitTime: unit, Rework: true}
	scrapped := book.UnitCount{At: at(165), Cell: "dye-1", Operation: dye, Scrapped: 2, UnitTime: time.Minute}
	scrapAfterGood := scrap
	scrapAfterGood.GoodBefore = true
	for _, tc := range []struct {
		name     string
		from, to time.Time
		cell     string
		want     []book.UnitCount
	}{
		{name: "the morning", from: at(0), to: at(240), want: []book.UnitCount{progress, scrap, done, reworked, scrapped}},
		{name: "after the first good unit", from: at(75), to: at(240), cell: "weave-1", want: []book.UnitCount{scrapAfterGood, done, reworked}},
		{name: "half open", from: at(60), to: at(120), want: []book.UnitCount{progress, scrap}},
		{name: "a cell", from: at(0), to: at(240), cell: "dye-1", want: []book.UnitCount{scrapped}},
		{name: "no cell of that name", from: at(0), to: at(240), cell: "pack-1"},
		{name: "before", from: at(-60), to: at(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.UnitCounts(tc.from, tc.to, tc.cell)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("UnitCounts =\n%+v\nwant\n%+v", got, tc.want)
				}
				return nil
			})
		})
	}
}

// testEndedOperations: the operations that completed or were scrapped in [from, to), with their
// SKU, by id; a scrapped one has no good units; one with no cell is not read.
func testEndedOperations(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	weave, rework, dye := oeeFixture(t, s)
	at := func(m int) time.Time { return monday.Add(time.Duration(m) * time.Minute) }
	MustWrite(t, s, func(tx book.Tx) error { // the pack operation ends, at no cell
		ops, err := tx.Operations(workOrderOf(t, tx, weave))
		if err != nil {
			return err
		}
		pack := ops[1]
		pack.State, pack.EndedAt = book.Done, Ptr(at(130))
		return tx.UpdateOperation(&pack)
	})
	all := []book.EndedOperation{
		{ID: weave, Cell: "weave-1", SKU: "SCARF", Ended: at(120), Done: 2, Scrapped: 1, Failed: true},
		{ID: rework, Cell: "weave-1", SKU: "SCARF", Ended: at(150), Done: 1, Rework: true},
		{ID: dye, Cell: "dye-1", SKU: "TOTE", Ended: at(165), Done: 0, Scrapped: 2},
	}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []book.EndedOperation
	}{
		{name: "the morning", from: at(0), to: at(240), want: all},
		{name: "half open", from: at(120), to: at(165), want: all[:2]},
		{name: "none", from: at(166), to: at(240)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.EndedOperations(tc.from, tc.to)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("EndedOperations =\n%+v\nwant\n%+v", got, tc.want)
				}
				return nil
			})
		})
	}
}

// workOrderOf returns the id of the work order of operation op.
func workOrderOf(t *testing.T, tx book.ReadTx, op int64) int64 {
	t.Helper()
	o, err := tx.Operation(op)
	if err != nil {
		t.Fatalf("operation %d: %v", op, err)
	}
	return o.WorkOrder
}
