package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testStopsStore: a stop round-trips with its times and reason; a second open stop of a cell is
// refused by the store itself (the unique index), leaving the first and the transaction
// usable; ending a stop twice, or giving an unknown stop a reason, is ErrNotFound.
func testStopsStore(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	t0 := monday
	first := book.Stop{Cell: "weave-1", Kind: book.StopFault, Operation: 4, Detail: "jam", Start: t0,
		Reason: "breakdown", ReasonBy: "cell:weave-1", ReasonAt: &t0, Auto: true}
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertStop(&first) })
	err := s.Write(context.Background(), func(tx book.Tx) error {
		err := tx.InsertStop(&book.Stop{Cell: "weave-1", Kind: book.StopIdle, Start: t0.Add(time.Second)})
		if err == nil {
			return nil
		}
		// the refusal leaves the transaction usable, as SQLite's
		if _, ok, rerr := tx.OpenStop("weave-1"); rerr != nil || !ok {
			t.Errorf("reading after the refusal: %v, %v", ok, rerr)
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "open stop already") {
		t.Fatalf("a second open stop of weave-1: %v", err)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		open, ok, err := tx.OpenStop("weave-1")
		if err != nil || !ok || !reflect.DeepEqual(open, first) {
			t.Errorf("OpenStop = %+v, %v, %v; want %+v", open, ok, err, first)
		}
		return nil
	})
	end := t0.Add(time.Minute)
	for _, tc := range []struct {
		name string
		fn   func(tx book.Tx) error
		want error
	}{
		{name: "end", fn: func(tx book.Tx) error { return tx.EndStop(first.ID, end) }},
		{name: "end again", fn: func(tx book.Tx) error { return tx.EndStop(first.ID, end.Add(time.Hour)) }, want: book.ErrNotFound},
		{name: "end no stop", fn: func(tx book.Tx) error { return tx.EndStop(first.ID+1, end) }, want: book.ErrNotFound},
		{name: "reason", fn: func(tx book.Tx) error { return tx.SetStopReason(first.ID, "material", "person:ana", end, false) }},
		{name: "reason of no stop", fn: func(tx book.Tx) error { return tx.SetStopReason(first.ID+1, "material", "person:ana", end, false) },
			want: book.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Write(context.Background(), tc.fn); !errors.Is(err, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
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
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertStop(&second) })
	MustRead(t, s, func(tx book.ReadTx) error {
		open, ok, err := tx.OpenStop("weave-1")
		if err != nil || !ok || open.ID != second.ID || open.End != nil || open.Operation != 0 || open.ReasonAt != nil {
			t.Errorf("OpenStop = %+v, %v, %v; want stop %d", open, ok, err, second.ID)
		}
		return nil
	})
}

// testStopsSelect: a window selects the stops overlapping it, the open ones included, by start
// and id; a cell, the unexplained ones, pages and limits narrow it; PromptStops picks a cell's
// long enough ended stops without a reason, newest end first.
func testStopsSelect(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	t0 := monday
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
	MustWrite(t, s, func(tx book.Tx) error {
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
			MustRead(t, s, func(tx book.ReadTx) error {
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
	MustRead(t, s, func(tx book.ReadTx) error {
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
