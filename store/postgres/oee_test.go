package postgres

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestOEEAndMarginPlans: on a year of a floor's work (orders, operations and their events), a
// day's unit counts are read through the index of events by kind and time, a day's ended
// operations through the index of ends, a drop's operations through its work orders and their
// operations' key, and its running times through each operation's events: never every event
// or every operation. (The smaller tables joined to a window's rows, work orders and
// non-conformances, may be hashed whole where the planner finds it cheaper.)
func TestOEEAndMarginPlans(t *testing.T) {
	s, _ := openTest(t)
	t0 := t0
	// 10,950 work orders (30 a day, a drop a day) of 3 operations, each with 4 events
	sqlOK(t, s, `INSERT INTO orders (order_id, drop_id, sku, quantity, customer, priority, due, notes, hash, intake_at, batch)
		SELECT 'O' || i, 'drop-' || (i / 30), 'SKU', 1, '', 0, 0, '', '', 0, '' FROM generate_series(0, 10949) i`)
	sqlOK(t, s, `INSERT INTO work_orders (order_id, drop_id, sku, quantity, priority, due, state, intake_at)
		SELECT 'O' || i, 'drop-' || (i / 30), 'SKU', 1, 0, 0, 'done', 0 FROM generate_series(0, 10949) i`)
	sqlOK(t, s, `INSERT INTO operations (work_order, seq, name, capability, quantity, unit_time_ns, setup_ns, changeover_attr,
			changeover_value, state, cell, reason, scrapped, ended_at, version, due, priority)
		SELECT w.id, k, 'op', 'cap', 1, 1000, 0, '', '', 'done', 'cell-' || k, '', 0,
			$1 + (w.id * 2880000000)::bigint + k * 60000000, 1, 0, 0
		FROM work_orders w CROSS JOIN generate_series(0, 2) k`, micros(t0))
	sqlOK(t, s, `INSERT INTO events (at, actor, kind, cell, drop_id, order_id, work_order, operation, from_state, to_state, reason, quantity, batch)
		SELECT o.ended_at - 60000000 + e * 10000000, 'cell', CASE WHEN e = 1 THEN 'operation.progress' ELSE 'operation.changed' END,
			o.cell, '', '', o.work_order, o.id,
			CASE e WHEN 0 THEN 'queued' WHEN 2 THEN 'running' WHEN 3 THEN 'running' ELSE '' END,
			CASE e WHEN 0 THEN 'running' WHEN 2 THEN 'paused' WHEN 3 THEN 'done' ELSE '' END, '', 1, ''
		FROM operations o CROSS JOIN generate_series(0, 3) e`)
	// a failed check every 100 operations
	sqlOK(t, s, `INSERT INTO checks (operation, work_order, cell, sku, step, units, outcomes, passed, by_actor, at)
		SELECT id, work_order, cell, 'SKU', seq, 1, '[]', 0, '', ended_at FROM operations WHERE id % 100 = 0`)
	sqlOK(t, s, `INSERT INTO nonconformances (check_id, operation, work_order, cell, sku, failed, state, opened_at, opened_by, note)
		SELECT id, operation, work_order, cell, sku, '[]', 'open', at, '', '' FROM checks`)
	sqlOK(t, s, `ANALYZE`)
	day := t0.Add(200 * 24 * time.Hour)
	unitCountsQuery := strings.Replace(unitCountsSQL, "%s", " AND e.cell || '' = $8", 1)
	for _, tc := range []struct {
		name, query string
		args        []any
		want        []string // each an index the plan uses, or one of a|b
	}{
		{name: "a day's unit counts", query: strings.Replace(unitCountsSQL, "%s", "", 1),
			args: []any{book.EventOperationScrap, "scrapped", book.EventOperationProgress, book.EventOperation, micros(day),
				micros(day.Add(24 * time.Hour)), "done"}, want: []string{"events_kind_at"}},
		{name: "a cell's day of unit counts", query: unitCountsQuery,
			args: []any{book.EventOperationScrap, "scrapped", book.EventOperationProgress, book.EventOperation, micros(day),
				micros(day.Add(24 * time.Hour)), "done", "cell-1"}, want: []string{"events_kind_at"}},
		{name: "a day's ended operations", query: endedOperationsSQL,
			args: []any{micros(day), micros(day.Add(24 * time.Hour)), "done", "scrapped"}, want: []string{"operations_ended"}},
		{name: "a drop's operations", query: marginOperationsSQL, args: []any{"drop-200"},
			want: []string{"work_orders_drop|work_orders_drop_state", "operations_work_order_seq_key"}},
		{name: "a drop's running times", query: marginRunsSQL, args: []any{"drop-200"},
			want: []string{"work_orders_drop|work_orders_drop_state", "events_operation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := explain(t, s, tc.query, tc.args...)
			for _, ixs := range tc.want { // one of the indexes a|b
				used := false
				for _, ix := range strings.Split(ixs, "|") {
					used = used || strings.Contains(plan, " "+ix+" ")
				}
				if !used {
					t.Errorf("plan does not use %s:\n%s", ixs, plan)
				}
			}
			if strings.Contains(plan, " events_cell ") {
				t.Errorf("plan reads a cell's events of every day:\n%s", plan)
			}
			for _, table := range []string{"events", "operations"} {
				if strings.Contains(plan, "Seq Scan on "+table+" ") {
					t.Errorf("plan reads every row of %s:\n%s", table, plan)
				}
			}
		})
	}
}

// TestReadsRunWithoutJIT: the store's sessions do not compile statements (see Open), unless
// the URL asks for it.
func TestReadsRunWithoutJIT(t *testing.T) {
	s, raw := openTest(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("jit", "on")
	u.RawQuery = q.Encode()
	for _, tc := range []struct {
		s    *Store
		want string
	}{{s, "off"}, {openAt(t, u.String()), "on"}} {
		var jit string
		err := tc.s.Read(context.Background(), func(book.ReadTx) error {
			return tc.s.pool.QueryRow(context.Background(), `SHOW jit`).Scan(&jit)
		})
		if err != nil || jit != tc.want {
			t.Errorf("jit = %q, %v; want %s", jit, err, tc.want)
		}
	}
}
