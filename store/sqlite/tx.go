package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// readTx implements book.ReadTx on one SQL transaction, begun on a *sql.Conn.
type readTx struct {
	// ctx is the caller's context: when it ends, the next statement or row fails with its
	// error (see check and collect).
	ctx context.Context
	// sqlCtx is ctx without its cancellation, the only context the driver sees (see conn.go).
	sqlCtx context.Context
	conn   *sql.Conn
	// stmts are the statements prepared on conn in this transaction, by their SQL text (in a
	// batch, in the open one of its transactions: each has a connection of its own, see
	// release). The driver compiles the SQL at every run all the same (see buffer.go), so
	// this saves only the Go side.
	stmts map[string]*sql.Stmt
	// w is the write transaction whose reads these are; nil in a read transaction.
	w *writeTx
	// pending is the batch being written, whose rows the transaction does not see (vis); nil
	// when there is none. Read at the start of the transaction (see batch.go).
	pending *pendingBatch
	vis     horizon
}

var _ book.ReadTx = (*readTx)(nil)

func newReadTx(ctx context.Context, conn *sql.Conn) *readTx {
	return &readTx{ctx: ctx, sqlCtx: quiet(ctx), conn: conn, stmts: make(map[string]*sql.Stmt), vis: everything}
}

// start reads the pending batch, if any, whose rows the transaction must not see. It is the
// first statement of the transaction, so the batch it finds belongs to the transaction's
// snapshot.
func (t *readTx) start() error {
	p, err := readPending(t.ctx, t.conn)
	if err != nil {
		return err
	}
	t.pending, t.vis = p, p.horizon()
	return nil
}

// check returns the error of the caller's context once it has ended: the transaction stops
// at the next statement, as the driver is not allowed to stop it (see conn.go).
func (t *readTx) check() error { return t.ctx.Err() }

// close closes the statements of the transaction.
func (t *readTx) close() error {
	var errs []error
	for q, s := range t.stmts {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
		delete(t.stmts, q)
	}
	return errors.Join(errs...)
}

// sync sends the rows a write transaction holds back to SQLite, so that a statement sees them.
func (t *readTx) sync() error {
	if t.w == nil {
		return nil
	}
	return t.w.flush()
}

// sawOperations records the stored state and version of operations read in a write
// transaction, so that updating them needs no statement (see writeTx.ops).
func (t *readTx) sawOperations(ops []book.Operation) {
	if t.w == nil {
		return
	}
	for _, op := range ops {
		t.w.ops[op.ID] = opVersion{state: op.State, version: op.Version}
	}
}

// sawQueueEntries is sawOperations for queue entries.
func (t *readTx) sawQueueEntries(entries []book.QueueEntry) {
	if t.w == nil {
		return
	}
	for _, e := range entries {
		t.w.ops[e.ID] = opVersion{state: e.State, version: e.Version}
	}
}

// writeTx implements book.Tx on one SQL transaction, begun on a *sql.Conn.
//
// It holds back the rows that InsertOrder, InsertWorkOrder and AppendEvent insert and the
// changes of UpdateOperation, and sends them to SQLite in multi-row statements (see
// buffer.go): before any statement of its own (a read, UpdateWorkOrder, PutIdempotency),
// so that the statement sees them; when enough have gathered; and at commit. The ids of new
// rows are handed out by the transaction itself, after the largest stored, which no one else
// can change while the transaction holds the write lock.
type writeTx struct {
	*readTx
	// err is the error of a failed flush: the rows held back are lost, so every later method
	// and the commit fail with it.
	err error
	// rolledBack tells that SQLite has rolled the transaction back, at a failed batch.
	rolledBack bool

	// the rows held back, by table, in the order they are sent: parents before children
	orders, workOrders, operations, opUpdates, events rowBuffer
	// orderIDs are the ids of the orders inserted by the transaction, to refuse one twice
	// without asking SQLite.
	orderIDs map[string]struct{}
	// updateAt is the row of opUpdates of an operation id: a second change of an operation
	// replaces the first in the buffer, as a statement may change a row only once.
	updateAt map[int64]int

	// ops are the stored state and version, as they are once the rows held back are sent, of
	// the operations that this transaction read or changed. UpdateOperation checks a change
	// against them without a statement, and counts the state it leaves. They stay true: the
	// transaction holds the write lock and every change of an operation's state or version
	// goes through UpdateOperation.
	ops map[int64]opVersion

	// the next ids to hand out; 0 until read from the database
	nextWorkOrder, nextOperation, nextEvent int64

	// chunk, in a batch (see batch.go), runs the statements in transactions of its own; nil
	// in a Write, whose statements run in the one transaction of conn.
	chunk *chunker

	// units and counts are what the transaction adds to the derived tables drop_units and
	// state_counts. They are summed in memory and written once at commit: updating them with
	// every row (or from a trigger) would cost a statement per row, or a trigger compiled into
	// every statement that changes a state.
	units  map[dropSKU]int
	counts map[entityState]int
}

// opVersion is the state and version of a stored operation.
type opVersion struct {
	state   book.State
	version int64
}

var _ book.Tx = (*writeTx)(nil)

func newWriteTx(ctx context.Context, conn *sql.Conn) *writeTx {
	t := &writeTx{
		readTx:     newReadTx(ctx, conn),
		orders:     rowBuffer{table: ordersTable},
		workOrders: rowBuffer{table: workOrdersTable},
		operations: rowBuffer{table: operationsTable},
		opUpdates:  rowBuffer{table: operationUpdatesTable},
		events:     rowBuffer{table: eventsTable},
		orderIDs:   make(map[string]struct{}),
		updateAt:   make(map[int64]int),
		ops:        make(map[int64]opVersion),
		units:      make(map[dropSKU]int),
		counts:     make(map[entityState]int),
	}
	t.readTx.w = t
	return t
}

type dropSKU struct{ drop, sku string }

// entityState is a row of state_counts.
type entityState struct{ entity, state string }

const (
	entityWorkOrder = "work_order"
	entityOperation = "operation"
)

// commit sends the rows held back and the changes to the derived tables, before COMMIT.
func (t *writeTx) commit() error {
	if err := t.flush(); err != nil {
		return err
	}
	for k, n := range t.units {
		if n == 0 {
			continue
		}
		if _, err := t.exec(`INSERT INTO drop_units (drop_id, sku, units) VALUES (?, ?, ?)
			ON CONFLICT (drop_id, sku) DO UPDATE SET units = units + excluded.units`,
			k.drop, k.sku, n); err != nil {
			return fmt.Errorf("adding %d units of %q to drop %q: %w", n, k.sku, k.drop, err)
		}
	}
	clear(t.units)
	for k, n := range t.counts {
		if n == 0 {
			continue
		}
		if _, err := t.exec(`INSERT INTO state_counts (entity, state, n) VALUES (?, ?, ?)
			ON CONFLICT (entity, state) DO UPDATE SET n = n + excluded.n`,
			k.entity, k.state, n); err != nil {
			return fmt.Errorf("counting %s in state %q: %w", k.entity, k.state, err)
		}
	}
	clear(t.counts)
	return nil
}

// stmt returns the statement of query, preparing it the first time.
func (t *readTx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.conn.PrepareContext(t.sqlCtx, query)
	if err != nil {
		return nil, fmt.Errorf("preparing statement: %w", err)
	}
	t.stmts[query] = s
	return s, nil
}

// exec runs a statement, after the rows a write transaction holds back.
func (t *readTx) exec(query string, args ...any) (sql.Result, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if err := t.sync(); err != nil {
		return nil, err
	}
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.sqlCtx, args...)
}

// query runs a query, after the rows a write transaction holds back.
func (t *readTx) query(query string, args ...any) (*sql.Rows, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if err := t.sync(); err != nil {
		return nil, err
	}
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(t.sqlCtx, args...)
}

// queryRow runs a query of one row, after the rows a write transaction holds back; an error
// before it ran comes out of Scan.
func (t *readTx) queryRow(query string, args ...any) scanner {
	if err := t.check(); err != nil {
		return errRow{err}
	}
	if err := t.sync(); err != nil {
		return errRow{err}
	}
	s, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(t.sqlCtx, args...)
}

// errRow is a row that failed before it was read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// checkEvery is how many rows collect reads between two looks at the caller's context.
const checkEvery = 256

// collect reads all rows with scan. It stops with ctx's error once ctx has ended: the driver
// does not stop a query for it (see conn.go).
func collect[T any](ctx context.Context, rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for n := 0; rows.Next(); n++ {
		if n%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
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

// isConstraint reports whether err is an SQLite error of one of the extended result codes
// given, or of any constraint when none are.
func isConstraint(err error, codes ...int) bool {
	// *sqlite.Error of the driver
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return false
	}
	if len(codes) == 0 {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	return slices.Contains(codes, se.Code())
}
