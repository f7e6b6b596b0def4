package book_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/configs"
)

type fixture struct {
	book    *book.Book
	store   booktest.Backend
	clock   *booktest.Clock
	factory *configs.Factory
	path    string // the store's address (booktest.Open opens it again)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOf(t, "testdata/factory.yaml")
}

// newFixtureOf is newFixture of another factory.
func newFixtureOf(t *testing.T, config string) *fixture {
	t.Helper()
	fx := booktest.New(t, config)
	return &fixture{book: fx.Book, store: fx.Store, clock: fx.Clock, factory: fx.Factory, path: fx.Path}
}

// restart closes the store and opens it again under a new book, as a restarted daemon does.
func (fx *fixture) restart(t *testing.T) {
	t.Helper()
	if err := fx.store.Close(); err != nil {
		t.Fatal(err)
	}
	st := booktest.Open(t, fx.path)
	fx.store = st
	fx.book = book.New(book.Config{Store: st, Factory: fx.factory, Now: fx.clock.Now})
	if err := fx.book.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (fx *fixture) importCSV(t *testing.T, drop, csv string) (book.ImportResult, error) {
	t.Helper()
	rr, err := intake.NewCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("reading header: %v", err)
	}
	return fx.book.Import(context.Background(), book.ImportRequest{Drop: drop, Rows: rr, Actor: "planner"})
}

func (fx *fixture) mustImport(t *testing.T, drop, csv string) book.ImportResult {
	t.Helper()
	res, err := fx.importCSV(t, drop, csv)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func (fx *fixture) workOrders(t *testing.T) []book.WorkOrder {
	t.Helper()
	wos, err := fx.book.WorkOrders(context.Background(), book.WorkOrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return wos
}

func (fx *fixture) events(t *testing.T) []book.Event {
	t.Helper()
	ev, err := fx.book.Events(context.Background(), book.EventFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (fx *fixture) ops(t *testing.T, orderID string) []book.Operation {
	t.Helper()
	_, wo, err := fx.book.Order(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := fx.book.WorkOrder(context.Background(), wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Operations
}

func (fx *fixture) act(t *testing.T, op int64, a book.Action, reason string) (book.TransitionResult, error) {
	t.Helper()
	return fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op, Action: a, Actor: "ana", Reason: reason})
}

func (fx *fixture) mustAct(t *testing.T, op int64, a book.Action) book.TransitionResult {
	t.Helper()
	res, err := fx.act(t, op, a, "")
	if err != nil {
		t.Fatalf("%s operation %d: %v", a, op, err)
	}
	return res
}

func TestImportCreatesWorkOrdersWithRoutedOperations(t *testing.T) {
	fx := newFixture(t)
	res := fx.mustImport(t, "winter", "order_id,sku,quantity,customer\nW-1,RUG,2,Ines\nW-2,SCARF,3,\n")
	if res.Created != 2 || res.Unchanged != 0 || res.Rows != 2 || res.Queued != 2 {
		t.Fatalf("result = %+v, want 2 created, 2 queued", res)
	}
	ops := fx.ops(t, "W-1")
	want := []struct {
		capability string
		state      book.State
	}{{"dye", book.Queued}, {"weave", book.Pending}, {"pack", book.Pending}}
	if len(ops) != len(want) {
		t.Fatalf("W-1 has %d operations, want %d", len(ops), len(want))
	}
	for i, w := range want {
		if ops[i].Capability != w.capability || ops[i].State != w.state || ops[i].Quantity != 2 {
			t.Errorf("W-1 op %d = %s/%s qty %d, want %s/%s qty 2", i, ops[i].Capability, ops[i].State, ops[i].Quantity, w.capability, w.state)
		}
	}
	if ops[0].Cell != "dye-1" || ops[0].ChangeoverValue != "indigo" {
		t.Errorf("W-1 dye op at %q with changeover %q, want dye-1 indigo", ops[0].Cell, ops[0].ChangeoverValue)
	}
	o, wo, err := fx.book.Order(context.Background(), "W-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Customer != "Ines" || !wo.Due.Equal(time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("order %+v work order %+v: want customer Ines and due the drop date", o, wo)
	}
	kinds := map[string]int{}
	for _, e := range fx.events(t) {
		kinds[e.Kind]++
	}
	if kinds[book.EventOrderReceived] != 2 || kinds[book.EventBatchImported] != 1 || kinds[book.EventOperation] != 2 {
		t.Errorf("events by kind = %v, want 2 received, 1 batch, 2 queued", kinds)
	}
}

func TestImportRefusesBadBatchesWhole(t *testing.T) {
	tests := []struct {
		name string
		drop string
		csv  string
		want []intake.RowError // line, column and a fragment of the reason
	}{
		{
			name: "unknown sku",
			drop: "winter",
			csv:  "order_id,sku,quantity\nA,RUG,1\nB,TEAPOT,1\n",
			want: []intake.RowError{{Line: 3, Column: "sku", Reason: `unknown SKU "TEAPOT"`}},
		},
		{
			name: "sku not sold in the drop",
			drop: "spring",
			csv:  "order_id,sku,quantity\nA,SCARF,1\n",
			want: []intake.RowError{{Line: 2, Column: "sku", Reason: `not sold in drop "spring"`}},
		},
		{
			name: "quantity not a positive integer",
			drop: "winter",
			csv:  "order_id,sku,quantity\nA,RUG,0\nB,RUG,-2\nC,RUG,1.5\nD,RUG,x\n",
			want: []intake.RowError{{Line: 2, Column: "quantity"}, {Line: 3, Column: "quantity"}, {Line: 4, Column: "quantity"}, {Line: 5, Column: "quantity"}},
		},
		{
			name: "window exceeded",
			drop: "winter",
			csv:  "order_id,sku,quantity\nA,RUG,6\nB,RUG,4\nC,RUG,1\n",
			want: []intake.RowError{{Line: 4, Column: "quantity", Reason: "SKU window of drop \"winter\" exceeded: 11 units of RUG ordered with this row, the window is 10"}},
		},
		{
			name: "duplicate order id in the batch",
			drop: "winter",
			csv:  "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\nA,SCARF,1\n",
			want: []intake.RowError{{Line: 4, Column: "order_id", Reason: `order id "A" appears twice in the batch (first at line 2)`}},
		},
		{
			name: "every bad row reported",
			drop: "winter",
			csv:  "order_id,sku,quantity\nA,NOPE,1\nB,RUG,zero\nC,SCARF,1\nC,SCARF,1\n",
			want: []intake.RowError{{Line: 2, Column: "sku"}, {Line: 3, Column: "quantity"}, {Line: 5, Column: "order_id"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			_, err := fx.importCSV(t, tt.drop, tt.csv)
			var be *book.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("import error = %v, want a *book.BatchError", err)
			}
			if len(be.Errors) != len(tt.want) {
				t.Fatalf("got %d row errors %v, want %d", len(be.Errors), be.Errors, len(tt.want))
			}
			for i, w := range tt.want {
				got := be.Errors[i]
				if got.Line != w.Line || got.Column != w.Column || !strings.Contains(got.Reason, w.Reason) {
					t.Errorf("row error %d = %+v, want line %d column %s reason containing %q", i, got, w.Line, w.Column, w.Reason)
				}
			}
			if wos := fx.workOrders(t); len(wos) != 0 {
				t.Errorf("a refused batch stored %d work orders", len(wos))
			}
			if ev := fx.events(t); len(ev) != 0 {
				t.Errorf("a refused batch logged %d events", len(ev))
			}
		})
	}
}

// TestRefusalListsTheFirstProblemsAndCountsThemAll checks that a refused batch lists at most
// MaxErrors problems, the first by line whichever check found them, and counts every problem
// and every bad row.
func TestRefusalListsTheFirstProblemsAndCountsThemAll(t *testing.T) {
	var manyBad strings.Builder
	manyBad.WriteString("order_id,sku,quantity\nok-1,RUG,1\n")
	for i := range 2500 {
		fmt.Fprintf(&manyBad, "bad-%d,RUG,0\n", i) // lines 3 to 2502
	}
	// The window of RUG (10) is full after line 2; then lines over the window (found against
	// the book) and lines with an unknown SKU (found while reading) alternate.
	var mixed strings.Builder
	mixed.WriteString("order_id,sku,quantity\nfull,RUG,10\n")
	for i := range 50 {
		fmt.Fprintf(&mixed, "over-%d,RUG,1\nnope-%d,NOPE,1\n", i, i)
	}
	tests := []struct {
		name      string
		csv       string
		maxErrors int
		lines     []int // of the problems listed
		problems  int
		badRows   int
	}{
		{name: "the default lists the first 1,000", csv: manyBad.String(),
			lines: seq(3, 1002), problems: 2500, badRows: 2500},
		{name: "a smaller list", csv: manyBad.String(), maxErrors: 5,
			lines: seq(3, 7), problems: 2500, badRows: 2500},
		{name: "problems found reading and against the book, by line", csv: mixed.String(), maxErrors: 10,
			lines: seq(3, 12), problems: 100, badRows: 100},
		{name: "a row with several problems counts once", csv: "order_id,sku,quantity\n,,\nx,RUG,0\n", maxErrors: 2,
			lines: []int{2, 2}, problems: 4, badRows: 2},
		{name: "all of a short list", csv: "order_id,sku,quantity\nA,NOPE,1\nA,RUG,1\n",
			lines: []int{2, 3}, problems: 2, badRows: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			rr, err := intake.NewCSV(strings.NewReader(tt.csv))
			if err != nil {
				t.Fatal(err)
			}
			_, err = fx.book.Import(context.Background(), book.ImportRequest{Drop: "winter", Rows: rr, MaxErrors: tt.maxErrors})
			var be *book.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("import error = %v, want a *book.BatchError", err)
			}
			var lines []int
			for _, e := range be.Errors {
				lines = append(lines, e.Line)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("listed the problems of lines %v, want %v", lines, tt.lines)
			}
			if be.Problems != tt.problems || be.BadRows != tt.badRows || be.Truncated() != (tt.problems > len(tt.lines)) {
				t.Errorf("counted %d problems in %d bad rows (truncated %v), want %d in %d", be.Problems, be.BadRows, be.Truncated(), tt.problems, tt.badRows)
			}
			if want := fmt.Sprintf("%d problem(s) in %d row(s)", tt.problems, tt.badRows); !strings.Contains(be.Error(), want) {
				t.Errorf("message %q does not say %q", be.Error(), want)
			}
			if wos := fx.workOrders(t); len(wos) != 0 {
				t.Errorf("a refused batch stored %d work orders", len(wos))
			}
		})
	}
}

// seq returns from, from+1, ..., to.
func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestReimportIsIdempotentAndConflictsAreReported(t *testing.T) {
	fx := newFixture(t)
	batch := "order_id,sku,quantity,notes\r\nA,RUG,2,\"fringe, long\"\r\nB,SCARF,5,\r\n"
	fx.mustImport(t, "winter", batch)
	before := len(fx.events(t))

	res := fx.mustImport(t, "winter", batch)
	if res.Created != 0 || res.Unchanged != 2 {
		t.Fatalf("re-import result = %+v, want 0 created, 2 unchanged", res)
	}
	if after := len(fx.events(t)); after != before {
		t.Errorf("re-import logged %d events", after-before)
	}

	// One new row, one changed row: the change is a conflict and the new row is not stored.
	_, err := fx.importCSV(t, "winter", "order_id,sku,quantity,notes\nA,RUG,3,\"fringe, long\"\nC,SCARF,1,\n")
	var be *book.BatchError
	if !errors.As(err, &be) || len(be.Errors) != 1 || be.Errors[0].Line != 2 || be.Errors[0].Column != "order_id" ||
		!strings.Contains(be.Errors[0].Reason, "already imported with different content") {
		t.Fatalf("conflicting re-import error = %v, want one conflict at line 2", err)
	}
	if n := len(fx.workOrders(t)); n != 2 {
		t.Errorf("%d work orders after a refused batch, want 2", n)
	}

	// The window counts what earlier batches took.
	_, err = fx.importCSV(t, "winter", "order_id,sku,quantity\nD,RUG,9\n")
	if !errors.As(err, &be) || !strings.Contains(be.Errors[0].Reason, "11 units of RUG") {
		t.Fatalf("window across batches: %v", err)
	}
}

func TestUnknownDrop(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.importCSV(t, "autumn", "order_id,sku,quantity\nA,RUG,1\n")
	if !errors.Is(err, book.ErrUnknownDrop) {
		t.Fatalf("error = %v, want ErrUnknownDrop", err)
	}
}

func TestTransitions(t *testing.T) {
	type step struct {
		action  book.Action
		reason  string
		want    book.State
		illegal bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"start pause resume complete", []step{
			{action: book.ActionStart, want: book.Running},
			{action: book.ActionPause, reason: "yarn ran out", want: book.Paused},
			{action: book.ActionResume, want: book.Running},
			{action: book.ActionComplete, want: book.Done},
		}},
		{"complete before start", []step{{action: book.ActionComplete, illegal: true}}},
		{"pause a queued operation", []step{{action: book.ActionPause, reason: "x", illegal: true}}},
		{"resume a running operation", []step{{action: book.ActionStart, want: book.Running}, {action: book.ActionResume, illegal: true}}},
		{"start twice", []step{{action: book.ActionStart, want: book.Running}, {action: book.ActionStart, illegal: true}}},
		{"start after done", []step{
			{action: book.ActionStart, want: book.Running},
			{action: book.ActionComplete, want: book.Done},
			{action: book.ActionStart, illegal: true},
		}},
		{"scrap a queued operation", []step{{action: book.ActionScrap, reason: "wrong dye lot", want: book.Scrapped}, {action: book.ActionStart, illegal: true}}},
		{"scrap a paused operation", []step{
			{action: book.ActionStart, want: book.Running},
			{action: book.ActionPause, reason: "loom jam", want: book.Paused},
			{action: book.ActionScrap, reason: "warp broken", want: book.Scrapped},
			{action: book.ActionResume, illegal: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\n")
			op := fx.ops(t, "A")[0]
			for _, s := range tt.steps {
				beforeOp, _ := fx.book.Operation(context.Background(), op.ID)
				beforeEvents := len(fx.events(t))
				res, err := fx.act(t, op.ID, s.action, s.reason)
				if s.illegal {
					var te *book.TransitionError
					if !errors.As(err, &te) {
						t.Fatalf("%s from %s: error = %v, want a *book.TransitionError", s.action, beforeOp.State, err)
					}
					after, _ := fx.book.Operation(context.Background(), op.ID)
					if after.Version != beforeOp.Version || after.State != beforeOp.State || len(fx.events(t)) != beforeEvents {
						t.Fatalf("an illegal %s changed the book", s.action)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", s.action, err)
				}
				if res.Operation.State != s.want {
					t.Fatalf("%s: state %s, want %s", s.action, res.Operation.State, s.want)
				}
			}
		})
	}
}

func TestTransitionErrorsSayWhy(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,2\n")
	ops := fx.ops(t, "A")
	_, err := fx.act(t, ops[1].ID, book.ActionStart, "")
	want := "is pending: it cannot start (start needs an operation that is queued)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("starting a pending operation: %v, want %q", err, want)
	}
	fx.mustAct(t, ops[0].ID, book.ActionStart)
	if _, err := fx.act(t, ops[0].ID, book.ActionPause, "  "); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("pause without a reason: %v, want ErrInvalid", err)
	}
	if _, err := fx.act(t, 999, book.ActionStart, ""); !errors.Is(err, book.ErrUnknownOperation) {
		t.Errorf("unknown operation: %v, want ErrUnknownOperation", err)
	}
}

func TestCompletingWalksTheRoutingAndCompletesTheWorkOrder(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,1\n")
	for i := 0; i < 3; i++ {
		ops := fx.ops(t, "A")
		if ops[i].State != book.Queued || ops[i].Cell == "" {
			t.Fatalf("step %d: operation %d is %s at %q, want queued at a cell", i, ops[i].Seq, ops[i].State, ops[i].Cell)
		}
		fx.mustAct(t, ops[i].ID, book.ActionStart)
		fx.clock.Advance(time.Hour)
		res := fx.mustAct(t, ops[i].ID, book.ActionComplete)
		if i < 2 && res.WorkOrder.State != book.WorkOpen {
			t.Fatalf("work order %s after step %d", res.WorkOrder.State, i)
		}
		if i == 2 && (res.WorkOrder.State != book.WorkDone || res.WorkOrder.CompletedAt == nil) {
			t.Fatalf("work order %+v after the last step, want done", res.WorkOrder)
		}
	}
	ta, err := fx.book.Turnaround(context.Background(), "winter")
	if err != nil {
		t.Fatal(err)
	}
	if ta.Count != 1 || ta.Median != 3*time.Hour || ta.P90 != 3*time.Hour {
		t.Errorf("turnaround = %+v, want one of 3h", ta)
	}
}

func TestTurnaroundPercentiles(t *testing.T) {
	fx := newFixture(t)
	var rows strings.Builder
	rows.WriteString("order_id,sku,quantity\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&rows, "S%02d,SCARF,1\n", i)
	}
	fx.mustImport(t, "winter", rows.String())
	// Work order i completes i hours after intake: turnarounds 1h..10h.
	wos := fx.workOrders(t)
	for _, wo := range wos {
		fx.clock.Advance(time.Hour)
		for _, op := range []int{0, 1} {
			ops := fx.ops(t, wo.OrderID)
			fx.mustAct(t, ops[op].ID, book.ActionStart)
			fx.mustAct(t, ops[op].ID, book.ActionComplete)
		}
	}
	ta, err := fx.book.Turnaround(context.Background(), "winter")
	if err != nil {
		t.Fatal(err)
	}
	if ta.Count != 10 || ta.Median != 5*time.Hour || ta.P90 != 9*time.Hour {
		t.Errorf("turnaround = count %d median %s p90 %s, want 10, 5h, 9h", ta.Count, ta.Median, ta.P90)
	}
	if other, _ := fx.book.Turnaround(context.Background(), "spring"); other.Count != 0 {
		t.Errorf("spring turnaround count %d, want 0", other.Count)
	}
}

func TestScrap(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,5\nB,SCARF,2\n")
	a := fx.ops(t, "A")
	fx.mustAct(t, a[0].ID, book.ActionStart)
	res, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: a[0].ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "moth holes", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Operation.State != book.Running || res.Operation.Scrapped != 2 {
		t.Fatalf("after scrapping 2 of 5: %+v, want running with 2 scrapped", res.Operation)
	}
	if next := fx.ops(t, "A")[1]; next.Quantity != 3 {
		t.Errorf("the next operation plans %d units, want 3", next.Quantity)
	}
	if _, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: a[0].ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "x", Quantity: 4}); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("scrapping more than is left: %v, want ErrInvalid", err)
	}

	b := fx.ops(t, "B")
	res, err = fx.book.Transition(context.Background(), book.TransitionRequest{Operation: b[0].ID, Action: book.ActionScrap,
		Actor: "ana", Reason: "wrong yarn"})
	if err != nil {
		t.Fatal(err)
	}
	if res.WorkOrder.State != book.WorkScrapped {
		t.Errorf("work order %s after scrapping every unit, want scrapped", res.WorkOrder.State)
	}
	for _, op := range fx.ops(t, "B") {
		if op.State != book.Scrapped {
			t.Errorf("operation %d is %s, want scrapped", op.Seq, op.State)
		}
	}
}

func TestACellRunsOneOperationAtATime(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\n")
	a, b := fx.ops(t, "A")[0], fx.ops(t, "B")[0]
	if a.Cell != b.Cell {
		t.Fatalf("both dye operations should queue at the only dye cell, got %s and %s", a.Cell, b.Cell)
	}
	fx.mustAct(t, a.ID, book.ActionStart)
	var busy *book.CellBusyError
	if _, err := fx.act(t, b.ID, book.ActionStart, ""); !errors.As(err, &busy) || busy.Operation != a.ID {
		t.Fatalf("starting a second operation at a busy cell: %v", err)
	}
	fx.act(t, a.ID, book.ActionPause, "waiting for dye")
	fx.mustAct(t, b.ID, book.ActionStart)
	if _, err := fx.act(t, a.ID, book.ActionResume, ""); !errors.As(err, &busy) {
		t.Fatalf("resuming at a busy cell: %v", err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,1\n")
	op := fx.ops(t, "A")[0]
	req := book.TransitionRequest{Operation: op.ID, Action: book.ActionStart, Actor: "ana",
		Idempotency: &book.Idempotency{Principal: "person:ana", Key: "tap-1", RequestHash: "h1"}}
	first, err := fx.book.Transition(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	events := len(fx.events(t))
	again, err := fx.book.Transition(context.Background(), req)
	if err != nil {
		t.Fatalf("retry with the same key: %v", err)
	}
	if !again.Replayed || again.Operation.Version != first.Operation.Version || again.Operation.State != book.Running {
		t.Errorf("retry = %+v, want the first answer replayed", again)
	}
	if len(fx.events(t)) != events {
		t.Errorf("the retry logged events")
	}
	req.Idempotency = &book.Idempotency{Principal: "person:ana", Key: "tap-1", RequestHash: "other"}
	if _, err := fx.book.Transition(context.Background(), req); !errors.Is(err, book.ErrIdempotencyMismatch) {
		t.Errorf("the same key for another request: %v, want ErrIdempotencyMismatch", err)
	}
	// Another principal's key of the same name is theirs.
	req.Idempotency = &book.Idempotency{Principal: "person:bo", Key: "tap-1", RequestHash: "h1"}
	if _, err := fx.book.Transition(context.Background(), req); err == nil {
		t.Errorf("another principal's retry replayed someone else's answer")
	}
}

func TestStaleVersionIsRefused(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,SCARF,1\n")
	op := fx.ops(t, "A")[0]
	fx.mustAct(t, op.ID, book.ActionStart)
	_, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op.ID, Action: book.ActionPause,
		Actor: "ana", Reason: "x", Version: op.Version})
	var stale *book.StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("acting on an old version: %v, want a *book.StaleError", err)
	}
}

func TestDispatcherEarliestDropFirstToLeastLoadedCell(t *testing.T) {
	fx := newFixture(t)
	// Spring rugs are imported first, but winter's drop date is earlier.
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW1,SCARF,3\nW2,SCARF,1\nW3,SCARF,1\n")
	// 3 units of 20 min go to weave-1 (first in config order at equal load); the next two to weave-2, since weave-1 carries 1h.
	want := map[string]string{"W1": "weave-1", "W2": "weave-2", "W3": "weave-2"}
	for id, cell := range want {
		if got := fx.ops(t, id)[0].Cell; got != cell {
			t.Errorf("%s queued at %s, want %s", id, got, cell)
		}
	}
	q, err := fx.book.Queue(context.Background(), "weave-2", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].OrderID != "W2" || q[1].OrderID != "W3" {
		t.Errorf("weave-2 queue = %v, want W2, W3", q)
	}
}

func TestAssignEDD(t *testing.T) {
	ready := []book.QueueEntry{
		{Operation: book.Operation{ID: 1, Capability: "weave", Quantity: 1, UnitTime: time.Hour}},
		{Operation: book.Operation{ID: 2, Capability: "weave", Quantity: 1, UnitTime: time.Hour}},
		{Operation: book.Operation{ID: 3, Capability: "weave", Quantity: 1, UnitTime: 30 * time.Minute}},
		{Operation: book.Operation{ID: 4, Capability: "gild", Quantity: 1, UnitTime: time.Hour}},
	}
	loads := map[string]time.Duration{"w2": 30 * time.Minute}
	got := book.AssignEDD(ready, loads, map[string][]string{"weave": {"w1", "w2"}})
	want := []book.Assignment{{Operation: 1, Cell: "w1"}, {Operation: 2, Cell: "w2"}, {Operation: 3, Cell: "w1"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("assignment %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestFinishedOperations: what ended since a time, done or scrapped, in the order it ended,
// with its work order.
func TestFinishedOperations(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW-1,RUG,2\nW-2,RUG,1\n")
	start := fx.clock.Now()
	w1, w2 := fx.ops(t, "W-1"), fx.ops(t, "W-2")
	fx.mustAct(t, w1[0].ID, book.ActionStart)
	fx.clock.Advance(time.Hour)
	fx.mustAct(t, w1[0].ID, book.ActionComplete) // 09:00
	fx.mustAct(t, w2[0].ID, book.ActionStart)
	fx.clock.Advance(30 * time.Minute)
	// 09:30: W-2 is scrapped, and with it its operations that had not begun
	if _, err := fx.act(t, w2[0].ID, book.ActionScrap, "dye lot spoilt"); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(time.Hour)
	fx.mustAct(t, w1[1].ID, book.ActionStart) // running: not finished

	for _, tc := range []struct {
		name  string
		since time.Time
		limit int
		want  []string
	}{
		{"since the start", start, 0, []string{
			"W-1/0 done at dye-1 09:00", "W-2/0 scrapped at dye-1 09:30", "W-2/1 scrapped at  09:30", "W-2/2 scrapped at  09:30"}},
		{"limit", start, 2, []string{"W-1/0 done at dye-1 09:00", "W-2/0 scrapped at dye-1 09:30"}},
		{"since is inclusive", start.Add(90 * time.Minute), 0, []string{
			"W-2/0 scrapped at dye-1 09:30", "W-2/1 scrapped at  09:30", "W-2/2 scrapped at  09:30"}},
		{"none since", start.Add(2 * time.Hour), 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.book.FinishedOperations(context.Background(), tc.since, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var gotS []string
			for _, e := range got {
				gotS = append(gotS, fmt.Sprintf("%s/%d %s at %s %s", e.OrderID, e.Seq, e.State, e.Cell, e.EndedAt.Format("15:04")))
				if e.Drop != "winter" || e.SKU != "RUG" || !e.Due.Equal(time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("entry of %s/%d has drop %q, SKU %q, due %s; want its work order's", e.OrderID, e.Seq, e.Drop, e.SKU, e.Due)
				}
			}
			if !slices.Equal(gotS, tc.want) {
				t.Errorf("FinishedOperations(%s, %d) =\n%q\nwant\n%q", tc.since.Format("15:04"), tc.limit, gotS, tc.want)
			}
		})
	}
}

// TestABatchHasAtMostMaxRows checks that a batch of more rows than it may have is refused at the
// first row past the most, and that the rows after it are still checked and counted.
func TestABatchHasAtMostMaxRows(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		maxRows int
		want    []intake.RowError
		badRows int
	}{
		{name: "as many rows as it may have", csv: "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\nC,RUG,1\n", maxRows: 3},
		{name: "one more", csv: "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\nC,RUG,1\nD,RUG,1\n", maxRows: 3,
			want: []intake.RowError{{Line: 5, Reason: "the batch has more than 3 rows"}}, badRows: 1},
		{name: "bad rows count, and rows past the most are checked", csv: "order_id,sku,quantity\nA,RUG,1\nB,RUG,x\nC,RUG,1\nD,NOPE,1\nA,RUG,1\n", maxRows: 2,
			want:    []intake.RowError{{Line: 3, Column: "quantity"}, {Line: 4, Reason: "the batch has more than 2 rows"}, {Line: 5, Column: "sku"}},
			badRows: 3},
		{name: "the first row past the most with another problem is one bad row", csv: "order_id,sku,quantity\nA,RUG,1\nB,NOPE,1\n", maxRows: 1,
			want:    []intake.RowError{{Line: 3, Reason: "the batch has more than 1 rows"}, {Line: 3, Column: "sku"}},
			badRows: 1},
		{name: "the first row past the most malformed is one bad row", csv: "order_id,sku,quantity\nA,RUG,1\nB,RUG,x\n", maxRows: 1,
			want:    []intake.RowError{{Line: 3, Reason: "the batch has more than 1 rows"}, {Line: 3, Column: "quantity"}},
			badRows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			rr, err := intake.NewCSV(strings.NewReader(tt.csv))
			if err != nil {
				t.Fatal(err)
			}
			_, err = fx.book.Import(context.Background(), book.ImportRequest{Drop: "winter", Rows: rr, MaxRows: tt.maxRows})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				return
			}
			var be *book.BatchError
			if !errors.As(err, &be) || len(be.Errors) != len(tt.want) || be.BadRows != tt.badRows {
				t.Fatalf("import error = %v, want %d problems in %d rows", err, len(tt.want), tt.badRows)
			}
			for i, w := range tt.want {
				if got := be.Errors[i]; got.Line != w.Line || got.Column != w.Column || !strings.Contains(got.Reason, w.Reason) {
					t.Errorf("problem %d = %+v, want %+v", i, got, w)
				}
			}
			if wos := fx.workOrders(t); len(wos) != 0 {
				t.Errorf("a refused batch stored %d work orders", len(wos))
			}
		})
	}
}
