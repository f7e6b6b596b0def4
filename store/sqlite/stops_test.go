package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestStopsQueryPlans: a window's stops are read through the index of ends and the open stops,
// not through every stop that started before the window's end; a cell's stops awaiting a
// reason through its ends.
func TestStopsQueryPlans(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	window := func(cell string) (string, []any) {
		return stopsQuery(book.StopFilter{Cell: cell, From: t0, To: t0.Add(time.Hour)})
	}
	cellQuery, cellArgs := window("weave-1")
	allQuery, allArgs := window("")
	for _, tc := range []struct {
		name, query string
		args        []any
		want, not   []string
	}{
		{name: "a cell's window", query: cellQuery, args: cellArgs, want: []string{"stops_cell_end", "stops_open"}, not: []string{"stops_cell_start"}},
		{name: "every cell's window", query: allQuery, args: allArgs, want: []string{"stops_end", "stops_open"}, not: []string{"stops_start"}},
		{name: "awaiting a reason", query: `SELECT ` + stopCols + ` FROM stops
			WHERE cell = ? AND end_at IS NOT NULL AND end_at >= ? AND end_at - start_at >= ? AND reason = '' AND kind <> ?
			ORDER BY end_at DESC, id DESC LIMIT ?`, args: []any{"weave-1", micros(t0), 120_000_000, "no-work", 20},
			want: []string{"stops_cell_end"}},
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
				plan = append(plan, detail+" ")
			}
			joined := strings.Join(plan, "; ")
			for _, ix := range tc.want {
				if !strings.Contains(joined, "INDEX "+ix+" ") {
					t.Errorf("plan does not use %s: %s", ix, joined)
				}
			}
			for _, ix := range tc.not {
				if strings.Contains(joined, "INDEX "+ix+" ") {
					t.Errorf("plan uses %s: %s", ix, joined)
				}
			}
		})
	}
}
