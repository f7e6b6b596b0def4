package sqlite

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestStopsStore: a stop round-trips with its times and reason; a second open stop of a cell is
// refused by the store itself (the unique index), leaving the first; ending a stop twice, or
// giving an unknown stop a reason, is ErrNotFound.
func TestStopsStore(t *testing.T) {
	s, _ := openTest(t)
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 123000, time.UTC)
	first := book.Stop{Cell: "weave-1", Kind: book.StopFault, Operation: 4, Detail: "jam", Start: t0,
		Reason: "breakdown", ReasonBy: "cell:weave-1", ReasonAt: &t0, Auto: true}
	mustWrite(t, s, func(tx book.Tx) error { return tx.InsertStop(&first) })
	err := s.Write(t.Context(), func(tx book.Tx) error {
		return tx.InsertStop(&book.Stop{Cell: "weave-1", Kind: book.StopIdle, Start: t0.Add(time.Second)})
	})
	if err == nil {
		t.Fatal("a second open stop of weave-1 was stored")
	}
	end := t0.Add(time.Minute)
	for _, tc := range []struct {
		name string
		fn   func(tx book.Tx) error
		want error
	}{
		{name: "end", fn: func(tx book.Tx) error { return tx.EndStop(first.ID, end) }},
		{name: "end again", fn: func(tx book.Tx) error { return tx.EndStop(first.ID, end.Add(time.Hour)) }, want: book.ErrNotFound},
		{name: "reason", fn: func(tx book.Tx) error { return tx.SetStopReason(first.ID, "material", "person:ana", end, false) }},
		{name: "reason of no stop", fn: func(tx book.Tx) error { return tx.SetStopReason(first.ID+1, "material", "person:ana", end, false) },
			want: book.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Write(t.Context(), tc.fn); !errors.Is(err, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Stop(first.ID)
		if err != nil {
			return err
		}
		if got.Cell != "weave-1" || got.Kind != book.StopFault || got.Operation != 4 || got.Detail != "jam" || !got.Start.Equal(t0) ||
			got.End == nil || !got.End.Equal(end) || got.Reason != "material" || got.ReasonBy != "person:ana" ||
			got.ReasonAt == nil || !got.ReasonAt.Equal(end) || got.Auto {
			t.Errorf("stored stop = %+v", got)
		}
		if _, ok, err := tx.OpenStop("weave-1"); ok || err != nil {
			t.Errorf("OpenStop after its end = %v, %v", ok, err)
		}
		if _, err := tx.Stop(first.ID + 1); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("Stop(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})
	second := book.Stop{Cell: "weave-1", Kind: book.StopIdle, Start: end}
	mustWrite(t, s, func(tx book.Tx) error { return tx.InsertStop(&second) })
	mustRead(t, s, func(tx book.ReadTx) error {
		open, ok, err := tx.OpenStop("weave-1")
		if err != nil || !ok || open.ID != second.ID || open.End != nil || open.Operation != 0 || open.ReasonAt != nil {
			t.Errorf("OpenStop = %+v, %v, %v; want stop %d", open, ok, err, second.ID)
		}
		return nil
	})
}

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
