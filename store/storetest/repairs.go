package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testRepairsSurviveReopen stores a repair with every document, a care plan holding and a
// use, refuses a link hash twice and a use twice, and reads them all back from another store
// on the database; the uses of an estimate past its time and released ones are not live.
func testRepairsSurviveReopen(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	received := t0.Add(time.Minute)
	express := t0.Add(24 * time.Hour)
	r := book.Repair{ID: "R-000001", Seq: 1, Serial: "A-1", Kind: "rug", Customer: "Ana", Contact: "ana@example.com",
		Description: "worn\nfringe", Checklist: map[string]string{"fringe": "yes"}, Source: book.SourceCounter,
		State: book.RepairReceived, IntakeAt: t0, ReceivedAt: &received,
		Photos: []book.RepairPhoto{{Hash: "ab", MediaType: "image/png"}}}
	h := book.CarePlanHolding{Plan: "care", Customer: "Ana", Start: t0, End: t0.Add(365 * 24 * time.Hour), Actor: "ines", AddedAt: t0}
	mustWrite(t, s, func(tx book.Tx) error {
		seq, err := tx.NextRepairSeq()
		if err != nil || seq != 1 {
			t.Errorf("NextRepairSeq = %d, %v", seq, err)
		}
		if err := tx.InsertRepair(r, "hash-1"); err != nil {
			return err
		}
		r.State = book.RepairEstimated
		r.Diagnosis = &book.Diagnosis{Findings: "worn", Services: []string{"clean"}, Operation: 3, By: "ines", At: t0}
		r.Estimate = &book.Estimate{Currency: "EUR", Lines: []book.EstimateLine{{Service: "clean", Fee: 1000, Price: 1000, Charged: 0,
			CoveredBy: &book.Coverage{Holding: 1, Plan: "care"}}}, Standard: t0.Add(72 * time.Hour), Express: &express,
			At: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := tx.UpdateRepair(r); err != nil {
			return err
		}
		if err := tx.InsertCarePlanHolding(&h); err != nil {
			return err
		}
		return tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: h.ID, Repair: r.ID, Service: "clean", At: t0}})
	})
	for _, tc := range []struct {
		name  string
		write func(tx book.Tx) error
		want  error
	}{
		{name: "a link hash twice", write: func(tx book.Tx) error {
			return tx.InsertRepair(book.Repair{ID: "R-000002", Seq: 2, Serial: "A-2", Source: book.SourceCounter, State: book.RepairRequested}, "hash-1")
		}},
		{name: "a use twice", write: func(tx book.Tx) error {
			return tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: h.ID, Repair: r.ID, Service: "clean", At: t0}})
		}},
		{name: "an unknown repair", write: func(tx book.Tx) error {
			return tx.UpdateRepair(book.Repair{ID: "R-000009", State: book.RepairReturned})
		}, want: book.ErrNotFound},
		{name: "the link of an unknown repair", write: func(tx book.Tx) error { return tx.SetRepairLink("R-000009", "hash-9") },
			want: book.ErrNotFound},
	} {
		err := s.Write(context.Background(), tc.write)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want an error wrapping %v", tc.name, err, tc.want)
		}
	}
	s = reopen(t, opener, s, addr)
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.RepairByLink("hash-1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("after reopen:\n got %+v\nwant %+v", got, r)
		}
		if _, err := tx.Repair("R-000002"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("the refused repair: %v", err)
		}
		if _, err := tx.RepairByLink("hash-2"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("an unknown link: %v", err)
		}
		for at, want := range map[time.Time]int{t0.Add(time.Minute): 1, t0.Add(time.Hour): 0} {
			uses, err := tx.CarePlanUses([]int64{h.ID}, at)
			if err != nil || len(uses) != want {
				t.Errorf("live uses at %v: %v, %v; want %d", at, uses, err, want)
			}
		}
		for state, want := range map[book.RepairState]int{book.RepairEstimated: 1, book.RepairExpired: 0, book.RepairReceived: 0} {
			rs, err := tx.Repairs(book.RepairFilter{State: state, At: t0.Add(time.Minute)})
			if err != nil || len(rs) != want {
				t.Errorf("repairs %s: %d, %v; want %d", state, len(rs), err, want)
			}
		}
		hs, err := tx.CarePlanHoldings("", "Ana")
		if err != nil || len(hs) != 1 || hs[0] != h {
			t.Errorf("holdings %+v, %v; want %+v", hs, err, h)
		}
		return nil
	})
	mustWrite(t, s, func(tx book.Tx) error {
		if seq, err := tx.NextRepairSeq(); err != nil || seq != 2 {
			t.Errorf("NextRepairSeq after reopen = %d, %v; want 2", seq, err)
		}
		n, err := tx.ReleaseCarePlanUses(r.ID, t0)
		if err != nil || n != 1 {
			t.Errorf("released %d, %v", n, err)
		}
		uses, err := tx.CarePlanUses([]int64{h.ID}, t0)
		if err != nil || len(uses) != 0 {
			t.Errorf("live uses after release: %v, %v", uses, err)
		}
		if n, err := tx.ReleaseCarePlanUses(r.ID, t0); err != nil || n != 0 {
			t.Errorf("released again %d, %v; want 0", n, err)
		}
		return nil
	})
}
