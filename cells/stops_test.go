package cells_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// shiftStart is when the tests' clocked floors start: a Monday morning.
var shiftStart = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

// stopsFloor edits the test factory for the stop tests: the default stops section with the
// loom's warp break mapped to a breakdown, one loom only (weave-1), and the looms' auto-start
// set to autoStart.
func stopsFloor(autoStart bool, more ...func(*configs.Factory)) []func(*configs.Factory) {
	return append([]func(*configs.Factory){func(f *configs.Factory) {
		f.Stops = configs.DefaultStops()
		f.Stops.MachineFaults = map[string]string{"warp break": "breakdown"}
		f.Cells = slices.DeleteFunc(f.Cells, func(c configs.Cell) bool { return c.ID == "weave-2" })
		for i := range f.Cells {
			if f.Cells[i].ID == "weave-1" {
				f.Cells[i].AutoStart = autoStart
			}
		}
	}}, more...)
}

// stopWatch follows the stops of one cell of a clocked floor: each expect waits for the
// controller to record the condition the test just caused, and checks that the stop before
// ended, and the new one started, at that instant of the floor's clock.
type stopWatch struct {
	fl   *floor
	cell string
	prev *book.Stop // the stop open before, nil when the cell was producing
}

func watchStops(fl *floor, cell string) *stopWatch {
	return &stopWatch{fl: fl, cell: cell}
}

// expect waits for the cell's open stop to be want (none when want.Kind is empty; any
// operation when want.Operation is 0) and returns it.
func (w *stopWatch) expect(t *testing.T, what string, want book.StopCondition) book.Stop {
	t.Helper()
	ctx := context.Background()
	now := w.fl.clock.Now()
	var open book.Stop
	eventually(t, what, func() bool {
		s, ok, err := w.fl.book.OpenStop(ctx, w.cell)
		if err != nil {
			t.Fatal(err)
		}
		if want.Kind == "" {
			return !ok
		}
		open = s
		return ok && s.Kind == want.Kind && s.Detail == want.Detail && s.Reason == want.Reason &&
			(want.Operation == 0 || s.Operation == want.Operation)
	})
	if w.prev != nil && (want.Kind == "" || w.prev.ID != open.ID) {
		all, err := w.fl.book.Stops(ctx, book.StopFilter{Cell: w.cell})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(all, func(s book.Stop) bool { return s.ID == w.prev.ID })
		if i < 0 || all[i].End == nil || !all[i].End.Equal(now) {
			t.Errorf("%s: the %s stop before = %+v, want it ended at %s", what, w.prev.Kind, all[i], now.Format(time.TimeOnly))
		}
	}
	w.prev = nil
	if want.Kind == "" {
		return book.Stop{}
	}
	if !open.Start.Equal(now) {
		t.Errorf("%s: %s stop started at %s, want %s", what, open.Kind, open.Start.Format(time.TimeOnly), now.Format(time.TimeOnly))
	}
	if open.Auto != (want.Reason != "") {
		t.Errorf("%s: stop auto = %v with reason %q", what, open.Auto, open.Reason)
	}
	w.prev = &open
	return open
}

// TestStopsFollowTheLoom walks a loom cell through every condition its controller knows, on a
// clock the test moves: each opens the right stop, with its detail and reason, and closes the
// one before at the same instant; a restart goes on with the open stop.
func TestStopsFollowTheLoom(t *testing.T) {
	ctx := context.Background()
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(false)...)
	w := watchStops(fl, "weave-1")
	w.expect(t, "no work at the start", book.StopCondition{Kind: book.StopNoWork})

	fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
	weave := fl.op("S1", 0)
	if weave.Cell != "weave-1" || weave.State != book.Queued {
		t.Fatalf("weave step %s at %q, want queued at weave-1", weave.State, weave.Cell)
	}
	w.expect(t, "idle while the job waits for a person", book.StopCondition{Kind: book.StopIdle, Operation: weave.ID})

	fl.clock.Advance(10 * time.Minute)
	fl.act(weave.ID, book.ActionStart, "")
	w.expect(t, "producing once started", book.StopCondition{})
	fl.clock.Advance(20 * time.Minute)
	eventually(t, "the first unit", func() bool { return fl.op("S1", 0).UnitsDone == 1 })

	// Pauses: a reason the stops section maps, and one it does not (the tablet asks).
	for _, tc := range []struct{ reason, gives string }{{"material", "material"}, {"yarn knot", ""}} {
		t.Run("pause for "+tc.reason, func(t *testing.T) {
			fl.act(weave.ID, book.ActionPause, tc.reason)
			s := w.expect(t, "paused", book.StopCondition{Kind: book.StopPaused, Operation: weave.ID, Detail: tc.reason, Reason: tc.gives})
			// A unit scrapped during the pause gives the operation the scrap's reason: the
			// pause goes on, one stop, with the reason it was paused for.
			if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: weave.ID, Action: book.ActionScrap, Actor: "ana",
				Quantity: 1, Reason: "snagged weft"}); err != nil {
				t.Fatal(err)
			}
			// Two looks of the controller after it, the first wholly done before the second.
			for _, d := range []time.Duration{4 * time.Minute, time.Minute} {
				now := fl.clock.Advance(d)
				eventually(t, "the controller to look after the scrap", func() bool {
					return !fl.cells["weave-1"].Status().UpdatedAt.Before(now)
				})
			}
			if open, ok, err := fl.book.OpenStop(ctx, "weave-1"); err != nil || !ok || open.ID != s.ID || open.Detail != tc.reason {
				t.Fatalf("open stop after a scrap in the pause = %+v, %v, %v; want stop %d still open", open, ok, err, s.ID)
			}
			fl.act(weave.ID, book.ActionResume, "")
			w.expect(t, "producing once resumed", book.StopCondition{})
			fl.clock.Advance(time.Minute)
		})
	}

	// Machine faults: the warp break is mapped, the weft out is not. The fault's detail is its
	// name in the loom's profile.
	for _, tc := range []struct {
		fault        uint16
		name, reason string
		restart      bool
	}{
		{fault: loom.FaultWarpBreak, name: "warp break", reason: "breakdown"},
		{fault: loom.FaultWeftOut, name: "weft out", restart: true},
	} {
		t.Run("fault "+tc.name, func(t *testing.T) {
			if err := fl.plant.SetFaults("loom-a", plant.Faults{MachineFault: int(tc.fault)}); err != nil {
				t.Fatal(err)
			}
			s := w.expect(t, "the machine's fault", book.StopCondition{Kind: book.StopFault, Operation: weave.ID, Detail: tc.name, Reason: tc.reason})
			fl.clock.Advance(25 * time.Minute)
			if tc.restart {
				// The daemon dies in the fault and starts again: the stop goes on.
				fl.restart()
				eventually(t, "the restarted controller to read the loom", func() bool { return fl.cells["weave-1"].Status().Online })
				fl.clock.Advance(time.Minute)
				eventually(t, "a reading after the restart", func() bool {
					return !fl.cells["weave-1"].Status().UpdatedAt.Before(fl.clock.Now())
				})
				if open, ok, err := fl.book.OpenStop(ctx, "weave-1"); err != nil || !ok || open.ID != s.ID {
					t.Fatalf("open stop after the restart = %+v, %v, %v; want stop %d still open", open, ok, err, s.ID)
				}
			}
			if err := fl.plant.SetFaults("loom-a", plant.Faults{}); err != nil {
				t.Fatal(err)
			}
			if err := fl.cells["weave-1"].Reset(ctx, "person:ana", "fixed"); err != nil {
				t.Fatal(err)
			}
			w.expect(t, "producing after the reset", book.StopCondition{})
			fl.clock.Advance(time.Minute)
		})
	}

	t.Run("lost connection", func(t *testing.T) {
		if err := fl.plant.SetFaults("loom-a", plant.Faults{Drop: true}); err != nil {
			t.Fatal(err)
		}
		// A reading answered before the drop is in, stamped with the clock before it moves.
		failed := fl.failedReadings("loom-a")
		eventually(t, "the loom's readings to fail", func() bool { return fl.failedReadings("loom-a") >= failed+2 })
		fl.clock.Advance(2*time.Hour + time.Minute) // the loom weaves on meanwhile
		w.expect(t, "no answer", book.StopCondition{Kind: book.StopLost, Operation: weave.ID})
		fl.clock.Advance(10 * time.Minute)
		if err := fl.plant.SetFaults("loom-a", plant.Faults{}); err != nil {
			t.Fatal(err)
		}
		w.expect(t, "producing once the loom answers", book.StopCondition{})
	})

	t.Run("reported fault", func(t *testing.T) {
		fl.clock.Advance(time.Minute)
		if err := fl.cells["weave-1"].ReportFault(ctx, "jam", "ana"); err != nil {
			t.Fatal(err)
		}
		w.expect(t, "the reported fault", book.StopCondition{Kind: book.StopReported, Operation: weave.ID, Detail: "jam", Reason: "breakdown"})
		fl.clock.Advance(15 * time.Minute)
		if err := fl.cells["weave-1"].Reset(ctx, "person:ana", "cleared"); err != nil {
			t.Fatal(err)
		}
		w.expect(t, "producing after the reset", book.StopCondition{})
	})

	fl.clock.Advance(time.Minute)
	fl.act(weave.ID, book.ActionComplete, "")
	w.expect(t, "no work once completed", book.StopCondition{Kind: book.StopNoWork})

	// Every change was one stop: the same condition seen at every tick opened nothing more.
	all, err := fl.book.Stops(ctx, book.StopFilter{Cell: "weave-1"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []book.StopKind
	for _, s := range all {
		kinds = append(kinds, s.Kind)
	}
	want := []book.StopKind{book.StopNoWork, book.StopIdle, book.StopPaused, book.StopPaused, book.StopFault, book.StopFault,
		book.StopLost, book.StopReported, book.StopNoWork}
	if !slices.Equal(kinds, want) {
		t.Errorf("stops %v, want %v", kinds, want)
		for _, s := range all {
			t.Logf("%+v", s)
		}
	}
}

// TestSetupPhasesAreASetupStop: the dye bath filling and heating (its profile's setup phases)
// is a setup stop with the stops section's setup reason; the hold is production.
func TestSetupPhasesAreASetupStop(t *testing.T) {
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(true)...)
	w := watchStops(fl, "dye-1")
	w.expect(t, "no work at the start", book.StopCondition{Kind: book.StopNoWork})
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,4\n")
	dye := fl.op("K1", 0)
	w.expect(t, "filling and heating", book.StopCondition{Kind: book.StopSetup, Operation: dye.ID, Reason: "changeover"})
	fl.clock.Advance(30 * time.Minute)
	eventually(t, "the bath to hold", func() bool { return fl.cells["dye-1"].Status().Machine == "hold" })
	w.expect(t, "holding", book.StopCondition{})
	fl.clock.Advance(time.Hour + 59*time.Minute)
	fl.clock.Advance(time.Hour)
	eventually(t, "the batch to complete", func() bool { return fl.op("K1", 0).State == book.Done })
	w.expect(t, "no work once done", book.StopCondition{Kind: book.StopNoWork})
}

// TestCheckedStepWaitsForAPerson: the machine's job of a step with a checklist ends, its units
// are recorded, and the operation waits for a person (a check stop) instead of being completed
// by the controller; the person completes it with the checklist.
func TestCheckedStepWaitsForAPerson(t *testing.T) {
	ctx := context.Background()
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(true, func(f *configs.Factory) {
		for i := range f.Products {
			if f.Products[i].SKU == "SCARF" {
				f.Products[i].Routing[0].Checks = []configs.Check{{Name: "No loose knots"}}
			}
		}
	})...)
	w := watchStops(fl, "weave-1")
	w.expect(t, "no work at the start", book.StopCondition{Kind: book.StopNoWork})
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
	weave := fl.op("S1", 0)
	w.expect(t, "weaving", book.StopCondition{})
	fl.clock.Advance(40 * time.Minute)
	w.expect(t, "waiting for the check", book.StopCondition{Kind: book.StopCheck, Operation: weave.ID, Reason: "quality-check"})
	eventually(t, "the loom to be read done", func() bool { return fl.cells["weave-1"].Status().Machine == configs.StateDone })
	// The controller goes on looking at the done loom: the operation stays running.
	fl.clock.Advance(10 * time.Minute)
	eventually(t, "a reading after the job", func() bool { return !fl.cells["weave-1"].Status().UpdatedAt.Before(fl.clock.Now()) })
	if op := fl.op("S1", 0); op.State != book.Running || op.UnitsDone != 2 {
		t.Fatalf("checked step is %s with %d units, want running with its 2 units, waiting for a person", op.State, op.UnitsDone)
	}
	pass := true
	if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: weave.ID, Action: book.ActionComplete, Actor: "ana",
		Checks: []book.CheckResult{{Name: "No loose knots", Pass: &pass}}}); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "no work once checked", book.StopCondition{Kind: book.StopNoWork})
}

// TestStopsFollowAManualCell: a cell without a machine goes by its queue alone, and by a fault
// a person reports.
func TestStopsFollowAManualCell(t *testing.T) {
	ctx := context.Background()
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(true)...)
	w := watchStops(fl, "label-1")
	w.expect(t, "no work at the start", book.StopCondition{Kind: book.StopNoWork})
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	eventually(t, "the loom to take the job", func() bool { return fl.cells["weave-1"].Status().Operation != 0 })
	fl.clock.Advance(20 * time.Minute)
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	w.expect(t, "idle with the label step queued", book.StopCondition{Kind: book.StopIdle, Operation: label.ID})
	fl.clock.Advance(3 * time.Minute)
	fl.act(label.ID, book.ActionStart, "")
	w.expect(t, "labelling", book.StopCondition{})
	fl.clock.Advance(time.Minute)
	fl.act(label.ID, book.ActionPause, "break")
	w.expect(t, "a break", book.StopCondition{Kind: book.StopPaused, Operation: label.ID, Detail: "break", Reason: "break"})
	fl.clock.Advance(15 * time.Minute)
	fl.act(label.ID, book.ActionResume, "")
	w.expect(t, "labelling again", book.StopCondition{})
	fl.clock.Advance(time.Minute)
	if err := fl.cells["label-1"].ReportFault(ctx, "sensor", "jonas"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "the reported fault", book.StopCondition{Kind: book.StopReported, Detail: "sensor", Reason: "breakdown"})
	fl.clock.Advance(4 * time.Minute)
	if err := fl.cells["label-1"].Reset(ctx, "person:ana", "fixed"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "labelling after the reset", book.StopCondition{})
	eventually(t, "the label step to resume", func() bool { return fl.op("S1", 1).State == book.Running })
	fl.clock.Advance(time.Minute)
	fl.act(label.ID, book.ActionComplete, "")
	w.expect(t, "no work once labelled", book.StopCondition{Kind: book.StopNoWork})
}

// countingQueue counts the reads of one cell's queue.
type countingQueue struct {
	cells.Book
	cell  string
	reads *atomic.Int64
}

func (b countingQueue) Queue(ctx context.Context, cell string, limit int) ([]book.QueueEntry, error) {
	if cell == b.cell {
		b.reads.Add(1)
	}
	return b.Book.Queue(ctx, cell, limit)
}

// TestManualCellReadsItsQueueOnlyWhenTheBookChanged: the controller of a cell without a machine
// works out its stops from its queue, but reads it again only once the book was written: a
// quiet floor costs the book nothing at every look.
func TestManualCellReadsItsQueueOnlyWhenTheBookChanged(t *testing.T) {
	fl := newClockedFloor(t, shiftStart, 2*time.Hour, stopsFloor(true)...)
	var reads atomic.Int64
	fl.wrap = func(b cells.Book) cells.Book { return countingQueue{Book: b, cell: "label-1", reads: &reads} }
	fl.restart()
	// Every cell's controller has recorded its first condition (no work): the book is quiet.
	for id := range fl.cells {
		eventually(t, id+"'s first stop", func() bool {
			_, ok, err := fl.book.OpenStop(context.Background(), id)
			return err == nil && ok
		})
	}
	looks := func(n int) {
		for range n {
			now := fl.clock.Advance(time.Minute)
			eventually(t, "the label station's controller to look", func() bool {
				return !fl.cells["label-1"].Status().UpdatedAt.Before(now)
			})
		}
	}
	looks(3)
	before := reads.Load()
	looks(10)
	if n := reads.Load() - before; n != 0 {
		t.Errorf("%d reads of the queue in 10 looks with nothing written, want none", n)
	}
	// Work for the loom is a write: the label station reads its queue again, and finds nothing
	// of its own yet.
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	looks(2)
	if reads.Load() == before {
		t.Error("the label station did not read its queue after the book was written")
	}
	if s, ok, err := fl.book.OpenStop(context.Background(), "label-1"); err != nil || !ok || s.Kind != book.StopNoWork {
		t.Errorf("label-1's open stop = %+v, %v, %v; want no work", s, ok, err)
	}
}
