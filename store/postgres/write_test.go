package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

func ptr[T any](v T) *T { return &v }

func TestOrdersRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	const n = 1203 // three chunks of Orders, the last one short
	want := make(map[string]book.Order)
	var ids []string
	mustWrite(t, s, func(tx book.Tx) error {
		for i := range n {
			o, _, _, _ := fixture("drop-1", i)
			o.Due = o.Due.Add(123 * time.Microsecond)
			o.IntakeAt = time.Date(2025, 2, 3, 4, 5, 6, 7000, time.FixedZone("CET", 3600))
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			o.IntakeAt = o.IntakeAt.UTC() // returned in UTC
			want[o.OrderID] = o
			ids = append(ids, o.OrderID)
		}
		return nil
	})
	ids = append(ids, "unknown-1", "unknown-2")
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Orders(ids)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) {
			t.Errorf("Orders returned %d orders, want %d; first %+v", len(got), len(want), got[ids[0]])
		}
		for id, o := range want {
			if got[id] != o {
				t.Fatalf("order %s = %+v, want %+v", id, got[id], o)
			}
		}
		none, err := tx.Orders(nil)
		if err != nil || len(none) != 0 {
			t.Errorf("Orders(nil) = %v, %v", none, err)
		}
		return nil
	})
}

// TestInsertOrderDuplicate checks that an order id stored twice fails the Write with
// ErrConflict and an error that names it, wherever the duplicate surfaces, and leaves
// nothing of the Write behind.
func TestInsertOrderDuplicate(t *testing.T) {
	stored, _, _, _ := fixture("drop-1", 0)
	fresh, _, _, _ := fixture("drop-1", 1)
	for _, tc := range []struct {
		name string
		fn   func(tx book.Tx) error
		// immediate tells that InsertOrder itself fails, rather than a later call or the commit
		immediate bool
	}{
		{"stored before, found at commit", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(stored)
		}, false},
		{"stored before, found at a read", func(tx book.Tx) error {
			if err := tx.InsertOrder(stored); err != nil {
				return err
			}
			_, err := tx.Orders([]string{stored.OrderID})
			return err
		}, false},
		{"twice in the Write", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
		{"twice in the Write, sent in between", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			if _, err := tx.DropUnits("drop-1"); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, err := Open(t.Context(), pgtest.URL(t), slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			importOrders(t, s, "drop-1", 0, 1)
			var insertErr error
			err = s.Write(t.Context(), func(tx book.Tx) error {
				err := tc.fn(tx)
				insertErr = err
				return err
			})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("Write = %v, want ErrConflict", err)
			}
			if !strings.Contains(err.Error(), `"drop-1-000000`) {
				t.Errorf("error %q does not name the order", err)
			}
			if tc.immediate && insertErr == nil {
				t.Error("InsertOrder of an id twice in the Write succeeded")
			}
			mustRead(t, s, func(tx book.ReadTx) error {
				if got, _ := tx.Orders([]string{fresh.OrderID}); len(got) != 0 {
					t.Errorf("the failed Write stored %v", got)
				}
				if units, _ := tx.DropUnits("drop-1"); units[stored.SKU] != stored.Quantity || len(units) != 1 {
					t.Errorf("drop units after the failed Write = %v", units)
				}
				return nil
			})
			// the writer is healthy: not discarded, and usable
			if strings.Contains(log.String(), "discarding") {
				t.Errorf("the writer connection was discarded:\n%s", log.String())
			}
			importOrders(t, s, "drop-1", 1, 3)
		})
	}
}

func TestWorkOrderRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	o, wo, ops, _ := fixture("drop-1", 7)
	wo.CompletedAt = ptr(t0.Add(48 * time.Hour))
	ops[1].State, ops[1].Cell, ops[1].Reason, ops[1].Scrapped = book.Paused, "sew-2", "needle broke", 2
	ops[1].QueuedAt, ops[1].StartedAt = ptr(t0.Add(time.Minute)), ptr(t0.Add(2*time.Minute))
	ops[3].EndedAt, ops[3].Version = ptr(t0.Add(time.Hour)), 5
	mustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return tx.InsertWorkOrder(&wo, ops)
	})
	if wo.ID == 0 {
		t.Fatal("InsertWorkOrder left the id 0")
	}
	for i, op := range ops {
		if op.ID == 0 || op.WorkOrder != wo.ID {
			t.Errorf("operation %d: id %d, work order %d; want an id and %d", i, op.ID, op.WorkOrder, wo.ID)
		}
	}
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.WorkOrder(wo.ID)
		if err != nil {
			return err
		}
		if !sameWorkOrder(got, wo) {
			t.Errorf("WorkOrder = %+v, want %+v", got, wo)
		}
		got, err = tx.WorkOrderByOrder(o.OrderID)
		if err != nil {
			return err
		}
		if !sameWorkOrder(got, wo) {
			t.Errorf("WorkOrderByOrder = %+v, want %+v", got, wo)
		}
		gotOps, err := tx.Operations(wo.ID)
		if err != nil {
			return err
		}
		if !sameOperations(gotOps, ops) {
			t.Errorf("Operations =\n%+v\nwant\n%+v", gotOps, ops)
		}
		op, err := tx.Operation(ops[1].ID)
		if err != nil {
			return err
		}
		if !sameOperation(op, ops[1]) {
			t.Errorf("Operation = %+v, want %+v", op, ops[1])
		}
		if op.StandardTime() != 10*time.Minute+time.Duration(o.Quantity)*4*time.Minute {
			t.Errorf("standard time %v: durations did not round-trip", op.StandardTime())
		}
		none, err := tx.Operations(wo.ID + 1000)
		if err != nil || len(none) != 0 {
			t.Errorf("Operations of an unknown work order = %v, %v", none, err)
		}
		return nil
	})
}

func TestNotFound(t *testing.T) {
	s, _ := openTest(t)
	importOrders(t, s, "drop-1", 0, 1)
	for _, tc := range []struct {
		name string
		call func(tx book.Tx) error
	}{
		{"WorkOrder", func(tx book.Tx) error { _, err := tx.WorkOrder(999); return err }},
		{"WorkOrderByOrder", func(tx book.Tx) error { _, err := tx.WorkOrderByOrder("nope"); return err }},
		{"Operation", func(tx book.Tx) error { _, err := tx.Operation(999); return err }},
		{"UpdateWorkOrder", func(tx book.Tx) error { return tx.UpdateWorkOrder(book.WorkOrder{ID: 999}) }},
		{"UpdateOperation", func(tx book.Tx) error { return tx.UpdateOperation(&book.Operation{ID: 999}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Write(t.Context(), tc.call)
			if !errors.Is(err, book.ErrNotFound) {
				t.Errorf("%s of an unknown id: %v, want book.ErrNotFound", tc.name, err)
			}
		})
	}
}

func TestInsertWorkOrderNeedsOrder(t *testing.T) {
	s, _ := openTest(t)
	_, wo, ops, _ := fixture("drop-1", 1)
	err := s.Write(t.Context(), func(tx book.Tx) error { return tx.InsertWorkOrder(&wo, ops) })
	if err == nil {
		t.Fatal("work order of an unknown order stored")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("work order %d: no order %q", wo.ID, wo.OrderID)) {
		t.Errorf("error %q does not name the work order and its order", err)
	}
	mustRead(t, s, func(tx book.ReadTx) error {
		if _, err := tx.WorkOrder(wo.ID); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("work order of the failed Write: %v", err)
		}
		return nil
	})
	importOrders(t, s, "drop-1", 0, 1)
}

func TestUpdateWorkOrder(t *testing.T) {
	s, _ := openTest(t)
	w := importOrders(t, s, "drop-1", 0, 2)
	// both first operations queued at one cell; the second work order is due later
	mustWrite(t, s, func(tx book.Tx) error {
		for _, x := range w {
			op := x.ops[0]
			op.State, op.Cell = book.Queued, "laser-1"
			if err := tx.UpdateOperation(&op); err != nil {
				return err
			}
		}
		return nil
	})
	queueOrder := func() []int64 {
		var ids []int64
		mustRead(t, s, func(tx book.ReadTx) error {
			q, err := tx.Queue("laser-1", 0)
			for _, e := range q {
				ids = append(ids, e.WorkOrder)
			}
			return err
		})
		return ids
	}
	if got, want := queueOrder(), []int64{w[0].wo.ID, w[1].wo.ID}; !slices.Equal(got, want) {
		t.Fatalf("queue before = %v, want %v", got, want)
	}

	// expediting the second work order moves it to the front of the queue
	wo := w[1].wo
	wo.Due = t0.Add(-time.Hour)
	wo.Priority = 9
	wo.State = book.WorkScrapped
	wo.CompletedAt = ptr(t0.Add(time.Minute))
	mustWrite(t, s, func(tx book.Tx) error { return tx.UpdateWorkOrder(wo) })
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.WorkOrder(wo.ID)
		if err != nil {
			return err
		}
		if !sameWorkOrder(got, wo) {
			t.Errorf("WorkOrder = %+v, want %+v", got, wo)
		}
		return nil
	})
	if got, want := queueOrder(), []int64{w[1].wo.ID, w[0].wo.ID}; !slices.Equal(got, want) {
		t.Errorf("queue after expediting = %v, want %v", got, want)
	}
}

func TestUpdateOperation(t *testing.T) {
	s, _ := openTest(t)
	w := importOrders(t, s, "drop-1", 0, 1)
	op := w[0].ops[0]

	changed := op
	changed.State, changed.Cell, changed.Reason, changed.Scrapped = book.Running, "laser-2", "rework", 1
	changed.QueuedAt, changed.StartedAt, changed.EndedAt = ptr(t0), ptr(t0.Add(time.Second)), ptr(t0.Add(time.Hour))
	changed.Name, changed.Capability, changed.Quantity = "cut again", "laser-xl", 9
	changed.UnitTime, changed.Setup = 1500*time.Millisecond, 3*time.Second
	changed.ChangeoverAttr, changed.ChangeoverValue = "material", "wool"
	mustWrite(t, s, func(tx book.Tx) error { return tx.UpdateOperation(&changed) })
	if changed.Version != op.Version+1 {
		t.Errorf("version after update = %d, want %d", changed.Version, op.Version+1)
	}
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if !sameOperation(got, changed) {
			t.Errorf("Operation =\n%+v\nwant\n%+v", got, changed)
		}
		return nil
	})

	// op is now stale
	stale := op
	stale.State = book.Scrapped
	err := s.Write(t.Context(), func(tx book.Tx) error { return tx.UpdateOperation(&stale) })
	if !errors.Is(err, ErrConflict) {
		t.Errorf("update at a stale version: %v, want ErrConflict", err)
	}
	if stale.Version != op.Version {
		t.Errorf("failed update changed the version to %d", stale.Version)
	}
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if got.State != book.Running || got.Version != changed.Version {
			t.Errorf("after a conflict the operation is %s at version %d", got.State, got.Version)
		}
		return nil
	})

	// and clearing the nullable fields stores NULL
	cleared := changed
	cleared.QueuedAt, cleared.StartedAt, cleared.EndedAt, cleared.Cell = nil, nil, nil, ""
	mustWrite(t, s, func(tx book.Tx) error { return tx.UpdateOperation(&cleared) })
	mustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if !sameOperation(got, cleared) {
			t.Errorf("Operation =\n%+v\nwant\n%+v", got, cleared)
		}
		return nil
	})
}

// queueAt sets operations to their state at a cell in one Write.
func queueAt(t *testing.T, s *Store, cell string, changes map[*book.Operation]book.State) {
	t.Helper()
	mustWrite(t, s, func(tx book.Tx) error {
		for op, st := range changes {
			op.State, op.Cell = st, cell
			if err := tx.UpdateOperation(op); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestIdempotency(t *testing.T) {
	s, _ := openTest(t)
	rec := book.IdempotencyRecord{Principal: "ada", Key: "k1", RequestHash: "h1", Status: 201,
		Response: []byte(`{"id":1}`), CreatedAt: t0}
	empty := book.IdempotencyRecord{Principal: "ada", Key: "k2", RequestHash: "h2", Status: 204,
		Response: nil, CreatedAt: t0.Add(time.Hour)}
	mustWrite(t, s, func(tx book.Tx) error {
		if err := tx.PutIdempotency(rec); err != nil {
			return err
		}
		return tx.PutIdempotency(empty)
	})
	get := func(principal, key string) (book.IdempotencyRecord, bool) {
		var got book.IdempotencyRecord
		var ok bool
		mustRead(t, s, func(tx book.ReadTx) error {
			var err error
			got, ok, err = tx.Idempotency(principal, key)
			return err
		})
		return got, ok
	}
	for _, tc := range []struct {
		name           string
		principal, key string
		want           book.IdempotencyRecord
		ok             bool
	}{
		{"stored", "ada", "k1", rec, true},
		{"empty response", "ada", "k2", book.IdempotencyRecord{Principal: "ada", Key: "k2", RequestHash: "h2",
			Status: 204, Response: nil, CreatedAt: t0.Add(time.Hour)}, true},
		{"other principal", "bob", "k1", book.IdempotencyRecord{}, false},
		{"unknown key", "ada", "k3", book.IdempotencyRecord{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := get(tc.principal, tc.key)
			if ok != tc.ok || !sameIdempotency(got, tc.want) {
				t.Errorf("Idempotency(%q, %q) = %+v, %v; want %+v, %v", tc.principal, tc.key, got, ok, tc.want, tc.ok)
			}
		})
	}

	replaced := rec
	replaced.Status, replaced.Response = 409, []byte("conflict")
	mustWrite(t, s, func(tx book.Tx) error { return tx.PutIdempotency(replaced) })
	if got, _ := get("ada", "k1"); !sameIdempotency(got, replaced) {
		t.Errorf("after replacing: %+v, want %+v", got, replaced)
	}

	mustWrite(t, s, func(tx book.Tx) error { return tx.ExpireIdempotency(t0.Add(time.Minute)) })
	if _, ok := get("ada", "k1"); ok {
		t.Error("record created before the expiry time survived")
	}
	if _, ok := get("ada", "k2"); !ok {
		t.Error("record created after the expiry time was dropped")
	}
}

// TestCounts checks the kept counts against counting the tables.
func TestCounts(t *testing.T) {
	s, _ := openTest(t)
	w := importOrders(t, s, "drop-1", 0, 5)
	queueAt(t, s, "laser-1", map[*book.Operation]book.State{&w[0].ops[0]: book.Running, &w[1].ops[0]: book.Queued})
	mustWrite(t, s, func(tx book.Tx) error {
		op := w[0].ops[0]
		op.State = book.Done
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		wo := w[4].wo
		wo.State = book.WorkScrapped
		if err := tx.UpdateWorkOrder(wo); err != nil {
			return err
		}
		// counts inside the transaction include its changes
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		if wos[book.WorkScrapped] != 1 || ops[book.Done] != 1 || ops[book.Running] != 0 {
			t.Errorf("counts inside the Write: %v %v", wos, ops)
		}
		return nil
	})
	s.Write(t.Context(), func(tx book.Tx) error {
		o, wo, ops, _ := fixture("drop-1", 99)
		tx.InsertOrder(o)
		tx.InsertWorkOrder(&wo, ops)
		return errors.New("abandoned")
	})

	wantWO := map[book.WorkOrderState]int{}
	wantOps := map[book.State]int{}
	count := func(table string, add func(state string, n int)) {
		rows, err := s.pool.Query(t.Context(), "SELECT state, count(*) FROM "+table+" GROUP BY state")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			rows.Scan(&st, &n)
			add(st, n)
		}
	}
	count("work_orders", func(st string, n int) { wantWO[book.WorkOrderState(st)] = n })
	count("operations", func(st string, n int) { wantOps[book.State(st)] = n })
	if wantWO[book.WorkOpen] != 4 || wantOps[book.Pending] != 15 {
		t.Fatalf("fixture changed: %v %v", wantWO, wantOps)
	}

	mustRead(t, s, func(tx book.ReadTx) error {
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		// states that emptied count 0
		for st, n := range wos {
			if n == 0 {
				delete(wos, st)
			}
		}
		for st, n := range ops {
			if n == 0 {
				delete(ops, st)
			}
		}
		if !maps.Equal(wos, wantWO) {
			t.Errorf("work order counts = %v, want %v", wos, wantWO)
		}
		if !maps.Equal(ops, wantOps) {
			t.Errorf("operation counts = %v, want %v", ops, wantOps)
		}
		return nil
	})
}
