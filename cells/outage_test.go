package cells_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/firmware-sim/dye"
)

// TestAnOutageOfTheBookLosesNothingAndSendsNothingTwice: the book's database goes away while
// a bath is dyed and comes back after the bath ended. The controller records the bath's end
// once the book answers: its units, its readings whole, its completion once, and the vat is
// not sent the bath again; meanwhile it tried, and nothing of its was half written.
func TestAnOutageOfTheBookLosesNothingAndSendsNothingTwice(t *testing.T) {
	fl := newSteppedFloor(t, time.Hour, time.Hour)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	op := fl.op("K1", 0)
	fl.startBath()
	fl.holdTenMinutes()
	fl.passesOver("dye-1", "hold", 1)

	fl.away.SetAway(true)
	refused := fl.away.Refused.Load()
	fl.finishBath()
	fl.passesOver("dye-1", "done", 3)
	if fl.away.Refused.Load() == refused {
		t.Fatal("the controller did not try the book while it was away")
	}
	if st := fl.plant.DyeStation("vat-a").Status(); st.Batches != 1 || st.State != dye.StateDone {
		t.Fatalf("while the book is away the vat holds %d batches in state %d: want the one bath, done", st.Batches, st.State)
	}

	fl.away.SetAway(false)
	eventually(t, "the bath's end to be recorded", func() bool { return fl.op("K1", 0).State == book.Done })
	if got := fl.op("K1", 0); got.UnitsDone != 2 {
		t.Errorf("units done = %d, want 2", got.UnitsDone)
	}
	checkBath(t, fl.readings(op.ID))
	events, err := fl.book.Events(context.Background(), book.EventFilter{Operation: op.ID})
	if err != nil {
		t.Fatal(err)
	}
	var completions, units int
	for _, e := range events {
		switch {
		case e.Kind == book.EventOperation && e.To == book.Done:
			completions++
		case e.Kind == book.EventOperationProgress:
			units += e.Quantity
		}
	}
	if completions != 1 || units != 2 {
		t.Errorf("%d completions and %d units of progress recorded, want 1 and 2: %+v", completions, units, events)
	}
	if st := fl.plant.DyeStation("vat-a").Status(); st.Batches != 1 {
		t.Errorf("the vat dyed %d batches, want the one", st.Batches)
	}
}

// forgetfulLabels is a book whose database goes away just as a label's print is recorded,
// fail times.
type forgetfulLabels struct {
	cells.Book
	fail *atomic.Int64
}

func (b forgetfulLabels) LabelPrinted(ctx context.Context, id int64) error {
	if b.fail.Add(-1) >= 0 {
		return fmt.Errorf("%w: connection reset by peer", book.ErrUnavailable)
	}
	return b.Book.LabelPrinted(ctx, id)
}

// TestALabelWhosePrintTheBookMissedIsNotPrintedAgain: a label on paper whose record the book
// could not take (its database went away) is recorded once the book answers, and not printed
// a second time meanwhile; the labels after it print in their turn.
func TestALabelWhosePrintTheBookMissedIsNotPrintedAgain(t *testing.T) {
	fl := newFloor(t)
	fl.stopAndClose()
	var fail atomic.Int64
	fail.Store(3)
	fl.wrap = func(b cells.Book) cells.Book { return forgetfulLabels{Book: b, fail: &fail} }
	fl.startCells()
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	fl.act(label.ID, book.ActionStart, "")
	fl.act(label.ID, book.ActionComplete, "")
	eventually(t, "the labels' prints to be recorded", func() bool {
		_, n, err := fl.book.OwedLabels(context.Background(), "label-1", 0)
		return err == nil && n == 0 && fail.Load() < 0
	})
	printed, _ := fl.plant.Labels("labeller-1")
	if len(printed) != 2 {
		t.Fatalf("%d labels printed, want the 2 units' once each", len(printed))
	}
	for i, serial := range []string{"S1-1", "S1-2"} {
		if _, ok := printed[i].Field(serial); !ok {
			t.Errorf("label %d is not %s's: %+v", i, serial, printed[i].Fields)
		}
	}
	if st := fl.cells["label-1"].Status(); st.LabelsOwed != 0 {
		t.Errorf("the cell says %d labels owed, want none", st.LabelsOwed)
	}
}
