package collect_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/collect"
)

// recorder keeps what the collector publishes.
type recorder struct {
	mu       sync.Mutex
	points   map[string][]telemetry.Point // by topic
	series   map[string]telemetry.Series
	retained map[string]string
}

func (r *recorder) Publish(s telemetry.Series, points ...telemetry.Point) error {
	if _, _, err := telemetry.Encode(s, points); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.points[s.Topic()] = append(r.points[s.Topic()], points...)
	r.series[s.Topic()] = s
	return nil
}

func (r *recorder) Retain(topic string, body []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retained[topic] = string(body)
	return nil
}

func (r *recorder) values(topic string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []any
	for _, p := range r.points[topic] {
		out = append(out, p.Fields["value"])
	}
	return out
}

// floor is a floor whose weave-2 is down and whose vat reads one temperature.
type floor struct {
	sampled time.Time
	setup   bool // weave-1's machine prepares its job
}

func (f *floor) Down(cell string) bool  { return cell == "weave-2" }
func (f *floor) Setup(cell string) bool { return cell == "weave-1" && f.setup }
func (f *floor) Samples() []collect.DeviceSample {
	return []collect.DeviceSample{{Cell: "dye-1", Device: "vat-a", Metric: "temperature", Value: 61.5, Time: f.sampled}}
}

// newBook is a book of the test factory, on a store in a temporary directory, at 8:00 on
// 2 November 2026 by its clock, with the orders of csv (order_id,sku,quantity rows) in the
// drop "later".
func newBook(t testing.TB, csv string) (*book.Book, *booktest.Clock) {
	t.Helper()
	ctx := context.Background()
	fx := booktest.New(t, "testdata/factory.yaml")
	b, c := fx.Book, fx.Clock
	rows, err := intake.NewCSV(strings.NewReader("order_id,sku,quantity\n" + csv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, book.ImportRequest{Drop: "later", Rows: rows, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	return b, c
}

func TestCollector(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,3\nS2,SCARF,1\n")
	rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
	fl := &floor{sampled: c.Now().Add(-time.Second)}
	col := collect.New(collect.Config{Site: "s", Book: b, Floor: fl, Publisher: rec, Cells: []string{"weave-1", "weave-2", "pack-1"},
		Drops: []string{"later"}, Now: c.Now})
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := b.Queue(ctx, "weave-1", 0)
	if err != nil || len(q) == 0 {
		t.Fatalf("weave-1 queue %v, %v", q, err)
	}
	op := q[0]
	if got := rec.values("cellforge/v1/s/cells/weave-1/queue_length"); len(got) != 1 || got[0] != float64(len(q)) {
		t.Errorf("weave-1 queue length %v, want %d", got, len(q))
	}
	if !strings.Contains(rec.retained["cellforge/v1/s/cells/weave-2/state"], `"state":"fault"`) {
		t.Errorf("weave-2 retained state %q, want fault", rec.retained["cellforge/v1/s/cells/weave-2/state"])
	}
	// A device value is published once, with the time it was read.
	if pts := rec.points["cellforge/v1/s/devices/dye-1/vat-a/temperature"]; len(pts) != 1 || !pts[0].Time.Equal(fl.sampled) {
		t.Errorf("temperature points %+v, want one read at %v", pts, fl.sampled)
	}

	// The scarf is woven: three units ten minutes apart, then done.
	act := func(a book.Action) {
		if _, err := b.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: a, Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
	}
	act(book.ActionStart)
	for units := 1; units <= op.Quantity; units++ {
		c.Advance(10 * time.Minute)
		if _, err := b.Progress(ctx, op.ID, units, "cell:weave-1"); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Minute)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/units"); len(got) != op.Quantity {
		t.Errorf("weave-1 units %v, want %d points of one unit", got, op.Quantity)
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/cycle_time_s"); len(got) != op.Quantity || got[0] != 600.0 || got[len(got)-1] != 600.0 {
		t.Errorf("weave-1 cycle times %v, want %d of 600 s, the first counted from the start", got, op.Quantity)
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/machine_state"); len(got) != 2 || got[1] != "running" {
		t.Errorf("weave-1 states %v, want idle then running", got)
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/time_idle_s"); len(got) != 1 || got[0] != 31*60.0 {
		t.Errorf("weave-1 time idle %v, want the 31 minutes between the samples", got)
	}
	// The loom changes over (a setup phase of its machine): the cell is in setup.
	fl.setup = true
	c.Advance(time.Minute)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	fl.setup = false
	if got := rec.values("cellforge/v1/s/cells/weave-1/machine_state"); got[len(got)-1] != "setup" {
		t.Errorf("weave-1 states %v, want setup last", got)
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/time_running_s"); len(got) != 1 || got[0] != 60.0 {
		t.Errorf("weave-1 time running %v, want the minute before the setup", got)
	}
	// Finishing both operations completes the work order: its turnaround is published.
	act(book.ActionComplete)
	wo, err := b.WorkOrder(ctx, op.WorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	pack := wo.Operations[1].ID
	for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
		if _, err := b.Transition(ctx, book.TransitionRequest{Operation: pack, Action: a, Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	wt := rec.points["cellforge/v1/s/workorders/later"]
	if len(wt) != 1 || wt[0].Fields["turnaround_s"] != 32*60.0 || wt[0].Fields["late"] != false {
		t.Errorf("work order points %+v, want one turnaround of 1920 s, on time", wt)
	}
	if s := rec.series["cellforge/v1/s/workorders/later"]; s.Tags["sku"] != "SCARF" || s.Tags["work_order"] == "" {
		t.Errorf("work order tags %v", s.Tags)
	}
	drops := rec.points["cellforge/v1/s/drops/later"]
	if last := drops[len(drops)-1]; last.Fields["work_orders_done"] != 1.0 {
		t.Errorf("drop progress %+v, want one work order done", last)
	}
}

// TestRemakeTelemetry: an order that lost a unit is made whole by a remake; the work order
// made short and the remake each publish their completion, the remake's from the order's
// intake and marked as a remake, and the drop counts the order once, when the remake is done.
func TestRemakeTelemetry(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,2\n")
	rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
	col := collect.New(collect.Config{Site: "s", Book: b, Publisher: rec, Cells: []string{"weave-1"}, Drops: []string{"later"}, Now: c.Now})
	if err := col.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	act := func(op int64, a book.Action, quantity int) {
		t.Helper()
		if _, err := b.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "ana", Reason: "moth holes", Quantity: quantity}); err != nil {
			t.Fatal(err)
		}
	}
	finish := func(wo int64) {
		t.Helper()
		d, err := b.WorkOrder(ctx, wo)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range d.Operations {
			c.Advance(time.Hour)
			act(op.ID, book.ActionStart, 0)
			act(op.ID, book.ActionComplete, 0)
		}
	}
	_, first, err := b.Order(ctx, "S1")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := b.WorkOrder(ctx, first.ID)
	act(d.Operations[0].ID, book.ActionScrap, 1)
	finish(first.ID)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	done := func() any {
		drops := rec.points["cellforge/v1/s/drops/later"]
		return drops[len(drops)-1].Fields["work_orders_done"]
	}
	if got := done(); got != 0.0 {
		t.Errorf("orders done while S1 is a unit short: %v, want 0", got)
	}
	res, err := b.Remake(ctx, book.RemakeRequest{OrderID: "S1", Actor: "ines"})
	if err != nil {
		t.Fatal(err)
	}
	finish(res.WorkOrder.ID)
	if err := col.Step(ctx); err != nil {
		t.Fatal(err)
	}
	wt := rec.points["cellforge/v1/s/workorders/later"]
	if len(wt) != 2 {
		t.Fatalf("work order points %+v, want the first's and the remake's", wt)
	}
	if wt[0].Fields["good"] != 1.0 || wt[0].Fields["quantity"] != 2.0 || wt[0].Fields["remake"] != false {
		t.Errorf("the first work order's point %+v, want 1 of 2 good, no remake", wt[0].Fields)
	}
	if wt[1].Fields["good"] != 1.0 || wt[1].Fields["remake"] != true || wt[1].Fields["turnaround_s"] != 4*3600.0 {
		t.Errorf("the remake's point %+v, want 1 good, a remake, 4 h from the order's intake", wt[1].Fields)
	}
	if got := done(); got != 1.0 {
		t.Errorf("orders done once S1's remake is: %v, want 1", got)
	}
}

// countingQueue counts the reads of cell's queue through it.
type countingQueue struct {
	*book.Book
	reads map[string]int
}

func (q countingQueue) Queue(ctx context.Context, cell string, limit int) ([]book.QueueEntry, error) {
	q.reads[cell]++
	return q.Book.Queue(ctx, cell, limit)
}

// TestCellsSampledWithoutReadsWhileNothingIsWritten: a step with nothing written since the last
// reads no queue and publishes the same queue lengths, and what the floor says of a cell (weave-2
// down) all the same; a write makes the next step read the queues again.
func TestCellsSampledWithoutReadsWhileNothingIsWritten(t *testing.T) {
	ctx := context.Background()
	b, c := newBook(t, "S1,SCARF,3\n")
	rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
	fl := &floor{}
	counted := countingQueue{Book: b, reads: map[string]int{}}
	cells := []string{"weave-1", "weave-2", "pack-1"}
	col := collect.New(collect.Config{Parts: collect.PartFloor, Site: "s", Book: counted, Floor: fl, Publisher: rec, Cells: cells, Now: c.Now})
	step := func() {
		t.Helper()
		c.Advance(5 * time.Second)
		if err := col.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	for _, cell := range cells {
		if counted.reads[cell] != 1 {
			t.Fatalf("first step: %d reads of %s's queue, want 1", counted.reads[cell], cell)
		}
	}
	step()
	step()
	for _, cell := range cells {
		if counted.reads[cell] != 1 {
			t.Errorf("two steps with nothing written: %d reads of %s's queue in all, want the first step's", counted.reads[cell], cell)
		}
	}
	if !strings.Contains(rec.retained["cellforge/v1/s/cells/weave-2/state"], `"state":"fault"`) {
		t.Errorf("weave-2's state %q, want fault", rec.retained["cellforge/v1/s/cells/weave-2/state"])
	}
	lengths := rec.values("cellforge/v1/s/cells/weave-1/queue_length")
	if len(lengths) != 3 || lengths[0] == float64(0) || lengths[1] != lengths[0] || lengths[2] != lengths[0] {
		t.Fatalf("weave-1's queue lengths %v, want the same three, not zero", lengths)
	}

	q, err := b.Queue(ctx, "weave-1", 0)
	if err != nil || len(q) == 0 {
		t.Fatalf("weave-1's queue %v, %v", q, err)
	}
	if _, err := b.Transition(ctx, book.TransitionRequest{Operation: q[0].ID, Action: book.ActionStart, Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	step()
	if counted.reads["weave-1"] != 2 {
		t.Errorf("after a write: %d reads of weave-1's queue, want 2", counted.reads["weave-1"])
	}
	if !strings.Contains(rec.retained["cellforge/v1/s/cells/weave-1/state"], `"state":"running"`) {
		t.Errorf("weave-1's state after its start %q, want running", rec.retained["cellforge/v1/s/cells/weave-1/state"])
	}
	if got := rec.values("cellforge/v1/s/cells/weave-1/queue_length"); got[len(got)-1] != lengths[0].(float64)-1 {
		t.Errorf("weave-1's queue lengths %v, want one fewer waiting after its start", got)
	}
}
