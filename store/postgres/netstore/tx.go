package netstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// readTx implements network.ReadTx on one transaction.
type readTx struct {
	ctx context.Context
	tx  pgx.Tx
}

// writeTx implements network.Tx on one transaction that holds the write lock.
type writeTx struct {
	readTx
}

var (
	_ network.ReadTx = (*readTx)(nil)
	_ network.Tx     = (*writeTx)(nil)
)

// query runs a statement that returns rows and reads each with scan; the error is classified.
// A text argument holding a NUL byte, which no stored text holds, selects nothing.
func query[T any](t *readTx, scan func(pgx.Rows) (T, error), sql string, args ...any) ([]T, error) {
	args, none := pgutil.WithoutNUL(args)
	if none {
		return nil, nil
	}
	rows, err := t.tx.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, pgutil.Classify(err)
	}
	return pgutil.Collect(rows, scan)
}

// exec runs a statement that returns no rows; the error is classified. A text argument that
// holds a NUL byte, which PostgreSQL cannot store, is refused with errNUL.
func (t *writeTx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	if _, none := pgutil.WithoutNUL(args); none {
		return pgconn.CommandTag{}, errNUL
	}
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	return tag, pgutil.Classify(err)
}

// nullTime stores t as unix microseconds, NULL for the zero time.
func nullTime(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	us := pgutil.Micros(t)
	return &us
}

// fromNull is the time stored as us, the zero time for NULL.
func fromNull(us *int64) time.Time {
	if us == nil {
		return time.Time{}
	}
	return pgutil.FromMicros(*us)
}

// errNUL refuses a text that holds a NUL byte, which PostgreSQL cannot store.
var errNUL = errors.New("a text holds a NUL byte, which the store cannot hold")

// wrap names what failed around err.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
