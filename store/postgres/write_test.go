package postgres

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestInsertOrderDuplicate checks that an order id stored twice fails the Write with
// ErrConflict and an error that names it, wherever the duplicate surfaces, and leaves
// nothing of the Write behind.
func TestInsertOrderDuplicate(t *testing.T) {
	stored, _, _, _ := storetest.Fixture("drop-1", 0)
	fresh, _, _, _ := storetest.Fixture("drop-1", 1)
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
			storetest.ImportOrders(t, s, "drop-1", 0, 1)
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
			storetest.MustRead(t, s, func(tx book.ReadTx) error {
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
			storetest.ImportOrders(t, s, "drop-1", 1, 3)
		})
	}
}

// TestCounts checks the kept counts against counting the tables.
func TestCounts(t *testing.T) {
	s, _ := openTest(t)
	w := storetest.ImportOrders(t, s, "drop-1", 0, 5)
	storetest.QueueAt(t, s, "laser-1", map[*book.Operation]book.State{&w[0].Ops[0]: book.Running, &w[1].Ops[0]: book.Queued})
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		op := w[0].Ops[0]
		op.State = book.Done
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		wo := w[4].WO
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
		o, wo, ops, _ := storetest.Fixture("drop-1", 99)
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

	storetest.MustRead(t, s, func(tx book.ReadTx) error {
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
