package postgres

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestStopsSelect: a window selects the stops overlapping it, the open ones included, by start
// and id; a cell, the unexplained ones, pages and limits narrow it; PromptStops picks a cell's
// long enough ended stops without a reason, newest end first.
func TestStopsSelect(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	end := func(m int) *time.Time { e := at(m); return &e }
	stops := []book.Stop{
		{Cell: "weave-1", Kind: book.StopFault, Start: at(0), End: end(10)},                    // 1: before a window of [20, 60)
		{Cell: "weave-1", Kind: book.StopIdle, Start: at(15), End: end(25)},                    // 2: overlaps its start
		{Cell: "dye-1", Kind: book.StopFault, Start: at(30), End: end(31), Reason: "material"}, // 3: explained
		{Cell: "dye-1", Kind: book.StopNoWork, Start: at(40), End: end(50)},                    // 4: no work
		{Cell: "weave-1", Kind: book.StopFault, Start: at(30), End: end(34)},                   // 5: same start as 3
		{Cell: "weave-1", Kind: book.StopSetup, Start: at(59), End: nil},                       // 6: open
		{Cell: "dye-1", Kind: book.StopFault, Start: at(60), End: nil},                         // 7: starts at the window's end
		{Cell: "dye-1", Kind: book.StopFault, Start: at(10), End: end(20)},                     // 8: ends at the window's start
	}
	writeOK(t, s, func(tx book.Tx) error {
		for i := range stops {
			if err := tx.InsertStop(&stops[i]); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(ss []book.Stop) []int64 {
		var out []int64
		for _, st := range ss {
			out = append(out, st.ID)
		}
		return out
	}
	id := func(n ...int) []int64 {
		var out []int64
		for _, i := range n {
			out = append(out, stops[i-1].ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    book.StopFilter
		want []int64
	}{
		{name: "all", f: book.StopFilter{}, want: id(1, 8, 2, 3, 5, 4, 6, 7)},
		{name: "window", f: book.StopFilter{From: at(20), To: at(60)}, want: id(2, 3, 5, 4, 6)},
		{name: "a cell's window", f: book.StopFilter{Cell: "weave-1", From: at(20), To: at(60)}, want: id(2, 5, 6)},
		{name: "from only", f: book.StopFilter{Cell: "dye-1", From: at(20)}, want: id(3, 4, 7)},
		{name: "to only", f: book.StopFilter{To: at(15).Add(time.Nanosecond)}, want: id(1, 8, 2)},
		{name: "unexplained", f: book.StopFilter{Unexplained: true}, want: id(1, 8, 2, 5)},
		{name: "page", f: book.StopFilter{AfterID: stops[4].ID}, want: id(8, 6, 7)},
		{name: "limit", f: book.StopFilter{Cell: "weave-1", Limit: 2}, want: id(1, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readOK(t, s, func(tx book.ReadTx) error {
				got, err := tx.Stops(tc.f)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(ids(got), tc.want) {
					t.Errorf("Stops(%+v) = %v, want %v", tc.f, ids(got), tc.want)
				}
				return nil
			})
		})
	}
	readOK(t, s, func(tx book.ReadTx) error {
		for _, tc := range []struct {
			cell    string
			since   time.Time
			minimum time.Duration
			limit   int
			want    []int64
		}{
			{"weave-1", at(0), 0, 0, id(5, 2, 1)},
			{"weave-1", at(10), 5 * time.Minute, 0, id(2, 1)},
			{"weave-1", at(10).Add(time.Nanosecond), 5 * time.Minute, 0, id(2)},
			{"weave-1", at(0), 0, 1, id(5)},
			{"dye-1", at(0), 0, 0, id(8)},
		} {
			got, err := tx.PromptStops(tc.cell, tc.since, tc.minimum, tc.limit)
			if err != nil || !reflect.DeepEqual(ids(got), tc.want) {
				t.Errorf("PromptStops(%s, %v, %v, %d) = %v, %v; want %v", tc.cell, tc.since, tc.minimum, tc.limit, ids(got), err, tc.want)
			}
		}
		return nil
	})
}

// TestStopsQueryPlans: on a year of stops, a window of today is read through an index of ends
// and the open stops, not through every stop that started before the window's end (an index
// of starts, or the whole table); a cell's stops awaiting a reason through an index of ends.
// Which index of ends PostgreSQL takes (the cell's or every cell's) is its costing's to choose:
// both read only the stops that ended since the window's start.
func TestStopsQueryPlans(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
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
	readOK(t, s, func(tx book.ReadTx) error {
		got, err := tx.Stops(book.StopFilter{Cell: "cell-3", From: from, To: from.Add(time.Hour)})
		if err != nil || len(got) != 1 {
			t.Errorf("a cell's hour: %d stops, %v; want 1", len(got), err)
		}
		return nil
	})
}
