package storetest

import (
	"context"
	"errors"
	"fmt"
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
	r, h := storeEstimatedRepair(t, s)
	checkRepairRefusals(t, s, r, h)
	s = reopen(t, opener, s, addr)
	checkRepairReadBack(t, s, r, h)
	checkCarePlanUsesReleased(t, s, r, h)
}

// storeEstimatedRepair stores a received repair with a photo and a link hash, estimates it
// with a line covered by a care plan holding it stores too, and records the use of that
// holding; it returns the repair as stored and the holding with its id.
func storeEstimatedRepair(t *testing.T, s Store) (book.Repair, book.CarePlanHolding) {
	received := T0.Add(time.Minute)
	express := T0.Add(24 * time.Hour)
	r := book.Repair{ID: "R-000001", Seq: 1, Serial: "A-1", Kind: "rug", Customer: "Ana", Contact: "ana@example.com",
		Description: "worn\nfringe", Checklist: map[string]string{"fringe": "yes"}, Source: book.SourceCounter,
		State: book.RepairReceived, IntakeAt: T0, ReceivedAt: &received,
		Photos: []book.RepairPhoto{{Hash: "ab", MediaType: "image/png"}}}
	h := book.CarePlanHolding{Plan: "care", Customer: "Ana", Start: T0, End: T0.Add(365 * 24 * time.Hour), Actor: "ines", AddedAt: T0}
	MustWrite(t, s, func(tx book.Tx) error {
		seq, err := tx.NextRepairSeq()
		if err != nil || seq != 1 {
			t.Errorf("NextRepairSeq = %d, %v", seq, err)
		}
		if err := tx.InsertRepair(r, "hash-1"); err != nil {
			return err
		}
		r.State = book.RepairEstimated
		r.Diagnosis = &book.Diagnosis{Findings: "worn", Services: []string{"clean"}, Operation: 3, By: "ines", At: T0}
		r.Estimate = &book.Estimate{Currency: "EUR", Lines: []book.EstimateLine{{Service: "clean", Fee: 1000, Price: 1000, Charged: 0,
			CoveredBy: &book.Coverage{Holding: 1, Plan: "care"}}}, Standard: T0.Add(72 * time.Hour), Express: &express,
			At: T0, ExpiresAt: T0.Add(time.Hour)}
		if err := tx.UpdateRepair(r); err != nil {
			return err
		}
		if err := tx.InsertCarePlanHolding(&h); err != nil {
			return err
		}
		return tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: h.ID, Repair: r.ID, Service: "clean", At: T0}})
	})
	return r, h
}

// checkRepairRefusals: a link hash twice, a use twice, and updating or linking an unknown
// repair are refused, the unknown ones with book.ErrNotFound.
func checkRepairRefusals(t *testing.T, s Store, r book.Repair, h book.CarePlanHolding) {
	for _, tc := range []struct {
		name  string
		write func(tx book.Tx) error
		want  error
	}{
		{name: "a link hash twice", write: func(tx book.Tx) error {
			return tx.InsertRepair(book.Repair{ID: "R-000002", Seq: 2, Serial: "A-2", Source: book.SourceCounter, State: book.RepairRequested}, "hash-1")
		}},
		{name: "a use twice", write: func(tx book.Tx) error {
			return tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: h.ID, Repair: r.ID, Service: "clean", At: T0}})
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
}

// checkRepairReadBack reads r back by its link, finds nothing of the refused writes, and
// finds the use of h live before the estimate's time only, r estimated (not expired) at
// T0+1m and h among Ana's holdings.
func checkRepairReadBack(t *testing.T, s Store, r book.Repair, h book.CarePlanHolding) {
	MustRead(t, s, func(tx book.ReadTx) error {
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
		for at, want := range map[time.Time]int{T0.Add(time.Minute): 1, T0.Add(time.Hour): 0} {
			uses, err := tx.CarePlanUses([]int64{h.ID}, at)
			if err != nil || len(uses) != want {
				t.Errorf("live uses at %v: %v, %v; want %d", at, uses, err, want)
			}
		}
		for state, want := range map[book.RepairState]int{book.RepairEstimated: 1, book.RepairExpired: 0, book.RepairReceived: 0} {
			rs, err := tx.Repairs(book.RepairFilter{State: state, At: T0.Add(time.Minute)})
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
}

// checkCarePlanUsesReleased: the repair sequence goes on after the stored repair, and
// releasing r's uses of h leaves none live, a second release releasing nothing.
func checkCarePlanUsesReleased(t *testing.T, s Store, r book.Repair, h book.CarePlanHolding) {
	MustWrite(t, s, func(tx book.Tx) error {
		if seq, err := tx.NextRepairSeq(); err != nil || seq != 2 {
			t.Errorf("NextRepairSeq after reopen = %d, %v; want 2", seq, err)
		}
		n, err := tx.ReleaseCarePlanUses(r.ID, T0)
		if err != nil || n != 1 {
			t.Errorf("released %d, %v", n, err)
		}
		uses, err := tx.CarePlanUses([]int64{h.ID}, T0)
		if err != nil || len(uses) != 0 {
			t.Errorf("live uses after release: %v, %v", uses, err)
		}
		if n, err := tx.ReleaseCarePlanUses(r.ID, T0); err != nil || n != 0 {
			t.Errorf("released again %d, %v; want 0", n, err)
		}
		return nil
	})
}

// testRepairsFilters: the derived states ready and approved follow the repair's work order,
// expired and estimated the estimate's time; serials, customers, pages and limits select as
// in the SQLite store, and a page after something that is not a repair id is ErrInvalid.
func testRepairsFilters(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	t0 := monday
	done := seedWorkOrder(t, s, "O1", "", "RUG", book.WorkDone, nil)
	open := seedWorkOrder(t, s, "O2", "", "RUG", book.WorkOpen, nil)
	MustWrite(t, s, func(tx book.Tx) error {
		wo, err := tx.WorkOrder(done.ID)
		if err != nil {
			return err
		}
		wo.CompletedAt = Ptr(t0.Add(2 * time.Hour))
		return tx.UpdateWorkOrder(wo)
	})
	est := func(exp time.Time) *book.Estimate { return &book.Estimate{Currency: "EUR", At: t0, ExpiresAt: exp} }
	repairs := []book.Repair{
		{ID: "R-000001", Seq: 1, Serial: "A-1", Customer: "Ana", State: book.RepairApproved, WorkOrder: done.ID},
		{ID: "R-000002", Seq: 2, Serial: "A-2", Customer: "Ana", State: book.RepairApproved, WorkOrder: open.ID},
		{ID: "R-000003", Seq: 3, Serial: "A-1", Customer: "Bo", State: book.RepairEstimated, Estimate: est(t0.Add(time.Hour))},
		{ID: "R-000004", Seq: 4, Item: "a kilim", Customer: "Bo", State: book.RepairEstimated, Estimate: est(t0.Add(3 * time.Hour))},
		{ID: "R-000005", Seq: 5, Item: "a kilim", Customer: "Bo", State: book.RepairExpired},
		{ID: "R-000006", Seq: 6, Item: "a kilim", Customer: "Cy", State: book.RepairReturned},
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for _, r := range repairs {
			r.Source, r.IntakeAt = book.SourceCounter, t0
			if err := tx.InsertRepair(r, "hash-"+r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	at := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name string
		f    book.RepairFilter
		want []string
	}{
		{name: "all", f: book.RepairFilter{}, want: []string{"R-000001", "R-000002", "R-000003", "R-000004", "R-000005", "R-000006"}},
		{name: "ready", f: book.RepairFilter{State: book.RepairReady}, want: []string{"R-000001"}},
		{name: "approved", f: book.RepairFilter{State: book.RepairApproved}, want: []string{"R-000002"}},
		{name: "expired", f: book.RepairFilter{State: book.RepairExpired, At: at}, want: []string{"R-000003", "R-000005"}},
		{name: "estimated", f: book.RepairFilter{State: book.RepairEstimated, At: at}, want: []string{"R-000004"}},
		{name: "returned", f: book.RepairFilter{State: book.RepairReturned}, want: []string{"R-000006"}},
		{name: "serial", f: book.RepairFilter{Serial: "A-1"}, want: []string{"R-000001", "R-000003"}},
		{name: "customer", f: book.RepairFilter{Customer: "Bo", Limit: 2}, want: []string{"R-000003", "R-000004"}},
		{name: "page", f: book.RepairFilter{AfterID: "R-000004"}, want: []string{"R-000005", "R-000006"}},
		{name: "none", f: book.RepairFilter{Serial: "A-1", Customer: "Cy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				rs, err := tx.Repairs(tc.f)
				if err != nil {
					return err
				}
				var got []string
				for _, r := range rs {
					got = append(got, r.ID)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("Repairs(%+v) = %v, want %v", tc.f, got, tc.want)
				}
				return nil
			})
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		if r, err := tx.Repair("R-000001"); err != nil || r.ReadyAt == nil || !r.ReadyAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("the ready repair's ReadyAt: %+v, %v", r.ReadyAt, err)
		}
		if _, err := tx.Repairs(book.RepairFilter{AfterID: "X-1"}); !errors.Is(err, book.ErrInvalid) {
			t.Errorf("after a bad id: %v, want ErrInvalid", err)
		}
		return nil
	})
}

// testCarePlanHoldingsAndMeasures: holdings are found by unit or customer and are active in
// [start, end); uses of declined or expired repairs are not live; the finished units and the
// customers of orders are counted as the SQLite store counts them.
func testCarePlanHoldingsAndMeasures(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	t0 := monday
	day := 24 * time.Hour
	holdings := []book.CarePlanHolding{
		{Plan: "care", Serial: "A-1", Start: t0, End: t0.Add(day), Actor: "ines", AddedAt: t0},
		{Plan: "care", Customer: "Ana", Start: t0.Add(day), End: t0.Add(2 * day), Actor: "ines", AddedAt: t0},
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for i := range holdings {
			if err := tx.InsertCarePlanHolding(&holdings[i]); err != nil {
				return err
			}
		}
		for i, st := range []book.RepairState{book.RepairApproved, book.RepairDeclined} {
			r := book.Repair{ID: fmt.Sprintf("R-%06d", i+1), Seq: int64(i + 1), Item: "a kilim", Source: book.SourceCounter, State: st, IntakeAt: t0}
			if err := tx.InsertRepair(r, r.ID); err != nil {
				return err
			}
			if err := tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: holdings[0].ID, Repair: r.ID, Service: "clean", At: t0}}); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertCarePlanHolding(&book.CarePlanHolding{Plan: "care", Serial: "A-1", Customer: "Ana", Start: t0, End: t0, AddedAt: t0})
	})
	if err == nil {
		t.Error("a holding of both a unit and a customer was stored")
	}
	w := seedWorkOrder(t, s, "O1", "winter", "RUG", book.WorkDone, nil)
	seedWorkOrder(t, s, "O2", "winter", "RUG", book.WorkOpen, nil)
	MustWrite(t, s, func(tx book.Tx) error {
		for _, o := range []book.Order{{OrderID: "O3", SKU: "RUG", Quantity: 1, Customer: "Zed", Due: time.UnixMicro(0), IntakeAt: time.UnixMicro(0)},
			{OrderID: "O4", Drop: "winter", SKU: "RUG", Quantity: 1, Due: time.UnixMicro(0), IntakeAt: time.UnixMicro(0)}} {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		return tx.InsertUnits([]book.Unit{{WorkOrder: w.ID, Number: 1, OrderUnit: 1, Serial: "S1", Seq: 1, CreatedAt: time.UnixMicro(0)},
			{WorkOrder: w.ID, Number: 2, OrderUnit: 2, Serial: "S2", Seq: 2, CreatedAt: time.UnixMicro(0)}})
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		for _, tc := range []struct {
			serial, customer string
			want             int
		}{{"A-1", "", 1}, {"", "Ana", 1}, {"A-1", "Ana", 2}, {"", "", 0}, {"B-2", "Bo", 0}} {
			if hs, err := tx.CarePlanHoldings(tc.serial, tc.customer); err != nil || len(hs) != tc.want {
				t.Errorf("holdings of %q %q: %+v, %v; want %d", tc.serial, tc.customer, hs, err, tc.want)
			}
		}
		for _, tc := range []struct {
			at   time.Time
			want []int64
		}{{t0.Add(-time.Second), nil}, {t0, []int64{holdings[0].ID}}, {t0.Add(day), []int64{holdings[1].ID}}, {t0.Add(2 * day), nil}} {
			hs, err := tx.ActiveCarePlanHoldings(tc.at)
			var got []int64
			for _, h := range hs {
				got = append(got, h.ID)
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("active at %v: %v, %v; want %v", tc.at, got, err, tc.want)
			}
		}
		uses, err := tx.CarePlanUses([]int64{holdings[0].ID, holdings[1].ID}, t0)
		if err != nil || len(uses) != 1 || uses[0].Repair != "R-000001" || !uses[0].At.Equal(t0) {
			t.Errorf("live uses: %+v, %v; want the approved repair's", uses, err)
		}
		if uses, err := tx.CarePlanUses(nil, t0); err != nil || uses != nil {
			t.Errorf("uses of no holdings: %v, %v", uses, err)
		}
		if n, err := tx.FinishedUnitCount(); err != nil || n != 2 {
			t.Errorf("finished units: %d, %v; want 2", n, err)
		}
		if n, err := tx.OrderCustomers(); err != nil || n != 1 {
			t.Errorf("order customers: %d, %v; want 1", n, err)
		}
		return nil
	})
}
