package postgres

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// oeeFixture is SCARF x3 at weave-1 (20 min a unit) in drop winter: started 08:00, its machine
// counts 1 at 09:00, a person scraps 1 at 09:30 and completes the last one at 10:00; its check
// failed (a non-conformance). A rework operation of it completes at 10:30 at weave-1; an
// operation at dye-1 of drop summer is scrapped whole at 10:45; an event with no cell counts
// nothing. It returns the ids of the operations: weave, rework, dye.
func oeeFixture(t *testing.T, s *Store) (weave, rework, dye int64) {
	t.Helper()
	at := func(m int) time.Time { return repairT0.Add(time.Duration(m) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	w := seedWorkOrder(t, s, "S1", "winter", "SCARF", book.WorkOpen, []seedOp{
		{capability: "weave", cell: "weave-1", state: book.Done, quantity: 3, unitTime: 20 * time.Minute, scrapped: 1, done: 1, endedAt: ptr(at(120))},
		{capability: "pack", state: book.Pending, quantity: 3},
	})
	weave = w.ops[0]
	rw := seedWorkOrder(t, s, "S2", "winter", "SCARF", book.WorkOpen, []seedOp{
		{capability: "weave", cell: "weave-1", state: book.Done, quantity: 1, unitTime: 20 * time.Minute, endedAt: ptr(at(150)), reworkOf: weave},
	})
	rework = rw.ops[0]
	d := seedWorkOrder(t, s, "T1", "summer", "TOTE", book.WorkOpen, []seedOp{
		{capability: "dye", cell: "dye-1", state: book.Scrapped, quantity: 2, unitTime: time.Minute, scrapped: 2, endedAt: ptr(at(165))},
	})
	dye = d.ops[0]
	ev := func(m int, kind, cell string, op int64, from, to book.State, q int) {
		seedEvent(t, s, book.Event{At: at(m), Actor: "cell:" + cell, Kind: kind, Cell: cell, Drop: "winter", Operation: op,
			From: from, To: to, Quantity: q})
	}
	ev(0, book.EventOperation, "weave-1", weave, book.Queued, book.Running, 0)
	ev(60, book.EventOperationProgress, "weave-1", weave, "", "", 1)
	ev(90, book.EventOperationScrap, "weave-1", weave, "", "", 1)
	ev(120, book.EventOperation, "weave-1", weave, book.Running, book.Done, 0)
	ev(125, book.EventOperationProgress, "", weave, "", "", 5)
	ev(130, book.EventOperation, "weave-1", rework, book.Queued, book.Running, 0)
	ev(150, book.EventOperation, "weave-1", rework, book.Running, book.Done, 0)
	ev(160, book.EventOperation, "dye-1", dye, book.Queued, book.Running, 0)
	ev(165, book.EventOperation, "dye-1", dye, book.Running, book.Scrapped, 2)
	sqlOK(t, s, `INSERT INTO checks (operation, work_order, cell, sku, step, units, outcomes, passed, by_actor, at)
		VALUES ($1, $2, 'weave-1', 'SCARF', 0, 3, '[]', 0, 'person:ana', 0)`, weave, w.id)
	sqlOK(t, s, `INSERT INTO nonconformances (check_id, operation, work_order, cell, sku, failed, state, opened_at, opened_by, note)
		SELECT id, operation, work_order, cell, sku, '[]', 'open', 0, 'person:ana', '' FROM checks`)
	return weave, rework, dye
}

// TestUnitCounts: progress counts what it added, a completion what its operation had not
// counted, a scrap what it scrapped, and a whole scrap the units left; a scrap after a good unit
// before the window knows of it; the window is [from, to); a cell narrows it; an event with no
// cell counts nothing.
func TestUnitCounts(t *testing.T) {
	s, _ := openRepairStore(t)
	weave, rework, dye := oeeFixture(t, s)
	at := func(m int) time.Time { return repairT0.Add(time.Duration(m) * time.Minute) }
	unit := 20 * time.Minute
	progress := book.UnitCount{At: at(60), Cell: "weave-1", Operation: weave, Done: 1, UnitTime: unit, Failed: true}
	scrap := book.UnitCount{At: at(90), Cell: "weave-1", Operation: weave, Scrapped: 1, UnitTime: unit, Failed: true}
	done := book.UnitCount{At: at(120), Cell: "weave-1", Operation: weave, Done: 1, UnitTime: unit, Failed: true}
	reworked := book.UnitCount{At: at(150), Cell: "weave-1", Operation: rework, Done: 1, UnitTime: unit, Rework: true}
	scrapped := book.UnitCount{At: at(165), Cell: "dye-1", Operation: dye, Scrapped: 2, UnitTime: time.Minute}
	scrapAfterGood := scrap
	scrapAfterGood.GoodBefore = true
	for _, tc := range []struct {
		name     string
		from, to time.Time
		cell     string
		want     []book.UnitCount
	}{
		{name: "the morning", from: at(0), to: at(240), want: []book.UnitCount{progress, scrap, done, reworked, scrapped}},
		{name: "after the first good unit", from: at(75), to: at(240), cell: "weave-1", want: []book.UnitCount{scrapAfterGood, done, reworked}},
		{name: "half open", from: at(60), to: at(120), want: []book.UnitCount{progress, scrap}},
		{name: "a cell", from: at(0), to: at(240), cell: "dye-1", want: []book.UnitCount{scrapped}},
		{name: "no cell of that name", from: at(0), to: at(240), cell: "pack-1"},
		{name: "before", from: at(-60), to: at(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readOK(t, s, func(tx book.ReadTx) error {
				got, err := tx.UnitCounts(tc.from, tc.to, tc.cell)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("UnitCounts =\n%+v\nwant\n%+v", got, tc.want)
				}
				return nil
			})
		})
	}
}

// TestEndedOperations: the operations that completed or were scrapped in [from, to), with their
// SKU, by id; a scrapped one has no good units; one with no cell is not read.
func TestEndedOperations(t *testing.T) {
	s, _ := openRepairStore(t)
	weave, rework, dye := oeeFixture(t, s)
	at := func(m int) time.Time { return repairT0.Add(time.Duration(m) * time.Minute) }
	sqlOK(t, s, `UPDATE operations SET ended_at = $1, state = 'done' WHERE capability = 'pack'`, micros(at(130)))
	all := []book.EndedOperation{
		{ID: weave, Cell: "weave-1", SKU: "SCARF", Ended: at(120), Done: 2, Scrapped: 1, Failed: true},
		{ID: rework, Cell: "weave-1", SKU: "SCARF", Ended: at(150), Done: 1, Rework: true},
		{ID: dye, Cell: "dye-1", SKU: "TOTE", Ended: at(165), Done: 0, Scrapped: 2},
	}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []book.EndedOperation
	}{
		{name: "the morning", from: at(0), to: at(240), want: all},
		{name: "half open", from: at(120), to: at(165), want: all[:2]},
		{name: "none", from: at(166), to: at(240)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readOK(t, s, func(tx book.ReadTx) error {
				got, err := tx.EndedOperations(tc.from, tc.to)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("EndedOperations =\n%+v\nwant\n%+v", got, tc.want)
				}
				return nil
			})
		})
	}
}

// TestOEEAndMarginPlans: on a year of a floor's work (orders, operations and their events), a
// day's unit counts are read through the index of events by kind and time, a day's ended
// operations through the index of ends, a drop's operations through its work orders and their
// operations' key, and its running times through each operation's events: never every event
// or every operation. (The smaller tables joined to a window's rows, work orders and
// non-conformances, may be hashed whole where the planner finds it cheaper.)
func TestOEEAndMarginPlans(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
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
	s, raw := openRepairStore(t)
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
	}{{s, "off"}, {openURL(t, u.String()), "on"}} {
		var jit string
		err := tc.s.Read(context.Background(), func(book.ReadTx) error {
			return tc.s.pool.QueryRow(context.Background(), `SHOW jit`).Scan(&jit)
		})
		if err != nil || jit != tc.want {
			t.Errorf("jit = %q, %v; want %s", jit, err, tc.want)
		}
	}
}

// openURL opens a store at url; it is closed when the test ends.
func openURL(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
