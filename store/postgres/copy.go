package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/internal/pgutil"
)

var (
	// ErrNotEmpty is returned, wrapped, by CopyFrom when the database already holds rows in a
	// table it would copy into: copying a book onto another would mix the two.
	ErrNotEmpty = errors.New("the database already holds a book")
	// ErrMismatch is returned, wrapped, by CopyFrom when a table's copy does not read back as
	// its source: rows differ in number or in content.
	ErrMismatch = errors.New("the copy differs from its source")
)

// TableCopy is what CopyFrom copied of one table: its rows, and the checksum both sides gave.
type TableCopy struct {
	Table string
	Rows  int64
	// Checksum is the hex SHA-256 of the table's rows in primary-key order, each value encoded
	// canonically (see encodeValue); generated columns are left out.
	Checksum string
}

// copier is one CopyFrom: the source's connection, inside its read transaction, and a hook
// that tests use to change the target between the copy and the check.
type copier struct {
	src *sql.Tx
	// autoincrement is SQLite's sqlite_sequence: the largest id each AUTOINCREMENT table gave.
	autoincrement map[string]int64
	// beforeCheck, when set, runs in the target's transaction after the copy.
	beforeCheck func(ctx context.Context, tx pgx.Tx) error
}

// CopyFrom copies the SQLite book src (a read-only handle, see sqlite.Source) into this
// database, which must hold no book yet, and checks the copy: every table's row count and
// checksum, read back from PostgreSQL, must equal the source's. The whole copy is one
// transaction, under the write lock, committed only when every table checks: a failure or a
// mismatch leaves the database as it was. The source is read in one transaction, a snapshot.
//
// Every table of the PostgreSQL schema is copied column for column, generated columns left
// out; the source must have the same tables (SQLite's pending_batch aside, which must be
// empty) and columns. Rows are streamed with COPY, so memory stays bounded whatever the
// size of the book. Identity sequences are set past the largest id copied, or past SQLite's
// AUTOINCREMENT counter where that is larger, so that new rows take the ids SQLite would
// have given them.
func (s *Store) CopyFrom(ctx context.Context, src *sql.DB) ([]TableCopy, error) {
	return s.copyFrom(ctx, src, nil)
}

func (s *Store) copyFrom(ctx context.Context, src *sql.DB, beforeCheck func(context.Context, pgx.Tx) error) ([]TableCopy, error) {
	select {
	case s.writeMu <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("copying: waiting for the write lock: %w", ctx.Err())
	}
	unlock := s.unlocker()
	defer unlock()
	// the SQLite driver must not see a context it can cancel mid-statement: ctx is checked
	// between rows instead
	stx, err := src.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("copying: beginning the source's read transaction: %w", err)
	}
	defer stx.Rollback()
	c := &copier{src: stx, beforeCheck: beforeCheck}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copying: beginning transaction: %w", classify(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var xid int64
	if err := tx.QueryRow(ctx, `SELECT txid_current(), pg_advisory_xact_lock($1)`, writeLock).Scan(&xid, nil); err != nil {
		return nil, fmt.Errorf("copying: taking the write lock: %w", classify(err))
	}
	copies, err := c.run(ctx, tx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, changesChannel, s.id); err != nil {
		return nil, fmt.Errorf("copying: %w", classify(err))
	}
	if err := pgutil.Commit(ctx, s.pool, tx, xid, "the copy", s.logger, unlock); err != nil {
		return nil, fmt.Errorf("copying: %w", err)
	}
	return copies, nil
}

// run copies every table, sets the identity sequences and checks every table, in tx.
func (c *copier) run(ctx context.Context, tx pgx.Tx) ([]TableCopy, error) {
	tables, err := targetTables(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("copying: reading the target's schema: %w", classify(err))
	}
	if err := refuseBook(ctx, tx, tables); err != nil {
		return nil, fmt.Errorf("copying: %w", err)
	}
	if err := c.checkSource(ctx, tables); err != nil {
		return nil, fmt.Errorf("copying: %w", err)
	}
	sums := make(map[string]tableSum, len(tables))
	for _, t := range tables {
		sum, err := c.copyTable(ctx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copying table %s: %w", t.name, err)
		}
		sums[t.name] = sum
	}
	if err := c.setSequences(ctx, tx, tables); err != nil {
		return nil, fmt.Errorf("copying: %w", err)
	}
	if c.beforeCheck != nil {
		if err := c.beforeCheck(ctx, tx); err != nil {
			return nil, err
		}
	}
	copies := make([]TableCopy, 0, len(tables))
	for _, t := range tables {
		got, err := checkTable(ctx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("checking table %s: %w", t.name, err)
		}
		want := sums[t.name]
		if got != want {
			return nil, fmt.Errorf("checking table %s: the source has %d rows (checksum %s), the copy %d (checksum %s): %w",
				t.name, want.rows, want.hex(), got.rows, got.hex(), ErrMismatch)
		}
		copies = append(copies, TableCopy{Table: t.name, Rows: got.rows, Checksum: got.hex()})
	}
	return copies, nil
}
