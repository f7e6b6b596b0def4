package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestExpPlans(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{
		queueEntryQuery + `WHERE o.cell = 'c' AND o.queue_rank IS NOT NULL ORDER BY o.queue_rank, o.due, o.priority DESC, o.work_order, o.seq LIMIT 100`,
		queueEntryQuery + `WHERE o.state = 'ready' ORDER BY o.due, o.priority DESC, o.work_order, o.seq LIMIT 100`,
		`SELECT cell, sum(setup_ns + quantity * unit_time_ns) FROM operations WHERE queue_rank IS NOT NULL GROUP BY cell ORDER BY cell`,
		`SELECT w.id, w.intake_at, max(e.at) FROM work_orders w JOIN events e ON e.work_order = w.id AND e.kind = 'workorder.completed' WHERE w.drop_id = 'd' GROUP BY w.id ORDER BY w.id`,
		`SELECT id FROM events WHERE id > 0 AND work_order = 3 AND cell = 'x' ORDER BY id LIMIT 10`,
		`SELECT * FROM work_orders WHERE order_id = 'x' ORDER BY id DESC LIMIT 1`,
	} {
		rows, err := s.reader.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			t.Log(detail)
		}
		t.Log("--")
	}
}
