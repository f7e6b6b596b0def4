package planner_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

type fixture struct {
	book    *book.Book
	planner *planner.Planner
	factory *configs.Factory
	clock   *booktest.Clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureFrom(t, "testdata/factory.yaml")
}

func newFixtureFrom(t testing.TB, config string) *fixture {
	t.Helper()
	return newFixtureWith(t, config, planner.Config{Search: 300 * time.Millisecond, Seed: 1})
}

// newFixtureWith is newFixtureFrom with a planner of cfg (Book, Factory and Now are set here).
func newFixtureWith(t testing.TB, config string, cfg planner.Config) *fixture {
	t.Helper()
	fx := booktest.New(t, config)
	b, f, c := fx.Book, fx.Factory, fx.Clock
	cfg.Book, cfg.Factory, cfg.Now = b, f, c.Now
	p := planner.New(cfg)
	b.UsePlan(p)
	return &fixture{book: b, planner: p, factory: f, clock: c}
}

func rows(t testing.TB, csv string) book.RowReader {
	t.Helper()
	r, err := intake.NewCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (fx *fixture) importCSV(t testing.TB, drop, csv string) {
	t.Helper()
	if _, err := fx.book.Import(context.Background(), book.ImportRequest{Drop: drop, Rows: rows(t, csv), Actor: "test"}); err != nil {
		t.Fatal(err)
	}
}

// batch is n orders of the drop, cycling through the SKUs.
func batch(prefix string, n int, skus ...string) string {
	var b strings.Builder
	b.WriteString("order_id,sku,quantity\n")
	for i := range n {
		fmt.Fprintf(&b, "%s%d,%s,1\n", prefix, i, skus[i%len(skus)])
	}
	return b.String()
}

func (fx *fixture) replan(t *testing.T, search bool) *planner.Plan {
	t.Helper()
	if err := fx.planner.Replan(context.Background(), search); err != nil {
		t.Fatal(err)
	}
	return fx.planner.Current()
}

// checkPlan checks the plan against the book from scratch: every open operation not done has
// a slot at a cell offering its capability, a work order's slots follow its routing, slots at
// a cell never overlap, and nothing waiting starts before now.
func checkPlan(t *testing.T, fx *fixture, pl *planner.Plan) (ops int) {
	t.Helper()
	work, _, err := fx.book.OpenWork(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	capable := make(map[string][]string)
	for _, c := range fx.factory.Cells {
		for _, cp := range c.Capabilities {
			capable[cp] = append(capable[cp], c.ID)
		}
	}
	byCell := make(map[string][]book.Slot)
	for _, w := range work {
		var prev *book.Slot
		var last time.Time
		for _, op := range w.Operations {
			if op.State == book.Done || op.State == book.Scrapped {
				continue
			}
			s, ok := pl.Slots(""), false
			var slot book.Slot
			for _, x := range s {
				if x.Operation == op.ID {
					slot, ok = x.Slot, true
				}
			}
			if !ok {
				t.Errorf("work order %d operation %d (%s) has no slot", w.ID, op.ID, op.State)
				continue
			}
			ops++
			if !slices.Contains(capable[op.Capability], slot.Cell) {
				t.Errorf("operation %d needs %s, planned at %s", op.ID, op.Capability, slot.Cell)
			}
			if op.Cell != "" && op.Cell != slot.Cell {
				t.Errorf("operation %d is %s at %s, planned at %s", op.ID, op.State, op.Cell, slot.Cell)
			}
			if prev != nil && slot.Start.Before(prev.End) {
				t.Errorf("work order %d: operation %d starts at %v before the one before it ends at %v", w.ID, op.ID, slot.Start, prev.End)
			}
			if op.State != book.Running && slot.Start.Before(pl.At) {
				t.Errorf("operation %d (%s) planned to start at %v, before the plan was made at %v", op.ID, op.State, slot.Start, pl.At)
			}
			byCell[slot.Cell] = append(byCell[slot.Cell], slot)
			prev, last = &slot, slot.End
		}
		if end, ok := pl.Finish(w.ID); ok && prev != nil && !end.Equal(last) {
			t.Errorf("work order %d predicted to finish at %v, its last slot ends at %v", w.ID, end, last)
		}
	}
	for cell, slots := range byCell {
		slices.SortFunc(slots, func(a, b book.Slot) int { return a.Start.Compare(b.Start) })
		for i := 1; i < len(slots); i++ {
			if slots[i].Start.Before(slots[i-1].End) {
				t.Errorf("%s: slots %v and %v overlap", cell, slots[i-1], slots[i])
			}
		}
	}
	return ops
}

func TestPlanCoversOpenWork(t *testing.T) {
	fx := newFixture(t)
	// Colours alternate in the batch: the plan groups them on the one dye vat.
	fx.importCSV(t, "later", batch("L", 12, "RUG-INDIGO", "RUG-MADDER", "SCARF"))
	pl := fx.replan(t, true)
	if n := checkPlan(t, fx, pl); n != 4*3+4*3+4*2 {
		t.Errorf("%d operations planned, want 32", n)
	}
	if pl.Changeovers != 1 {
		t.Errorf("%d changeovers on the dye vat, want 1: indigo and madder each in one run", pl.Changeovers)
	}
	if len(pl.Drops) != 1 || pl.Drops[0].Drop != "later" || !pl.Drops[0].OnTime || pl.Drops[0].Open != 12 {
		t.Errorf("drops = %+v, want later on time with 12 open work orders", pl.Drops)
	}
	var last time.Time
	for _, s := range pl.Slots("") {
		if s.End.After(last) {
			last = s.End
		}
	}
	if !pl.Drops[0].Completion.Equal(last) || !pl.Makespan.Equal(last) {
		t.Errorf("drop completion %v, makespan %v; the last slot ends at %v", pl.Drops[0].Completion, pl.Makespan, last)
	}
}

// TestBookFollowsPlanner: the cells' queues are in planned order, and newly ready work goes
// to its planned cell.
func TestBookFollowsPlanner(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.importCSV(t, "later", batch("S", 6, "SCARF"))
	pl := fx.replan(t, true)
	checkPlan(t, fx, pl)
	for _, cell := range []string{"weave-1", "weave-2"} {
		q, err := fx.book.Queue(ctx, cell, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range q {
			if e.Plan == nil || e.Plan.Cell != cell {
				t.Fatalf("%s queue entry %d has slot %+v", cell, i, e.Plan)
			}
			if i > 0 && e.Plan.Start.Before(q[i-1].Plan.Start) {
				t.Errorf("%s queue is not in planned order: %v after %v", cell, e.Plan.Start, q[i-1].Plan.Start)
			}
		}
	}
	// Finishing a weave readies its pack operation: it is queued at its planned cell.
	q, err := fx.book.Queue(ctx, "weave-1", 1)
	if err != nil || len(q) == 0 {
		t.Fatalf("weave-1 queue: %v, %v", q, err)
	}
	for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
		if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: q[0].ID, Action: a, Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
	}
	wo, err := fx.book.WorkOrder(ctx, q[0].WorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	pack := wo.Operations[1]
	if pack.State != book.Queued || pack.Plan == nil || pack.Cell != pack.Plan.Cell {
		t.Errorf("pack operation %s at %q with slot %+v, want queued at its planned cell", pack.State, pack.Cell, pack.Plan)
	}
	checkPlan(t, fx, fx.replan(t, false))
}

// TestReplanAfterFault: a weaving cell faults. Its queued work goes to the other; the work
// planned on the other cells stays where it was planned.
func TestReplanAfterFault(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.importCSV(t, "later", batch("R", 8, "RUG-INDIGO", "SCARF"))
	before := fx.replan(t, true)
	if _, err := fx.book.CellDown(ctx, "weave-2", "warp break", "cell:weave-2"); err != nil {
		t.Fatal(err)
	}
	after := fx.replan(t, false)
	checkPlan(t, fx, after)
	if s := after.Slots("weave-2"); len(s) != 0 {
		t.Errorf("%d operations still planned on the faulted cell", len(s))
	}
	moved := 0
	for _, s := range before.Slots("") {
		now := slices.IndexFunc(after.Slots(""), func(x planner.OperationSlot) bool { return x.Operation == s.Operation })
		if now < 0 {
			t.Errorf("operation %d lost from the plan", s.Operation)
			continue
		}
		if cell := after.Slots("")[now].Cell; cell != s.Cell {
			if s.Cell != "weave-2" {
				t.Errorf("operation %d moved from %s to %s, though %s is up", s.Operation, s.Cell, cell, s.Cell)
			}
			moved++
		}
	}
	if moved != len(before.Slots("weave-2")) {
		t.Errorf("%d operations moved, want the %d of weave-2", moved, len(before.Slots("weave-2")))
	}
}

func TestPromise(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.importCSV(t, "soon", batch("A", 4, "SCARF"))
	pl := fx.replan(t, true)
	preview := func(csv string) []book.Candidate {
		c, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "soon", Rows: rows(t, csv)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Four more scarves fit easily before midnight.
	f, err := fx.planner.Promise(ctx, "soon", preview(batch("B", 4, "SCARF")))
	if err != nil {
		t.Fatal(err)
	}
	if !f.OnTime || f.Open != 8 || len(f.Late) != 0 {
		t.Errorf("promise for 4 more scarves = %+v, want on time with 8 open", f)
	}
	// 100 more need 104 x 20 min on two looms: over 17 h of weaving from 08:00, so some
	// miss midnight.
	f, err = fx.planner.Promise(ctx, "soon", preview(batch("C", 100, "SCARF")))
	if err != nil {
		t.Fatal(err)
	}
	if f.OnTime || len(f.Late) == 0 || f.Late[0].LateBy <= 0 || !f.Completion.After(f.Date) {
		t.Errorf("promise for 100 more scarves = on time %v, %d late, completion %v; want late orders", f.OnTime, len(f.Late), f.Completion)
	}
	for _, l := range f.Late {
		if l.WorkOrder != 0 || !strings.HasPrefix(l.OrderID, "C") {
			t.Errorf("late order %+v: the orders already planned should not be the ones made late", l)
			break
		}
	}
	// Nothing was committed: the book and the current plan are as they were.
	if fx.planner.Current() != pl {
		t.Error("the promise check replaced the current plan")
	}
	if wos, err := fx.book.WorkOrders(ctx, book.WorkOrderFilter{}); err != nil || len(wos) != 4 {
		t.Errorf("%d work orders after promise checks, want 4 (%v)", len(wos), err)
	}
}

// TestDropOnTimeIsAboutItsDate: a drop is on time when its last work order ends by the drop's
// date, whatever its orders' own due dates; an order planned to end after its own due date is
// late and named, in the plan and in a promise check, while the drop may still be on time.
func TestDropOnTimeIsAboutItsDate(t *testing.T) {
	// The clock is Mon 2 Nov 2026 08:00; "later" ships on 1 Dec, "soon" on 3 Nov.
	rush := "order_id,sku,quantity,due\nR1,RUG-INDIGO,3,2026-11-02T09:00:00Z\nN1,SCARF,1,\n"
	tests := []struct {
		name     string
		drop     string
		stored   string // imported and planned first
		checked  string // a batch for a promise check, "" for none
		onTime   bool
		lateIDs  []string
		lateDues []string
	}{
		{"a rush order misses its own due date, the drop ships early", "later", rush, "", true,
			[]string{"R1"}, []string{"2026-11-02T09:00:00Z"}},
		{"every order on time", "later", batch("A", 3, "SCARF"), "", true, nil, nil},
		{"the drop misses its date", "soon", batch("B", 120, "SCARF"), "", false, nil, nil},
		{"a promise check with a rush order", "later", batch("C", 2, "SCARF"), rush, true,
			[]string{"R1"}, []string{"2026-11-02T09:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			ctx := context.Background()
			fx.importCSV(t, tt.drop, tt.stored)
			pl := fx.replan(t, true)
			var f planner.DropForecast
			for _, d := range pl.Drops {
				if d.Drop == tt.drop {
					f = d
				}
			}
			if tt.checked != "" {
				cands, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: tt.drop, Rows: rows(t, tt.checked)})
				if err != nil {
					t.Fatal(err)
				}
				if f, err = fx.planner.Promise(ctx, tt.drop, cands); err != nil {
					t.Fatal(err)
				}
			}
			if f.OnTime != tt.onTime || f.OnTime == f.Completion.After(f.Date) {
				t.Errorf("drop %s finishing %v (date %v): on time %v, want %v", tt.drop, f.Completion, f.Date, f.OnTime, tt.onTime)
			}
			if tt.lateIDs == nil {
				if !tt.onTime && len(f.Late) == 0 {
					t.Errorf("the drop is late but no order is named late")
				}
				if tt.onTime && len(f.Late) != 0 {
					t.Errorf("late orders %+v, want none", f.Late)
				}
				return
			}
			var ids, dues []string
			for _, l := range f.Late {
				ids, dues = append(ids, l.OrderID), append(dues, l.Due.Format(time.RFC3339))
				if !l.Predicted.After(l.Due) || time.Duration(l.LateBy) != l.Predicted.Sub(l.Due) {
					t.Errorf("late order %+v: planned to end %v, due %v", l, l.Predicted, l.Due)
				}
			}
			if !slices.Equal(ids, tt.lateIDs) || !slices.Equal(dues, tt.lateDues) {
				t.Errorf("late orders %q due %q, want %q due %q", ids, dues, tt.lateIDs, tt.lateDues)
			}
			if tt.checked == "" {
				late := 0
				for _, d := range pl.Drops {
					late += len(d.Late)
				}
				if pl.Late != late {
					t.Errorf("the plan counts %d late work orders, its drops %d", pl.Late, late)
				}
			}
		})
	}
}

// TestRunFollowsTheBook: the planner's loop plans imported work by itself.
func TestRunFollowsTheBook(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	fx.planner = planner.New(planner.Config{Book: fx.book, Factory: fx.factory, Now: fx.clock.Now, Interval: 20 * time.Millisecond, Search: 50 * time.Millisecond, Seed: 1})
	fx.book.UsePlan(fx.planner)
	done := make(chan error, 1)
	go func() { done <- fx.planner.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	fx.importCSV(t, "later", batch("X", 5, "SCARF", "RUG-MADDER"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pl := fx.planner.Current(); pl != nil && len(pl.Slots("")) == 3*2+2*3 {
			checkPlan(t, fx, pl)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported work was not planned within 10 s: %+v", fx.planner.Current())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFirstPlanComesBeforeItsSearch: the first plan is there as soon as it is dispatched, while
// the search for a better one goes on (here for an hour), and the loop stops when its context
// ends, in the middle of that search.
func TestFirstPlanComesBeforeItsSearch(t *testing.T) {
	fx := newFixture(t)
	fx.importCSV(t, "later", batch("F", 20, "SCARF", "RUG-MADDER", "RUG-INDIGO"))
	fx.planner = planner.New(planner.Config{Book: fx.book, Factory: fx.factory, Now: fx.clock.Now, Search: time.Hour, Seed: 1})
	fx.book.UsePlan(fx.planner)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fx.planner.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for fx.planner.Current() == nil {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("no plan while the first search runs")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ops := checkPlan(t, fx, fx.planner.Current()); ops == 0 {
		t.Error("the first plan plans nothing")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return when its context ended during the search")
	}
}

// TestPlanKeepsWorkingHours: with working hours, every slot lies within its cell's hours, and a
// batch too big for one day spreads over the working days.
func TestPlanKeepsWorkingHours(t *testing.T) {
	fx := newFixtureFrom(t, "testdata/hours.yaml")
	fx.importCSV(t, "later", batch("H", 30, "RUG-INDIGO", "SCARF", "RUG-MADDER"))
	pl := fx.replan(t, true)
	checkPlan(t, fx, pl)
	days := make(map[string]bool)
	for _, s := range pl.Slots("") {
		h := fx.factory.CellHours(s.Cell)
		in := false
		for _, w := range h.Windows(s.Start.Add(-24*time.Hour), s.End.Add(24*time.Hour)) {
			if !s.Start.Before(w[0]) && !s.End.After(w[1]) {
				in = true
			}
		}
		if !in {
			t.Errorf("operation %d at %s from %s to %s is outside the cell's working hours", s.Operation, s.Cell,
				s.Start.Format("Mon 15:04"), s.End.Format("Mon 15:04"))
		}
		days[s.Start.Format("2006-01-02")] = true
	}
	if len(days) < 2 {
		t.Errorf("the work is planned on %d day(s), want it spread over the working days", len(days))
	}
}

// TestWindow: a window holds exactly the slots that overlap it, each with its work order.
func TestWindow(t *testing.T) {
	fx := newFixture(t)
	fx.importCSV(t, "later", batch("W", 6, "RUG-INDIGO", "SCARF"))
	pl := fx.replan(t, true)
	all := pl.Slots("")
	if len(all) == 0 {
		t.Fatal("nothing planned")
	}
	from := all[len(all)/2].Start
	to := from.Add(time.Hour)
	want := 0
	for _, s := range all {
		if s.End.After(from) && s.Start.Before(to) {
			want++
		}
	}
	got := pl.Window(from, to)
	if len(got) != want {
		t.Fatalf("window holds %d slots, want %d", len(got), want)
	}
	for i, s := range got {
		if s.WorkOrder == 0 || s.Drop != "later" || !strings.HasPrefix(s.OrderID, "W") {
			t.Errorf("slot %d = %+v: want its work order, order and drop", i, s)
		}
		if i > 0 && got[i-1].Cell == s.Cell && got[i-1].Start.After(s.Start) {
			t.Errorf("slots %d and %d of cell %s out of order", i-1, i, s.Cell)
		}
	}
}

// TestRunPlansARemake: the units an order lost are made again by a remake, which the running
// planner plans beside the order's first work order, each with its predicted finish.
func TestRunPlansARemake(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	fx.planner = planner.New(planner.Config{Book: fx.book, Factory: fx.factory, Now: fx.clock.Now, Interval: 20 * time.Millisecond, Search: 50 * time.Millisecond, Seed: 1})
	fx.book.UsePlan(fx.planner)
	done := make(chan error, 1)
	go func() { done <- fx.planner.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	fx.importCSV(t, "later", "order_id,sku,quantity\nR1,RUG-MADDER,3\n")
	_, first, err := fx.book.Order(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := fx.book.WorkOrder(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: d.Operations[0].ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "dye lot spoilt", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	res, err := fx.book.Remake(ctx, book.RemakeRequest{OrderID: "R1", Actor: "ines"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pl := fx.planner.Current()
		if pl != nil && len(pl.Slots("")) == 6 {
			for _, op := range res.Operations {
				if _, ok := fx.planner.Slot(op.ID); !ok {
					t.Errorf("the remake's operation %d is not planned", op.ID)
				}
			}
			if _, ok := pl.Finish(res.WorkOrder.ID); !ok {
				t.Errorf("no finish predicted for the remake %d", res.WorkOrder.ID)
			}
			if _, ok := pl.Finish(first.ID); !ok {
				t.Errorf("no finish predicted for the first work order %d", first.ID)
			}
			if len(pl.Drops) != 1 || pl.Drops[0].Open != 2 {
				t.Errorf("drop forecasts %+v, want later's with 2 open work orders", pl.Drops)
			}
			checkPlan(t, fx, pl)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the remake was not planned within 10 s: %+v", pl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplanAfterRework: a rework operation inserted mid-routing (its work order's later
// operations move one place) is planned at a cell of its capability, and the operations after
// it keep their place in their cell's order: the previous plan is carried over by operation,
// not by routing position (by which the rework took the pack's place and the pack was new).
func TestReplanAfterRework(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	for i, p := range fx.factory.Products {
		if p.SKU == "SCARF" {
			fx.factory.Products[i].Routing[0].Checks = []configs.Check{{Name: "Even edges"}}
		}
	}
	fx.importCSV(t, "later", batch("Q", 3, "SCARF"))
	checkPlan(t, fx, fx.replan(t, false))
	work, _, err := fx.book.OpenWork(ctx)
	if err != nil || len(work) != 3 {
		t.Fatalf("open work = %+v, %v", work, err)
	}
	weave := work[0].Operations[0]
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: weave.ID, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	res, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: weave.ID, Action: book.ActionComplete, Actor: "person:ana",
		Checks: []book.CheckResult{{Name: "Even edges", Pass: new(bool)}}})
	if err != nil || res.NonConformance == nil {
		t.Fatalf("failing the check: %+v, %v", res, err)
	}
	checkPlan(t, fx, fx.replan(t, false))
	if _, err := fx.book.DecideNonConformance(ctx, book.NCDecision{ID: res.NonConformance.ID, Decision: book.NCRework, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	before := fx.planner.Current().Slots("pack-1")
	pl := fx.replan(t, false)
	if n := checkPlan(t, fx, pl); n != 6 {
		t.Errorf("%d operations planned, want the rework and the five others", n)
	}
	order := func(slots []planner.OperationSlot) []int64 {
		var ids []int64
		for _, s := range slots {
			ids = append(ids, s.Operation)
		}
		return ids
	}
	// The packs keep their order at pack-1: the rework moved only its own work order's times.
	if b, a := order(before), order(pl.Slots("pack-1")); !slices.Equal(b, a) {
		t.Errorf("pack-1 order %v after the rework, was %v", a, b)
	}
}

// TestPlanLeavesWithdrawnOrders: the plan holds no operation of a withdrawn order, and its
// drop's forecast no longer counts its work order.
func TestPlanLeavesWithdrawnOrders(t *testing.T) {
	fx := newFixture(t)
	fx.importCSV(t, "later", batch("L", 12, "RUG-INDIGO", "RUG-MADDER", "SCARF"))
	withdrawn := map[int64]bool{}
	for _, id := range []string{"L0", "L2"} {
		if _, err := fx.book.Withdraw(context.Background(), id, "moved to another site", "hub"); err != nil {
			t.Fatal(err)
		}
		_, wo, err := fx.book.Order(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		withdrawn[wo.ID] = true
	}
	pl := fx.replan(t, false)
	if n := checkPlan(t, fx, pl); n != 32-3-2 {
		t.Errorf("%d operations planned, want 27: the 32 of the batch less L0's 3 and L2's 2", n)
	}
	for _, s := range pl.Slots("") {
		op, err := fx.book.Operation(context.Background(), s.Operation)
		if err != nil {
			t.Fatal(err)
		}
		if withdrawn[op.WorkOrder] {
			t.Errorf("operation %d of a withdrawn work order is planned at %s", op.ID, s.Cell)
		}
	}
	if len(pl.Drops) != 1 || pl.Drops[0].Open != 10 {
		t.Errorf("drops = %+v, want later with 10 open work orders", pl.Drops)
	}
}
