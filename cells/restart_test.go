package cells_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// serials counts the labels labeller-1 printed, by serial.
func (fl *floor) serials() map[string]int {
	fl.t.Helper()
	printed, err := fl.plant.Labels("labeller-1")
	if err != nil {
		fl.t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range printed {
		for _, q := range l.QRCodes() {
			out[strings.TrimPrefix(q, "https://test.example/u/")]++
		}
	}
	return out
}

// TestControllersGoOnAfterARestart: the controllers of a daemon that died start where the
// store says they stopped, against machines and printers that went on without them.
func TestControllersGoOnAfterARestart(t *testing.T) {
	ctx := context.Background()
	t.Run("labels owed while the printer is out of paper print once", func(t *testing.T) {
		fl := newFloor(t)
		fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
		eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
		if err := fl.plant.SetFaults("labeller-1", plant.Faults{PaperOut: true}); err != nil {
			t.Fatal(err)
		}
		label := fl.op("S1", 1)
		fl.act(label.ID, book.ActionStart, "")
		fl.act(label.ID, book.ActionComplete, "")
		if _, err := fl.cells["label-1"].ReprintLabel(ctx, label.ID, 1); err == nil {
			t.Fatal("a reprint on a printer out of paper reported no problem")
		}
		eventually(t, "three labels owed", func() bool { return fl.cells["label-1"].Status().LabelsOwed == 3 })

		fl.restart()
		eventually(t, "three labels owed after the restart", func() bool { return fl.cells["label-1"].Status().LabelsOwed == 3 })
		if got := fl.serials(); len(got) != 0 {
			t.Fatalf("printed while out of paper: %v", got)
		}
		if err := fl.plant.SetFaults("labeller-1", plant.Faults{}); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"S1-1": 2, "S1-2": 1} // S1-1 once more for the reprint
		eventually(t, "the labels owed to print", func() bool { return fl.cells["label-1"].Status().LabelsOwed == 0 })
		if got := fl.serials(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("printed %v, want %v", got, want)
		}
	})
	t.Run("a cell down for a machine fault stays down and resumes its job", func(t *testing.T) {
		fl := newFloor(t)
		victim, _ := fl.breakTheWarp(t)
		eventually(t, "S1 to be paused", func() bool { return fl.op("S1", 0).State == book.Paused })
		// for the warp break, or, on a machine loaded enough to miss polls for LostAfter, for
		// no answer first: the reason it went down with is the one it keeps
		before := fl.cells[victim.Cell].Status().Down

		fl.restart()
		cell := fl.cells[victim.Cell]
		if st := cell.Status(); st.Down != before {
			t.Errorf("status after the restart = %+v, want down for %q", st, before)
		}
		eventually(t, "the controller to read the loom in fault", func() bool { return cell.Status().Machine == "fault" })
		if st, op := cell.Status(), fl.op("S1", 0); st.Down == "" || op.State != book.Paused {
			t.Errorf("with the loom in fault: down %q, S1 %s; want down and paused", st.Down, op.State)
		}
		if err := cell.Reset(ctx, "person:ana", "fixed"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "S1 to complete after the reset", func() bool { return fl.op("S1", 0).State == book.Done })
		if op := fl.op("S1", 0); op.UnitsDone != 30 || op.Cell != victim.Cell {
			t.Errorf("after the reset: %d units at %s, want 30 at %s", op.UnitsDone, op.Cell, victim.Cell)
		}
	})
	t.Run("a reported fault holds the cell down until reset", func(t *testing.T) {
		fl := newFloor(t)
		fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
		eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
		victim := fl.op("S1", 0)
		if err := fl.cells[victim.Cell].ReportFault(ctx, "jam", "ana"); err != nil {
			t.Fatal(err)
		}
		const reason = "fault reported by ana: jam"
		eventually(t, "S1 to be paused for the report", func() bool { return fl.op("S1", 0).Reason == reason })

		fl.restart()
		cell := fl.cells[victim.Cell]
		eventually(t, "the controller to read the loom, stopped and well", func() bool { return cell.Status().Machine == "idle" })
		if st, op := cell.Status(), fl.op("S1", 0); st.Down != reason || op.State != book.Paused {
			t.Errorf("after the restart: down %q, S1 %s; want down for %q and paused", st.Down, op.State, reason)
		}
		if err := cell.Reset(ctx, "person:ana", "fixed"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "S1 to complete after the reset", func() bool { return fl.op("S1", 0).State == book.Done })
	})
}

// breakTheWarp weaves an order of 30 scarves and breaks the warp of the loom weaving it: it
// returns the operation as it was when the loom started and the loom, once its cell is down.
func (fl *floor) breakTheWarp(t *testing.T) (book.Operation, string) {
	t.Helper()
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
	eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
	victim := fl.op("S1", 0)
	device := map[string]string{"weave-1": "loom-a", "weave-2": "loom-b"}[victim.Cell]
	if err := fl.plant.SetFaults(device, plant.Faults{MachineFault: int(loom.FaultWarpBreak)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to go down", func() bool { return fl.cells[victim.Cell].Status().Down != "" })
	return victim, device
}

// machineStub takes commands and remembers them: the test feeds the controller its readings.
type machineStub struct {
	mu       sync.Mutex
	commands []string
}

func (m *machineStub) Command(_ context.Context, name string, _ map[string]float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commands = append(m.commands, name)
	return nil
}

func (m *machineStub) sent(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.commands, name)
}

// restartOnStub stops the floor's controllers and closes its store, as a daemon that died,
// then opens the store again and starts one controller for cell, on a machine of device's
// profile that the test feeds by hand, once it passed over the machine a first time. It passes
// over it again every tick and at each reading the test feeds it.
func (fl *floor) restartOnStub(cell, device string, tick time.Duration) (*cells.Cell, *machineStub) {
	t := fl.t
	t.Helper()
	fl.stopAndClose()
	ctx := context.Background()
	st := booktest.Open(t, fl.path)
	b := book.New(book.Config{Store: st, Factory: fl.factory})
	fl.store, fl.book = st, b // closed by the floor's clean-up
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	m := &machineStub{}
	var cfg cells.Config
	for _, c := range fl.factory.Cells {
		if c.ID == cell {
			cfg = cells.Config{Cell: c, Factory: fl.factory, Book: b, Tick: tick,
				LostAfter: time.Hour, Machine: m, Device: device, Profile: profile(t, c.Devices[0].Profile)}
		}
	}
	ctl, err := cells.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctl.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	restored := ctl.Status().UpdatedAt
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ctl.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-done
	})
	// The first pass finds no reading yet; the test's readings come after it.
	eventually(t, "the controller's first pass", func() bool { return ctl.Status().UpdatedAt.After(restored) })
	return ctl, m
}

// A loom polls its state every 250 ms and its set-up every 5 s, each group a reading of its
// own. After a restart the set-up may be read first: that reading says nothing of the machine's
// state, so it must not bring up a cell the store holds down for the machine's fault (it did:
// the missing state read as 0, idle).
func TestAReadingWithoutTheStateLeavesTheCellDown(t *testing.T) {
	fl := newFloor(t)
	victim, device := fl.breakTheWarp(t)
	cell, _ := fl.restartOnStub(victim.Cell, device, 20*time.Millisecond)

	setup := time.Now()
	cell.Observe(map[string]float64{"pattern": 7, "target": 30, "speed": 120}, setup, nil)
	eventually(t, "the controller to look at the set-up reading", func() bool {
		return cell.Status().UpdatedAt.After(setup)
	})
	eventually(t, "another look", func() bool { return cell.Status().UpdatedAt.After(setup.Add(50 * time.Millisecond)) })
	if st := cell.Status(); st.Down == "" {
		t.Fatalf("a reading of the set-up alone brought the cell up: %+v", st)
	}
	if op := fl.op("S1", 0); op.State != book.Paused {
		t.Fatalf("S1 %s after a reading of the set-up alone, want paused", op.State)
	}

	// The state, read at last, decides.
	cell.Observe(map[string]float64{"state": 3, "fault_code": 1}, time.Now(), nil)
	eventually(t, "the machine's fault to show", func() bool { return cell.Status().Machine == "fault" })
	if st := cell.Status(); st.Down == "" {
		t.Errorf("with the loom read in fault: %+v, want down", st)
	}
	cell.Observe(map[string]float64{"state": 0, "fault_code": 0}, time.Now(), nil)
	eventually(t, "the cell to come up when the loom reads idle", func() bool { return cell.Status().Down == "" })
}

// Two operations paused at one cell: A by a person, then B, which the machine was running when
// the daemon died. After the restart the head of the queue is A (due sooner), but the machine's
// count is B's: the controller must not credit it to A (it did, adopting the machine's job as
// A's). It stops the machine, and each operation keeps the units it had.
func TestARestartDoesNotCreditAPausedJobWithAnothersUnits(t *testing.T) {
	fl := newFloor(t, func(f *configs.Factory) {
		f.Cells = slices.DeleteFunc(f.Cells, func(c configs.Cell) bool { return c.ID == "weave-2" })
	})
	fl.stopCells() // the controllers stay off: the test moves the book by hand
	fl.cellsWG.Wait()
	fl.importCSV("order_id,sku,quantity,due\nA,SCARF,10,2026-12-20\nB,SCARF,10,2026-12-30\n")
	a, b := fl.op("A", 0), fl.op("B", 0)
	if a.Cell != "weave-1" || b.Cell != "weave-1" {
		t.Fatalf("A at %q and B at %q, want both at weave-1", a.Cell, b.Cell)
	}
	fl.act(a.ID, book.ActionStart, "")
	fl.act(a.ID, book.ActionPause, "lunch")
	fl.act(b.ID, book.ActionStart, "")
	fl.act(b.ID, book.ActionPause, "checking the warp")

	cell, m := fl.restartOnStub("weave-1", "loom-a", 20*time.Millisecond)
	at := time.Now()
	cell.Observe(map[string]float64{"state": 1, "units": 4}, at, nil) // running, 4 units made
	eventually(t, "the machine to be stopped", func() bool { return m.sent("stop") })
	eventually(t, "another look", func() bool { return cell.Status().UpdatedAt.After(at.Add(50 * time.Millisecond)) })
	for _, id := range []string{"A", "B"} {
		if op := fl.op(id, 0); op.UnitsDone != 0 || op.State != book.Paused {
			t.Errorf("%s after the restart: %s with %d units done, want paused with 0", id, op.State, op.UnitsDone)
		}
	}
}

// printerStub is a label printer that holds each print until released, as a slow printer does,
// and gives it up when its context ends, as the drivers do.
type printerStub struct {
	started chan struct{}
	release chan struct{}
}

func (p *printerStub) PrintLabel(ctx context.Context, _ cells.Label) error {
	p.started <- struct{}{}
	select {
	case <-p.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A stop that comes while a label is on its way to the printer waits for it: cut off, the label
// would stay owed and print again at the next start.
func TestAStopDoesNotCutOffALabelBeingPrinted(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t)
	fl.stopCells()
	fl.cellsWG.Wait()
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
	label := fl.op("S1", 1)
	fl.act(fl.op("S1", 0).ID, book.ActionStart, "")
	fl.act(fl.op("S1", 0).ID, book.ActionComplete, "")
	fl.act(label.ID, book.ActionStart, "")
	fl.act(label.ID, book.ActionComplete, "")
	if _, n, err := fl.book.OwedLabels(ctx, "label-1", 10); err != nil || n != 2 {
		t.Fatalf("labels owed: %d, %v; want 2", n, err)
	}

	p := &printerStub{started: make(chan struct{}, 1), release: make(chan struct{})}
	var cfg cells.Config
	for _, c := range fl.factory.Cells {
		if c.ID == "label-1" {
			cfg = cells.Config{Cell: c, Factory: fl.factory, Book: fl.book, Tick: 20 * time.Millisecond, Labels: p}
		}
	}
	cell, err := cells.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cell.Run(runCtx) }()
	<-p.started
	stop() // the daemon stops while the first label prints
	close(p.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, n, err := fl.book.OwedLabels(ctx, "label-1", 10); err != nil || n != 1 {
		t.Errorf("labels owed after a stop during the first one's print: %d, %v; want 1", n, err)
	}
}

// Reports and resets of a fault sent together (two tablets, a manager's page) leave the book
// and the controller agreeing on whether a report holds the cell: the book's record decides
// what a restarted controller does, the controller's what this one does.
func TestReportsAndResetsTogetherAgree(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t)
	cell := fl.cells["label-1"] // no machine: a report is all that holds it
	for i := range 100 {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := cell.ReportFault(ctx, "jam", "ana"); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := cell.Reset(ctx, "person:ana", "fixed"); err != nil && !errors.Is(err, cells.ErrManual) {
				t.Error(err)
			}
		}()
		wg.Wait()
		h, err := fl.book.Hold(ctx, "label-1")
		if err != nil {
			t.Fatal(err)
		}
		if stored, held := h.Reported != "", cell.Reported() != ""; stored != held {
			t.Fatalf("round %d: the book holds a report: %v; the controller: %v", i, stored, held)
		}
		if err := cell.Reset(ctx, "person:ana", "fixed"); err != nil && !errors.Is(err, cells.ErrManual) {
			t.Fatal(err)
		}
	}
}
