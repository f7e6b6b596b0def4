package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// readTx implements book.ReadTx on one transaction.
type readTx struct {
	ctx context.Context
	tx  pgx.Tx
	// w is the write transaction whose reads these are; nil in a read transaction.
	w *writeTx
}

func newReadTx(ctx context.Context, tx pgx.Tx) *readTx {
	return &readTx{ctx: ctx, tx: tx}
}

// query runs a statement that returns rows; the error is classified (see classify). A text
// argument holding a NUL byte, which no PostgreSQL text can hold, selects nothing (see
// withoutNUL).
func (t *readTx) query(sql string, args ...any) (pgx.Rows, error) {
	args, none := pgutil.WithoutNUL(args)
	if none {
		return noRows{}, nil
	}
	rows, err := t.tx.Query(t.ctx, sql, args...)
	return rows, classify(err)
}

// queryRow runs a statement that returns at most one row; its Scan returns pgx.ErrNoRows when
// there is none, and when a text argument holds a NUL byte (see pgutil.WithoutNUL).
func (t *readTx) queryRow(sql string, args ...any) pgx.Row {
	args, none := pgutil.WithoutNUL(args)
	if none {
		return noRows{}
	}
	return classifiedRow{t.tx.QueryRow(t.ctx, sql, args...)}
}

// noRows is the answer of a read that can find nothing.
type noRows struct{}

func (noRows) Close()                                       {}
func (noRows) Err() error                                   { return nil }
func (noRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (noRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (noRows) Next() bool                                   { return false }
func (noRows) Scan(...any) error                            { return pgx.ErrNoRows }
func (noRows) Values() ([]any, error)                       { return nil, pgx.ErrNoRows }
func (noRows) RawValues() [][]byte                          { return nil }
func (noRows) Conn() *pgx.Conn                              { return nil }
func (noRows) TypeMap() *pgtype.Map                         { return nil }

type classifiedRow struct{ pgx.Row }

func (r classifiedRow) Scan(dest ...any) error { return classify(r.Row.Scan(dest...)) }

// collect reads every row of rows with scan, closing rows (see pgutil.Collect).
func collect[T any](rows pgx.Rows, scan func(pgx.Rows) (T, error)) ([]T, error) {
	return pgutil.Collect(rows, scan)
}

// writeTx implements book.Tx on one transaction that holds the write lock.
type writeTx struct {
	*readTx
	// derived are the transaction's changes to state_counts and drop_units, written at
	// commit (see commit.go).
	derived
}

var (
	_ book.ReadTx = (*readTx)(nil)
	_ book.Tx     = (*writeTx)(nil)
)

func newWriteTx(ctx context.Context, tx pgx.Tx) *writeTx {
	t := &writeTx{readTx: newReadTx(ctx, tx)}
	t.readTx.w = t
	return t
}

// exec runs a statement that returns no rows.
func (t *writeTx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	return tag, classify(err)
}

// micros is t as stored: unix microseconds.
func micros(t time.Time) int64 { return pgutil.Micros(t) }

// microsAtLeast is the first stored time at or after t (see pgutil.MicrosAtLeast).
func microsAtLeast(t time.Time) int64 { return pgutil.MicrosAtLeast(t) }

// fromMicros is the time stored as us, in UTC.
func fromMicros(us int64) time.Time { return pgutil.FromMicros(us) }

// nullMicros is *t as stored, NULL for nil.
func nullMicros(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

// fromNullMicros is the nullable time stored as us.
func fromNullMicros(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := fromMicros(*us)
	return &t
}

// wrap names what failed around err.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
