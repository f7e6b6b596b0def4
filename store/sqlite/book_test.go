package sqlite

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

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
