package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestInsertOrderDuplicate checks that an order id stored twice fails the Write with
// ErrConflict and an error that names it, wherever the duplicate surfaces, and leaves
// nothing of the Write behind.
func TestInsertOrderDuplicate(t *testing.T) {
	stored, _, _, _ := storetest.Fixture("drop-1", 0)
	fresh, _, _, _ := storetest.Fixture("drop-1", 1)
	for _, tc := range []struct {
		name string
		fn   func(tx book.Tx) error
		// immediate tells that InsertOrder itself fails, rather than a later call or the commit
		immediate bool
	}{
		{"stored before, found at commit", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(stored)
		}, false},
		{"stored before, found at a read", func(tx book.Tx) error {
			if err := tx.InsertOrder(stored); err != nil {
				return err
			}
			_, err := tx.Orders([]string{stored.OrderID})
			return err
		}, false},
		{"twice in the Write", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
		{"twice in the Write, sent in between", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			if _, err := tx.DropUnits("drop-1"); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "cellforge.db"), slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			storetest.ImportOrders(t, s, "drop-1", 0, 1)
			var insertErr error
			err = s.Write(t.Context(), func(tx book.Tx) error {
				err := tc.fn(tx)
				insertErr = err
				return err
			})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("Write = %v, want ErrConflict", err)
			}
			if !strings.Contains(err.Error(), `"drop-1-000000`) {
				t.Errorf("error %q does not name the order", err)
			}
			if tc.immediate && insertErr == nil {
				t.Error("InsertOrder of an id twice in the Write succeeded")
			}
			storetest.MustRead(t, s, func(tx book.ReadTx) error {
				if got, _ := tx.Orders([]string{fresh.OrderID}); len(got) != 0 {
					t.Errorf("the failed Write stored %v", got)
				}
				if units, _ := tx.DropUnits("drop-1"); units[stored.SKU] != stored.Quantity || len(units) != 1 {
					t.Errorf("drop units after the failed Write = %v", units)
				}
				return nil
			})
			// the writer is healthy: not discarded, and usable
			if strings.Contains(log.String(), "discarding") {
				t.Errorf("the writer connection was discarded:\n%s", log.String())
			}
			storetest.ImportOrders(t, s, "drop-1", 1, 3)
		})
	}
}

// TestCounts checks the kept counts against counting the tables.
func TestCounts(t *testing.T) {
	s, _ := openTest(t)
	w := storetest.ImportOrders(t, s, "drop-1", 0, 5)
	storetest.QueueAt(t, s, "laser-1", map[*book.Operation]book.State{&w[0].Ops[0]: book.Running, &w[1].Ops[0]: book.Queued})
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		op := w[0].Ops[0]
		op.State = book.Done
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		wo := w[4].WO
		wo.State = book.WorkScrapped
		if err := tx.UpdateWorkOrder(wo); err != nil {
			return err
		}
		// counts inside the transaction include its changes
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		if wos[book.WorkScrapped] != 1 || ops[book.Done] != 1 || ops[book.Running] != 0 {
			t.Errorf("counts inside the Write: %v %v", wos, ops)
		}
		return nil
	})
	s.Write(t.Context(), func(tx book.Tx) error {
		o, wo, ops, _ := storetest.Fixture("drop-1", 99)
		tx.InsertOrder(o)
		tx.InsertWorkOrder(&wo, ops)
		return errors.New("abandoned")
	})

	wantWO := map[book.WorkOrderState]int{}
	wantOps := map[book.State]int{}
	count := func(table string, add func(state string, n int)) {
		rows, err := s.reader.Query("SELECT state, count(*) FROM " + table + " GROUP BY state")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			rows.Scan(&st, &n)
			add(st, n)
		}
	}
	count("work_orders", func(st string, n int) { wantWO[book.WorkOrderState(st)] = n })
	count("operations", func(st string, n int) { wantOps[book.State(st)] = n })
	if wantWO[book.WorkOpen] != 4 || wantOps[book.Pending] != 15 {
		t.Fatalf("fixture changed: %v %v", wantWO, wantOps)
	}

	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		// states that emptied count 0
		for st, n := range wos {
			if n == 0 {
				delete(wos, st)
			}
		}
		for st, n := range ops {
			if n == 0 {
				delete(ops, st)
			}
		}
		if !maps.Equal(wos, wantWO) {
			t.Errorf("work order counts = %v, want %v", wos, wantWO)
		}
		if !maps.Equal(ops, wantOps) {
			t.Errorf("operation counts = %v, want %v", ops, wantOps)
		}
		return nil
	})
}

// TestQueryPlans checks that the hot reads use their indexes and sort nothing.
func TestQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	wosQuery, wosArgs := workOrdersQuery(book.WorkOrderFilter{Drop: "d", Limit: 10}, everything)
	wosStateQuery, wosStateArgs := workOrdersQuery(book.WorkOrderFilter{Drop: "d", State: book.WorkOpen, Limit: 10}, everything)
	cellQuery, cellArgs := eventsQuery(book.EventFilter{Cell: "c", AfterID: 5, Limit: 10}, everything)
	woEventsQuery, woEventsArgs := eventsQuery(book.EventFilter{WorkOrder: 3}, everything)
	kindsQuery, kindsArgs := eventsQuery(book.EventFilter{Kinds: []string{book.EventOperation, book.EventCellFault},
		Since: t0, Limit: 1000}, everything)
	for _, tc := range []struct {
		name, query string
		args        []any
		index       string
		// sorts is true for a read whose index does not hold the order asked for; the
		// index bounds what it sorts
		sorts bool
	}{
		{"queue", queueSQL, []any{"c", everything.operations, 100}, "operations_queue", false},
		{"queue order", queueOrderSQL, []any{"c", everything.operations}, "operations_queue", false},
		{"ready", readySQL, []any{everything.operations, 100}, "operations_ready", false},
		{"completions", completionsSQL, []any{"d"}, "events_completed", false},
		{"work orders of a drop", wosQuery, wosArgs, "work_orders_drop", false},
		{"work orders of a drop in a state", wosStateQuery, wosStateArgs, "work_orders_drop_state", false},
		{"events of a cell", cellQuery, cellArgs, "events_cell", false},
		{"events of a work order", woEventsQuery, woEventsArgs, "events_work_order", false},
		{"events of kinds since", kindsQuery, kindsArgs, "events_kind_at", true},
		{"finished operations", finishedSQL, []any{micros(t0), everything.operations, 100}, "operations_ended", false},
		{"orders that lost units", `SELECT DISTINCT order_id FROM work_orders WHERE id IN (` + lostSQL + `)`,
			[]any{everything.operations, everything.workOrders}, "operations_lost", true},
		{"work orders scrapped", lostSQL, []any{everything.operations, everything.workOrders}, "work_orders_state", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			joined := fmt.Sprint(plan)
			if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d+" ", "INDEX "+tc.index+" ") }) {
				t.Errorf("plan does not use %s: %s", tc.index, joined)
			}
			if !tc.sorts && slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, "TEMP B-TREE") }) {
				t.Errorf("plan sorts: %s", joined)
			}
		})
	}
}
