package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/storetest"
)

// batchFixture is the order i of a drop as storetest.Fixture makes it, of the drop's own
// import batch, with its first operation queued at cell-1.
func batchFixture(drop string, i int) (book.Order, book.WorkOrder, []book.Operation, *book.Event) {
	o, wo, ops, ev := storetest.Fixture(drop, i)
	o.Batch, ev.Batch = "batch-"+drop, "batch-"+drop
	queued := o.IntakeAt
	ops[0].State, ops[0].Cell, ops[0].QueuedAt = book.Queued, "cell-1", &queued
	return o, wo, ops, &ev
}

// fillOrders inserts the orders from to to-1 of drop with their work orders and events, and
// returns the events.
func fillOrders(tx book.BatchTx, drop string, from, to int) ([]*book.Event, error) {
	var evs []*book.Event
	for i := from; i < to; i++ {
		o, wo, ops, ev := batchFixture(drop, i)
		if err := tx.InsertOrder(o); err != nil {
			return nil, err
		}
		if err := tx.InsertWorkOrder(&wo, ops); err != nil {
			return nil, err
		}
		ev.WorkOrder, ev.Operation = wo.ID, ops[0].ID
		if err := tx.AppendEvent(ev); err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// enough is more orders than a batch gathers before it sends them: fill's rows are on the
// server, not only in memory.
const enough = copyRows + 100

// committed counts the committed rows of the tables a batch writes, by a statement of its own.
func committed(tb testing.TB, s *Store) map[string]int {
	tb.Helper()
	out := make(map[string]int)
	for _, table := range []string{"orders", "work_orders", "operations", "events", "drop_units", "state_counts"} {
		var n int
		if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// floorEvent appends an event in a Write, as the floor does, and returns its id.
func floorEvent(ctx context.Context, s *Store) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx book.Tx) error {
		return tx.(*writeTx).queryRow(`INSERT INTO events (at, actor, kind, drop_id, order_id, from_state, to_state,
			reason, quantity, batch) VALUES (1, 'cell-2', 'operation', '', '', 'queued', 'running', '', 0, '')
			RETURNING id`).Scan(&id)
	})
	return id, err
}

// floorOrder inserts an order of drop-f with id in a Write.
func floorOrder(ctx context.Context, s *Store, id string) error {
	return s.Write(ctx, func(tx book.Tx) error {
		_, err := tx.(*writeTx).exec(`INSERT INTO orders VALUES ($1, 'drop-f', 'sku-1', 1, '', 0, 0, '', '', 0, '')`, id)
		return err
	})
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sentRows tells whether rows of orders are on the server, committed or not.
func sentRows(tb testing.TB, s *Store) bool {
	tb.Helper()
	var size int64
	if err := s.pool.QueryRow(context.Background(), `SELECT pg_relation_size('orders')`).Scan(&size); err != nil {
		tb.Fatal(err)
	}
	return size > 0
}

// TestWriteBatchInvisibleUntilCommit: while fill runs, with its rows on the server, no read
// sees any of them and floor writes go through; after the commit they are all there, with the
// derived counts, and the batch's events have ids after every event visible before, the floor's
// written meanwhile included.
func TestWriteBatchInvisibleUntilCommit(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	before, err := floorEvent(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	filling, release := make(chan struct{}), make(chan struct{})
	var evs []*book.Event
	var finishSaw int
	done := make(chan error, 1)
	go func() {
		done <- s.WriteBatch(ctx, enough, func(tx book.BatchTx) error {
			var err error
			evs, err = fillOrders(tx, "drop-2", 0, enough)
			close(filling)
			<-release
			return err
		}, func(tx book.Tx) error {
			// finish sees the book whole, the batch included
			return tx.(*writeTx).queryRow(`SELECT count(*) FROM orders`).Scan(&finishSaw)
		})
	}()
	<-filling
	if !sentRows(t, s) {
		t.Fatal("no row of the batch is on the server while fill runs")
	}
	want := map[string]int{"orders": 0, "work_orders": 0, "operations": 0, "events": 1, "drop_units": 0, "state_counts": 0}
	if got := committed(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("while fill runs: %v, want %v", got, want)
	}
	err = s.Read(ctx, func(tx book.ReadTx) error {
		var n int
		err := tx.(*readTx).queryRow(`SELECT count(*) FROM operations WHERE cell = 'cell-1'`).Scan(&n)
		if err == nil && n != 0 {
			t.Errorf("a read sees %d operations of the batch", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// the floor writes go on meanwhile: the batch does not hold the write lock
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	meanwhile, err := floorEvent(wctx, s)
	if err != nil {
		t.Fatalf("a floor write while fill runs: %v", err)
	}
	if err := floorOrder(wctx, s, "floor-1"); err != nil {
		t.Fatalf("a floor order while fill runs: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	want = map[string]int{"orders": enough + 1, "work_orders": enough, "operations": 4 * enough, "events": enough + 2}
	got := committed(t, s)
	for table, n := range want {
		if got[table] != n {
			t.Errorf("%d rows in %s, want %d", got[table], table, n)
		}
	}
	if finishSaw != enough+1 {
		t.Errorf("finish saw %d orders, want %d", finishSaw, enough+1)
	}
	checkEventIDs(t, s, evs, max(before, meanwhile))
	checkDerived(t, s)
}

// checkEventIDs checks that the events evs of a batch have the ids they are stored with, in
// order, all after after.
func checkEventIDs(t *testing.T, s *Store, evs []*book.Event, after int64) {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT id, order_id FROM events WHERE batch <> '' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type idOrder struct {
		ID    int64
		Order string
	}
	var stored []idOrder
	for rows.Next() {
		var r idOrder
		if err := rows.Scan(&r.ID, &r.Order); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(evs) {
		t.Fatalf("%d events of the batch stored, want %d", len(stored), len(evs))
	}
	for i, e := range evs {
		if e.ID <= after {
			t.Fatalf("event %d of the batch has id %d, not after %d, the last visible before", i, e.ID, after)
		}
		if stored[i].ID != e.ID || stored[i].Order != e.OrderID {
			t.Fatalf("event %d of the batch: set %d of %s, stored %d of %s", i, e.ID, e.OrderID, stored[i].ID, stored[i].Order)
		}
	}
}

// checkDerived checks drop_units and state_counts against the rows they are derived from.
func checkDerived(t *testing.T, s *Store) {
	t.Helper()
	for _, q := range []struct{ derived, rows string }{
		{`SELECT drop_id || '/' || sku, units FROM drop_units ORDER BY 1`,
			// the floor's order goes in by hand, without drop_units
			`SELECT drop_id || '/' || sku, sum(quantity) FROM orders WHERE drop_id <> 'drop-f' GROUP BY 1 ORDER BY 1`},
		{`SELECT entity || '/' || state, n FROM state_counts WHERE n <> 0 ORDER BY 1`,
			`SELECT 'operation/' || state, count(*) FROM operations GROUP BY 1 UNION ALL
			 SELECT 'work_order/' || state, count(*) FROM work_orders GROUP BY 1 ORDER BY 1`},
	} {
		d, r := pairs(t, s, q.derived), pairs(t, s, q.rows)
		if len(d) == 0 || fmt.Sprint(d) != fmt.Sprint(r) {
			t.Errorf("%s:\n got %v\nwant %v", q.derived, d, r)
		}
	}
}

func pairs(t *testing.T, s *Store, q string) map[string]int64 {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int64)
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWriteBatchLeavesNothingWhenItFails: a batch that fails anywhere, its rows sent or not,
// leaves the book as it was, and the next writes go on.
func TestWriteBatchLeavesNothingWhenItFails(t *testing.T) {
	boom := errors.New("boom")
	noFinish := func(book.Tx) error { return nil }
	tests := []struct {
		name   string
		events int
		fill   func(context.CancelFunc, book.BatchTx) error
		finish func(context.CancelFunc, book.Tx) error
		want   error  // errors.Is
		names  string // in the error
	}{
		{name: "fill fails", events: enough,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-2", 0, enough)
				return errors.Join(err, boom)
			}, want: boom},
		{name: "finish fails", events: enough,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-2", 0, enough)
				return err
			},
			finish: func(context.CancelFunc, book.Tx) error { return boom }, want: boom},
		{name: "context ends in fill", events: enough,
			fill: func(cancel context.CancelFunc, tx book.BatchTx) error {
				if _, err := fillOrders(tx, "drop-2", 0, enough); err != nil {
					return err
				}
				cancel()
				_, err := fillOrders(tx, "drop-2", enough, enough+1)
				return err
			}, want: context.Canceled},
		{name: "context ends in finish", events: 10,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-2", 0, 10)
				return err
			},
			finish: func(cancel context.CancelFunc, _ book.Tx) error { cancel(); return nil }, want: context.Canceled},
		{name: "more events than announced", events: 3,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-2", 0, 4)
				return err
			}, names: "the batch was to append 3 events"},
		{name: "an order twice", events: 10,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				if _, err := fillOrders(tx, "drop-2", 0, 2); err != nil {
					return err
				}
				_, err := fillOrders(tx, "drop-2", 1, 2)
				return err
			}, want: ErrConflict, names: `"drop-2-0000001"`},
		{name: "an order stored already", events: enough,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-1", 2, 2+enough)
				return err
			}, want: ErrConflict, names: `"drop-1-0000002"`},
		{name: "a work order without its order", events: 1,
			fill: func(_ context.CancelFunc, tx book.BatchTx) error {
				_, wo, ops, _ := batchFixture("drop-9", 0)
				return tx.InsertWorkOrder(&wo, ops)
			}, names: "work_orders_order_id_fkey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := openAt(t, pgtest.URL(t))
			if err := s.WriteBatch(ctx, 3, func(tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-1", 0, 3)
				return err
			}, noFinish); err != nil {
				t.Fatal(err)
			}
			was := committed(t, s)
			finish := noFinish
			if tc.finish != nil {
				finish = func(tx book.Tx) error { return tc.finish(cancel, tx) }
			}
			err := s.WriteBatch(ctx, tc.events, func(tx book.BatchTx) error { return tc.fill(cancel, tx) }, finish)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("WriteBatch: %v, want an error wrapping %v naming %s", err, tc.want, tc.names)
			}
			if got := committed(t, s); fmt.Sprint(got) != fmt.Sprint(was) {
				t.Errorf("after the failed batch: %v, want %v as before", got, was)
			}
			// nothing holds a lock: the next batch and write go on
			wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
			defer wcancel()
			if err := s.WriteBatch(wctx, 1, func(tx book.BatchTx) error {
				_, err := fillOrders(tx, "drop-3", 0, 1)
				return err
			}, noFinish); err != nil {
				t.Fatalf("the next batch: %v", err)
			}
			if _, err := floorEvent(wctx, s); err != nil {
				t.Fatalf("the next write: %v", err)
			}
		})
	}
}

// TestWriteBatchConflictsWithConcurrentOrders: an order id that a floor write inserts while the
// batch is written fails the batch with ErrConflict, whether the write commits before the batch
// sends the order or waits for the batch's row; and nothing of the batch is left.
func TestWriteBatchConflictsWithConcurrentOrders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Run("committed before the batch sends it", func(t *testing.T) {
		s := openAt(t, pgtest.URL(t))
		err := s.WriteBatch(ctx, 10, func(tx book.BatchTx) error {
			if _, err := fillOrders(tx, "drop-2", 0, 10); err != nil {
				return err
			}
			// held by the batch, not sent yet
			return floorOrder(ctx, s, "drop-2-0000007")
		}, func(book.Tx) error { return nil })
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `"drop-2-0000007"`) {
			t.Fatalf("WriteBatch: %v, want ErrConflict naming drop-2-0000007", err)
		}
		if got := committed(t, s); got["orders"] != 1 || got["work_orders"] != 0 {
			t.Errorf("after the failed batch: %v, want the floor's order only", got)
		}
	})
	t.Run("waiting for the batch's row", func(t *testing.T) {
		s := openAt(t, pgtest.URL(t))
		batchMeetsOrder(ctx, t, s, s, "the floor")
	})
}

// TestWriteBatchConflictsWithAnotherDaemonsOrder: another daemon's write that inserts an order
// id of the batch waits for the batch's row holding the write lock, for which the batch then
// waits: the server breaks the deadlock by failing the one that looks for it first, here the
// batch (the other daemon's session looks late), with an error wrapping ErrConflict.
func TestWriteBatchConflictsWithAnotherDaemonsOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, other := openAt(t, url), openAt(t, url+sep+"options=-c%20deadlock_timeout%3D600000")
	batchMeetsOrder(ctx, t, s, other, "the other daemon")
}

// batchMeetsOrder runs a batch on s while who writes, on writer, an order of the batch
// (drop-2-0000007): once who's insert waits for the batch's row, the batch fails with an
// error wrapping ErrConflict, who's write succeeds, and only its order is committed.
func batchMeetsOrder(ctx context.Context, t *testing.T, s, writer *Store, who string) {
	t.Helper()
	written := make(chan error, 1)
	err := s.WriteBatch(ctx, enough, func(tx book.BatchTx) error {
		if _, err := fillOrders(tx, "drop-2", 0, enough); err != nil {
			return err
		}
		go func() { written <- floorOrder(ctx, writer, "drop-2-0000007") }()
		waitFor(t, who+"'s insert to wait for the batch", func() bool {
			var n int
			err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted`).Scan(&n)
			return err == nil && n > 0
		})
		return nil
	}, func(book.Tx) error { return nil })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("WriteBatch: %v, want ErrConflict", err)
	}
	if err := <-written; err != nil {
		t.Fatalf("%s's write: %v", who, err)
	}
	if got := committed(t, s); got["orders"] != 1 || got["work_orders"] != 0 {
		t.Errorf("after the failed batch: %v, want %s's order only", got, who)
	}
}

// TestWriteBatchesSerialize: two daemons' batches run one after the other: the second's fill
// starts once the first has committed.
func TestWriteBatchesSerialize(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	a, b := openAt(t, url), openAt(t, url)
	filling, release := make(chan struct{}), make(chan struct{})
	var aDone, bStarted atomic.Bool
	aErr, bErr := make(chan error, 1), make(chan error, 1)
	go func() {
		aErr <- a.WriteBatch(ctx, 10, func(tx book.BatchTx) error {
			_, err := fillOrders(tx, "drop-a", 0, 10)
			close(filling)
			<-release
			return err
		}, func(book.Tx) error { aDone.Store(true); return nil })
	}()
	<-filling
	go func() {
		bErr <- b.WriteBatch(ctx, 10, func(tx book.BatchTx) error {
			bStarted.Store(true)
			if !aDone.Load() {
				return errors.New("the second batch's fill runs before the first is done")
			}
			_, err := fillOrders(tx, "drop-b", 0, 10)
			return err
		}, func(book.Tx) error { return nil })
	}()
	waitFor(t, "the second batch to wait for the first", func() bool {
		var n int
		err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND objid = $1`, batchLock).Scan(&n)
		return err == nil && n == 1
	})
	if bStarted.Load() {
		t.Fatal("the second batch's fill started while the first's runs")
	}
	close(release)
	if err := <-aErr; err != nil {
		t.Fatal(err)
	}
	if err := <-bErr; err != nil {
		t.Fatal(err)
	}
	if got := committed(t, a); got["orders"] != 20 || got["events"] != 20 {
		t.Errorf("after both batches: %v, want 20 orders and events", got)
	}
}

// batchChildEnv names the database that the child process of TestWriteBatchKilledMidway
// writes its batch into.
const batchChildEnv = "CELLFORGE_TEST_BATCH_CHILD"

// TestWriteBatchKilledMidway: a process killed with SIGKILL while its batch's fill runs, its
// rows sent, leaves nothing of the batch, and the next batch goes on.
func TestWriteBatchKilledMidway(t *testing.T) {
	if url := os.Getenv(batchChildEnv); url != "" {
		batchChild(url)
		return
	}
	url := pgtest.URL(t)
	s := openAt(t, url)
	if _, err := floorEvent(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	was := committed(t, s)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteBatchKilledMidway$", "-test.count=1")
	cmd.Env = append(os.Environ(), batchChildEnv+"="+url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "filling\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child said %q, %v; want filling", line, err)
	}
	if !sentRows(t, s) {
		t.Error("no row of the child's batch is on the server")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// the next batch waits until the server has rolled the child's back
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WriteBatch(ctx, 1, func(tx book.BatchTx) error {
		_, err := fillOrders(tx, "drop-3", 0, 1)
		return err
	}, func(book.Tx) error { return nil }); err != nil {
		t.Fatalf("the next batch: %v", err)
	}
	got := committed(t, s)
	was["orders"], was["work_orders"], was["operations"], was["events"] = 1, 1, 4, was["events"]+1
	was["drop_units"], was["state_counts"] = 1, 3
	if fmt.Sprint(got) != fmt.Sprint(was) {
		t.Errorf("after the kill and the next batch: %v, want %v", got, was)
	}
}

// batchChild is the child process of TestWriteBatchKilledMidway: it writes a batch whose fill
// sends its rows, says "filling" and waits to be killed.
func batchChild(url string) {
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	err = s.WriteBatch(context.Background(), enough, func(tx book.BatchTx) error {
		if _, err := fillOrders(tx, "drop-2", 0, enough); err != nil {
			return err
		}
		fmt.Println("filling")
		time.Sleep(time.Hour) // until killed
		return nil
	}, func(book.Tx) error { return nil })
	fmt.Fprintln(os.Stderr, "the batch returned:", err)
	os.Exit(2)
}
