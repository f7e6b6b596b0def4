package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// Helpers of the tests of repairs, stops, quality, OEE and margins. The orders, work orders,
// operations and events these read are put in with plain SQL through the store's pool, so that
// these tests stand on their own methods only.

// repairT0 is the time the fixtures start at: 08:00 UTC on a Monday, with microseconds.
var repairT0 = time.Date(2026, 11, 2, 8, 0, 0, 123000, time.UTC)

// openRepairStore opens a store on a fresh database; it is closed when the test ends. It
// returns the database's URL too, to open it again.
func openRepairStore(t testing.TB) (*Store, string) {
	t.Helper()
	url := pgtest.URL(t)
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

func writeOK(t testing.TB, s *Store, fn func(book.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func readOK(t testing.TB, s *Store, fn func(book.ReadTx) error) {
	t.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// sqlOK runs statements on the store's database outside any book transaction.
func sqlOK(t testing.TB, s *Store, sql string, args ...any) {
	t.Helper()
	if _, err := s.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// seedOp is an operation of a seeded work order.
type seedOp struct {
	capability, cell string
	state            book.State
	quantity         int
	unitTime         time.Duration
	scrapped, done   int
	endedAt          *time.Time
	reworkOf         int64
}

// seededWorkOrder is what seedWorkOrder stored.
type seededWorkOrder struct {
	id  int64
	ops []int64
}

// seedWorkOrder stores an order of drop and sku, its work order in state and its operations in
// seq order, counting the operations in state_counts as the store would.
func seedWorkOrder(t testing.TB, s *Store, orderID, drop, sku string, state book.WorkOrderState, ops []seedOp) seededWorkOrder {
	t.Helper()
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	at := micros(repairT0)
	if _, err := tx.Exec(ctx, `INSERT INTO orders (order_id, drop_id, sku, quantity, customer, priority, due, notes, hash, intake_at, batch)
		VALUES ($1, $2, $3, 1, 'Ana', 0, $4, '', '', $4, '')`, orderID, drop, sku, at); err != nil {
		t.Fatal(err)
	}
	var w seededWorkOrder
	if err := tx.QueryRow(ctx, `INSERT INTO work_orders (order_id, drop_id, sku, quantity, priority, due, state, intake_at)
		VALUES ($1, $2, $3, 1, 0, $4, $5, $4) RETURNING id`, orderID, drop, sku, at, string(state)).Scan(&w.id); err != nil {
		t.Fatal(err)
	}
	for seq, op := range ops {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO operations (work_order, seq, step, name, capability, quantity, unit_time_ns, setup_ns,
				changeover_attr, changeover_value, state, cell, reason, scrapped, units_done, ended_at, version, due, priority, rework_of)
			VALUES ($1, $2, $2, $3, $3, $4, $5, 0, '', '', $6, $7, '', $8, $9, $10, 0, $11, 0, $12) RETURNING id`,
			w.id, seq, op.capability, op.quantity, int64(op.unitTime), string(op.state), op.cell, op.scrapped, op.done,
			nullMicros(op.endedAt), at, nullID(op.reworkOf)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO state_counts (entity, state, n) VALUES ('operation', $1, 1)
			ON CONFLICT (entity, state) DO UPDATE SET n = state_counts.n + 1`, string(op.state)); err != nil {
			t.Fatal(err)
		}
		w.ops = append(w.ops, id)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// seedEvent stores an event of an operation at a cell and returns its id.
func seedEvent(t testing.TB, s *Store, e book.Event) int64 {
	t.Helper()
	var id int64
	var cell any
	if e.Cell != "" {
		cell = e.Cell
	}
	if err := s.pool.QueryRow(context.Background(), `INSERT INTO events (at, actor, kind, cell, drop_id, order_id, work_order, operation,
			from_state, to_state, reason, quantity, batch)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '') RETURNING id`,
		micros(e.At), e.Actor, e.Kind, cell, e.Drop, e.OrderID, nullID(e.WorkOrder), nullID(e.Operation),
		string(e.From), string(e.To), e.Reason, e.Quantity).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// operationCounts reads state_counts of operations.
func operationCounts(t testing.TB, s *Store) map[book.State]int64 {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT state, n FROM state_counts WHERE entity = 'operation'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[book.State]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		out[book.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// explain returns the plan of a statement as PostgreSQL would run it on the rows there are,
// as one text.
func explain(t testing.TB, s *Store, sql string, args ...any) string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan += line + "\n"
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
