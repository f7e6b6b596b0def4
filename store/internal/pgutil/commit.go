package pgutil

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CommitCheck bounds how long Commit keeps asking whether a COMMIT whose answer was lost
// committed, while the database is unreachable.
const CommitCheck = 60 * time.Second

// Commit commits tx, whose transaction id is xid (txid_current()), whatever happens to ctx
// once it has begun. A COMMIT whose answer was lost with the connection is settled by asking
// the server on another connection of pool (see Settle), so that a write is never reported
// failed after it committed. what names the transaction in errors.
//
// unlock, when not nil, is called once the answer is lost, before the asking: a caller that
// lets one write of its process at a time wait for the database's write lock lets the next
// one go. That write is not held behind one whose outcome waits for the server to come back,
// and is refused at once when the server is away; the server's own lock still keeps it
// behind the lost COMMIT when the server is there.
func Commit(ctx context.Context, pool *pgxpool.Pool, tx pgx.Tx, xid int64, what string, logger *slog.Logger, unlock func()) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CommitCheck)
	defer cancel()
	err := tx.Commit(cctx)
	switch {
	case err == nil:
		return nil
	case LostConnection(err):
		if unlock != nil {
			unlock()
		}
		return Settle(cctx, pool, xid, err, logger)
	}
	return fmt.Errorf("committing %s: %w", what, Classify(err))
}

// Settle answers a transaction whose COMMIT failed with the connection (cerr): nil when
// transaction xid committed, an error wrapping book.ErrUnavailable when it did not or when
// the server cannot be asked before ctx ends.
func Settle(ctx context.Context, pool *pgxpool.Pool, xid int64, cerr error, logger *slog.Logger) error {
	for {
		var status *string
		err := pool.QueryRow(ctx, `SELECT txid_status($1)`, xid).Scan(&status)
		switch {
		case err == nil && status != nil && *status == "committed":
			if logger != nil {
				logger.Warn("a commit's answer was lost; the server says it committed", "xid", xid, "err", cerr)
			}
			return nil
		case err == nil && (status == nil || *status == "aborted"):
			return fmt.Errorf("committing write transaction: %w", Classify(cerr))
		}
		// in progress (the server has not seen the connection go yet), or unreachable
		select {
		case <-ctx.Done():
			return fmt.Errorf("committing write transaction: the outcome is unknown: %w", Classify(cerr))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
