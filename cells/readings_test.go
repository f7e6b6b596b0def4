package cells_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/firmware-sim/dye"
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

// checkBath checks the summaries of a finished SKEIN bath, dyed at 80 °C and pH 4.5. How many
// readings it took, and so how much of the ramp and of the hold it saw, depends on how busy
// the machine running the tests is: the simulated bath fills and heats in tens of
// milliseconds and holds for a second.
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

func TestDyeBathRecordsItsReadings(t *testing.T) {
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
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
	fl := newFloor(t)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	vat := fl.plant.DyeStation("vat-a")
	op := fl.op("K1", 0)
	// Written while the bath runs, every RecordEvery (100ms here).
	eventually(t, "readings written during the hold", func() bool {
		rs := fl.readings(op.ID)
		return vat.Status().State == dye.StateHold && rs["temperature"].Open != nil && rs["temperature"].HoldTime > 0 &&
			fl.op("K1", 0).State == book.Running
	})
	fl.act(op.ID, book.ActionPause, "dye lot check")
	var before map[string]book.ReadingSummary
	eventually(t, "the paused job's readings", func() bool {
		before = fl.readings(op.ID)
		return before["temperature"].Samples > 0 && before["temperature"].Open == nil
	})
	fl.act(op.ID, book.ActionResume, "")
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
	fl := newFloorRecording(t, time.Hour)
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,2\n")
	vat := fl.plant.DyeStation("vat-a")
	op := fl.op("K1", 0)
	// Ten minutes of the machine's into the hold, the bath has been read at 80 °C already.
	eventually(t, "the bath's hold", func() bool {
		st := vat.Status()
		return st.State == dye.StateHold && st.HoldLeft <= 6600*time.Second
	})
	if rs := fl.readings(op.ID); len(rs) != 0 {
		t.Fatalf("readings written before their time: %+v", rs)
	}
	fl.restart()
	kept := fl.readings(op.ID)["temperature"]
	if kept.Samples == 0 || kept.Open == nil || fl.op("K1", 0).State != book.Running {
		t.Fatalf("at the restart the book kept %+v of the running bath's temperature, want its readings so far with the hold under way", kept)
	}
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
