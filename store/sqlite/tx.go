package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// readTx implements book.ReadTx on one SQL transaction.
type readTx struct {
	ctx context.Context
	tx  *sql.Tx
	// stmts are the statements prepared in this transaction, by their SQL text, so that a
	// statement run many times (an import) is prepared once.
	stmts map[string]*sql.Stmt
	// pending is what a write transaction adds to the derived tables at commit; nil in a
	// read transaction.
	pending *pending
}

var _ book.ReadTx = (*readTx)(nil)

func newReadTx(ctx context.Context, tx *sql.Tx) *readTx {
	return &readTx{ctx: ctx, tx: tx, stmts: make(map[string]*sql.Stmt)}
}

// writeTx implements book.Tx on one SQL transaction.
type writeTx struct {
	*readTx
	// nextOperationID is the id of the next operation inserted; 0 until the first insert.
	// The write transaction holds the database's write lock, so nobody else takes ids.
	nextOperationID int64
}

var _ book.Tx = (*writeTx)(nil)

func newWriteTx(ctx context.Context, tx *sql.Tx) *writeTx {
	r := newReadTx(ctx, tx)
	r.pending = &pending{
		units:  make(map[dropSKU]int),
		counts: make(map[entityState]int),
	}
	return &writeTx{readTx: r}
}

// pending holds the changes to the derived tables drop_units and state_counts made by a write
// transaction. They are summed in memory and written once at commit: updating them with every
// insert (or from a trigger) would cost an import a statement per row.
type pending struct {
	units  map[dropSKU]int
	counts map[entityState]int
}

type dropSKU struct{ drop, sku string }

// entityState is a row of state_counts.
type entityState struct{ entity, state string }

const (
	entityWorkOrder = "work_order"
	entityOperation = "operation"
)

// flush writes the pending changes to the derived tables.
func (t *writeTx) flush() error {
	for k, n := range t.pending.units {
		if n == 0 {
			continue
		}
		if _, err := t.exec(`INSERT INTO drop_units (drop_id, sku, units) VALUES (?, ?, ?)
			ON CONFLICT (drop_id, sku) DO UPDATE SET units = units + excluded.units`,
			k.drop, k.sku, n); err != nil {
			return fmt.Errorf("adding %d units of %q to drop %q: %w", n, k.sku, k.drop, err)
		}
	}
	clear(t.pending.units)
	for k, n := range t.pending.counts {
		if n == 0 {
			continue
		}
		if _, err := t.exec(`INSERT INTO state_counts (entity, state, n) VALUES (?, ?, ?)
			ON CONFLICT (entity, state) DO UPDATE SET n = n + excluded.n`,
			k.entity, k.state, n); err != nil {
			return fmt.Errorf("counting %s in state %q: %w", k.entity, k.state, err)
		}
	}
	clear(t.pending.counts)
	return nil
}

// stmt returns the statement of query, preparing it the first time.
func (t *readTx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("preparing statement: %w", err)
	}
	t.stmts[query] = s
	return s, nil
}

func (t *readTx) exec(query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

func (t *readTx) query(query string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(t.ctx, args...)
}

// queryRow runs a query of one row; an error preparing it comes out of Scan.
func (t *readTx) queryRow(query string, args ...any) scanner {
	s, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(t.ctx, args...)
}

// errRow is a row that failed before it was read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect reads all rows with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// placeholders returns "?, ?, ?" for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// sqlLimit is a LIMIT value: SQLite reads a negative limit as none.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// micros is t as stored: unix microseconds. Finer precision is lost.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the time stored as us, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros is *t as stored, NULL for nil.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// fromNullMicros is the nullable time stored as v.
func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullString stores "" as NULL, for the columns that partial indexes leave out when empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt64 stores 0 as NULL, for the columns that partial indexes leave out when empty.
func nullInt64(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// isUniqueViolation reports whether err is the violation of a primary key or unique index.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
