package cells_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
	"github.com/cellforge/cellforge/drivers/modbus"
	"github.com/cellforge/cellforge/drivers/rawport"
	"github.com/cellforge/cellforge/drivers/zpl"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// floor is a test floor: the simulated plant served over real Modbus TCP and raw TCP, the
// real drivers, a book on SQLite and a controller per cell.
type floor struct {
	t       *testing.T
	factory *configs.Factory
	path    string // the store's address (booktest.Open opens it again)
	store   booktest.Backend
	// away makes the store's database unreachable to the book, for the tests of an outage.
	away  *booktest.Away
	book  *book.Book
	plant *plant.Plant
	cells map[string]*cells.Cell
	// stopPlant and stopCells end the plant's and the controllers' goroutines; plantWG and
	// cellsWG wait for them.
	stopPlant, stopCells context.CancelFunc
	plantWG, cellsWG     sync.WaitGroup
	closers              []func() error // the controllers' printers
	recordEvery          time.Duration  // the controllers' RecordEvery
	lostAfter            time.Duration  // the controllers' LostAfter
	// clock is the machines' clock when the test moves it (newSteppedFloor), nil when it runs
	// speed times the wall clock.
	clock *stepClock
	// wrap, when set, is what the controllers see of the book: the book wrapped.
	wrap func(cells.Book) cells.Book
	// failed counts the failed readings of each machine, by device id; polls every reading.
	failed, polls sync.Map // string -> *atomic.Int64
}

// pollsOf returns how many readings of a device arrived so far, failed or not.
func (fl *floor) pollsOf(device string) int64 {
	n, _ := fl.polls.LoadOrStore(device, new(atomic.Int64))
	return n.(*atomic.Int64).Load()
}

// failedReadings returns how many readings of a device failed so far.
func (fl *floor) failedReadings(device string) int64 {
	n, _ := fl.failed.LoadOrStore(device, new(atomic.Int64))
	return n.(*atomic.Int64).Load()
}

// stepClock is a machines' clock that stands still until the test moves it on: a test that
// needs a controller to have read the machine in some state holds the machine there, however
// slowly a busy host runs the controller.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
	// shared puts the book and the controllers on the clock too, and stamps the machines'
	// readings with it (newClockedFloor).
	shared bool
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d and returns the new time.
func (c *stepClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// speed runs the simulated machines 7200 times faster than the wall clock: a loom unit of 20
// minutes takes a sixth of a second.
const speed = 7200

// newFloor starts the floor of testdata/factory.yaml, after edits to the factory. Its
// controllers write the readings of a running job every 100ms.
func newFloor(t *testing.T, edits ...func(*configs.Factory)) *floor {
	t.Helper()
	return newFloorRecording(t, 100*time.Millisecond, edits...)
}

// newFloorRecording is newFloor with controllers that write the readings of a running job every
// recordEvery.
func newFloorRecording(t *testing.T, recordEvery time.Duration, edits ...func(*configs.Factory)) *floor {
	t.Helper()
	return newFloorOn(t, recordEvery, 500*time.Millisecond, nil, edits...)
}

// newSteppedFloor is newFloorRecording with the machines on a clock that moves only when the
// test moves it (fl.clock), and controllers that take a machine for lost after lostAfter
// without an answer.
func newSteppedFloor(t *testing.T, recordEvery, lostAfter time.Duration, edits ...func(*configs.Factory)) *floor {
	t.Helper()
	return newFloorOn(t, recordEvery, lostAfter, &stepClock{now: time.Now()}, edits...)
}

// newClockedFloor is a floor on one clock that moves only when the test moves it (fl.clock),
// starting at start: the machines', the book's and the controllers'. The controllers take a
// machine for lost after lostAfter on that clock without an answer.
func newClockedFloor(t *testing.T, start time.Time, lostAfter time.Duration, edits ...func(*configs.Factory)) *floor {
	t.Helper()
	fl := newFloorOn(t, time.Hour, lostAfter, &stepClock{now: start, shared: true}, edits...)
	// The clock stands still until the test moves it: wait for every machine to be read, or
	// what the test does first would wait for the clock to be noticed.
	for id, c := range fl.cells {
		if !c.Status().Manual {
			eventually(t, "machine of "+id+" to be read", func() bool { return c.Status().Online })
		}
	}
	return fl
}

// newFloorOn starts the floor with the machines on clock, or on a clock running speed times
// the wall clock when clock is nil.
func newFloorOn(t *testing.T, recordEvery, lostAfter time.Duration, clock *stepClock, edits ...func(*configs.Factory)) *floor {
	t.Helper()
	f := booktest.Factory(t, "testdata/factory.yaml")
	for _, edit := range edits {
		edit(f)
	}
	var spec plant.Spec
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			spec.Devices = append(spec.Devices, plant.Device{ID: d.ID, Kind: d.Kind, Listen: "127.0.0.1:0"})
		}
	}
	cfg := plant.Config{Speed: speed}
	if clock != nil {
		cfg.Now = clock.Now
	}
	p, err := plant.New(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fl := &floor{t: t, factory: f, path: booktest.Addr(t, "book.db"), plant: p, recordEvery: recordEvery,
		lostAfter: lostAfter, clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	fl.stopPlant = cancel
	fl.run(ctx, &fl.plantWG, p.Run)
	t.Cleanup(func() {
		fl.stopAndClose()
		fl.stopPlant()
		fl.plantWG.Wait()
	})
	fl.startCells()
	return fl
}

// startCells opens the book on the store and starts a controller per cell, with its drivers.
func (fl *floor) startCells() {
	t := fl.t
	t.Helper()
	st := booktest.Open(t, fl.path)
	fl.store = st
	fl.away = booktest.NewAway(st)
	bc := book.Config{Store: fl.away, Factory: fl.factory}
	shared := fl.clock != nil && fl.clock.shared
	if shared {
		bc.Now = fl.clock.Now
	}
	fl.book = book.New(bc)
	if err := fl.book.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	fl.cells = map[string]*cells.Cell{}
	ctx, cancel := context.WithCancel(context.Background())
	fl.stopCells = cancel
	p := fl.plant
	for _, c := range fl.factory.Cells {
		cfg := cells.Config{Cell: c, Factory: fl.factory, Book: fl.book, Tick: 20 * time.Millisecond, LostAfter: fl.lostAfter,
			RecordEvery: fl.recordEvery}
		if shared {
			cfg.Now = fl.clock.Now
		}
		if fl.wrap != nil {
			cfg.Book = fl.wrap(fl.book)
		}
		var cell *cells.Cell
		var start []func(context.Context) error // run once the cell exists: readings go to it
		for _, d := range c.Devices {
			switch {
			case d.Modbus():
				line, err := modbus.NewTCPLine(modbus.TCPConfig{Address: p.Addr(d.ID), Timeout: 200 * time.Millisecond,
					ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				dev, err := modbus.NewDevice(line, modbus.DeviceConfig{Name: d.ID, UnitID: 1, Profile: fastPolls(profile(t, d.Profile).Modbus),
					OnReading: func(r modbus.Reading) {
						n, _ := fl.polls.LoadOrStore(d.ID, new(atomic.Int64))
						n.(*atomic.Int64).Add(1)
						if r.Err != nil {
							n, _ := fl.failed.LoadOrStore(d.ID, new(atomic.Int64))
							n.(*atomic.Int64).Add(1)
						}
						at := r.Time
						if shared {
							at = fl.clock.Now()
						}
						cell.Observe(r.Values, at, r.Err)
					}})
				if err != nil {
					t.Fatal(err)
				}
				start = append(start, line.Run, dev.Run)
				cfg.Machine, cfg.Device, cfg.Profile = dev, d.ID, profile(t, d.Profile)
			case d.Kind == configs.KindLabelPrinter:
				pr, err := zpl.New(rawport.Config{Name: d.ID, Address: p.Addr(d.ID), Timeout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				fl.closers = append(fl.closers, pr.Close)
				cfg.Labels = labels{pr}
				if a := fl.factory.Aftercare; a != nil && a.SlipPrinter == d.ID {
					cfg.Slips, cfg.SlipURL = labels{pr}, slipURL
				}
			}
		}
		var err error
		if cell, err = cells.New(cfg); err != nil {
			t.Fatal(err)
		}
		if err := cell.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		fl.cells[c.ID] = cell
		for _, fn := range append(start, cell.Run) {
			fl.run(ctx, &fl.cellsWG, fn)
		}
	}
}

// restart stops the controllers and closes the store, then opens the store again and starts
// new controllers, as a daemon that died and started again does; the plant runs on.
func (fl *floor) restart() {
	fl.t.Helper()
	fl.stopAndClose()
	fl.startCells()
}

// stopAndClose stops the controllers, then closes their printers and the store.
func (fl *floor) stopAndClose() {
	fl.stopCells()
	fl.cellsWG.Wait()
	for _, c := range append(fl.closers, fl.store.Close) {
		if err := c(); err != nil {
			fl.t.Errorf("closing: %v", err)
		}
	}
	fl.closers = nil
}

// profile returns the built-in device profile named name.
func profile(t testing.TB, name string) *profiles.Profile {
	t.Helper()
	p, err := profiles.Find(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fastPolls returns a copy of a profile polling every 20ms, so tests see changes promptly.
func fastPolls(p *modbus.Profile) *modbus.Profile {
	out := *p
	out.Groups = append([]modbus.Group(nil), p.Groups...)
	for i := range out.Groups {
		out.Groups[i].Interval = 20 * time.Millisecond
	}
	return &out
}

func (fl *floor) run(ctx context.Context, wg *sync.WaitGroup, fn func(context.Context) error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			fl.t.Errorf("component stopped: %v", err)
		}
	}()
}

type labels struct{ p *zpl.Printer }

func (l labels) PrintLabel(ctx context.Context, lb cells.Label) error {
	return l.p.Print(ctx, zpl.Label{SKU: lb.SKU, Drop: lb.Drop, Serial: lb.Serial, URL: lb.URL, Title: lb.Title})
}

func (fl *floor) importCSV(csv string) {
	fl.t.Helper()
	rr, err := intake.NewCSV(strings.NewReader(csv))
	if err != nil {
		fl.t.Fatal(err)
	}
	if _, err := fl.book.Import(context.Background(), book.ImportRequest{Drop: "winter", Rows: rr, Actor: "planner"}); err != nil {
		fl.t.Fatal(err)
	}
}

// op returns operation seq of an order's work order.
func (fl *floor) op(orderID string, seq int) book.Operation {
	fl.t.Helper()
	_, wo, err := fl.book.Order(context.Background(), orderID)
	if err != nil {
		fl.t.Fatal(err)
	}
	d, err := fl.book.WorkOrder(context.Background(), wo.ID)
	if err != nil {
		fl.t.Fatal(err)
	}
	return d.Operations[seq]
}

func (fl *floor) act(id int64, a book.Action, reason string) {
	fl.t.Helper()
	if _, err := fl.book.Transition(context.Background(), book.TransitionRequest{Operation: id, Action: a, Actor: "ana", Reason: reason}); err != nil {
		fl.t.Fatalf("%s operation %d: %v", a, id, err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMachineWorksTheQueueOnItsOwn(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,3\n")
	weave := fl.op("S1", 0)
	eventually(t, "the loom's operation to complete", func() bool { return fl.op("S1", 0).State == book.Done })
	if got := fl.op("S1", 0); got.UnitsDone != 3 {
		t.Errorf("units done = %d, want 3", got.UnitsDone)
	}
	// The job written to the loom: the step's pattern, the order's units.
	var lm *loom.Loom
	switch weave.Cell {
	case "weave-1":
		lm = fl.plant.Loom("loom-a")
	case "weave-2":
		lm = fl.plant.Loom("loom-b")
	}
	if b := lm.Bank(); b.Input(6) != 42 || b.Input(5) != 3 {
		t.Errorf("loom job pattern %d, units %d; want 42 and 3", b.Input(6), b.Input(5))
	}
	// Progress came unit by unit, as the loom counted.
	events, err := fl.book.Events(context.Background(), book.EventFilter{Operation: weave.ID})
	if err != nil {
		t.Fatal(err)
	}
	var progress []int
	for _, e := range events {
		if e.Kind == book.EventOperationProgress {
			progress = append(progress, e.Quantity)
		}
	}
	total := 0
	for _, q := range progress {
		total += q
	}
	if total != 3 || len(progress) < 2 {
		t.Errorf("progress events %v, want the 3 units reported as they were woven", progress)
	}
	// The label step is manual: it waits, queued, for a person.
	if next := fl.op("S1", 1); next.State != book.Queued || next.Cell != "label-1" {
		t.Errorf("label step is %s at %q, want queued at label-1", next.State, next.Cell)
	}
}

func TestDyeBathCompletesTheBatchAtOnce(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nY1,YARN,5\n")
	eventually(t, "the dye batch to complete", func() bool { return fl.op("Y1", 0).State == book.Done })
	if got := fl.op("Y1", 0); got.UnitsDone != 5 {
		t.Errorf("units done = %d, want all 5 at once", got.UnitsDone)
	}
	if st := fl.plant.DyeStation("vat-a").Status(); st.Recipe != 7 || st.Batches != 1 {
		t.Errorf("vat: recipe %d, batches %d; want recipe 7 and one batch", st.Recipe, st.Batches)
	}
}

// TestAutoStartOffWaitsForAPerson: with auto_start off the machine does not take the job until
// a person starts it (the material loaded); then it runs it as any other.
func TestAutoStartOffWaitsForAPerson(t *testing.T) {
	fl := newFloor(t, func(f *configs.Factory) {
		for i := range f.Cells {
			if f.Cells[i].ID == "dye-1" {
				f.Cells[i].AutoStart = false
			}
		}
	})
	fl.importCSV("order_id,sku,quantity\nY1,YARN,5\n")
	dye := fl.op("Y1", 0)
	if dye.Cell != "dye-1" || dye.State != book.Queued {
		t.Fatalf("dye step %s at %q, want queued at dye-1", dye.State, dye.Cell)
	}
	// The idle stop opens once (see stops_test.go); nothing else is logged while it waits.
	events := func() int {
		es, err := fl.book.Events(context.Background(), book.EventFilter{Operation: dye.ID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if !book.IsStopEvent(e.Kind) {
				n++
			}
		}
		return n
	}
	before := events()
	// Ten passes of the controller over the idle vat: the job stays queued through all.
	var seen []time.Time
	eventually(t, "ten passes of the controller", func() bool {
		st := fl.cells["dye-1"].Status()
		if got := fl.op("Y1", 0); got.State != book.Queued || st.Operation != 0 {
			t.Fatalf("with auto_start off the job went %s on the machine (operation %d)", got.State, st.Operation)
		}
		if st.Online && (len(seen) == 0 || st.UpdatedAt.After(seen[len(seen)-1])) {
			seen = append(seen, st.UpdatedAt)
		}
		return len(seen) >= 10
	})
	if n := events(); n != before {
		t.Fatalf("the idle controller logged %d events for the queued job", n-before)
	}
	fl.act(dye.ID, book.ActionStart, "")
	eventually(t, "the person's job to finish on the vat", func() bool { return fl.op("Y1", 0).State == book.Done })
	if st := fl.plant.DyeStation("vat-a").Status(); st.Batches != 1 {
		t.Errorf("vat ran %d batches, want 1", st.Batches)
	}
}

func TestMachineFaultTakesTheCellDownAndRecoveryBringsItBack(t *testing.T) {
	fl := newFloor(t)
	// Long jobs, so that the fault lands mid-job: 30 units of 1/6 s each.
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\nS2,SCARF,30\nS3,SCARF,30\n")
	eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
	victim := fl.op("S1", 0)
	device := map[string]string{"weave-1": "loom-a", "weave-2": "loom-b"}[victim.Cell]
	other := map[string]string{"weave-1": "weave-2", "weave-2": "weave-1"}[victim.Cell]

	if err := fl.plant.SetFaults(device, plant.Faults{MachineFault: int(loom.FaultWarpBreak)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to go down", func() bool { return fl.cells[victim.Cell].Status().Down != "" })
	st := fl.cells[victim.Cell].Status()
	if !strings.Contains(st.Down, "warp break") {
		t.Errorf("down reason %q does not name the fault", st.Down)
	}
	paused := fl.op("S1", 0)
	if paused.State != book.Paused || !strings.Contains(paused.Reason, "warp break") {
		t.Errorf("running operation is %s (%q), want paused for the warp break", paused.State, paused.Reason)
	}
	// Work queued behind it went to the other loom.
	q, _ := fl.book.Queue(context.Background(), victim.Cell, 0)
	for _, e := range q {
		if e.State == book.Queued {
			t.Errorf("operation %d still queued at the faulted cell", e.ID)
		}
	}
	for _, id := range []string{"S2", "S3"} {
		if op := fl.op(id, 0); op.Cell != other {
			t.Errorf("%s weave step at %q, want handed to %s", id, op.Cell, other)
		}
	}
	var faults int
	events, _ := fl.book.Events(context.Background(), book.EventFilter{Cell: victim.Cell})
	for _, e := range events {
		if e.Kind == book.EventCellFault {
			faults++
		}
	}
	if faults != 1 {
		t.Errorf("%d cell fault events, want 1", faults)
	}

	// The floor fixes the warp and resets the loom: the cell comes back and the operation
	// resumes where it stopped, on the same loom.
	before := paused.UnitsDone
	if err := fl.cells[victim.Cell].Reset(context.Background(), "person:ana", "fixed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to come back", func() bool { return fl.cells[victim.Cell].Status().Down == "" })
	eventually(t, "the operation to complete after recovery", func() bool { return fl.op("S1", 0).State == book.Done })
	done := fl.op("S1", 0)
	if done.UnitsDone != 30 || done.Cell != victim.Cell {
		t.Errorf("after recovery: %d units at %s, want 30 at %s (had %d at the fault)", done.UnitsDone, done.Cell, victim.Cell, before)
	}
}

func TestLostConnectionIsAFaultToo(t *testing.T) {
	fl := newFloor(t)
	if err := fl.plant.SetFaults("vat-a", plant.Faults{Drop: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to go down", func() bool { return fl.cells["dye-1"].Status().Down != "" })
	if st := fl.cells["dye-1"].Status(); st.Online || !strings.Contains(st.Down, "no answer from device vat-a") {
		t.Errorf("status = %+v, want offline and down for no answer", st)
	}
	// Work for the only dye cell waits, ready, while it is down.
	fl.importCSV("order_id,sku,quantity\nY1,YARN,1\n")
	if op := fl.op("Y1", 0); op.State != book.Ready {
		t.Errorf("dye step is %s while the only vat is unreachable, want ready", op.State)
	}
	if err := fl.plant.SetFaults("vat-a", plant.Faults{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the dye batch to run once the vat answers again", func() bool { return fl.op("Y1", 0).State == book.Done })
}

func TestPersonAndMachineNeverContradict(t *testing.T) {
	t.Run("a pause stops the machine and a resume sends what is left", func(t *testing.T) {
		fl := newFloor(t)
		fl.importCSV("order_id,sku,quantity\nS1,SCARF,12\n")
		eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
		op := fl.op("S1", 0)
		fl.act(op.ID, book.ActionPause, "yarn knot")
		lm := fl.plant.Loom(map[string]string{"weave-1": "loom-a", "weave-2": "loom-b"}[op.Cell])
		// The loom stops, and the units it counted before it stopped are recorded.
		eventually(t, "the loom to stop and its count to be recorded", func() bool {
			return fl.cells[op.Cell].Status().Machine == configs.StateIdle && fl.op("S1", 0).UnitsDone == int(lm.Bank().Input(5))
		})
		stopped := fl.op("S1", 0).UnitsDone
		time.Sleep(time.Second) // six units' time: a loom still running would count them
		if got := fl.op("S1", 0); got.UnitsDone != stopped || got.State != book.Paused {
			t.Fatalf("paused operation moved on: %d units (%s), was %d", got.UnitsDone, got.State, stopped)
		}
		fl.act(op.ID, book.ActionResume, "")
		eventually(t, "the operation to complete", func() bool { return fl.op("S1", 0).State == book.Done })
		if got := fl.op("S1", 0); got.UnitsDone != 12 {
			t.Errorf("units done = %d, want 12: the resumed job must make only what was left", got.UnitsDone)
		}
	})
	t.Run("a completion by hand ends the machine's job", func(t *testing.T) {
		fl := newFloor(t)
		fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
		eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
		op := fl.op("S1", 0)
		fl.act(op.ID, book.ActionComplete, "")
		eventually(t, "the loom to stop", func() bool { return fl.cells[op.Cell].Status().Machine != "running" })
		done := fl.op("S1", 0)
		time.Sleep(500 * time.Millisecond)
		if got := fl.op("S1", 0); got.State != book.Done || got.UnitsDone != done.UnitsDone {
			t.Errorf("completed operation changed after completion: %s with %d units, was %d", got.State, got.UnitsDone, done.UnitsDone)
		}
	})
	t.Run("a scrap stops the machine", func(t *testing.T) {
		fl := newFloor(t)
		fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
		eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
		op := fl.op("S1", 0)
		fl.act(op.ID, book.ActionScrap, "wrong warp")
		eventually(t, "the loom to stop", func() bool { return fl.cells[op.Cell].Status().Machine != "running" })
	})
}

// TestManualLabelStationPrintsALabelPerFinishedUnit: each unit's label carries the serial the
// book stored for it when the loom first counted it, in text and in its QR code's URL, under
// the default pattern and the studio's own.
func TestManualLabelStationPrintsALabelPerFinishedUnit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		want    []string
	}{
		{name: "default serials", pattern: configs.DefaultSerial, want: []string{"S1-1", "S1-2"}},
		{name: "the studio's pattern", pattern: "{sku}.{seq:4}", want: []string{"SCARF.0001", "SCARF.0002"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pattern, err := configs.ParseSerialPattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			fl := newFloor(t, func(f *configs.Factory) { f.Provenance.Serial = pattern })
			fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
			eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
			label := fl.op("S1", 1)
			fl.act(label.ID, book.ActionStart, "")
			fl.act(label.ID, book.ActionComplete, "")
			eventually(t, "two labels to be printed", func() bool {
				l, _ := fl.plant.Labels("labeller-1")
				return len(l) == 2
			})
			printed, _ := fl.plant.Labels("labeller-1")
			for i, l := range printed {
				serial := tc.want[i]
				if _, ok := l.Field(serial); !ok {
					t.Errorf("label %d has no serial %s: %+v", i, serial, l.Fields)
				}
				if qr := l.QRCodes(); len(qr) != 1 || qr[0] != "https://test.example/u/"+serial {
					t.Errorf("label %d QR codes %v, want the provenance URL of %s", i, qr, serial)
				}
				if u, err := fl.book.Unit(context.Background(), serial); err != nil || u.OrderID != "S1" || u.Number != i+1 {
					t.Errorf("Unit(%s) = %+v, %v; want unit %d of S1", serial, u, err, i+1)
				}
			}
		})
	}
}

// TestLabelWithoutAUnitIsNotPrinted: a label owed for a unit the book has no record of (which
// the book never owes; injected here through the store) is refused, not printed without its
// serial, and the labels after it wait.
func TestLabelWithoutAUnitIsNotPrinted(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	fl.act(label.ID, book.ActionStart, "")
	fl.act(label.ID, book.ActionComplete, "")
	eventually(t, "S1-1's label to be printed", func() bool {
		l, _ := fl.plant.Labels("labeller-1")
		return len(l) == 1
	})
	if err := fl.store.Write(ctx, func(tx book.Tx) error {
		return tx.OweLabels(book.LabelsOwed{Cell: "label-1", Operation: label.ID, First: 2, Last: 2, At: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	serial, err := fl.cells["label-1"].ReprintLabel(ctx, label.ID, 1)
	if serial != "S1-1" || !errors.Is(err, cells.ErrNoUnit) {
		t.Errorf("ReprintLabel = %q, %v; want S1-1 owed behind the label of no unit, refused", serial, err)
	}
	if l, _ := fl.plant.Labels("labeller-1"); len(l) != 1 {
		t.Errorf("%d labels printed, want only S1-1's first", len(l))
	}
	if _, n, err := fl.book.OwedLabels(ctx, "label-1", 0); err != nil || n != 2 {
		t.Errorf("labels owed = %d, %v; want the label of no unit and the reprint", n, err)
	}
}

func TestResetRefusedOnAManualCell(t *testing.T) {
	fl := newFloor(t)
	if err := fl.cells["label-1"].Reset(context.Background(), "person:ana", "fixed"); !errors.Is(err, cells.ErrManual) {
		t.Errorf("Reset of a manual cell = %v, want ErrManual", err)
	}
}

func TestReportedFaultHoldsAMachineCellDownUntilReset(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,30\n")
	eventually(t, "weaving to start", func() bool { return fl.op("S1", 0).UnitsDone > 0 })
	victim := fl.op("S1", 0)
	other := map[string]string{"weave-1": "weave-2", "weave-2": "weave-1"}[victim.Cell]
	cell := fl.cells[victim.Cell]

	if err := cell.ReportFault(context.Background(), "jam", "ana"); err != nil {
		t.Fatal(err)
	}
	const reason = "fault reported by ana: jam"
	eventually(t, "the cell to go down", func() bool { return cell.Status().Down == reason })
	eventually(t, "the loom to stop", func() bool { return cell.Status().Machine == configs.StateIdle })
	if op := fl.op("S1", 0); op.State != book.Paused || op.Reason != reason {
		t.Errorf("running operation is %s (%q), want paused for %q", op.State, op.Reason, reason)
	}
	stopped := fl.op("S1", 0).UnitsDone

	// The loom reports no fault, yet the cell stays down: new work goes to the other loom.
	fl.importCSV("order_id,sku,quantity\nS2,SCARF,2\n")
	eventually(t, "S2 to be woven", func() bool { return fl.op("S2", 0).State == book.Done })
	if op := fl.op("S2", 0); op.Cell != other {
		t.Errorf("S2 woven at %s, want %s while %s is down", op.Cell, other, victim.Cell)
	}
	st := cell.Status()
	if !st.Online || st.Machine != configs.StateIdle || st.Down != reason {
		t.Errorf("status while the loom is fine = %+v, want online, idle and still down for %q", st, reason)
	}
	if op := fl.op("S1", 0); op.State != book.Paused || op.UnitsDone != stopped {
		t.Errorf("S1 moved on while the cell was down: %s with %d units, was %d", op.State, op.UnitsDone, stopped)
	}

	if err := cell.Reset(context.Background(), "person:ana", "fixed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to come back", func() bool { return cell.Status().Down == "" })
	eventually(t, "S1 to complete after the reset", func() bool { return fl.op("S1", 0).State == book.Done })
	if op := fl.op("S1", 0); op.UnitsDone != 30 || op.Cell != victim.Cell {
		t.Errorf("after the reset: %d units at %s, want 30 at %s", op.UnitsDone, op.Cell, victim.Cell)
	}
	var faults, recoveries int
	events, _ := fl.book.Events(context.Background(), book.EventFilter{Cell: victim.Cell})
	for _, e := range events {
		switch e.Kind {
		case book.EventCellFault:
			faults++
			if e.Reason != reason || e.Actor != "cell:"+victim.Cell {
				t.Errorf("fault event %+v, want reason %q", e, reason)
			}
		case book.EventCellRecovered:
			recoveries++
		}
	}
	if faults != 1 || recoveries != 1 {
		t.Errorf("%d fault and %d recovery events, want one of each", faults, recoveries)
	}
}

func TestReportedFaultTakesAManualCellDown(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	fl.act(label.ID, book.ActionStart, "")
	cell := fl.cells["label-1"]

	if err := cell.ReportFault(context.Background(), "sensor", "jonas"); err != nil {
		t.Fatal(err)
	}
	const reason = "fault reported by jonas: sensor"
	eventually(t, "the manual cell to go down", func() bool { return cell.Status().Down == reason })
	if op := fl.op("S1", 1); op.State != book.Paused || op.Reason != reason {
		t.Errorf("label step is %s (%q), want paused for %q", op.State, op.Reason, reason)
	}

	if err := cell.Reset(context.Background(), "person:ana", "fixed"); err != nil {
		t.Fatalf("Reset of a manual cell with a reported fault = %v, want nil", err)
	}
	eventually(t, "the manual cell to come back", func() bool { return cell.Status().Down == "" })
	eventually(t, "the label step to resume", func() bool { return fl.op("S1", 1).State == book.Running })
	// Nothing is left to clear.
	if err := cell.Reset(context.Background(), "person:ana", "fixed"); !errors.Is(err, cells.ErrManual) {
		t.Errorf("second Reset = %v, want ErrManual", err)
	}
}

func TestReprintLabel(t *testing.T) {
	fl := newFloor(t)
	ctx := context.Background()
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,2\n")
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	cell := fl.cells["label-1"]
	fl.act(label.ID, book.ActionStart, "")
	if _, err := cell.ReprintLabel(ctx, label.ID, 0); !errors.Is(err, cells.ErrNotFinished) {
		t.Errorf("reprint before any unit is finished = %v, want ErrNotFinished", err)
	}
	fl.act(label.ID, book.ActionComplete, "")
	printed := func() []string {
		labels, _ := fl.plant.Labels("labeller-1")
		var serials []string
		for _, l := range labels {
			for _, s := range []string{"S1-1", "S1-2"} {
				if _, ok := l.Field(s); ok {
					serials = append(serials, s)
				}
			}
		}
		return serials
	}
	eventually(t, "the two labels", func() bool { return len(printed()) == 2 })

	for _, tc := range []struct {
		name string
		unit int
		want string
	}{
		{name: "the last unit", unit: 0, want: "S1-2"},
		{name: "the first unit", unit: 1, want: "S1-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(printed())
			serial, err := cell.ReprintLabel(ctx, label.ID, tc.unit)
			if err != nil || serial != tc.want {
				t.Fatalf("ReprintLabel(unit %d) = %q, %v; want %s", tc.unit, serial, err, tc.want)
			}
			eventually(t, "the reprint", func() bool { return len(printed()) > before })
			if got := printed(); len(got) != before+1 || got[len(got)-1] != tc.want {
				t.Errorf("printed %v, want exactly one more label, %s", got, tc.want)
			}
		})
	}

	weave := fl.op("S1", 0)
	for _, tc := range []struct {
		name string
		cell string
		op   int64
		unit int
		want error
	}{
		{name: "unit not finished", cell: "label-1", op: label.ID, unit: 3, want: cells.ErrNotFinished},
		{name: "operation of another cell", cell: "label-1", op: weave.ID, unit: 1, want: book.ErrUnknownOperation},
		{name: "unknown operation", cell: "label-1", op: 424242, unit: 1, want: book.ErrUnknownOperation},
		{name: "negative unit", cell: "label-1", op: label.ID, unit: -1, want: book.ErrInvalid},
		{name: "no printer", cell: weave.Cell, op: weave.ID, unit: 1, want: cells.ErrNoPrinter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if serial, err := fl.cells[tc.cell].ReprintLabel(ctx, tc.op, tc.unit); !errors.Is(err, tc.want) || serial != "" {
				t.Errorf("ReprintLabel = %q, %v; want %v", serial, err, tc.want)
			}
		})
	}
	if got := printed(); len(got) != 4 {
		t.Errorf("printed %v, want the two labels and the two reprints only", got)
	}
}
