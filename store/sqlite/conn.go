package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// Why the driver never sees a context that can be cancelled.
//
// modernc.org/sqlite answers a context that ends during a statement by calling
// sqlite3_interrupt from another goroutine, and by throwing away what the statement returned.
// Both go wrong in ways that leave a pooled connection holding an old snapshot:
//
//   - The interrupt may land before the statement's first step. SQLite clears the interrupt
//     flag when a statement starts while no other statement of the connection is active, so
//     the statement runs and returns its first row; the driver, seeing the context done,
//     then drops the rows without finalizing the statement. That statement stays active for
//     the life of the connection and keeps its read transaction open: every later read on
//     the connection, in a transaction or not, sees the book as it was then, and a ROLLBACK
//     of a later transaction only downgrades it to that read transaction again. The
//     interrupt flag is clear, so the driver's IsValid and ResetSession keep the connection
//     in the pool, and a BEGIN/ROLLBACK on it succeeds.
//   - The interrupt may land on a statement that succeeded (a BEGIN), which the driver then
//     reports as failed, so that a connection inside a transaction goes back to the pool.
//
// So every statement of this package runs with quiet(ctx): the caller's values without its
// cancellation, which the driver cannot interrupt. The caller's context is checked by us
// instead, before each statement and between rows (readTx.check, collect), and a transaction
// is begun and ended by us on a *sql.Conn (beginTx, endTx), with a ROLLBACK that nothing
// cancels; a connection whose transaction did not end cleanly is discarded, never pooled.

// quiet returns ctx without its cancellation: the only context the driver is given.
func quiet(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// beginTx takes a connection of db and begins a transaction on it with begin ("BEGIN" or
// "BEGIN IMMEDIATE"). The wait for a free connection ends with ctx; the BEGIN does not.
func beginTx(ctx context.Context, db *sql.DB, begin string) (*sql.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(quiet(ctx), begin); err != nil {
		discard(conn)
		return nil, err
	}
	return conn, nil
}

// endTx ends the transaction on conn with a ROLLBACK, unless rollback is false (it committed,
// or SQLite rolled it back already), and returns conn to its pool. A connection whose ROLLBACK
// failed, or that broken says is in doubt, may still be inside a transaction: it is closed
// instead, so that no later user of the pool inherits its snapshot or its lock. It returns the
// ROLLBACK's error, or else conn.Close()'s.
func endTx(ctx context.Context, conn *sql.Conn, rollback, broken bool) error {
	var err error
	if rollback {
		if _, rerr := conn.ExecContext(quiet(ctx), "ROLLBACK"); rerr != nil {
			err = fmt.Errorf("rolling back: %w", rerr)
		}
	}
	if err != nil || broken {
		discard(conn)
		return err
	}
	if cerr := conn.Close(); cerr != nil && !errors.Is(cerr, sql.ErrConnDone) {
		return cerr
	}
	return err
}

// discard closes conn's driver connection rather than returning it to the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close() // ErrConnDone: Raw closed it
}
