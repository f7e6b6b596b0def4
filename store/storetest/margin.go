package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testMarginOperations: every operation of a drop's work orders, reworks included, by work
// order and seq, with what the margin reads of it; another drop's are not read.
func testMarginOperations(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	weave, rework, _ := oeeFixture(t, s)
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.MarginOperations("winter")
		if err != nil {
			return err
		}
		if len(got) != 3 {
			t.Fatalf("%d operations of winter, want 3: %+v", len(got), got)
		}
		first := got[0]
		want := book.QueueEntry{Drop: "winter", SKU: "SCARF", Operation: book.Operation{ID: weave, WorkOrder: first.WorkOrder,
			Capability: "weave", Quantity: 3, UnitTime: 20 * time.Minute, State: book.Done, Cell: "weave-1", Scrapped: 1, UnitsDone: 1}}
		if !reflect.DeepEqual(first, want) {
			t.Errorf("the first =\n%+v\nwant\n%+v", first, want)
		}
		if p := got[1]; p.WorkOrder != first.WorkOrder || p.Seq != 1 || p.Step != 1 || p.Capability != "pack" || p.State != book.Pending {
			t.Errorf("the second = %+v", p)
		}
		if r := got[2]; r.ID != rework || r.ReworkOf != weave || r.WorkOrder <= first.WorkOrder {
			t.Errorf("the rework = %+v", r)
		}
		for _, drop := range []string{"summer", ""} {
			ops, err := tx.MarginOperations(drop)
			if err != nil || len(ops) != map[string]int{"summer": 1, "": 0}[drop] {
				t.Errorf("operations of %q = %+v, %v", drop, ops, err)
			}
		}
		return nil
	})
}

// testMarginRuns: the operation.changed events of a drop's operations that start or end a
// running interval, by id, with every field; progress and another drop's events are not read.
func testMarginRuns(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	weave, rework, dye := oeeFixture(t, s)
	at := func(m int) time.Time { return monday.Add(time.Duration(m) * time.Minute) }
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.MarginRuns("winter")
		if err != nil {
			return err
		}
		var ops []int64
		for _, e := range got {
			ops = append(ops, e.Operation)
			if e.Kind != book.EventOperation || (e.From != book.Running && e.To != book.Running) {
				t.Errorf("not a running interval's end: %+v", e)
			}
		}
		if want := []int64{weave, weave, rework, rework}; !reflect.DeepEqual(ops, want) {
			t.Errorf("operations of the runs = %v, want %v", ops, want)
		}
		if len(got) > 0 {
			want := book.Event{ID: got[0].ID, At: at(0), Actor: "cell:weave-1", Kind: book.EventOperation, Cell: "weave-1",
				Drop: "winter", Operation: weave, From: book.Queued, To: book.Running}
			if !reflect.DeepEqual(got[0], want) {
				t.Errorf("the first run =\n%+v\nwant\n%+v", got[0], want)
			}
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID <= got[i-1].ID {
				t.Errorf("runs not by id: %+v", got)
			}
		}
		runs, err := tx.MarginRuns("summer")
		if err != nil || len(runs) != 2 || runs[0].Operation != dye || runs[1].To != book.Scrapped || runs[1].Quantity != 2 {
			t.Errorf("the runs of summer = %+v, %v", runs, err)
		}
		return nil
	})
}
