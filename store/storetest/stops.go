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
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 123000, time.UTC)
	first := book.Stop{Cell: "weave-1", Kind: book.StopFault, Operation: 4, Detail: "jam", Start: t0,
		Reason: "breakdown", ReasonBy: "cell:weave-1", ReasonAt: &t0, Auto: true}
	mustWrite(t, s, func(tx book.Tx) error { return tx.InsertStop(&first) })
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
	mustRead(t, s, func(tx book.ReadTx) error {
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
