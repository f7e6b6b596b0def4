package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cellforge/cellforge/book"
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
	args, none := withoutNUL(args)
	if none {
		return noRows{}, nil
	}
	rows, err := t.tx.Query(t.ctx, sql, args...)
	return rows, classify(err)
}

// queryRow runs a statement that returns at most one row; its Scan returns pgx.ErrNoRows when
// there is none, and when a text argument holds a NUL byte (see withoutNUL).
func (t *readTx) queryRow(sql string, args ...any) pgx.Row {
	args, none := withoutNUL(args)
	if none {
		return noRows{}
	}
	return classifiedRow{t.tx.QueryRow(t.ctx, sql, args...)}
}

// withoutNUL deals with the texts of a read that hold a NUL byte. PostgreSQL refuses such a
// text outright, where SQLite compares it; no stored text holds one (the book never writes one,
// and a copied book refuses one), so it matches nothing, and a read that names one finds what
// SQLite finds rather than failing (a serial "%00" in a unit page's address is a 404). none
// tells that a text argument holds one: the read finds nothing. From a list of texts, those
// that hold one are left out, which changes nothing of what the list matches.
func withoutNUL(args []any) (out []any, none bool) {
	out = args
	cloned := false
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if holdsNUL(v) {
				return nil, true
			}
		case []string:
			if !slices.ContainsFunc(v, holdsNUL) {
				continue
			}
			if !cloned {
				out, cloned = slices.Clone(args), true
			}
			out[i] = slices.DeleteFunc(slices.Clone(v), holdsNUL)
		}
	}
	return out, false
}

func holdsNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

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

// collect reads every row of rows with scan, closing rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
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
func micros(t time.Time) int64 { return t.UnixMicro() }

// microsAtLeast is the first stored time at or after t: t rounded up to the microsecond, so
// that a stored time is >= it exactly when the time it stands for is >= t.
func microsAtLeast(t time.Time) int64 {
	us := t.UnixMicro() // rounds down: the nanoseconds of a Time are never negative
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

// fromMicros is the time stored as us, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

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
