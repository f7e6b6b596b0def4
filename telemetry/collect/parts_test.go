package collect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/collect"
)

func newRecorder() *recorder {
	return &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
}

// topics returns the topics published to, sorted.
func (r *recorder) topics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for tp := range r.points {
		out = append(out, tp)
	}
	slices.Sort(out)
	return out
}

// drivenFloor is the test floor driving only some of the cells, as a daemon sharing its book
// with another does.
type drivenFloor struct {
	floor
	cells []string
}

func (f *drivenFloor) Driven() []string { return f.cells }

var _ collect.Driver = (*drivenFloor)(nil)

// weaveUnits starts the operation at the head of the weave cell holding one and makes units
// of it, ten minutes apart; it returns the cell.
func weaveUnits(t *testing.T, b *book.Book, c interface{ Advance(time.Duration) }, units int) string {
	t.Helper()
	ctx := context.Background()
	for _, cell := range []string{"weave-1", "weave-2"} {
		q, err := b.Queue(ctx, cell, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 0 {
			continue
		}
		op := q[0]
		if op.State != book.Running {
			if _, err := b.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionStart, Actor: "ana"}); err != nil {
				t.Fatal(err)
			}
		}
		for u := op.UnitsDone + 1; u <= op.UnitsDone+units; u++ {
			c.Advance(10 * time.Minute)
			if _, err := b.Progress(ctx, op.ID, u, book.Actor("cell:"+cell)); err != nil {
				t.Fatal(err)
			}
		}
		return cell
	}
	t.Fatal("no weave cell has work")
	return ""
}

// TestFloorPart: the floor part publishes the devices and the state and queue of the cells the
// floor drives, nothing of the others and nothing of the book; a cell driven again after a
// while elsewhere starts over with its state, not with the time it spent elsewhere.
func TestFloorPart(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,3\n")
	rec := newRecorder()
	fl := &drivenFloor{floor: floor{sampled: c.Now().Add(-time.Second)}, cells: []string{"dye-1", "weave-1"}}
	col := collect.New(collect.Config{Parts: collect.PartFloor, Site: "s", Book: b, Floor: fl, Publisher: rec,
		Cells: []string{"dye-1", "weave-1", "weave-2", "pack-1"}, Drops: []string{"later"}, Now: c.Now})
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	weaveUnits(t, b, c, 2)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tp := range rec.topics() {
		ok := tp == "cellforge/v1/s/devices/dye-1/vat-a/temperature" ||
			strings.HasPrefix(tp, "cellforge/v1/s/cells/dye-1/") || strings.HasPrefix(tp, "cellforge/v1/s/cells/weave-1/")
		if !ok || strings.HasSuffix(tp, "/units") || strings.HasSuffix(tp, "/cycle_time_s") {
			t.Errorf("the floor part of a daemon driving dye-1 and weave-1 published %s", tp)
		}
	}
	for _, tp := range []string{"cellforge/v1/s/devices/dye-1/vat-a/temperature", "cellforge/v1/s/cells/weave-1/machine_state",
		"cellforge/v1/s/cells/weave-1/queue_length", "cellforge/v1/s/cells/dye-1/time_idle_s"} {
		if len(rec.points[tp]) == 0 {
			t.Errorf("the floor part published nothing to %s; topics %v", tp, rec.topics())
		}
	}
	if _, ok := rec.retained["cellforge/v1/s/cells/weave-2/state"]; ok {
		t.Error("the floor part retained the state of weave-2, which another daemon drives")
	}

	// dye-1 goes to the other daemon for an hour, then comes back.
	fl.cells = []string{"weave-1"}
	c.Advance(time.Hour)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	fl.cells = []string{"dye-1", "weave-1"}
	c.Advance(time.Minute)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.values("cellforge/v1/s/cells/dye-1/machine_state"); len(got) != 2 || got[1] != "idle" {
		t.Errorf("dye-1 states %v, want idle, and idle again once driven again", got)
	}
	for _, v := range rec.values("cellforge/v1/s/cells/dye-1/time_idle_s") {
		if v.(float64) >= 3600 {
			t.Errorf("dye-1 time idle %v: counts the hour another daemon drove it", v)
		}
	}
}

// TestBookPart: the book part publishes what the book measures (units, cycle time, drops) and
// nothing of the floor's devices or the cells' states.
func TestBookPart(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,3\n")
	rec := newRecorder()
	fl := &floor{sampled: c.Now().Add(-time.Second)}
	col := collect.New(collect.Config{Parts: collect.PartBook, Site: "s", Book: b, Floor: fl, Publisher: rec,
		Cells: []string{"dye-1", "weave-1", "weave-2", "pack-1"}, Drops: []string{"later"}, Now: c.Now})
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	cell := weaveUnits(t, b, c, 2)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.values("cellforge/v1/s/cells/" + cell + "/units"); len(got) != 2 {
		t.Errorf("%s units %v, want 2 points", cell, got)
	}
	if len(rec.points["cellforge/v1/s/drops/later"]) != 1 || len(rec.points["cellforge/v1/s/oee/"+cell]) != 1 {
		t.Errorf("the book part published no drop or no OEE; topics %v", rec.topics())
	}
	for _, tp := range rec.topics() {
		if strings.HasPrefix(tp, "cellforge/v1/s/devices/") || strings.HasSuffix(tp, "/machine_state") ||
			strings.HasSuffix(tp, "/queue_length") || strings.Contains(tp, "/time_") {
			t.Errorf("the book part published %s, the floor's", tp)
		}
	}
	if len(rec.retained) != 0 {
		t.Errorf("the book part retained %v, the cells' states", rec.retained)
	}
}

// TestCursorTakesOver: a book part with a cursor that starts on a book with none follows from
// the newest event; one taking over from it (a daemon taking the site lease) publishes the
// events since the other's last step, not before; on a first start the events before are not
// published.
func TestCursorTakesOver(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,5\n")
	cell := weaveUnits(t, b, c, 1) // before any telemetry: never published
	units := "cellforge/v1/s/cells/" + cell + "/units"
	part := func(rec *recorder) *collect.Collector {
		col := collect.New(collect.Config{Parts: collect.PartBook, Site: "s", Book: b, Publisher: rec,
			Cells: []string{cell}, Now: c.Now, Cursor: "telemetry"})
		if err := col.Prime(ctx); err != nil {
			t.Fatal(err)
		}
		return col
	}
	first := newRecorder()
	a := part(first)
	if after, ok, err := b.Cursor(ctx, "telemetry"); err != nil || !ok {
		t.Fatalf("cursor after a first start: %d, %v, %v; want it stored", after, ok, err)
	}
	weaveUnits(t, b, c, 1)
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := first.values(units); len(got) != 1 {
		t.Fatalf("units published by the first holder %v, want the one made after it started", got)
	}
	gap := c.Now()
	weaveUnits(t, b, c, 2) // a is killed before its next step
	second := newRecorder()
	if err := part(second).Step(ctx); err != nil {
		t.Fatal(err)
	}
	pts := second.points[units]
	if len(pts) != 2 || !pts[0].Time.After(gap) {
		t.Errorf("units published by the next holder %+v, want the 2 made after the first's last step", pts)
	}
}

// failingCursor is a book whose cursor cannot be stored while fail is set.
type failingCursor struct {
	*book.Book
	fail bool
}

var errStore = errors.New("disk full")

func (f *failingCursor) SetCursor(ctx context.Context, name string, after int64) error {
	if f.fail {
		return errStore
	}
	return f.Book.SetCursor(ctx, name, after)
}

// TestCursorNotStored: a cursor that cannot be stored fails the step (and a first start's
// prime) with the book's error; its events are not published again by the same collector and
// the cursor is stored at the next step that can.
func TestCursorNotStored(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,5\n")
	fb := &failingCursor{Book: b, fail: true}
	rec := newRecorder()
	col := collect.New(collect.Config{Parts: collect.PartBook, Site: "s", Book: fb, Publisher: rec,
		Cells: []string{"weave-1", "weave-2"}, Now: c.Now, Cursor: "telemetry"})
	if err := col.Prime(ctx); !errors.Is(err, errStore) || !strings.Contains(err.Error(), "storing where the telemetry starts") {
		t.Fatalf("prime with a cursor that cannot be stored: %v", err)
	}
	fb.fail = false
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	cell := weaveUnits(t, b, c, 2)
	fb.fail = true
	if err := col.Step(ctx); !errors.Is(err, errStore) {
		t.Fatalf("step with a cursor that cannot be stored: %v", err)
	}
	fb.fail = false
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.values("cellforge/v1/s/cells/" + cell + "/units"); len(got) != 2 {
		t.Errorf("units %v, want 2 points, once each", got)
	}
	last, err := b.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after, ok, err := b.Cursor(ctx, "telemetry"); err != nil || !ok || after != last {
		t.Errorf("cursor %d, %v, %v; want the last event %d", after, ok, err, last)
	}
}
