package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cellforge/cellforge/book"
)

// How a large batch is written (WriteBatch) without holding the write lock for all of it, and
// still all or nothing:
//
//  1. A short transaction records the batch in pending_batch (0006_pending_batch.sql) with
//     its marks: the next rowid of orders and the next ids of work orders and operations,
//     which the batch's rows take (only a batch inserts into those tables, and one batch is
//     written at a time), and a range of event ids set aside for its events, after a gap of
//     eventGap ids for the floor's events meanwhile.
//  2. The batch's rows are sent as a Write sends them (buffer.go), in transactions that each
//     commit as soon as another write waits for the lock (after chunkMinHold), or after
//     chunkHold: a tablet's action waits for one statement of the batch, not for the batch.
//     Their commits are durable like any other, but every transaction, read or write, first
//     reads pending_batch and leaves out the rows at or after its marks (horizon), so none of
//     it is seen.
//  3. One short transaction deletes the batch's row of pending_batch, which makes every row
//     of it visible at once, adds its orders and states to drop_units and state_counts, and
//     runs what the book needs done with the book whole (finish: dispatching, the batch's
//     last event, its idempotency record).
//
// If a step fails, or the process dies before step 3 commits, the batch's rows are deleted in
// short transactions and then its row of pending_batch: by WriteBatch itself; should that
// fail, by the next Write or WriteBatch; after a crash, by Open. Until then they stay
// invisible.
//
// Event ids: a reader that follows the event log asks for the events after the last id it saw,
// so an event must never become visible with an id below one already visible. The floor's
// events take the ids of the gap, below the batch's, and are visible at once; should the gap
// fill, later ones take ids after the batch's range and are invisible with the batch until it
// is visible (or removed). Readers see the events below event_first only.

// A transaction of a batch commits, and lets the writes waiting for the lock go first, once it
// has held the write lock for chunkHold, or for chunkMinHold when a write is waiting: long
// enough for the batch to make headway between two actions of a busy floor, short enough that
// an action hardly notices.
const (
	chunkHold    = 40 * time.Millisecond
	chunkMinHold = 5 * time.Millisecond
)

// eventGap is how many event ids are set aside, before a batch's, for the events the floor
// appends while the batch is written: far more than a floor appends in the seconds that the
// largest batch takes.
const eventGap = 10_000

// cleanStep is how many rows of a table one statement of a batch's removal deletes.
const cleanStep = 5_000

// pendingBatch is the row of pending_batch: a batch being written, or left by a failure.
type pendingBatch struct {
	batch string
	// the first rowid of the batch's orders, the first ids of its work orders and operations
	orders, workOrders, operations int64
	// eventFloor is the first event id the floor takes while the batch is pending; the batch's
	// events have the ids [first, end).
	eventFloor, eventFirst, eventEnd int64
}

// horizon is where the rows that a transaction must not see begin, table by table: those of a
// pending batch. A transaction sees the rows below it only.
type horizon struct {
	orders, workOrders, operations, events int64
}

// everything is the horizon of a transaction when no batch is pending: it sees every row.
var everything = horizon{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64}

func (p *pendingBatch) horizon() horizon {
	if p == nil {
		return everything
	}
	return horizon{orders: p.orders, workOrders: p.workOrders, operations: p.operations, events: p.eventFirst}
}

// readPending reads the pending batch, nil when there is none. As the first statement of a
// transaction it also fixes the transaction's snapshot, to which the horizon then belongs.
func readPending(ctx context.Context, conn *sql.Conn) (*pendingBatch, error) {
	var p pendingBatch
	err := conn.QueryRowContext(quiet(ctx), `SELECT batch, order_rowid, work_order, operation, event_floor,
		event_first, event_end FROM pending_batch`).Scan(&p.batch, &p.orders, &p.workOrders, &p.operations,
		&p.eventFloor, &p.eventFirst, &p.eventEnd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the pending batch: %w", err)
	}
	return &p, nil
}

// ErrBatchPending is returned, wrapped, by a Write that inserts orders or work orders while a
// batch is pending: its ids would fall among the batch's. A batch is pending while it is
// being written, and after it failed until its rows are removed: at once by WriteBatch, or,
// should that fail, before the next Write (see removeAbandoned).
var ErrBatchPending = errors.New("a batch import is pending: being written, or failed and not removed yet")

var _ book.BatchStore = (*Store)(nil)

// WriteBatch implements book.BatchStore: see the comment at the top of this file. One batch is
// written at a time; a second waits. When ctx ends before the batch is visible, the batch is
// removed and WriteBatch returns ctx's error.
func (s *Store) WriteBatch(ctx context.Context, events int, fill func(book.BatchTx) error, finish func(book.Tx) error) (err error) {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	if err := s.removePending(ctx); err != nil {
		return fmt.Errorf("writing batch: removing the rows of an earlier batch: %w", err)
	}
	p, err := s.beginBatch(ctx, events)
	if err != nil {
		return fmt.Errorf("writing batch: %w", err)
	}
	t := newBatchTx(ctx, s, p)
	published := false
	// runs on every return, and when fill or finish panics, before the panic goes on
	defer func() {
		t.abort()
		if published {
			return
		}
		// not ctx: its end may be why we are here
		if rerr := s.removePending(quiet(ctx)); rerr != nil {
			s.logger.Error("removing the rows of a failed batch; they stay invisible until removed", "batch", p.batch, "err", rerr)
			err = errors.Join(err, fmt.Errorf("removing the rows of the failed batch: %w", rerr))
		}
	}()
	if err := fill(t); err != nil {
		return err
	}
	if err := t.end(); err != nil {
		return fmt.Errorf("writing batch: %w", err)
	}
	err = s.write(ctx, func(w *writeTx) error {
		// the batch is ours still: nobody removes a pending batch while batchMu is held
		res, err := w.conn.ExecContext(w.sqlCtx, `DELETE FROM pending_batch WHERE batch = ?`, p.batch)
		if err != nil {
			return fmt.Errorf("publishing batch: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("publishing batch: %w", err)
		}
		if n != 1 {
			return fmt.Errorf("publishing batch: it is no longer pending (%d rows)", n)
		}
		// what the batch adds to drop_units and state_counts goes in with it (writeTx.commit)
		w.units, w.counts = t.w.units, t.w.counts
		return nil
	}, finish)
	if err != nil {
		return err
	}
	published = true
	return nil
}

// beginBatch records a new pending batch of at most events events, with its marks after every
// row stored.
func (s *Store) beginBatch(ctx context.Context, events int) (*pendingBatch, error) {
	p := &pendingBatch{batch: fmt.Sprintf("pending-%d", time.Now().UnixNano())}
	err := s.write(ctx, nil, func(tx book.Tx) error {
		w := tx.(*writeTx)
		var lastEvent int64
		err := w.conn.QueryRowContext(w.sqlCtx, `SELECT
			coalesce((SELECT max(rowid) FROM orders), 0) + 1,
			coalesce((SELECT max(id) FROM work_orders), 0) + 1,
			coalesce((SELECT max(id) FROM operations), 0) + 1, `+lastEventID).Scan(&p.orders, &p.workOrders, &p.operations, &lastEvent)
		if err != nil {
			return fmt.Errorf("reading the last ids: %w", err)
		}
		p.eventFloor = lastEvent + 1
		p.eventFirst = p.eventFloor + int64(s.eventGap)
		p.eventEnd = p.eventFirst + int64(events)
		_, err = w.conn.ExecContext(w.sqlCtx, `INSERT INTO pending_batch (one, batch, order_rowid, work_order,
			operation, event_floor, event_first, event_end) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
			p.batch, p.orders, p.workOrders, p.operations, p.eventFloor, p.eventFirst, p.eventEnd)
		if err != nil {
			return fmt.Errorf("recording the pending batch: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("beginning batch: %w", err)
	}
	return p, nil
}

// removeAbandoned removes the pending batch that a failed removal left (see removePending),
// unless a batch is being written, whose WriteBatch removes it first. A removal that fails
// again is logged, and tried again at the next Write.
func (s *Store) removeAbandoned(ctx context.Context) {
	if !s.abandoned.Load() || !s.batchMu.TryLock() {
		return
	}
	defer s.batchMu.Unlock()
	if err := s.removePending(ctx); err != nil && ctx.Err() == nil {
		s.logger.Error("removing the rows of a failed batch; they stay invisible until removed", "err", err)
	}
}

// removePending deletes the rows of the pending batch, if there is one, and then its row of
// pending_batch, in transactions of about chunkHold each: it is invisible all along. When it
// fails, s.abandoned is set until one succeeds. The caller holds batchMu, or has the store to
// itself (Open).
func (s *Store) removePending(ctx context.Context) (err error) {
	defer func() { s.abandoned.Store(err != nil) }()
	var p *pendingBatch
	err = s.Read(ctx, func(tx book.ReadTx) error {
		p = tx.(*readTx).pending
		return nil
	})
	if err != nil || p == nil {
		return err
	}
	s.logger.Warn("removing the rows of a batch that was never published", "batch", p.batch)
	c := &chunker{s: s}
	w := newWriteTx(ctx, nil)
	w.chunk = c
	defer c.abort(w)
	// children before parents: foreign keys are checked at each commit
	steps := []struct {
		table, key string
		from, to   int64 // to 0: up to the largest key
	}{
		{"events", "id", p.eventFirst, p.eventEnd},
		{"operations", "id", p.operations, 0},
		{"work_orders", "id", p.workOrders, 0},
		{"orders", "rowid", p.orders, 0},
	}
	for _, st := range steps {
		to := st.to
		if to == 0 {
			var largest int64
			if err := c.do(w, func() error {
				return w.conn.QueryRowContext(w.sqlCtx, `SELECT coalesce(max(`+st.key+`), 0) FROM `+st.table).Scan(&largest)
			}); err != nil {
				return fmt.Errorf("removing batch %s: reading the last %s: %w", p.batch, st.table, err)
			}
			to = largest + 1
		}
		for from := st.from; from < to; from += cleanStep {
			err := c.do(w, func() error {
				_, err := w.conn.ExecContext(w.sqlCtx, `DELETE FROM `+st.table+` WHERE `+st.key+` >= ? AND `+st.key+` < ?`,
					from, min(from+cleanStep, to))
				return err
			})
			if err != nil {
				return fmt.Errorf("removing batch %s: deleting %s: %w", p.batch, st.table, err)
			}
		}
	}
	if err := c.do(w, func() error {
		_, err := w.conn.ExecContext(w.sqlCtx, `DELETE FROM pending_batch WHERE batch = ?`, p.batch)
		return err
	}); err != nil {
		return fmt.Errorf("removing batch %s: %w", p.batch, err)
	}
	if err := c.commit(w); err != nil {
		return fmt.Errorf("removing batch %s: %w", p.batch, err)
	}
	return nil
}

// chunker runs the statements of a write that is too long for one transaction in several:
// each holds the write lock for chunkHold, or less when another write waits, and commits.
type chunker struct {
	s *Store
	// began is when the open transaction began; zero when none is open.
	began time.Time
	// waits is the writer pool's count of waits for its connection when the transaction
	// began: a larger count since tells that a write is waiting (the batch holds the pool's
	// one connection, and does not wait itself while it does).
	waits int64
}

// open begins a transaction on a connection of the writer for w, unless one is open.
func (c *chunker) open(w *writeTx) error {
	if w.conn != nil {
		return nil
	}
	conn, err := beginTx(w.ctx, c.s.writer, "BEGIN IMMEDIATE")
	if err != nil {
		return fmt.Errorf("beginning write transaction: %w", err)
	}
	w.conn, c.began, c.waits = conn, time.Now(), c.s.writer.Stats().WaitCount
	return nil
}

// yield commits the open transaction once it has held the write lock long enough (see
// chunkHold), and gives the lock to the writes waiting for it.
func (c *chunker) yield(w *writeTx) error {
	if w.conn == nil {
		return nil
	}
	held := time.Since(c.began)
	if held < chunkMinHold || (held < chunkHold && c.s.writer.Stats().WaitCount == c.waits) {
		return nil
	}
	return c.commit(w)
}

// do runs fn, a statement on w.conn, in the open transaction or a new one, after yield.
func (c *chunker) do(w *writeTx, fn func() error) error {
	if err := c.yield(w); err != nil {
		return err
	}
	if err := c.open(w); err != nil {
		return err
	}
	return fn()
}

// commit commits the open transaction, if any, and returns its connection to the pool.
func (c *chunker) commit(w *writeTx) error {
	if w.conn == nil {
		return nil
	}
	conn := w.conn
	w.conn = nil
	if err := w.check(); err != nil {
		return errors.Join(err, release(w, conn, true, false))
	}
	if _, err := conn.ExecContext(w.sqlCtx, "COMMIT"); err != nil {
		return errors.Join(fmt.Errorf("committing: %w", err), release(w, conn, true, true))
	}
	return release(w, conn, false, false)
}

// abort rolls the open transaction back, if any: what it sent is lost.
func (c *chunker) abort(w *writeTx) {
	if w.conn == nil {
		return
	}
	conn := w.conn
	w.conn = nil
	// a batch that broke a constraint has rolled back already (OR ROLLBACK, see buffer.go)
	if err := release(w, conn, !w.rolledBack, false); err != nil {
		c.s.logger.Error("discarding the writer connection", "err", err)
	}
}

// release ends the transaction of a chunk on conn as endTx does, after closing the statements
// that w prepared on it: they are bound to conn, and w's next transaction takes a connection of
// its own, on which it prepares them again. A connection whose statements did not close is
// discarded.
func release(w *writeTx, conn *sql.Conn, rollback, broken bool) error {
	cerr := w.close()
	if cerr != nil {
		cerr = fmt.Errorf("closing statements: %w", cerr)
	}
	return errors.Join(cerr, endTx(w.ctx, conn, rollback, broken || cerr != nil))
}

// batchTx implements book.BatchTx: a writeTx whose rows are sent in transactions of a chunker
// with the ids of a pending batch.
type batchTx struct {
	w *writeTx
	p *pendingBatch
}

var _ book.BatchTx = (*batchTx)(nil)

func newBatchTx(ctx context.Context, s *Store, p *pendingBatch) *batchTx {
	w := newWriteTx(ctx, nil)
	w.chunk = &chunker{s: s}
	w.nextWorkOrder, w.nextOperation, w.nextEvent = p.workOrders, p.operations, p.eventFirst
	return &batchTx{w: w, p: p}
}

// InsertOrder inserts an order of the batch; see writeTx.InsertOrder.
func (t *batchTx) InsertOrder(o book.Order) error {
	if err := t.w.InsertOrder(o); err != nil {
		return err
	}
	return t.w.chunk.yield(t.w)
}

// InsertWorkOrder inserts a work order of the batch and its operations; see
// writeTx.InsertWorkOrder.
func (t *batchTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	if err := t.w.InsertWorkOrder(wo, ops); err != nil {
		return err
	}
	return t.w.chunk.yield(t.w)
}

// AppendEvent appends an event of the batch, with the next of the ids set aside for them.
func (t *batchTx) AppendEvent(e *book.Event) error {
	if t.w.nextEvent >= t.p.eventEnd {
		return fmt.Errorf("appending %s event: the batch was to append %d events", e.Kind, t.p.eventEnd-t.p.eventFirst)
	}
	if err := t.w.AppendEvent(e); err != nil {
		return err
	}
	return t.w.chunk.yield(t.w)
}

// end sends the rows held back and commits.
func (t *batchTx) end() error {
	if err := t.w.usable(); err != nil {
		return err
	}
	if err := t.w.flush(); err != nil {
		return err
	}
	return t.w.chunk.commit(t.w)
}

// abort rolls back the transaction open, if any.
func (t *batchTx) abort() { t.w.chunk.abort(t.w) }
