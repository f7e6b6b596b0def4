package book_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
)

// hooked is a store that runs hooks as an import writes its rows. It offers no WriteBatch:
// with it the book writes every batch in one transaction.
type hooked struct {
	s booktest.Backend
	// inserted counts the orders an import has inserted.
	inserted atomic.Int64
	// onInsert runs after the n-th order an import inserts.
	onInsert func(n int64)
	// failAt makes the n-th work order an import inserts fail, when not zero.
	failAt int64
	// onLast runs when the import's last transaction is about to commit: the one that makes
	// the batch visible.
	onLast func()
}

var errInjected = errors.New("injected failure")

func (h *hooked) Read(ctx context.Context, fn func(book.ReadTx) error) error {
	return h.s.Read(ctx, fn)
}

func (h *hooked) Write(ctx context.Context, fn func(book.Tx) error) error {
	return h.s.Write(ctx, func(tx book.Tx) error {
		ht := &hookedTx{Tx: tx, h: h}
		err := fn(ht)
		if ht.imports && h.onLast != nil {
			h.onLast()
		}
		return err
	})
}

// hookedTx is the Tx of a hooked store's Write; imports tells that it inserted orders.
type hookedTx struct {
	book.Tx
	h       *hooked
	imports bool
}

func (t *hookedTx) InsertOrder(o book.Order) error {
	t.imports = true
	return t.h.insertOrder(o, t.Tx.InsertOrder)
}

func (t *hookedTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	return t.h.insertWorkOrder(wo, ops, t.Tx.InsertWorkOrder)
}

func (h *hooked) insertOrder(o book.Order, insert func(book.Order) error) error {
	if err := insert(o); err != nil {
		return err
	}
	if n := h.inserted.Add(1); h.onInsert != nil {
		h.onInsert(n)
	}
	return nil
}

func (h *hooked) insertWorkOrder(wo *book.WorkOrder, ops []book.Operation, insert func(*book.WorkOrder, []book.Operation) error) error {
	if h.failAt != 0 && h.inserted.Load() == h.failAt {
		return errInjected
	}
	return insert(wo, ops)
}

// hookedBatches is a hooked store that writes large batches in several transactions.
type hookedBatches struct {
	hooked
	// onFill runs before the batch's first row, once the cells of its first operations are
	// decided.
	onFill func()
	// lastErr is returned by the batch's last transaction, after the book's work in it.
	lastErr error
}

var _ book.BatchStore = (*hookedBatches)(nil)

func (h *hookedBatches) WriteBatch(ctx context.Context, events int, fill func(book.BatchTx) error, finish func(book.Tx) error) error {
	return h.s.WriteBatch(ctx, events, func(tx book.BatchTx) error {
		if h.onFill != nil {
			h.onFill()
		}
		return fill(&hookedBatchTx{BatchTx: tx, h: &h.hooked})
	}, func(tx book.Tx) error {
		if h.onLast != nil {
			h.onLast()
		}
		if err := finish(tx); err != nil {
			return err
		}
		return h.lastErr
	})
}

type hookedBatchTx struct {
	book.BatchTx
	h *hooked
}

func (t *hookedBatchTx) InsertOrder(o book.Order) error {
	return t.h.insertOrder(o, t.BatchTx.InsertOrder)
}

func (t *hookedBatchTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	return t.h.insertWorkOrder(wo, ops, t.BatchTx.InsertWorkOrder)
}

// openLarge opens a store on a new file and a book of benchFactory over store(s), at a fixed
// time, writing batches of 100 orders or more in short transactions.
func openLarge(t *testing.T, store func(booktest.Backend) book.Store) *book.Book {
	t.Helper()
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	return openBench(t, func(c *book.Config) {
		c.Store = store(c.Store.(booktest.Backend))
		c.Now = func() time.Time { return now }
		c.LargeBatch = 100
	})
}

// rows is n, or under the race detector the smaller race.
func rows(n, race int) int {
	if raceDetector {
		return race
	}
	return n
}

// largeCSV is a batch of rows orders, ids prefix-0000000 on, of rugs and scarves with various
// due dates and priorities.
func largeCSV(prefix string, rows int) string {
	var b strings.Builder
	b.WriteString("order_id,sku,quantity,customer,priority,due\n")
	for i := range rows {
		sku := "SCARF"
		if i%3 == 0 {
			sku = "RUG"
		}
		fmt.Fprintf(&b, "%s-%07d,%s,%d,customer %d,%d,2026-12-%02d\n", prefix, i, sku, 1+i%4, i, i%3, 1+i%28)
	}
	return b.String()
}

func importLarge(ctx context.Context, b *book.Book, csv string, idem *book.Idempotency) (book.ImportResult, error) {
	rr, err := intake.NewCSV(strings.NewReader(csv))
	if err != nil {
		return book.ImportResult{}, err
	}
	return b.Import(ctx, book.ImportRequest{Drop: "big", Rows: rr, Actor: "planner", Idempotency: idem})
}

// bookState is what a reader of the book sees of it: work orders, operations, events, counts
// and the units ordered.
type bookState struct {
	workOrders []book.WorkOrder
	ops        map[string][]book.Operation // by order id
	events     []book.Event
	woCounts   map[book.WorkOrderState]int
	opCounts   map[book.State]int
	units      map[string]int
}

func readState(t *testing.T, b *book.Book) bookState {
	t.Helper()
	ctx := context.Background()
	var st bookState
	var err error
	if st.workOrders, err = b.WorkOrders(ctx, book.WorkOrderFilter{Limit: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	// every work order of these tests is open
	open, _, err := b.OpenWork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != len(st.workOrders) {
		t.Fatalf("%d work orders, %d open", len(st.workOrders), len(open))
	}
	st.ops = make(map[string][]book.Operation)
	for _, w := range open {
		st.ops[w.OrderID] = w.Operations
	}
	if st.events, err = b.Events(ctx, book.EventFilter{Limit: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	if st.woCounts, st.opCounts, err = b.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	if st.units, err = b.DropUnits(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestLargeImportLetsActionsThrough: while a large batch is being written, an operator starts
// an operation at a cell. The start must go through while the import is still writing, not
// wait for the whole import; the batch must stay invisible until the import ends, and be
// whole after it.
func TestLargeImportLetsActionsThrough(t *testing.T) {
	rows := rows(3000, 400)
	h := &hookedBatches{}
	b := openLarge(t, func(s booktest.Backend) book.Store { h.s = s; return h })
	ctx := context.Background()
	if _, err := importLarge(ctx, b, largeCSV("S", 20), nil); err != nil {
		t.Fatal(err)
	}
	queue, err := b.Queue(ctx, "weave-1", 1)
	if err != nil || len(queue) == 0 {
		t.Fatalf("queue of weave-1: %v %v", queue, err)
	}
	op := queue[0].Operation

	var last atomic.Bool // the import's last transaction has begun
	h.onLast = func() { last.Store(true) }
	var (
		wg           sync.WaitGroup
		started      book.TransitionResult
		startErr     error
		lastBegun    bool
		batchVisible int
	)
	h.inserted.Store(0)
	h.onInsert = func(n int64) {
		if n != int64(rows/10) {
			return
		}
		// the tablet's action, while the import goes on
		wg.Add(1)
		go func() {
			defer wg.Done()
			started, startErr = b.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionStart, Actor: "ana"})
			lastBegun = last.Load()
			wos, err := b.WorkOrders(ctx, book.WorkOrderFilter{Drop: "big", Limit: 1 << 30})
			if err != nil {
				t.Error(err)
			}
			batchVisible = len(wos) - 20
		}()
	}
	res, err := importLarge(ctx, b, largeCSV("L", rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if startErr != nil {
		t.Fatalf("starting operation %d during the import: %v", op.ID, startErr)
	}
	if started.Operation.State != book.Running {
		t.Errorf("operation %d is %s after its start", op.ID, started.Operation.State)
	}
	if lastBegun {
		t.Errorf("the start of operation %d waited until the import's last transaction: actions wait for the whole import", op.ID)
	}
	if batchVisible != 0 {
		t.Errorf("%d work orders of the batch were visible while it was written", batchVisible)
	}
	if res.Created != rows {
		t.Errorf("result %+v, want %d created", res, rows)
	}
	wos, err := b.WorkOrders(ctx, book.WorkOrderFilter{Drop: "big", Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(wos) != 20+rows {
		t.Errorf("%d work orders after the import, want %d", len(wos), 20+rows)
	}
}

// TestLargeImportLeavesNothingWhenItFails: a large batch that fails while it is written, or
// in its last transaction, or whose request is cancelled, leaves the book as it was and wakes
// the readers waiting on Changed; the same batch then imports whole.
func TestLargeImportLeavesNothingWhenItFails(t *testing.T) {
	rows := rows(1500, 300)
	for _, tc := range []struct {
		name  string
		setup func(h *hookedBatches, cancel func())
		want  error
	}{
		{"store fails midway", func(h *hookedBatches, _ func()) { h.failAt = int64(rows / 2) }, errInjected},
		{"last transaction fails", func(h *hookedBatches, _ func()) { h.lastErr = errInjected }, errInjected},
		{"request cancelled midway", func(h *hookedBatches, cancel func()) {
			h.onInsert = func(n int64) {
				if n == int64(rows/2) {
					cancel()
				}
			}
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &hookedBatches{}
			b := openLarge(t, func(s booktest.Backend) book.Store { h.s = s; return h })
			if _, err := importLarge(context.Background(), b, largeCSV("S", 20), nil); err != nil {
				t.Fatal(err)
			}
			before := readState(t, b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tc.setup(h, cancel)
			changed := b.Changed()
			if _, err := importLarge(ctx, b, largeCSV("L", rows), nil); !errors.Is(err, tc.want) {
				t.Fatalf("import = %v, want %v", err, tc.want)
			}
			// removing the batch may show events the floor appended meanwhile past the ids set
			// aside for it: a reader following the book reads again
			select {
			case <-changed:
			default:
				t.Error("the failed import woke no reader waiting on Changed")
			}
			after := readState(t, b)
			if len(after.workOrders) != len(before.workOrders) || len(after.events) != len(before.events) {
				t.Errorf("after the failed import: %d work orders and %d events, before %d and %d",
					len(after.workOrders), len(after.events), len(before.workOrders), len(before.events))
			}
			if fmt.Sprint(after.woCounts, after.opCounts, after.units) != fmt.Sprint(before.woCounts, before.opCounts, before.units) {
				t.Errorf("counts after the failed import %v %v %v, before %v %v %v",
					after.woCounts, after.opCounts, after.units, before.woCounts, before.opCounts, before.units)
			}
			*h = hookedBatches{hooked: hooked{s: h.s}}
			res, err := importLarge(context.Background(), b, largeCSV("L", rows), nil)
			if err != nil || res.Created != rows {
				t.Fatalf("importing the batch again: %+v %v", res, err)
			}
		})
	}
}

// TestLargeImportMatchesOneTransaction: a large batch written in several transactions leaves
// the book as the same batch written in one: the same cells for the same operations, in the
// same states and versions, the same events in the same order but for the place of
// batch.imported, the same counts.
func TestLargeImportMatchesOneTransaction(t *testing.T) {
	rows := rows(700, 300)
	var states [2]bookState
	var results [2]book.ImportResult
	for i, batches := range []bool{false, true} {
		b := openLarge(t, func(s booktest.Backend) book.Store {
			if batches {
				return &hookedBatches{hooked: hooked{s: s}}
			}
			return &hooked{s: s}
		})
		ctx := context.Background()
		// some load at the cells already, and an operation running
		if _, err := importLarge(ctx, b, largeCSV("S", 30), nil); err != nil {
			t.Fatal(err)
		}
		var err error
		if results[i], err = importLarge(ctx, b, largeCSV("L", rows), nil); err != nil {
			t.Fatal(err)
		}
		results[i].Batch = ""
		states[i] = readState(t, b)
	}
	one, several := states[0], states[1]
	if results[0] != results[1] {
		t.Errorf("results: one transaction %+v, several %+v", results[0], results[1])
	}
	for _, wo := range one.workOrders {
		a, b := one.ops[wo.OrderID], several.ops[wo.OrderID]
		if len(a) != len(b) {
			t.Fatalf("order %s: %d operations, and %d", wo.OrderID, len(a), len(b))
		}
		for k := range a {
			x, y := a[k], b[k]
			if x.State != y.State || x.Cell != y.Cell || x.Version != y.Version || (x.QueuedAt == nil) != (y.QueuedAt == nil) {
				t.Errorf("order %s operation %d: one transaction %s at %q version %d, several %s at %q version %d",
					wo.OrderID, k, x.State, x.Cell, x.Version, y.State, y.Cell, y.Version)
			}
		}
	}
	// events but batch.imported, which ends the batch in several transactions
	strip := func(evs []book.Event) []string {
		var out []string
		for _, e := range evs {
			if e.Kind != book.EventBatchImported {
				out = append(out, fmt.Sprint(e.Kind, e.Actor, e.Cell, e.OrderID, e.From, e.To, e.Quantity))
			}
		}
		return out
	}
	if a, b := strip(one.events), strip(several.events); !slices.Equal(a, b) {
		t.Errorf("events differ: %d in one transaction, %d in several", len(a), len(b))
	}
	if fmt.Sprint(one.woCounts, one.opCounts, one.units) != fmt.Sprint(several.woCounts, several.opCounts, several.units) {
		t.Errorf("counts: one transaction %v %v %v, several %v %v %v", one.woCounts, one.opCounts, one.units,
			several.woCounts, several.opCounts, several.units)
	}
	last := several.events[len(several.events)-1]
	if last.Kind != book.EventBatchImported || last.Quantity != rows {
		t.Errorf("last event %+v, want batch.imported of %d orders", last, rows)
	}
}

// TestLargeImportAfterACellWentDown: cells that go out of service while a large batch is being
// written, after its cells were decided, get none of it: its operations queued there go to the
// other cells of their capability, or back to ready when there is none.
func TestLargeImportAfterACellWentDown(t *testing.T) {
	rows := rows(800, 300)
	h := &hookedBatches{}
	b := openLarge(t, func(s booktest.Backend) book.Store { h.s = s; return h })
	ctx := context.Background()
	h.onFill = func() {
		for _, cell := range []string{"weave-1", "dye-1"} {
			if _, err := b.CellDown(ctx, cell, "jammed", "controller"); err != nil {
				t.Error(err)
			}
		}
	}
	res, err := importLarge(ctx, b, largeCSV("L", rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := readState(t, b)
	queued := 0
	for order, ops := range st.ops {
		first := ops[0]
		switch {
		case first.Capability == "dye" && (first.State != book.Ready || first.Cell != ""):
			t.Errorf("order %s: its dye operation is %s at %q; the only dye cell is down", order, first.State, first.Cell)
		case first.Capability == "weave" && (first.State != book.Queued || first.Cell != "weave-2"):
			t.Errorf("order %s: its weave operation is %s at %q, want queued at weave-2", order, first.State, first.Cell)
		}
		if first.State == book.Queued {
			queued++
		}
	}
	if res.Queued != queued {
		t.Errorf("result says %d queued, %d are", res.Queued, queued)
	}
	back := 0
	for _, e := range st.events {
		if e.Kind == book.EventOperation && e.From == book.Queued && e.To == book.Ready && e.Reason == "jammed" {
			back++
		}
	}
	if back == 0 {
		t.Error("no operation went back from a cell that went down: the cells were not decided before it did")
	}
}

// TestLargeImportIdempotency: a large batch sent again with its key is answered as the first
// time and writes nothing; one whose key another request used while it was being written
// leaves nothing and answers as that request did.
func TestLargeImportIdempotency(t *testing.T) {
	rows := rows(600, 200)
	h := &hookedBatches{}
	b := openLarge(t, func(s booktest.Backend) book.Store { h.s = s; return h })
	ctx := context.Background()
	idem := &book.Idempotency{Principal: "planner", Key: "k-1", RequestHash: "h-1"}
	first, err := importLarge(ctx, b, largeCSV("L", rows), idem)
	if err != nil || first.Created != rows {
		t.Fatalf("first import: %+v %v", first, err)
	}
	before := readState(t, b)
	again, err := importLarge(ctx, b, largeCSV("L", rows), idem)
	if err != nil || !again.Replayed || again.Batch != first.Batch || again.Created != rows {
		t.Errorf("import again with the key: %+v %v, want the first answer replayed", again, err)
	}
	if after := readState(t, b); len(after.events) != len(before.events) {
		t.Errorf("the replay appended %d events", len(after.events)-len(before.events))
	}
	if _, err := importLarge(ctx, b, largeCSV("N", rows), &book.Idempotency{Principal: "planner", Key: "k-1",
		RequestHash: "h-other"}); !errors.Is(err, book.ErrIdempotencyMismatch) {
		t.Errorf("another batch with the key: %v, want ErrIdempotencyMismatch", err)
	}

	// another request stores its answer under the key while the batch is written
	other := book.ImportResult{Drop: "big", Batch: "big-other", Rows: 1, Created: 1}
	h.onFill = func() {
		err := h.s.Write(ctx, func(tx book.Tx) error {
			return tx.PutIdempotency(book.IdempotencyRecord{Principal: "planner", Key: "k-2", RequestHash: "h-2",
				Status: 200, Response: []byte(`{"drop":"big","batch":"big-other","rows":1,"created":1}`),
				CreatedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)})
		})
		if err != nil {
			t.Error(err)
		}
	}
	got, err := importLarge(ctx, b, largeCSV("M", rows), &book.Idempotency{Principal: "planner", Key: "k-2", RequestHash: "h-2"})
	if err != nil {
		t.Fatal(err)
	}
	other.Replayed = true
	if got != other {
		t.Errorf("import whose key was used meanwhile = %+v, want %+v", got, other)
	}
	if after := readState(t, b); len(after.workOrders) != len(before.workOrders) {
		t.Errorf("%d work orders of the batch whose key was used meanwhile are visible", len(after.workOrders)-len(before.workOrders))
	}
}
