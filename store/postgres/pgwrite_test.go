package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestInsertWorkOrderIDs: one statement inserts a work order and its operations; the
// operations get ids ascending in the order given, whatever their seqs, and the work order's
// due and priority; a work order without operations is stored too.
func TestInsertWorkOrderIDs(t *testing.T) {
	s, _ := openTest(t)
	o, wo, ops, _ := storetest.Fixture("drop-1", 3)
	// routing order given backwards: ids follow the slice, seqs stay with their operations
	slices.Reverse(ops)
	bare := wo
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		if err := tx.InsertWorkOrder(&wo, ops); err != nil {
			return err
		}
		return tx.InsertWorkOrder(&bare, nil)
	})
	if wo.ID == 0 || bare.ID <= wo.ID {
		t.Fatalf("work order ids %d, %d: want ascending, not 0", wo.ID, bare.ID)
	}
	for i, op := range ops {
		if op.WorkOrder != wo.ID || (i > 0 && op.ID <= ops[i-1].ID) {
			t.Fatalf("operation %d: id %d of work order %d after %d", i, op.ID, op.WorkOrder, ops[max(i-1, 0)].ID)
		}
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		stored, err := tx.Operations(wo.ID)
		if err != nil {
			return err
		}
		want := slices.Clone(ops)
		slices.Reverse(want) // by seq
		if !storetest.SameOperations(stored, want) {
			t.Errorf("Operations = %+v,\nwant %+v", stored, want)
		}
		if none, err := tx.Operations(bare.ID); err != nil || len(none) != 0 {
			t.Errorf("operations of a work order inserted without any: %v, %v", none, err)
		}
		got, err := tx.WorkOrder(bare.ID)
		if err != nil || !storetest.SameWorkOrder(got, bare) {
			t.Errorf("WorkOrder(%d) = %+v, %v; want %+v", bare.ID, got, err, bare)
		}
		return nil
	})
	var due, priority int64
	if err := s.pool.QueryRow(t.Context(), `SELECT min(due), min(priority) FROM operations WHERE work_order = $1
		HAVING min(due) = max(due) AND min(priority) = max(priority)`, wo.ID).Scan(&due, &priority); err != nil {
		t.Fatalf("the operations' copies of due and priority differ: %v", err)
	}
	if due != micros(wo.Due) || priority != int64(wo.Priority) {
		t.Errorf("operations' due and priority %d, %d; want the work order's %d, %d", due, priority, micros(wo.Due), wo.Priority)
	}
}

// TestUpdateWorkOrderCarriesDueAndPriority: the operations' copies of their work order's due
// and priority follow it, and those of other work orders stay.
func TestUpdateWorkOrderCarriesDueAndPriority(t *testing.T) {
	s, _ := openTest(t)
	w := storetest.ImportOrders(t, s, "drop-1", 0, 2)
	changed := w[0].WO
	changed.Due, changed.Priority = changed.Due.Add(36*3600e9), 9
	storetest.MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateWorkOrder(changed) })
	rows, err := s.pool.Query(t.Context(), `SELECT o.work_order, o.due, o.priority, w.due, w.priority
		FROM operations o JOIN work_orders w ON w.id = o.work_order ORDER BY o.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var wo, opDue, opPriority, woDue, woPriority int64
		if err := rows.Scan(&wo, &opDue, &opPriority, &woDue, &woPriority); err != nil {
			t.Fatal(err)
		}
		if opDue != woDue || opPriority != woPriority {
			t.Errorf("an operation of work order %d: due %d priority %d, its work order's %d %d", wo, opDue, opPriority, woDue, woPriority)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 2*len(storetest.Routing) {
		t.Fatalf("%d operations read, %v", n, err)
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.WorkOrder(changed.ID)
		if err != nil || !storetest.SameWorkOrder(got, changed) {
			t.Errorf("WorkOrder = %+v, %v; want %+v", got, err, changed)
		}
		return nil
	})
}

// TestForeignKeyOfOtherColumns: a work order that is the remake of an unknown work order
// fails the Write at commit, naming the column and the key, and leaves nothing behind.
func TestForeignKeyOfOtherColumns(t *testing.T) {
	s, _ := openTest(t)
	o, wo, ops, _ := storetest.Fixture("drop-1", 1)
	wo.RemakeOf = 4242
	err := s.Write(t.Context(), func(tx book.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return tx.InsertWorkOrder(&wo, ops)
	})
	if err == nil || !strings.Contains(err.Error(), "remake_of 4242") {
		t.Fatalf("Write of a remake of no work order = %v, want an error naming remake_of 4242", err)
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		if got, _ := tx.Orders([]string{o.OrderID}); len(got) != 0 {
			t.Errorf("the failed Write stored %v", got)
		}
		if wos, ops, _ := tx.Counts(); wos[book.WorkOpen] != 0 || ops[book.Ready] != 0 {
			t.Errorf("the failed Write counted %v %v", wos, ops)
		}
		return nil
	})
	storetest.ImportOrders(t, s, "drop-1", 0, 1)
}

// TestTwoStoresSerializeWrites: two Stores on one database (two daemons) update one
// operation twenty times at once, each from the version it read; the advisory lock runs the
// writes one at a time, so each version has one winner, the losers get ErrConflict, and the
// final version is the number of successes.
func TestTwoStoresSerializeWrites(t *testing.T) {
	a, url := openTest(t)
	b, err := Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	op := storetest.ImportOrders(t, a, "drop-1", 0, 1)[0].Ops[0]
	start := op.Version
	const writers = 20
	won := make([]int64, writers) // the version each writer left, 0 when it lost
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		s := []*Store{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(t.Context(), func(tx book.Tx) error {
				cur, err := tx.Operation(op.ID)
				if err != nil {
					return err
				}
				cur.Reason = fmt.Sprintf("writer %d", i)
				if i%3 == 0 {
					cur.Version = start // a stale read: wins only as the first
				}
				if err := tx.UpdateOperation(&cur); err != nil {
					return err
				}
				won[i] = cur.Version
				return nil
			})
			if errs[i] != nil {
				won[i] = 0
			}
		}()
	}
	wg.Wait()
	versions := map[int64]int{}
	successes := 0
	for i, err := range errs {
		switch {
		case err == nil:
			successes++
			versions[won[i]]++
		case !errors.Is(err, ErrConflict):
			t.Errorf("writer %d: %v, want success or ErrConflict", i, err)
		}
	}
	for v, n := range versions {
		if n != 1 {
			t.Errorf("version %d left by %d writers", v, n)
		}
	}
	var final int64
	var reason string
	if err := b.Read(t.Context(), func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		final, reason = got.Version, got.Reason
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// the fresh readers all win: they read under the lock; of the stale, one at most
	stale := (writers + 2) / 3
	if final-start != int64(successes) || successes < writers-stale || successes > writers-stale+1 {
		t.Errorf("final version %d from %d after %d successes of %d writers", final, start, successes, writers)
	}
	if versions[final] != 1 || !strings.HasPrefix(reason, "writer ") {
		t.Errorf("final version %d (reason %q) left by no writer", final, reason)
	}
}

// TestTextOrderIsBytewise: cells and order ids come in SQLite's order, byte by byte (the
// columns' collation is "C"), not a language's, which would put "a" before "B".
func TestTextOrderIsBytewise(t *testing.T) {
	s, _ := openTest(t)
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		for i, id := range []string{"b", "B", "a"} {
			o, wo, ops, _ := storetest.Fixture("drop-1", i)
			o.OrderID, wo.OrderID = id, id
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			ops[0].Cell, ops[0].State, ops[0].Scrapped = id+"-cell", book.Queued, 1
			if err := tx.InsertWorkOrder(&wo, ops); err != nil {
				return err
			}
		}
		return nil
	})
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		loads, err := tx.CellLoads()
		if err != nil {
			return err
		}
		var cells []string
		for _, l := range loads {
			cells = append(cells, l.Cell)
		}
		if want := []string{"B-cell", "a-cell", "b-cell"}; !slices.Equal(cells, want) {
			t.Errorf("CellLoads by cell %v, want %v", cells, want)
		}
		ids, err := tx.OrdersWithLosses("")
		if err != nil {
			return err
		}
		if want := []string{"B", "a", "b"}; !slices.Equal(ids, want) {
			t.Errorf("OrdersWithLosses = %v, want %v", ids, want)
		}
		return nil
	})
}

// TestTextWithNULFindsNothing: PostgreSQL refuses a text holding a NUL byte, which SQLite
// compares; a read naming one (a serial "%00" in a unit page's address) finds nothing, as on
// SQLite, rather than failing.
func TestTextWithNULFindsNothing(t *testing.T) {
	st, _ := openTest(t)
	storetest.MustWrite(t, st, func(tx book.Tx) error {
		return tx.InsertOrder(book.Order{OrderID: "A", Drop: "drop-1", SKU: "sku", Quantity: 1})
	})
	err := st.Read(context.Background(), func(tx book.ReadTx) error {
		if _, err := tx.Unit("A\x00"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("Unit(NUL) = %v, want ErrNotFound", err)
		}
		if _, err := tx.WorkOrderByOrder("A\x00"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("WorkOrderByOrder(NUL) = %v, want ErrNotFound", err)
		}
		orders, err := tx.Orders([]string{"A", "\x00", "A\x00"})
		if _, ok := orders["A"]; err != nil || len(orders) != 1 || !ok {
			t.Errorf("Orders(A and NULs) = %v, %v, want A alone", orders, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
