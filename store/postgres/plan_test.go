package postgres

import (
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestQueryPlans checks on a few thousand work orders that the hot reads use their partial
// indexes and sort nothing: the queue API reads a cell's queue and the ready operations at
// every request.
func TestQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	for i := 0; i < 3000; i += 500 {
		storetest.ImportOrders(t, s, "drop-1", i, i+500)
	}
	// a floor at work: a few operations in each of twenty cells' queues, most done
	for _, q := range []string{
		`UPDATE operations SET state = 'done', ended_at = due WHERE seq = 1`,
		`UPDATE operations SET state = (ARRAY['queued', 'running', 'paused'])[1 + work_order % 3],
			cell = 'cell-' || (work_order / 5 % 20) WHERE seq = 2 AND work_order % 5 = 0`,
		`ANALYZE`,
	} {
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct {
		name, query string
		args        []any
		index       string
		// sorts is true for a read whose index does not hold the order asked for (its id):
		// the index bounds what it sorts
		sorts bool
	}{
		{"queue", queueSQL, []any{"cell-3", rowLimit(100)}, "operations_queue", false},
		{"queue order", queueOrderSQL, []any{"cell-3"}, "operations_queue", false},
		{"ready", readySQL, []any{rowLimit(100)}, "operations_ready", false},
		{"finished", finishedSQL, []any{micros(t0.Add(490 * 3600e9)), rowLimit(100)}, "operations_ended", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.pool.Query(t.Context(), "EXPLAIN "+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "\n")
			if !strings.Contains(joined, " using "+tc.index+" on operations") && !strings.Contains(joined, " on "+tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, joined)
			}
			if !tc.sorts && strings.Contains(joined, "Sort") {
				t.Errorf("plan sorts:\n%s", joined)
			}
		})
	}
	// and the reads answer from those plans
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		q, err := tx.Queue("cell-3", 0)
		if err != nil || len(q) == 0 {
			t.Errorf("Queue(cell-3) = %d entries, %v", len(q), err)
		}
		ready, err := tx.ReadyOperations(100)
		if err != nil || len(ready) != 100 {
			t.Errorf("ReadyOperations(100) = %d entries, %v", len(ready), err)
		}
		return nil
	})
}
