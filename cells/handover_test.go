package cells_test

import (
	"slices"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// loomCounts returns how many jobs a simulated loom was given and how many units it wove.
func (fl *floor) loomCounts(device string) (jobs, made int) {
	fl.t.Helper()
	l := fl.plant.Loom(device)
	if l == nil {
		fl.t.Fatalf("no loom %s", device)
	}
	return l.Counts()
}

// TestMachineThatFinishedUnwatchedIsNotSentItsJobAgain: the controllers stop (a daemon killed,
// or another daemon about to take the cell over) while a loom weaves; the loom finishes the job
// on its own. The controllers that start next find it done: they record its units and complete
// the operation, and do not send the job again (it would weave the order twice).
func TestMachineThatFinishedUnwatchedIsNotSentItsJobAgain(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
	eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
	fl.stopControllers()
	op := fl.op("S1", 0)
	device := map[string]string{"weave-1": "loom-a", "weave-2": "loom-b"}[op.Cell]
	eventually(t, "the loom to finish unwatched", func() bool {
		st := fl.plant.Status()
		for _, d := range st {
			if d.ID == device {
				return d.Machine["state"] == 2 // done
			}
		}
		return false
	})
	if op.UnitsDone >= 30 {
		t.Fatalf("the book has all %d units before the restart: the test shows nothing", op.UnitsDone)
	}

	fl.stopAndClose()
	fl.startCells()
	eventually(t, "S1's weaving to complete", func() bool { return fl.op("S1", 0).State == book.Done })
	if got := fl.op("S1", 0); got.UnitsDone != 30 {
		t.Errorf("S1's weaving done with %d units, want 30", got.UnitsDone)
	}
	if jobs, made := fl.loomCounts(device); jobs != 1 || made != 30 {
		t.Errorf("loom %s was given %d jobs and wove %d units, want 1 job of 30", device, jobs, made)
	}
	if st := fl.cells[op.Cell].Status(); st.Machine != configs.StateDone {
		t.Errorf("the loom is %q after the completion, want done (no new job)", st.Machine)
	}
}

// TestMachineDoneWithAnEarlierJobGetsTheNextOne: the controllers stop after the next operation
// was started in the book but before its job reached the loom, still done with the job before.
// The controllers that start next send the job: the loom's done state is the earlier job's.
func TestMachineDoneWithAnEarlierJobGetsTheNextOne(t *testing.T) {
	fl := newFloor(t, func(f *configs.Factory) {
		// one loom, so that both orders are woven on it; a person starts each job, so that
		// the test can start S2 while no controller runs
		f.Cells = slices.DeleteFunc(f.Cells, func(c configs.Cell) bool { return c.ID == "weave-2" })
		for i := range f.Cells {
			f.Cells[i].AutoStart = false
		}
	})
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,3\nS2,SCARF,4\n")
	eventually(t, "S1 and S2 to be queued", func() bool {
		return fl.op("S1", 0).State == book.Queued && fl.op("S2", 0).State == book.Queued
	})
	first, second := fl.op("S1", 0), fl.op("S2", 0)
	fl.act(first.ID, book.ActionStart, "")
	eventually(t, "S1 to complete", func() bool { return fl.op("S1", 0).State == book.Done })
	fl.stopControllers()
	fl.act(second.ID, book.ActionStart, "")
	fl.stopAndClose()
	fl.startCells()
	eventually(t, "S2 to complete", func() bool { return fl.op("S2", 0).State == book.Done })
	if got := fl.op("S2", 0); got.UnitsDone != 4 {
		t.Errorf("S2 done with %d units, want 4", got.UnitsDone)
	}
	if jobs, made := fl.loomCounts("loom-a"); jobs != 2 || made != 7 {
		t.Errorf("loom-a was given %d jobs and wove %d units, want 2 jobs, of 3 and 4 units", jobs, made)
	}
}

// stopControllers stops the controllers and their drivers, leaving the store open.
func (fl *floor) stopControllers() {
	fl.stopCells()
	fl.cellsWG.Wait()
}
