package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cellforge/cellforge/book"
)

// How a large batch is written (WriteBatch) without holding the write lock for all of it, and
// still all or nothing: it is ONE transaction, and PostgreSQL's MVCC keeps every row it
// inserts invisible to every other transaction until it commits.
//
//  1. The transaction takes batchLock (one batch at a time, across daemons), not the write
//     lock: floor writes go on while fill runs. The orders, work orders and operations that
//     fill inserts are gathered and sent with COPY (batchtx.go); work orders and operations
//     take their ids from the tables' identity sequences, in blocks, so that they are final
//     when InsertWorkOrder returns. Sequences are not transactional: a floor write inserting
//     meanwhile takes other ids, never the same.
//  2. Once fill has returned, the transaction takes the write lock as a Write does, gives the
//     batch's events their ids, sends them, adds the batch's rows to state_counts and
//     drop_units, runs finish and commits (publish). The write lock is held for the events
//     and finish only, not for the rows.
//
// If anything fails, ctx ends, or the process dies before the commit, the transaction is
// rolled back by the server: nothing of the batch was ever visible and nothing is left to
// remove.
//
// Event ids: a reader that follows the event log asks for the events after the last id it saw,
// so an event must never become visible with an id below one already visible. Floor writes
// append events while fill runs and commit before the batch does; had the batch's events taken
// their ids during fill, those writes' events would be visible first with larger ids, and a
// follower that saw them would never see the batch's. So AppendEvent keeps the batch's events,
// and their ids are taken, under the write lock, in step 2: every event visible before has a
// smaller id, and every write after waits for the commit. An event's ID is therefore set when
// the batch is made visible, not when AppendEvent returns.
//
// state_counts and drop_units are updated by nearly every floor write: the batch touches their
// rows only in step 2, as holding their row locks from fill on would stop the floor for the
// whole batch.

// batchLock is the key of the transaction-scoped advisory lock a batch holds from its start to
// its end: one batch is written at a time, across daemons.
const batchLock = 0x62746368 // "btch"

// lockPoll is how often a batch that waits for writeMu looks for a write of this process that
// waits for the batch (see lockWrites).
const lockPoll = 20 * time.Millisecond

var _ book.BatchStore = (*Store)(nil)

// WriteBatch implements book.BatchStore: see the comment at the top of this file. One batch is
// written at a time, across daemons; a second waits. An order id that is stored already, or
// that a concurrent write inserts, fails the batch with an error wrapping ErrConflict. When
// ctx ends before the commit, nothing is applied and WriteBatch returns an error wrapping
// ctx's.
func (s *Store) WriteBatch(ctx context.Context, events int, fill func(book.BatchTx) error, finish func(book.Tx) error) error {
	if events < 0 {
		return fmt.Errorf("writing batch: %d events announced", events)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("writing batch: beginning transaction: %w", classify(err))
	}
	// runs on every return, and when fill or finish panics; after a commit it does nothing
	defer tx.Rollback(context.WithoutCancel(ctx))
	var xid int64
	if err := tx.QueryRow(ctx, `SELECT txid_current(), pg_advisory_xact_lock($1)`, batchLock).Scan(&xid, nil); err != nil {
		return fmt.Errorf("writing batch: waiting for the batch written before: %w", classify(err))
	}
	t := newBatchTx(ctx, tx, events)
	if err := fill(t); err != nil {
		return err
	}
	if err := t.flush(); err != nil {
		return fmt.Errorf("writing batch: %w", err)
	}
	if err := s.lockWrites(ctx, tx); err != nil {
		return fmt.Errorf("writing batch: %w", err)
	}
	unlock := s.unlocker()
	defer unlock()
	if err := t.publishRows(); err != nil {
		return fmt.Errorf("writing batch: %w", err)
	}
	w := newWriteTx(ctx, tx)
	if err := finish(w); err != nil {
		return err
	}
	return s.publish(ctx, w, xid, unlock)
}

// lockWrites takes the write lock for tx, a batch's transaction, as Write does: writeMu, then
// the advisory lock. It fails with an error wrapping ErrConflict when a write waits for a row
// of the batch meanwhile: one inserting an order id that the batch inserted, which waits for
// the batch to end while the batch waits for it. A write of this process holds writeMu while
// it waits, so lockWrites watches for one (the server cannot see that wait); a write of
// another daemon holds the advisory lock, and the server finds that deadlock itself.
func (s *Store) lockWrites(ctx context.Context, tx pgx.Tx) error {
	tick := time.NewTicker(lockPoll)
	defer tick.Stop()
	for locked := false; !locked; {
		select {
		case s.writeMu <- struct{}{}:
			locked = true
		case <-ctx.Done():
			return fmt.Errorf("waiting for the write lock: %w", ctx.Err())
		case <-tick.C:
			var waited bool
			if err := tx.QueryRow(ctx, waitedFor).Scan(&waited); err != nil {
				return fmt.Errorf("waiting for the write lock: %w", classify(err))
			}
			if waited {
				return errInsertedMeanwhile
			}
		}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
		<-s.writeMu
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "40P01" { // deadlock detected
			return errInsertedMeanwhile
		}
		return fmt.Errorf("waiting for the write lock: %w", classify(err))
	}
	return nil
}

// errInsertedMeanwhile is a write inserting a key of a row of the batch, an order id, while
// the batch is written. Which order it is cannot be told: the batch cannot see the write's
// rows, nor the write the batch's.
var errInsertedMeanwhile = fmt.Errorf("a concurrent write is inserting an order id that the batch inserted: %w", ErrConflict)

// waitedFor tells whether another transaction waits for the one that runs it: for a row it
// inserted.
const waitedFor = `SELECT EXISTS (
	SELECT 1 FROM pg_locks h JOIN pg_locks w ON w.locktype = 'transactionid' AND w.transactionid = h.transactionid
	WHERE h.locktype = 'transactionid' AND h.granted AND h.pid = pg_backend_pid() AND NOT w.granted)`
