package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestRepairDocumentsStoredAsSQLiteStoresThem: an empty checklist and photo list are stored as
// {} and [], the absent documents as NULL, and read back as the empty ones.
func TestRepairDocumentsStoredAsSQLiteStoresThem(t *testing.T) {
	s, _ := openRepairStore(t)
	writeOK(t, s, func(tx book.Tx) error {
		return tx.InsertRepair(book.Repair{ID: "R-000001", Seq: 1, Item: "a kilim", Source: book.SourcePublic, State: book.RepairRequested, IntakeAt: repairT0}, "h")
	})
	var checklist, photos string
	var diagnosis, estimate, decision *string
	var expires *int64
	if err := s.pool.QueryRow(context.Background(), `SELECT checklist, photos, diagnosis, estimate, decision, expires_at
		FROM repairs WHERE id = 'R-000001'`).Scan(&checklist, &photos, &diagnosis, &estimate, &decision, &expires); err != nil {
		t.Fatal(err)
	}
	if checklist != "{}" || photos != "[]" || diagnosis != nil || estimate != nil || decision != nil || expires != nil {
		t.Errorf("stored %q %q %v %v %v %v", checklist, photos, diagnosis, estimate, decision, expires)
	}
	readOK(t, s, func(tx book.ReadTx) error {
		r, err := tx.Repair("R-000001")
		if err != nil || r.Checklist == nil || len(r.Checklist) != 0 || r.Photos == nil || len(r.Photos) != 0 ||
			r.Diagnosis != nil || r.Estimate != nil || r.Decision != nil || r.ReadyAt != nil || !r.IntakeAt.Equal(repairT0) {
			t.Errorf("read back %+v, %v", r, err)
		}
		return nil
	})
}

// TestRepairsFilters: the derived states ready and approved follow the repair's work order,
// expired and estimated the estimate's time; serials, customers, pages and limits select as
// in the SQLite store, and a page after something that is not a repair id is ErrInvalid.
func TestRepairsFilters(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
	done := seedWorkOrder(t, s, "O1", "", "RUG", book.WorkDone, nil)
	open := seedWorkOrder(t, s, "O2", "", "RUG", book.WorkOpen, nil)
	sqlOK(t, s, `UPDATE work_orders SET completed_at = $1 WHERE id = $2`, micros(t0.Add(2*time.Hour)), done.id)
	est := func(exp time.Time) *book.Estimate { return &book.Estimate{Currency: "EUR", At: t0, ExpiresAt: exp} }
	repairs := []book.Repair{
		{ID: "R-000001", Seq: 1, Serial: "A-1", Customer: "Ana", State: book.RepairApproved, WorkOrder: done.id},
		{ID: "R-000002", Seq: 2, Serial: "A-2", Customer: "Ana", State: book.RepairApproved, WorkOrder: open.id},
		{ID: "R-000003", Seq: 3, Serial: "A-1", Customer: "Bo", State: book.RepairEstimated, Estimate: est(t0.Add(time.Hour))},
		{ID: "R-000004", Seq: 4, Item: "a kilim", Customer: "Bo", State: book.RepairEstimated, Estimate: est(t0.Add(3 * time.Hour))},
		{ID: "R-000005", Seq: 5, Item: "a kilim", Customer: "Bo", State: book.RepairExpired},
		{ID: "R-000006", Seq: 6, Item: "a kilim", Customer: "Cy", State: book.RepairReturned},
	}
	writeOK(t, s, func(tx book.Tx) error {
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
			readOK(t, s, func(tx book.ReadTx) error {
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
	readOK(t, s, func(tx book.ReadTx) error {
		if r, err := tx.Repair("R-000001"); err != nil || r.ReadyAt == nil || !r.ReadyAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("the ready repair's ReadyAt: %+v, %v", r.ReadyAt, err)
		}
		if _, err := tx.Repairs(book.RepairFilter{AfterID: "X-1"}); !errors.Is(err, book.ErrInvalid) {
			t.Errorf("after a bad id: %v, want ErrInvalid", err)
		}
		return nil
	})
}

// TestCarePlanHoldingsAndMeasures: holdings are found by unit or customer and are active in
// [start, end); uses of declined or expired repairs are not live; the finished units and the
// customers of orders are counted as the SQLite store counts them.
func TestCarePlanHoldingsAndMeasures(t *testing.T) {
	s, _ := openRepairStore(t)
	t0 := repairT0
	day := 24 * time.Hour
	holdings := []book.CarePlanHolding{
		{Plan: "care", Serial: "A-1", Start: t0, End: t0.Add(day), Actor: "ines", AddedAt: t0},
		{Plan: "care", Customer: "Ana", Start: t0.Add(day), End: t0.Add(2 * day), Actor: "ines", AddedAt: t0},
	}
	writeOK(t, s, func(tx book.Tx) error {
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
	sqlOK(t, s, `INSERT INTO orders (order_id, drop_id, sku, quantity, customer, priority, due, notes, hash, intake_at, batch)
		VALUES ('O3', '', 'RUG', 1, 'Zed', 0, 0, '', '', 0, ''), ('O4', 'winter', 'RUG', 1, '', 0, 0, '', '', 0, '')`)
	sqlOK(t, s, `INSERT INTO units (work_order, number, order_unit, serial, seq, created_at) VALUES ($1, 1, 1, 'S1', 1, 0), ($1, 2, 2, 'S2', 2, 0)`, w.id)
	readOK(t, s, func(tx book.ReadTx) error {
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
