package cells_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// TestIdleMachineCellReadsTheBookOnlyWhenSomethingChanged: the controller of a cell whose
// machine idles looks at it every tick and at every poll, but reads its queue again only when
// the book was written or the machine reads otherwise: a quiet floor costs the book nothing
// however often its machines are polled, and the cell still follows a new order and a fault
// at once.
func TestIdleMachineCellReadsTheBookOnlyWhenSomethingChanged(t *testing.T) {
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(false)...)
	var reads atomic.Int64
	fl.wrap = func(b cells.Book) cells.Book { return countingQueue{Book: b, cell: "weave-1", reads: &reads} }
	fl.restart()
	ctx := context.Background()
	eventually(t, "weave-1's first stop", func() bool {
		s, ok, err := fl.book.OpenStop(ctx, "weave-1")
		return err == nil && ok && s.Kind == book.StopNoWork
	})
	weave := fl.cells["weave-1"]
	looks := func(n int) {
		for range n {
			now := fl.clock.Advance(time.Second)
			eventually(t, "weave-1's controller to look", func() bool { return !weave.Status().UpdatedAt.Before(now) })
		}
	}
	// The floor's other cells may still be writing their first stops on a slow machine, and a
	// write is a change: the ten looks count only when nothing was written meanwhile. A write
	// just before the round began is the first look's to read, so the count starts after it.
	before := reads.Load()
	for try := 1; ; try++ {
		written := fl.book.Changed()
		looks(1)
		before = reads.Load()
		polled := fl.pollsOf("loom-a")
		looks(10)
		if fl.pollsOf("loom-a") == polled {
			t.Fatal("the loom was not polled during the looks")
		}
		select {
		case <-written:
			if try == 5 {
				t.Fatal("the book was written during each of 5 rounds of 10 looks: nothing measured")
			}
			continue
		default:
		}
		break
	}
	if n := reads.Load() - before; n != 0 {
		t.Errorf("%d reads of weave-1's queue in 10 looks with nothing written and the loom idle, want none", n)
	}

	// An order is a write: the loom's cell reads its queue and holds the work, waiting for a
	// person to start it (auto_start off).
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	eventually(t, "weave-1 to see its work", func() bool {
		s, ok, err := fl.book.OpenStop(ctx, "weave-1")
		return err == nil && ok && s.Kind == book.StopIdle
	})
	if reads.Load() == before {
		t.Error("weave-1 did not read its queue after the book was written")
	}

	// A fault is a changed reading, no write: the cell goes down for it.
	if err := fl.plant.SetFaults("loom-a", plant.Faults{MachineFault: int(loom.FaultWarpBreak)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "weave-1 down for the loom's fault", func() bool {
		s, ok, err := fl.book.OpenStop(ctx, "weave-1")
		return err == nil && ok && s.Kind == book.StopFault && weave.Status().Down != ""
	})
	// The floor fixes the warp and resets the loom: it reads idle again, and the cell is up.
	if err := weave.Reset(ctx, "person:ana", "fixed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "weave-1 back up", func() bool { return weave.Status().Down == "" })
}
