package cells_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/firmware-sim/dye"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// readings returns the summaries stored for an operation, by quantity.
func (fl *floor) readings(op int64) map[string]book.ReadingSummary {
	fl.t.Helper()
	rs, err := fl.book.Readings(context.Background(), op)
	if err != nil {
		fl.t.Fatal(err)
	}
	out := map[string]book.ReadingSummary{}
	for _, r := range rs {
		out[r.Quantity] = r
	}
	return out
}

// advanceVat moves the machines' clock on by d and waits for vat-a to catch up with it.
func (fl *floor) advanceVat(d time.Duration) dye.Status {
	fl.t.Helper()
	at := fl.clock.Advance(d)
	vat := fl.plant.DyeStation("vat-a")
	var st dye.Status
	eventually(fl.t, "the vat to catch up with the clock", func() bool {
		st = vat.Status()
		return !st.Time.Before(at)
	})
	return st
}

// dyeUntil moves the machines' clock on a minute at a time, as long as a bath takes, until
// vat-a's status satisfies cond.
func (fl *floor) dyeUntil(what string, cond func(dye.Status) bool) dye.Status {
	fl.t.Helper()
	for range 4 * 60 {
		if st := fl.advanceVat(time.Minute); cond(st) {
			return st
		}
	}
	fl.t.Fatalf("the vat's clock went on for four hours without %s", what)
	return dye.Status{}
}

// startBath waits for vat-a to take the bath the dye cell sent it, on the stepped clock.
func (fl *floor) startBath() {
	fl.t.Helper()
	vat := fl.plant.DyeStation("vat-a")
	eventually(fl.t, "the vat to take the bath", func() bool { return vat.Status().State != dye.StateIdle })
}

// finishBath moves the clock through the rest of vat-a's bath, held or not.
func (fl *floor) finishBath() {
	fl.t.Helper()
	if st := fl.plant.DyeStation("vat-a").Status(); st.State == dye.StateHold {
		fl.advanceVat(st.HoldLeft)
	}
	fl.dyeUntil("the bath's end", func(st dye.Status) bool { return st.State == dye.StateDone || st.State == dye.StateIdle })
}

// holdTenMinutes dyes the bath vat-a took until it has held for ten minutes of the machine's.
func (fl *floor) holdTenMinutes() {
	fl.t.Helper()
	fl.dyeUntil("ten minutes of the hold", func(st dye.Status) bool {
		return st.State == dye.StateHold && st.HoldLeft <= 6600*time.Second
	})
}

// readInHold waits, the machines' clock standing still, until the book holds n readings or more
// of operation op's temperature in the stretch under way, and returns its summaries.
func (fl *floor) readInHold(op int64, n int) map[string]book.ReadingSummary {
	fl.t.Helper()
	var rs map[string]book.ReadingSummary
	eventually(fl.t, fmt.Sprintf("%d readings of the temperature held", n), func() bool {
		rs = fl.readings(op)
		o := rs["temperature"].Open
		return o != nil && o.Count >= n
	})
	return rs
}

// passesOver waits, the machines' clock standing still, until the controller of cell has read
// its machine in state and finished n passes from that one on. A pass sets the cell's status
// from the machine's reading first (UpdatedAt) and acts on that reading before the next pass
// begins, so that a status updated after a pass's is the sign that the pass is over.
func (fl *floor) passesOver(cell, state string, n int) {
	fl.t.Helper()
	c := fl.cells[cell]
	var last time.Time
	eventually(fl.t, cell+" reading its machine in "+state, func() bool {
		st := c.Status()
		last = st.UpdatedAt
		return st.Machine == state
	})
	for range n {
		prev := last
		eventually(fl.t, cell+"'s next pass", func() bool {
			st := c.Status()
			last = st.UpdatedAt
			return st.UpdatedAt.After(prev)
		})
	}
}

// checkBath checks the summaries of a finished SKEIN bath, dyed at 80 °C and pH 4.5 and read
// at least three times in its hold. How much of the ramp they saw depends on how busy the host
// running the tests is: the clock moves a minute of the machine's at a time, whether the
// controller read the minute before or not.
func checkBath(t *testing.T, rs map[string]book.ReadingSummary) {
	t.Helper()
	temp, ph := rs["temperature"], rs["ph"]
	if len(rs) != 2 {
		t.Fatalf("readings of %d quantities (%v), want temperature and ph", len(rs), rs)
	}
	if temp.Unit != "°C" || temp.Samples < 3 || math.Abs(temp.Max-80) > 0.2 || math.Abs(temp.Held-80) > 1 {
		t.Errorf("temperature %+v: want °C, up to 80, held at 80 within 1", temp)
	}
	if temp.HoldSamples < 2 || temp.HoldTime <= 0 || temp.HoldTime > temp.Last.Sub(temp.First) {
		t.Errorf("temperature held %v over %d readings, want a hold within the %v read", temp.HoldTime, temp.HoldSamples, temp.Last.Sub(temp.First))
	}
	if ph.Samples != temp.Samples || ph.Max > 7.05 || math.Abs(ph.Held-4.5) > 0.1 || ph.HoldTime <= 0 {
		t.Errorf("ph %+v: want the temperature's samples, at most 7, held at 4.5 within 0.1", ph)
	}
	if temp.Open != nil || ph.Open != nil {
		t.Errorf("the finished bath's holds are still open: %+v, %+v", temp.Open, ph.Open)
	}
}

// The readings tests' controllers never take the machine for lost (LostAfter an hour): a host
// too busy to poll the machine for a while would otherwise have the cell go down, close the
// holds and pause the bath the test holds on its clock.

func TestDyeBathRecordsItsReadings(t *testing.T) {
	fl := newSteppedFloor(t, 100*time.Millisecond, time.Hour)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	fl.startBath()
	fl.holdTenMinutes()
	fl.readInHold(fl.op("K1", 0).ID, 3)
	fl.finishBath()
	eventually(t, "the bath to finish", func() bool { return fl.op("K1", 0).State == book.Done })
	checkBath(t, fl.readings(fl.op("K1", 0).ID))
}

func TestManualStepRecordsNoReadings(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,1\n")
	eventually(t, "the label step to be queued", func() bool { return fl.op("S1", 1).State == book.Queued })
	label := fl.op("S1", 1)
	fl.act(label.ID, book.ActionStart, "")
	fl.act(label.ID, book.ActionComplete, "")
	if rs := fl.readings(label.ID); len(rs) != 0 {
		t.Errorf("the manual label step has readings %+v", rs)
	}
	// The loom's step records the speed it wove at.
	eventually(t, "the weave step's record", func() bool { return fl.op("S1", 0).State == book.Done })
	if rs := fl.readings(fl.op("S1", 0).ID); len(rs) > 1 || len(rs) == 1 && rs["speed"].Held != 120 {
		t.Errorf("weave step readings %+v, want at most the speed, 120", rs)
	}
}

func TestReadingsGoOnAcrossAPause(t *testing.T) {
	fl := newSteppedFloor(t, 100*time.Millisecond, time.Hour)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	op := fl.op("K1", 0)
	fl.startBath()
	fl.holdTenMinutes()
	// Written while the bath runs, every RecordEvery (100ms here).
	fl.readInHold(op.ID, 2)
	fl.act(op.ID, book.ActionPause, "dye lot check")
	var before map[string]book.ReadingSummary
	eventually(t, "the paused job's readings", func() bool {
		before = fl.readings(op.ID)
		return before["temperature"].Samples > 0 && before["temperature"].Open == nil
	})
	// The stopped bath drains; resumed, the job is sent again and dyes a whole bath.
	fl.dyeUntil("the stopped bath's drain", func(st dye.Status) bool { return st.State == dye.StateIdle })
	fl.act(op.ID, book.ActionResume, "")
	fl.startBath()
	fl.holdTenMinutes()
	// Read in the second hold for longer than in the first: the second is the longest.
	eventually(t, "the second hold to outlast the first", func() bool {
		o := fl.readings(op.ID)["temperature"].Open
		return o != nil && o.From.After(before["temperature"].Last) && o.To.Sub(o.From) > before["temperature"].HoldTime
	})
	fl.finishBath()
	eventually(t, "the bath to finish", func() bool { return fl.op("K1", 0).State == book.Done })
	after := fl.readings(op.ID)
	for _, q := range []string{"temperature", "ph"} {
		b, a := before[q], after[q]
		if a.Samples <= b.Samples || !a.First.Equal(b.First) || a.Min > b.Min {
			t.Errorf("%s before the pause %+v, after the bath %+v: want the second batch's readings added to the first's", q, b, a)
		}
	}
	// The bath was dyed whole after the resume: its hold is the second batch's, and no hold
	// spans the pause.
	checkBath(t, after)
	if h, last := after["temperature"], before["temperature"].Last; !h.HeldFrom.After(last) {
		t.Errorf("the hold began at %v, before the pause's last reading %v", h.HeldFrom, last)
	}
}

func TestReadingsGoOnAcrossARestart(t *testing.T) {
	// No write while the job runs: what the book holds at the restart is what the stopping
	// controller wrote.
	fl := newSteppedFloor(t, time.Hour, time.Hour)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	op := fl.op("K1", 0)
	// Ten minutes of the machine's into the hold, the controller has read the bath at 80 °C.
	fl.startBath()
	fl.holdTenMinutes()
	fl.passesOver("dye-1", "hold", 1)
	if rs := fl.readings(op.ID); len(rs) != 0 {
		t.Fatalf("readings written before their time: %+v", rs)
	}
	fl.recordEvery = 100 * time.Millisecond // the next controllers write as they go: the test sees them read
	fl.restart()
	kept := fl.readings(op.ID)["temperature"]
	if kept.Samples == 0 || kept.Open == nil || fl.op("K1", 0).State != book.Running {
		t.Fatalf("at the restart the book kept %+v of the running bath's temperature, want its readings so far with the hold under way", kept)
	}
	// The new controller takes the bath the machine runs as its job, then reads it on.
	fl.readInHold(op.ID, kept.Open.Count+2)
	fl.finishBath()
	eventually(t, "the bath to finish", func() bool { return fl.op("K1", 0).State == book.Done })
	after := fl.readings(op.ID)
	checkBath(t, after)
	temp := after["temperature"]
	if temp.Samples <= kept.Samples || !temp.First.Equal(kept.First) || temp.Min > kept.Min {
		t.Errorf("temperature after the restart %+v, kept at it %+v: want the readings after it added", temp, kept)
	}
	// The bath held on through the restart, and so does its hold.
	if !temp.HeldFrom.Equal(kept.Open.From) || temp.HoldTime <= kept.HoldTime {
		t.Errorf("hold from %v for %v after the restart; the one under way at it began at %v: want it gone on", temp.HeldFrom, temp.HoldTime, kept.Open.From)
	}
}

// A bath that ends just after a restart, before the new controller read it, closes the holds
// the book kept of it all the same: a finished operation's record has no hold under way (it
// kept them open, the new controller holding no readings of the job to close).
func TestABathEndingRightAfterARestartClosesItsHolds(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t)
	fl.stopCells() // the controllers stay off: the test moves the book by hand
	fl.cellsWG.Wait()
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	op := fl.op("K1", 0)
	fl.act(op.ID, book.ActionStart, "")
	at := time.Now().Add(-time.Minute)
	temp := book.ReadingSummary{Quantity: "temperature", Unit: "°C", Tolerance: 1}
	for i := range 3 {
		temp.Add(at.Add(time.Duration(i)*time.Second), 80)
	}
	if err := fl.book.RecordReadings(ctx, op.ID, []book.ReadingSummary{temp}); err != nil {
		t.Fatal(err)
	}

	// No tick: the controller passes over the machine once at its start, then once for each
	// reading, so that the pass after the one that adopts the bath reads it done.
	cell, _ := fl.restartOnStub("dye-1", "vat-a", time.Hour)
	cell.Observe(map[string]float64{"state": 3}, time.Now(), nil) // holding: the job is adopted
	eventually(t, "the controller to read the bath's hold", func() bool { return cell.Status().Machine == "hold" })
	cell.Observe(map[string]float64{"state": 6}, time.Now(), nil) // done
	eventually(t, "the bath to finish", func() bool { return fl.op("K1", 0).State == book.Done })
	got := fl.readings(op.ID)["temperature"]
	if got.Open != nil || got.Samples != 3 || !got.HeldFrom.Equal(temp.HeldFrom) {
		t.Errorf("the finished bath's temperature %+v, want the 3 readings kept with the hold closed", got)
	}
}

// A bath that outlives a lost connection goes on as the same job when the machine answers
// again: the cell comes back with its operation, and the bath is dyed once (the controller took
// the bath for lost with the connection, waited for its end and dyed it again).
func TestABathOutlivingALostConnectionIsDyedOnce(t *testing.T) {
	fl := newSteppedFloor(t, 100*time.Millisecond, 500*time.Millisecond)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	fl.startBath()
	fl.holdTenMinutes()
	if err := fl.plant.SetFaults("vat-a", plant.Faults{Drop: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to go down", func() bool { return fl.op("K1", 0).State == book.Paused })
	if err := fl.plant.SetFaults("vat-a", plant.Faults{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cell to come back", func() bool {
		return fl.cells["dye-1"].Status().Down == "" && fl.op("K1", 0).State == book.Running
	})
	fl.finishBath()
	eventually(t, "the operation to end, or the vat to take another bath", func() bool {
		return fl.op("K1", 0).State == book.Done || fl.plant.DyeStation("vat-a").Status().State != dye.StateDone
	})
	if op, st := fl.op("K1", 0), fl.plant.DyeStation("vat-a").Status(); op.State != book.Done || st.Batches != 1 || st.State != dye.StateDone {
		t.Errorf("after the bath: K1 %s, the vat %d batches and in state %d; want K1 done with one batch", op.State, st.Batches, st.State)
	}
}

// refusingReadings is a book that refuses every summary of readings, as it refuses a malformed
// one.
type refusingReadings struct{ cells.Book }

func (refusingReadings) RecordReadings(context.Context, int64, []book.ReadingSummary) error {
	return fmt.Errorf("%w: held outside min and max", book.ErrInvalid)
}

// TestRefusedReadingsDoNotHoldTheBath: a bath whose readings the book refuses is completed all
// the same, without them; it is not held running, its readings written again at every pass.
func TestRefusedReadingsDoNotHoldTheBath(t *testing.T) {
	fl := newSteppedFloor(t, 100*time.Millisecond, time.Hour)
	fl.stopAndClose()
	fl.wrap = func(b cells.Book) cells.Book { return refusingReadings{b} }
	fl.startCells()
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	fl.startBath()
	fl.holdTenMinutes()
	fl.finishBath()
	eventually(t, "the bath to finish", func() bool { return fl.op("K1", 0).State == book.Done })
	if rs := fl.readings(fl.op("K1", 0).ID); len(rs) != 0 {
		t.Errorf("the refused readings were stored: %+v", rs)
	}
}
