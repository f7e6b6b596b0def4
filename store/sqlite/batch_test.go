package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// rawCount counts the rows of a table as committed, pending batch or not: a statement of its
// own, outside the store's transactions and their horizon.
func rawCount(tb testing.TB, s *Store, table string) int {
	tb.Helper()
	var n int
	if err := s.reader.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// rawCounts counts the rows of every table a batch writes, and pending_batch.
func rawCounts(tb testing.TB, s *Store) map[string]int {
	tb.Helper()
	out := make(map[string]int)
	for _, table := range []string{"orders", "work_orders", "operations", "events", "drop_units", "state_counts", "pending_batch"} {
		out[table] = rawCount(tb, s, table)
	}
	return out
}

// insertFixture inserts the order i of a drop with its work order and its event, the first
// operation queued at cell-1, and returns the work order's operations.
func insertFixture(tx book.BatchTx, drop string, i int) ([]book.Operation, book.Event, error) {
	o, wo, ops, ev := storetest.Fixture(drop, i)
	ops[0].State, ops[0].Cell = book.Queued, "cell-1"
	if err := tx.InsertOrder(o); err != nil {
		return nil, ev, err
	}
	if err := tx.InsertWorkOrder(&wo, ops); err != nil {
		return nil, ev, err
	}
	ev.WorkOrder = wo.ID
	err := tx.AppendEvent(&ev)
	return ops, ev, err
}

// fillUntil inserts fixtures of drop-2 until stop returns true, which it asks every 20 rows.
func fillUntil(tx book.BatchTx, stop func() bool) error {
	for i := 0; ; i++ {
		if _, _, err := insertFixture(tx, "drop-2", i); err != nil {
			return err
		}
		if i%20 == 19 && stop() {
			return nil
		}
		if i > 1_000_000 {
			return errors.New("gave up waiting")
		}
	}
}

// TestWriteBatchHiddenUntilPublished: the rows of a batch are committed in several
// transactions, but no read and no other write sees any of them until the batch is published;
// then they are all there, with the derived counts.
func TestWriteBatchHiddenUntilPublished(t *testing.T) {
	s, _ := openTest(t)
	before := storetest.ImportOrders(t, s, "drop-1", 0, 1)
	ctx := context.Background()
	var beforeEvent int64
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		var err error
		beforeEvent, err = tx.LastEventID()
		return err
	})

	var batchOp int64
	checked := make(chan struct{})
	var (
		once     sync.Once
		checking sync.WaitGroup
	)
	check := func() {
		defer close(checked)
		// the batch has rows committed: every read leaves them out
		err := s.Read(ctx, func(tx book.ReadTx) error {
			if got, err := tx.Orders([]string{"drop-2-0000000"}); err != nil || len(got) != 0 {
				t.Errorf("Orders of the batch = %v, %v; want none", got, err)
			}
			if got, err := tx.WorkOrders(book.WorkOrderFilter{}); err != nil || len(got) != 1 {
				t.Errorf("%d work orders visible, %v; want the 1 from before", len(got), err)
			}
			if _, err := tx.WorkOrderByOrder("drop-2-0000000"); !errors.Is(err, book.ErrNotFound) {
				t.Errorf("WorkOrderByOrder of the batch: %v, want not found", err)
			}
			if got, err := tx.WorkOrdersOf([]string{"drop-2-0000000"}); err != nil || len(got) != 0 {
				t.Errorf("WorkOrdersOf the batch's order = %v, %v; want none", got, err)
			}
			if _, err := tx.Operation(batchOp); !errors.Is(err, book.ErrNotFound) {
				t.Errorf("Operation %d of the batch: %v, want not found", batchOp, err)
			}
			if got, err := tx.Queue("cell-1", 0); err != nil || len(got) != 0 {
				t.Errorf("queue of cell-1 holds %d entries, %v; want none", len(got), err)
			}
			if got, err := tx.QueueOrder("cell-1"); err != nil || len(got) != 0 {
				t.Errorf("queue order of cell-1 holds %d entries, %v; want none", len(got), err)
			}
			if got, err := tx.QueueEntries([]int64{batchOp}); err != nil || len(got) != 0 {
				t.Errorf("QueueEntries of the batch = %v, %v; want none", got, err)
			}
			if got, err := tx.CellLoads(); err != nil || slices.ContainsFunc(got, func(l book.CellLoad) bool { return l.Cell == "cell-1" }) {
				t.Errorf("cell loads %v, %v; want none at cell-1", got, err)
			}
			if got, err := tx.Events(book.EventFilter{}); err != nil || len(got) != 1 {
				t.Errorf("%d events visible, %v; want the 1 from before", len(got), err)
			}
			if got, err := tx.LastEventID(); err != nil || got != beforeEvent {
				t.Errorf("LastEventID = %d, %v; want %d", got, err, beforeEvent)
			}
			if got, err := tx.DropUnits("drop-2"); err != nil || len(got) != 0 {
				t.Errorf("units of drop-2 = %v, %v; want none", got, err)
			}
			if _, ops, err := tx.Counts(); err != nil || ops[book.Queued] != 0 {
				t.Errorf("%d operations counted queued, %v; want none", ops[book.Queued], err)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		// and so does a write, which goes between the batch's transactions
		err = s.Write(ctx, func(tx book.Tx) error {
			op := book.Operation{ID: batchOp}
			if err := tx.UpdateOperation(&op); !errors.Is(err, book.ErrNotFound) {
				t.Errorf("updating operation %d of the batch: %v, want not found", batchOp, err)
			}
			o, _, _, _ := storetest.Fixture("drop-3", 0)
			if err := tx.InsertOrder(o); !errors.Is(err, ErrBatchPending) {
				t.Errorf("inserting an order beside the batch: %v, want ErrBatchPending", err)
			}
			op = before[0].Ops[0]
			op.State = book.Queued
			if err := tx.UpdateOperation(&op); err != nil {
				return err
			}
			return tx.AppendEvent(&book.Event{At: t0, Kind: book.EventOperation, Operation: op.ID})
		})
		if err != nil {
			t.Errorf("a write beside the batch: %v", err)
		}
	}
	var sawAll bool
	err := s.WriteBatch(ctx, 1<<20, func(tx book.BatchTx) error {
		ops, _, err := insertFixture(tx, "drop-2", 1_000_000)
		if err != nil {
			return err
		}
		batchOp = ops[0].ID
		return fillUntil(tx, func() bool {
			if rawCount(t, s, "work_orders") > 2 {
				// some of the batch has committed; check from aside while the batch goes on
				once.Do(func() { checking.Go(check) })
			}
			select {
			case <-checked:
				return true
			default:
				return false
			}
		})
	}, func(tx book.Tx) error {
		q, err := tx.Queue("cell-1", 0)
		sawAll = err == nil && len(q) > 1
		return err
	})
	// check reports to t: it ends before the test does, whatever WriteBatch returned
	checking.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !sawAll {
		t.Error("the publishing transaction does not see the batch")
	}
	n := rawCount(t, s, "work_orders") - 1
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		if got, err := tx.WorkOrders(book.WorkOrderFilter{}); err != nil || len(got) != 1+n {
			t.Errorf("%d work orders visible after the batch, %v; want %d", len(got), err, 1+n)
		}
		if got, err := tx.Queue("cell-1", 0); err != nil || len(got) != n {
			t.Errorf("queue of cell-1 holds %d entries after the batch, %v; want %d", len(got), err, n)
		}
		if got, err := tx.DropUnits("drop-2"); err != nil || len(got) == 0 {
			t.Errorf("units of drop-2 after the batch = %v, %v", got, err)
		}
		if _, ops, err := tx.Counts(); err != nil || ops[book.Queued] != n+1 {
			t.Errorf("%d operations counted queued after the batch, %v; want %d", ops[book.Queued], err, n+1)
		}
		return nil
	})
	if got := rawCount(t, s, "pending_batch"); got != 0 {
		t.Errorf("%d rows in pending_batch after the batch", got)
	}
}

// TestWriteBatchLeavesNothingWhenItFails: a batch that fails after some of its transactions
// committed, in fill or in finish, by an error, a panic or its context's end, leaves every
// table as it was, and the same rows can be written next.
func TestWriteBatchLeavesNothingWhenItFails(t *testing.T) {
	errFill := errors.New("fill failed")
	for _, tc := range []struct {
		name string
		// fail is called in fill once rows have committed, or in finish when inFinish
		fail     func(cancel func()) error
		inFinish bool
		want     error
	}{
		{"fill returns an error", func(func()) error { return errFill }, false, errFill},
		{"finish returns an error", func(func()) error { return errFill }, true, errFill},
		{"fill panics", func(func()) error { panic(errFill) }, false, errFill},
		{"context ends in fill", func(cancel func()) error { cancel(); return nil }, false, context.Canceled},
		{"context ends in finish", func(cancel func()) error { cancel(); return nil }, true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			storetest.ImportOrders(t, s, "drop-1", 0, 1)
			before := rawCounts(t, s)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						err = p.(error)
					}
				}()
				err = s.WriteBatch(ctx, 1<<20, func(tx book.BatchTx) error {
					err := fillUntil(tx, func() bool { return rawCount(t, s, "work_orders") > 2 })
					if err != nil || tc.inFinish {
						return err
					}
					if err := tc.fail(cancel); err != nil {
						return err
					}
					// the context's end shows at the next row
					_, _, err = insertFixture(tx, "drop-2", 2_000_000)
					return err
				}, func(tx book.Tx) error {
					return tc.fail(cancel)
				})
			}()
			if !errors.Is(err, tc.want) {
				t.Fatalf("WriteBatch = %v, want %v", err, tc.want)
			}
			if after := rawCounts(t, s); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows after the failed batch %v, before %v", after, before)
			}
			err = s.WriteBatch(context.Background(), 1<<20, func(tx book.BatchTx) error {
				_, _, err := insertFixture(tx, "drop-2", 0)
				return err
			}, func(book.Tx) error { return nil })
			if err != nil {
				t.Errorf("writing a row of the failed batch again: %v", err)
			}
		})
	}
}

// TestAbandonedBatchIsRemovedByTheNextWrite: a batch that fails, and whose removal fails too,
// leaves its rows and its pending record; the next Write, no batch being written, removes them,
// so that an import of a few orders is not refused for a batch that nothing is writing.
func TestAbandonedBatchIsRemovedByTheNextWrite(t *testing.T) {
	s, _ := openTest(t)
	storetest.ImportOrders(t, s, "drop-1", 0, 1)
	before := rawCounts(t, s)
	ctx := context.Background()
	// the removal fails at the batch's orders, the last of its rows it deletes
	if _, err := s.writer.ExecContext(ctx, `CREATE TRIGGER keep_orders BEFORE DELETE ON orders
		BEGIN SELECT RAISE(ABORT, 'orders kept'); END`); err != nil {
		t.Fatal(err)
	}
	errFill := errors.New("fill failed")
	err := s.WriteBatch(ctx, 1<<20, func(tx book.BatchTx) error {
		if err := fillUntil(tx, func() bool { return rawCount(t, s, "work_orders") > 2 }); err != nil {
			return err
		}
		return errFill
	}, func(book.Tx) error { return nil })
	if !errors.Is(err, errFill) || !strings.Contains(err.Error(), "orders kept") {
		t.Fatalf("WriteBatch = %v, want the fill's error and the removal's", err)
	}
	if n := rawCount(t, s, "pending_batch"); n != 1 {
		t.Fatalf("%d rows in pending_batch after the failed removal, want 1", n)
	}
	if _, err := s.writer.ExecContext(ctx, `DROP TRIGGER keep_orders`); err != nil {
		t.Fatal(err)
	}

	storetest.ImportOrders(t, s, "drop-3", 0, 1)
	after := rawCounts(t, s)
	for table, added := range map[string]int{"orders": 1, "work_orders": 1, "operations": len(storetest.Routing), "events": 1, "pending_batch": 0} {
		if after[table] != before[table]+added {
			t.Errorf("%d rows in %s after the next import, want %d", after[table], table, before[table]+added)
		}
	}
}

// TestWriteBatchBesideFollowers: while a batch is written, the floor writes and appends events,
// and a reader follows the event log by id. The reader must miss none of the events, the
// floor's or the batch's: the floor's are visible at once while the gap before the batch's ids
// lasts, and after the batch once it is full.
func TestWriteBatchBesideFollowers(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  int // the gap before the batch's event ids; 0: the store's
		// overflow: some of the floor's events outnumber the gap
		overflow bool
	}{
		{"floor events in the gap", 0, false},
		{"floor events past the gap", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			if tc.gap > 0 {
				s.eventGap = tc.gap
			}
			op := storetest.ImportOrders(t, s, "drop-1", 0, 1)[0].Ops[0]
			ctx := context.Background()

			var (
				batching      atomic.Bool
				duringBatch   atomic.Int64 // floor events committed while the batch was pending
				hidden        atomic.Int64 // of those, not visible right after their write
				floorIDs      []int64
				stopFloor     = make(chan struct{})
				floorDone     = make(chan struct{})
				stopFollowing = make(chan struct{})
				followed      []int64
				wg            sync.WaitGroup
			)
			wg.Add(2)
			go func() { // the floor
				defer wg.Done()
				defer close(floorDone)
				for {
					select {
					case <-stopFloor:
						return
					default:
					}
					during := batching.Load()
					var e book.Event
					err := s.Write(ctx, func(tx book.Tx) error {
						next := op
						if err := tx.UpdateOperation(&next); err != nil {
							return err
						}
						op = next
						e = book.Event{At: t0, Kind: book.EventOperationProgress, Operation: op.ID}
						return tx.AppendEvent(&e)
					})
					if err != nil {
						t.Errorf("floor write: %v", err)
						return
					}
					floorIDs = append(floorIDs, e.ID)
					var last int64
					if err := s.Read(ctx, func(tx book.ReadTx) error {
						var err error
						last, err = tx.LastEventID()
						return err
					}); err != nil {
						t.Errorf("reading the last event: %v", err)
						return
					}
					if during && batching.Load() {
						duringBatch.Add(1)
						if last < e.ID {
							hidden.Add(1)
						}
					}
				}
			}()
			go func() { // the follower
				defer wg.Done()
				var last int64
				for stopping := false; ; {
					var evs []book.Event
					if err := s.Read(ctx, func(tx book.ReadTx) error {
						var err error
						evs, err = tx.Events(book.EventFilter{AfterID: last, Limit: 100})
						return err
					}); err != nil {
						t.Errorf("following the events: %v", err)
						return
					}
					for _, e := range evs {
						followed = append(followed, e.ID)
						last = e.ID
					}
					if stopping && len(evs) == 0 {
						return
					}
					select {
					case <-stopFollowing:
						stopping = true
					default:
					}
				}
			}()

			var batchIDs []int64
			err := s.WriteBatch(ctx, 1<<20, func(tx book.BatchTx) error {
				batching.Store(true)
				for i := 0; ; i++ {
					_, e, err := insertFixture(tx, "drop-2", i)
					if err != nil {
						return err
					}
					batchIDs = append(batchIDs, e.ID)
					if i%20 == 19 && duringBatch.Load() >= 10 {
						return nil
					}
					select {
					case <-floorDone:
						return errors.New("the floor stopped writing")
					default:
					}
				}
			}, func(book.Tx) error {
				batching.Store(false)
				return nil
			})
			close(stopFloor)
			<-floorDone
			close(stopFollowing)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}

			var all []int64
			rows, err := s.reader.QueryContext(ctx, `SELECT id FROM events ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			all, err = collect(ctx, rows, func(sc scanner) (int64, error) {
				var id int64
				return id, sc.Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(followed, all) {
				t.Errorf("the follower read %d events, the log holds %d: it missed some or read some twice", len(followed), len(all))
			}
			if got := len(all); got != 1+len(floorIDs)+len(batchIDs) {
				t.Errorf("%d events, want 1 + %d of the floor + %d of the batch", got, len(floorIDs), len(batchIDs))
			}
			switch n := hidden.Load(); {
			case tc.overflow && n == 0:
				t.Errorf("none of the %d floor events during the batch was hidden, with a gap of %d", duringBatch.Load(), tc.gap)
			case !tc.overflow && n != 0:
				t.Errorf("%d of the %d floor events during the batch were hidden until it was published", n, duringBatch.Load())
			}
		})
	}
}

// TestOpenRemovesAnInterruptedBatch: a batch whose process died before it was published is
// removed when the store is opened again, and its event ids are never handed out again.
func TestOpenRemovesAnInterruptedBatch(t *testing.T) {
	s, path := openTest(t)
	storetest.ImportOrders(t, s, "drop-1", 0, 1)
	before := rawCounts(t, s)
	ctx := context.Background()
	p, err := s.beginBatch(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	tx := newBatchTx(ctx, s, p)
	for i := range 300 {
		if _, _, err := insertFixture(tx, "drop-2", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.end(); err != nil {
		t.Fatal(err)
	}
	if got := rawCount(t, s, "work_orders"); got != before["work_orders"]+300 {
		t.Fatalf("%d work orders committed, want %d", got, before["work_orders"]+300)
	}
	// the process dies here: nothing runs but a close
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if after := rawCounts(t, s2); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows after reopening %v, before the batch %v", after, before)
	}
	var e book.Event
	err = s2.Write(ctx, func(tx book.Tx) error {
		e = book.Event{At: t0, Kind: book.EventBatchImported}
		return tx.AppendEvent(&e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID < p.eventFirst+300 {
		t.Errorf("event id %d after the removed batch, whose events had ids %d to %d: an id used again", e.ID, p.eventFirst, p.eventFirst+299)
	}
}

// TestBatchStatementsEndWithTheirTransaction: each transaction of a batch runs on a connection
// taken for it; a statement prepared in one transaction is bound to that connection and must
// not be used by the next, after the commit or the rollback that gave the connection back.
func TestBatchStatementsEndWithTheirTransaction(t *testing.T) {
	s, _ := openTest(t)
	storetest.ImportOrders(t, s, "drop-1", 0, 3)
	ctx := context.Background()
	p, err := s.beginBatch(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	tx := newBatchTx(ctx, s, p)
	t.Cleanup(func() {
		tx.abort()
		if err := s.removePending(ctx); err != nil {
			t.Error(err)
		}
	})
	c := tx.w.chunk
	for _, step := range []struct {
		name string
		end  func() error
	}{
		{"commit", func() error { return c.commit(tx.w) }},
		{"abort", func() error { c.abort(tx.w); return nil }},
		{"commit again", func() error { return c.commit(tx.w) }},
	} {
		if err := c.open(tx.w); err != nil {
			t.Fatalf("before %s: %v", step.name, err)
		}
		var n int
		if err := tx.w.queryRow(`SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("before %s: %d orders, %v; want 3", step.name, n, err)
		}
		if err := step.end(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if len(tx.w.stmts) != 0 {
			t.Errorf("after %s, %d statements are kept for the next transaction", step.name, len(tx.w.stmts))
		}
	}
}

// TestSecondOpenLeavesTheOwnersBatch: another process opening the store while its owner writes
// a batch (a command reading the daemon's book) takes the pending batch for the owner's, not
// for one a crash interrupted: the batch is left whole and is published.
func TestSecondOpenLeavesTheOwnersBatch(t *testing.T) {
	s, path := openTest(t)
	storetest.ImportOrders(t, s, "drop-1", 0, 1)
	before := rawCount(t, s, "work_orders")
	ctx := context.Background()
	p, err := s.beginBatch(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	tx := newBatchTx(ctx, s, p)
	for i := range 300 {
		if _, _, err := insertFixture(tx, "drop-2", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.end(); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rawCount(t, s, "work_orders"); got != before+300 {
		t.Fatalf("after a second open %d work orders are stored, want the batch's %d beside the %d before", got, 300, before)
	}
	// once the owner closes, the next open owns the store and removes what was left pending
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := rawCount(t, s2, "work_orders"); got != before {
		t.Fatalf("the owner's next open left %d work orders, want the %d before the interrupted batch", got, before)
	}
}
