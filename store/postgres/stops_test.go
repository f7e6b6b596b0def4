package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestStopsQueryPlans: on a year of stops, a window of today is read through an index of ends
// and the open stops, not through every stop that started before the window's end (an index
// of starts, or the whole table); a cell's stops awaiting a reason through an index of ends.
// Which index of ends PostgreSQL takes (the cell's or every cell's) is its costing's to choose:
// both read only the stops that ended since the window's start.
func TestStopsQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	t0 := t0
	// a stop every 10 minutes for a year on 8 cells, each of 5 minutes, the last of each open
	sqlOK(t, s, `INSERT INTO stops (cell, kind, detail, start_at, end_at, reason, reason_by, auto)
		SELECT 'cell-' || (i % 8), 'fault', '', $1 + i * 600000000::bigint, $1 + i * 600000000::bigint + 300000000, '', '', 0
		FROM generate_series(0, 52559) i`, micros(t0))
	sqlOK(t, s, `UPDATE stops SET end_at = NULL WHERE id IN (SELECT max(id) FROM stops GROUP BY cell)`)
	sqlOK(t, s, `ANALYZE stops`)
	from := t0.Add(364 * 24 * time.Hour) // the last day of the year: today
	window := func(cell string) (string, []any) {
		return stopsQuery(book.StopFilter{Cell: cell, From: from, To: from.Add(time.Hour)})
	}
	cellQuery, cellArgs := window("cell-3")
	allQuery, allArgs := window("")
	ends := []string{"stops_end", "stops_cell_end"}
	for _, tc := range []struct {
		name, query string
		args        []any
		open        bool
	}{
		{name: "a cell's window", query: cellQuery, args: cellArgs, open: true},
		{name: "every cell's window", query: allQuery, args: allArgs, open: true},
		{name: "awaiting a reason", query: promptStopsSQL, args: []any{"cell-3", micros(from), int64(120_000_000), "no-work", int64(20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := explain(t, s, tc.query, tc.args...)
			if !strings.Contains(plan, " "+ends[0]+" ") && !strings.Contains(plan, " "+ends[1]+" ") {
				t.Errorf("plan uses no index of ends:\n%s", plan)
			}
			if tc.open && !strings.Contains(plan, " stops_open ") {
				t.Errorf("plan does not read the open stops through stops_open:\n%s", plan)
			}
			for _, not := range []string{" stops_start ", " stops_cell_start ", "Seq Scan"} {
				if strings.Contains(plan, not) {
					t.Errorf("plan uses %s:\n%s", not, plan)
				}
			}
		})
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Stops(book.StopFilter{Cell: "cell-3", From: from, To: from.Add(time.Hour)})
		if err != nil || len(got) != 1 {
			t.Errorf("a cell's hour: %d stops, %v; want 1", len(got), err)
		}
		return nil
	})
}
