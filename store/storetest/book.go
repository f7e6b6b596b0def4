package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func testOrdersRoundTrip(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	const n = 1203 // three chunks of Orders, the last one short
	want := make(map[string]book.Order)
	var ids []string
	MustWrite(t, s, func(tx book.Tx) error {
		for i := range n {
			o, _, _, _ := Fixture("drop-1", i)
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
	MustRead(t, s, func(tx book.ReadTx) error {
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

func testWorkOrderRoundTrip(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	o, wo, ops, _ := Fixture("drop-1", 7)
	wo.CompletedAt = Ptr(T0.Add(48 * time.Hour))
	ops[1].State, ops[1].Cell, ops[1].Reason, ops[1].Scrapped = book.Paused, "sew-2", "needle broke", 2
	ops[1].QueuedAt, ops[1].StartedAt = Ptr(T0.Add(time.Minute)), Ptr(T0.Add(2*time.Minute))
	ops[3].EndedAt, ops[3].Version = Ptr(T0.Add(time.Hour)), 5
	MustWrite(t, s, func(tx book.Tx) error {
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
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.WorkOrder(wo.ID)
		if err != nil {
			return err
		}
		if !SameWorkOrder(got, wo) {
			t.Errorf("WorkOrder = %+v, want %+v", got, wo)
		}
		got, err = tx.WorkOrderByOrder(o.OrderID)
		if err != nil {
			return err
		}
		if !SameWorkOrder(got, wo) {
			t.Errorf("WorkOrderByOrder = %+v, want %+v", got, wo)
		}
		gotOps, err := tx.Operations(wo.ID)
		if err != nil {
			return err
		}
		if !SameOperations(gotOps, ops) {
			t.Errorf("Operations =\n%+v\nwant\n%+v", gotOps, ops)
		}
		op, err := tx.Operation(ops[1].ID)
		if err != nil {
			return err
		}
		if !SameOperation(op, ops[1]) {
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

func testNotFound(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	ImportOrders(t, s, "drop-1", 0, 1)
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

func testInsertWorkOrderNeedsOrder(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	_, wo, ops, _ := Fixture("drop-1", 1)
	err := s.Write(t.Context(), func(tx book.Tx) error { return tx.InsertWorkOrder(&wo, ops) })
	if err == nil {
		t.Fatal("work order of an unknown order stored")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("work order %d: no order %q", wo.ID, wo.OrderID)) {
		t.Errorf("error %q does not name the work order and its order", err)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		if _, err := tx.WorkOrder(wo.ID); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("work order of the failed Write: %v", err)
		}
		return nil
	})
	ImportOrders(t, s, "drop-1", 0, 1)
}

func testWorkOrdersFilter(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	a := ImportOrders(t, s, "drop-a", 0, 6)
	b := ImportOrders(t, s, "drop-b", 0, 4)
	MustWrite(t, s, func(tx book.Tx) error {
		for _, w := range []book.WorkOrder{a[1].WO, a[4].WO, b[2].WO} {
			w.State, w.CompletedAt = book.WorkDone, Ptr(T0.Add(time.Hour))
			if err := tx.UpdateWorkOrder(w); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(ws []WorkOrderOps, is ...int) []int64 {
		var out []int64
		for _, i := range is {
			out = append(out, ws[i].WO.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    book.WorkOrderFilter
		want []int64
	}{
		{"all", book.WorkOrderFilter{}, append(ids(a, 0, 1, 2, 3, 4, 5), ids(b, 0, 1, 2, 3)...)},
		{"drop", book.WorkOrderFilter{Drop: "drop-b"}, ids(b, 0, 1, 2, 3)},
		{"state", book.WorkOrderFilter{State: book.WorkDone}, append(ids(a, 1, 4), ids(b, 2)...)},
		{"drop and state", book.WorkOrderFilter{Drop: "drop-a", State: book.WorkOpen}, ids(a, 0, 2, 3, 5)},
		{"after", book.WorkOrderFilter{Drop: "drop-a", AfterID: a[3].WO.ID}, ids(a, 4, 5)},
		{"limit", book.WorkOrderFilter{Limit: 3}, ids(a, 0, 1, 2)},
		{"page", book.WorkOrderFilter{State: book.WorkOpen, AfterID: a[2].WO.ID, Limit: 3}, append(ids(a, 3, 5), ids(b, 0)...)},
		{"none", book.WorkOrderFilter{Drop: "drop-c"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				ws, err := tx.WorkOrders(tc.f)
				if err != nil {
					return err
				}
				var got []int64
				for _, w := range ws {
					got = append(got, w.ID)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("WorkOrders(%+v) = %v, want %v", tc.f, got, tc.want)
				}
				return nil
			})
		})
	}
}

func testUpdateWorkOrder(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 2)
	// both first operations queued at one cell; the second work order is due later
	MustWrite(t, s, func(tx book.Tx) error {
		for _, x := range w {
			op := x.Ops[0]
			op.State, op.Cell = book.Queued, "laser-1"
			if err := tx.UpdateOperation(&op); err != nil {
				return err
			}
		}
		return nil
	})
	queueOrder := func() []int64 {
		var ids []int64
		MustRead(t, s, func(tx book.ReadTx) error {
			q, err := tx.Queue("laser-1", 0)
			for _, e := range q {
				ids = append(ids, e.WorkOrder)
			}
			return err
		})
		return ids
	}
	if got, want := queueOrder(), []int64{w[0].WO.ID, w[1].WO.ID}; !slices.Equal(got, want) {
		t.Fatalf("queue before = %v, want %v", got, want)
	}

	// expediting the second work order moves it to the front of the queue
	wo := w[1].WO
	wo.Due = T0.Add(-time.Hour)
	wo.Priority = 9
	wo.State = book.WorkScrapped
	wo.CompletedAt = Ptr(T0.Add(time.Minute))
	MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateWorkOrder(wo) })
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.WorkOrder(wo.ID)
		if err != nil {
			return err
		}
		if !SameWorkOrder(got, wo) {
			t.Errorf("WorkOrder = %+v, want %+v", got, wo)
		}
		return nil
	})
	if got, want := queueOrder(), []int64{w[1].WO.ID, w[0].WO.ID}; !slices.Equal(got, want) {
		t.Errorf("queue after expediting = %v, want %v", got, want)
	}
}

func testUpdateOperation(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 1)
	op := w[0].Ops[0]

	changed := op
	changed.State, changed.Cell, changed.Reason, changed.Scrapped = book.Running, "laser-2", "rework", 1
	changed.QueuedAt, changed.StartedAt, changed.EndedAt = Ptr(T0), Ptr(T0.Add(time.Second)), Ptr(T0.Add(time.Hour))
	changed.Name, changed.Capability, changed.Quantity = "cut again", "laser-xl", 9
	changed.UnitTime, changed.Setup = 1500*time.Millisecond, 3*time.Second
	changed.ChangeoverAttr, changed.ChangeoverValue = "material", "wool"
	MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateOperation(&changed) })
	if changed.Version != op.Version+1 {
		t.Errorf("version after update = %d, want %d", changed.Version, op.Version+1)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if !SameOperation(got, changed) {
			t.Errorf("Operation =\n%+v\nwant\n%+v", got, changed)
		}
		return nil
	})

	// op is now stale
	stale := op
	stale.State = book.Scrapped
	err := s.Write(t.Context(), func(tx book.Tx) error { return tx.UpdateOperation(&stale) })
	if !errors.Is(err, opener.ErrConflict) {
		t.Errorf("update at a stale version: %v, want opener.ErrConflict", err)
	}
	if stale.Version != op.Version {
		t.Errorf("failed update changed the version to %d", stale.Version)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
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
	MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateOperation(&cleared) })
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if !SameOperation(got, cleared) {
			t.Errorf("Operation =\n%+v\nwant\n%+v", got, cleared)
		}
		return nil
	})
}

// testQueue reads a cell's queue: running, then paused, then queued operations by priority,
// due and id; limited or whole; an unknown cell's empty.
func testQueue(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	mk := func(i, priority int, due time.Duration) book.WorkOrder {
		o, wo, ops, _ := Fixture("drop-1", i)
		o.Priority, wo.Priority = priority, priority
		o.Due, wo.Due = T0.Add(due), T0.Add(due)
		ops[0].State, ops[1].State = book.Pending, book.Pending
		MustWrite(t, s, func(tx book.Tx) error {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			return tx.InsertWorkOrder(&wo, ops)
		})
		return wo
	}
	// work orders by due and priority; each has operations seq 0 and 1 at the cell
	late := mk(1, 0, 5*time.Hour)
	early := mk(2, 0, time.Hour)
	earlyUrgent := mk(3, 5, time.Hour)
	tie := mk(4, 5, time.Hour) // same due and priority as earlyUrgent: by id
	running := mk(5, 0, 9*time.Hour)
	paused := mk(6, 0, 8*time.Hour)
	other := mk(7, 9, 0) // at another cell
	ready := mk(8, 9, 0) // ready, in no queue

	ops := func(wo book.WorkOrder) []book.Operation {
		var out []book.Operation
		MustRead(t, s, func(tx book.ReadTx) error {
			var err error
			out, err = tx.Operations(wo.ID)
			return err
		})
		return out
	}
	l, e, eu, ti, r, p, o, rd := ops(late), ops(early), ops(earlyUrgent), ops(tie), ops(running), ops(paused), ops(other), ops(ready)
	QueueAt(t, s, "cell-a", map[*book.Operation]book.State{
		&l[0]: book.Queued, &l[1]: book.Queued,
		&e[1]: book.Queued, &e[0]: book.Queued,
		&eu[0]: book.Queued, &ti[1]: book.Queued,
		&r[2]: book.Running, &p[0]: book.Paused,
		&e[2]: book.Done, &l[3]: book.Scrapped,
	})
	QueueAt(t, s, "cell-b", map[*book.Operation]book.State{&o[0]: book.Queued})
	QueueAt(t, s, "", map[*book.Operation]book.State{&rd[0]: book.Ready})

	want := []book.Operation{r[2], p[0], eu[0], ti[1], e[0], e[1], l[0], l[1]}
	for _, tc := range []struct {
		name  string
		limit int
		want  []book.Operation
	}{
		{"all", 0, want},
		{"limit", 3, want[:3]},
		{"limit above length", 50, want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				q, err := tx.Queue("cell-a", tc.limit)
				if err != nil {
					return err
				}
				var got []string
				for _, e := range q {
					got = append(got, fmt.Sprintf("%d/%d %s", e.WorkOrder, e.Seq, e.State))
				}
				var wantS []string
				for _, op := range tc.want {
					wantS = append(wantS, fmt.Sprintf("%d/%d %s", op.WorkOrder, op.Seq, op.State))
				}
				if !slices.Equal(got, wantS) {
					t.Errorf("Queue =\n%v\nwant\n%v", got, wantS)
				}
				return nil
			})
		})
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		q, err := tx.Queue("cell-a", 1)
		if err != nil {
			return err
		}
		o, _, _, _ := Fixture("drop-1", 5)
		wantEntry := book.QueueEntry{Operation: r[2], OrderID: o.OrderID, Drop: "drop-1", SKU: o.SKU,
			Priority: 0, Due: T0.Add(9 * time.Hour)}
		if len(q) != 1 || !SameQueueEntry(q[0], wantEntry) {
			t.Errorf("first queue entry =\n%+v\nwant\n%+v", q, wantEntry)
		}
		q, err = tx.Queue("nowhere", 10)
		if err != nil || len(q) != 0 {
			t.Errorf("queue of an unknown cell = %v, %v", q, err)
		}
		return nil
	})
	checkQueueOrder(t, s, "cell-a")
}

// checkQueueOrder checks that QueueOrder names the operations of cell's queue in the order
// and with the states of Queue, and that QueueEntries reads the entries of any of them.
func checkQueueOrder(t *testing.T, s Store, cell string) {
	t.Helper()
	MustRead(t, s, func(tx book.ReadTx) error {
		all, err := tx.Queue(cell, 0)
		if err != nil {
			return err
		}
		refs, err := tx.QueueOrder(cell)
		if err != nil {
			return err
		}
		if len(refs) != len(all) {
			t.Fatalf("QueueOrder holds %d operations, Queue %d", len(refs), len(all))
		}
		for i, r := range refs {
			if r.ID != all[i].ID || r.State != all[i].State {
				t.Errorf("QueueOrder[%d] = %+v, want %d %s", i, r, all[i].ID, all[i].State)
			}
		}
		picked := []int64{all[5].ID, all[0].ID, 999999}
		entries, err := tx.QueueEntries(picked)
		if err != nil {
			return err
		}
		if len(entries) != 2 {
			t.Fatalf("QueueEntries of 2 operations and a missing id: %d entries", len(entries))
		}
		for _, e := range entries {
			want := all[0]
			if e.ID == all[5].ID {
				want = all[5]
			}
			if !SameQueueEntry(e, want) {
				t.Errorf("QueueEntries entry =\n%+v\nwant\n%+v", e, want)
			}
		}
		if refs, err := tx.QueueOrder("nowhere"); err != nil || len(refs) != 0 {
			t.Errorf("queue order of an unknown cell = %v, %v", refs, err)
		}
		return nil
	})
}

func testReadyOperations(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	mk := func(i, priority int, due time.Duration, readySeqs ...int) []book.Operation {
		o, wo, ops, _ := Fixture("drop-1", i)
		o.Priority, wo.Priority = priority, priority
		o.Due, wo.Due = T0.Add(due), T0.Add(due)
		for j := range ops {
			ops[j].State = book.Pending
		}
		for _, seq := range readySeqs {
			ops[seq].State = book.Ready
		}
		MustWrite(t, s, func(tx book.Tx) error {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			return tx.InsertWorkOrder(&wo, ops)
		})
		return ops
	}
	a := mk(1, 0, 3*time.Hour, 0)
	b := mk(2, 1, 3*time.Hour, 0, 2) // same due, higher priority
	c := mk(3, 0, time.Hour, 1)
	d := mk(4, 0, 3*time.Hour, 0) // ties with a: by work order id
	mk(5, 9, 0)                   // nothing ready
	want := []book.Operation{c[1], b[0], b[2], a[0], d[0]}
	for _, tc := range []struct {
		name  string
		limit int
		want  []book.Operation
	}{
		{"all", 0, want},
		{"limit", 2, want[:2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.ReadyOperations(tc.limit)
				if err != nil {
					return err
				}
				if len(got) != len(tc.want) {
					t.Fatalf("ReadyOperations returned %d, want %d", len(got), len(tc.want))
				}
				for i := range got {
					if got[i].ID != tc.want[i].ID {
						t.Errorf("entry %d is operation %d/%d, want %d/%d", i, got[i].WorkOrder, got[i].Seq,
							tc.want[i].WorkOrder, tc.want[i].Seq)
					}
				}
				return nil
			})
		})
	}
}

func testDropUnits(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	order := func(id, drop, sku string, qty int) book.Order {
		return book.Order{OrderID: id, Drop: drop, SKU: sku, Quantity: qty, Due: T0, IntakeAt: T0, Batch: "b"}
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for _, o := range []book.Order{
			order("1", "fw", "boot", 2), order("2", "fw", "boot", 3), order("3", "fw", "scarf", 1),
			order("4", "ss", "boot", 7),
		} {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		// the transaction sees its own orders
		got, err := tx.DropUnits("fw")
		if err != nil {
			return err
		}
		if want := map[string]int{"boot": 5, "scarf": 1}; !maps.Equal(got, want) {
			t.Errorf("DropUnits inside the Write = %v, want %v", got, want)
		}
		return nil
	})
	MustWrite(t, s, func(tx book.Tx) error { return tx.InsertOrder(order("5", "fw", "scarf", 4)) })
	// a failed Write adds nothing
	s.Write(t.Context(), func(tx book.Tx) error {
		tx.InsertOrder(order("6", "fw", "boot", 100))
		return errors.New("abandoned")
	})
	for _, tc := range []struct {
		drop string
		want map[string]int
	}{
		{"fw", map[string]int{"boot": 5, "scarf": 5}},
		{"ss", map[string]int{"boot": 7}},
		{"none", map[string]int{}},
	} {
		t.Run(tc.drop, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.DropUnits(tc.drop)
				if err != nil {
					return err
				}
				if !maps.Equal(got, tc.want) {
					t.Errorf("DropUnits(%q) = %v, want %v", tc.drop, got, tc.want)
				}
				return nil
			})
		})
	}
}

func testCellLoads(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 3)
	QueueAt(t, s, "laser-1", map[*book.Operation]book.State{&w[0].Ops[0]: book.Queued, &w[1].Ops[0]: book.Running})
	QueueAt(t, s, "laser-2", map[*book.Operation]book.State{&w[2].Ops[0]: book.Paused})
	QueueAt(t, s, "sew-1", map[*book.Operation]book.State{&w[0].Ops[1]: book.Done}) // done: no load
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.CellLoads()
		if err != nil {
			return err
		}
		want := []book.CellLoad{
			{Cell: "laser-1", Load: w[0].Ops[0].StandardTime() + w[1].Ops[0].StandardTime()},
			{Cell: "laser-2", Load: w[2].Ops[0].StandardTime()},
		}
		if !slices.Equal(got, want) {
			t.Errorf("CellLoads = %v, want %v", got, want)
		}
		return nil
	})
}

func testCompletions(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	a := ImportOrders(t, s, "drop-a", 0, 3)
	b := ImportOrders(t, s, "drop-b", 0, 1)
	complete := func(wo book.WorkOrder, at time.Time) {
		MustWrite(t, s, func(tx book.Tx) error {
			wo.State, wo.CompletedAt = book.WorkDone, &at
			if err := tx.UpdateWorkOrder(wo); err != nil {
				return err
			}
			return tx.AppendEvent(&book.Event{At: at, Actor: "cell", Kind: book.EventWorkOrderCompleted,
				Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID})
		})
	}
	complete(a[2].WO, T0.Add(5*time.Hour))
	complete(a[0].WO, T0.Add(7*time.Hour))
	complete(b[0].WO, T0.Add(time.Hour))
	// other events of a work order are no completion
	MustWrite(t, s, func(tx book.Tx) error {
		return tx.AppendEvent(&book.Event{At: T0, Kind: book.EventOperation, WorkOrder: a[1].WO.ID})
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Completions("drop-a")
		if err != nil {
			return err
		}
		want := []book.Completion{
			{WorkOrder: a[0].WO.ID, OrderID: a[0].WO.OrderID, IntakeAt: T0, CompletedAt: T0.Add(7 * time.Hour)},
			{WorkOrder: a[2].WO.ID, OrderID: a[2].WO.OrderID, IntakeAt: T0, CompletedAt: T0.Add(5 * time.Hour)},
		}
		if !slices.Equal(got, want) {
			t.Errorf("Completions = %+v, want %+v", got, want)
		}
		return nil
	})
}

func testEvents(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 2) // events 1 and 2: order.received
	evs := []book.Event{
		{At: T0.Add(time.Second), Actor: "dispatcher", Kind: book.EventOperation, Cell: "laser-1",
			Drop: "drop-1", OrderID: w[0].WO.OrderID, WorkOrder: w[0].WO.ID, Operation: w[0].Ops[0].ID,
			From: book.Ready, To: book.Queued},
		{At: T0.Add(2 * time.Second), Actor: "laser-1", Kind: book.EventOperation, Cell: "laser-1",
			WorkOrder: w[1].WO.ID, Operation: w[1].Ops[0].ID, From: book.Ready, To: book.Queued},
		{At: T0.Add(3 * time.Second), Actor: "laser-1", Kind: book.EventOperationScrap, Cell: "laser-2",
			WorkOrder: w[0].WO.ID, Operation: w[0].Ops[0].ID, Reason: "burnt", Quantity: 2},
		{At: T0.Add(4 * time.Second), Actor: "planner", Kind: book.EventBatchImported, Batch: "batch-2", Quantity: 2},
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for i := range evs {
			if err := tx.AppendEvent(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for i, e := range evs {
		if e.ID != int64(i+3) {
			t.Errorf("event %d has id %d, want %d", i, e.ID, i+3)
		}
	}
	var all []book.Event
	MustRead(t, s, func(tx book.ReadTx) error {
		var err error
		all, err = tx.Events(book.EventFilter{})
		return err
	})
	if len(all) != 6 || !slices.Equal(all[2:], evs) {
		t.Fatalf("Events =\n%+v\nwant the received events and\n%+v", all, evs)
	}
	if all[0].Kind != book.EventOrderReceived || all[0].WorkOrder != w[0].WO.ID || all[0].Batch != "batch-1" {
		t.Errorf("first event = %+v", all[0])
	}
	ids := func(es ...book.Event) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    book.EventFilter
		want []int64
	}{
		{"all", book.EventFilter{}, ids(all...)},
		{"work order", book.EventFilter{WorkOrder: w[0].WO.ID}, ids(all[0], evs[0], evs[2])},
		{"operation", book.EventFilter{Operation: w[0].Ops[0].ID}, ids(evs[0], evs[2])},
		{"cell", book.EventFilter{Cell: "laser-1"}, ids(evs[0], evs[1])},
		{"cell and work order", book.EventFilter{Cell: "laser-1", WorkOrder: w[1].WO.ID}, ids(evs[1])},
		{"after", book.EventFilter{AfterID: evs[1].ID}, ids(evs[2], evs[3])},
		{"limit", book.EventFilter{Limit: 2}, ids(all[0], all[1])},
		{"page", book.EventFilter{WorkOrder: w[0].WO.ID, AfterID: all[0].ID, Limit: 1}, ids(evs[0])},
		{"none", book.EventFilter{Cell: "sew-1"}, nil},
		{"kind", book.EventFilter{Kinds: []string{book.EventOrderReceived}}, ids(all[0], all[1])},
		// the index holds them in kind order: batch, operation, order
		{"kinds by id", book.EventFilter{Kinds: []string{book.EventOrderReceived, book.EventBatchImported, book.EventOperation}},
			ids(all[0], all[1], evs[0], evs[1], evs[3])},
		{"empty kinds", book.EventFilter{Kinds: []string{}}, ids(all...)},
		{"unknown kind", book.EventFilter{Kinds: []string{"cell.exploded"}}, nil},
		{"since", book.EventFilter{Since: T0.Add(2 * time.Second)}, ids(evs[1], evs[2], evs[3])},
		{"since within a microsecond", book.EventFilter{Since: T0.Add(2*time.Second + 500*time.Nanosecond)}, ids(evs[2], evs[3])},
		{"since after all", book.EventFilter{Since: T0.Add(time.Hour)}, nil},
		{"kinds since", book.EventFilter{Kinds: []string{book.EventOperation, book.EventOperationScrap}, Since: T0.Add(2 * time.Second)},
			ids(evs[1], evs[2])},
		{"kinds since limit", book.EventFilter{Kinds: []string{book.EventBatchImported, book.EventOperation}, Since: T0, Limit: 2},
			ids(evs[0], evs[1])},
		{"kinds since page", book.EventFilter{Kinds: []string{book.EventBatchImported, book.EventOperation}, Since: T0, AfterID: evs[1].ID},
			ids(evs[3])},
		{"kinds and cell", book.EventFilter{Kinds: []string{book.EventOperation, book.EventOperationScrap}, Cell: "laser-2"}, ids(evs[2])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.Events(tc.f)
				if err != nil {
					return err
				}
				if !slices.Equal(ids(got...), tc.want) {
					t.Errorf("Events(%+v) = %v, want %v", tc.f, ids(got...), tc.want)
				}
				return nil
			})
		})
	}
}

func testIdempotency(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	rec := book.IdempotencyRecord{Principal: "ada", Key: "k1", RequestHash: "h1", Status: 201,
		Response: []byte(`{"id":1}`), CreatedAt: T0}
	empty := book.IdempotencyRecord{Principal: "ada", Key: "k2", RequestHash: "h2", Status: 204,
		Response: nil, CreatedAt: T0.Add(time.Hour)}
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.PutIdempotency(rec); err != nil {
			return err
		}
		return tx.PutIdempotency(empty)
	})
	get := func(principal, key string) (book.IdempotencyRecord, bool) {
		var got book.IdempotencyRecord
		var ok bool
		MustRead(t, s, func(tx book.ReadTx) error {
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
			Status: 204, Response: nil, CreatedAt: T0.Add(time.Hour)}, true},
		{"other principal", "bob", "k1", book.IdempotencyRecord{}, false},
		{"unknown key", "ada", "k3", book.IdempotencyRecord{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := get(tc.principal, tc.key)
			if ok != tc.ok || !SameIdempotency(got, tc.want) {
				t.Errorf("Idempotency(%q, %q) = %+v, %v; want %+v, %v", tc.principal, tc.key, got, ok, tc.want, tc.ok)
			}
		})
	}

	replaced := rec
	replaced.Status, replaced.Response = 409, []byte("conflict")
	MustWrite(t, s, func(tx book.Tx) error { return tx.PutIdempotency(replaced) })
	if got, _ := get("ada", "k1"); !SameIdempotency(got, replaced) {
		t.Errorf("after replacing: %+v, want %+v", got, replaced)
	}

	MustWrite(t, s, func(tx book.Tx) error { return tx.ExpireIdempotency(T0.Add(time.Minute)) })
	if _, ok := get("ada", "k1"); ok {
		t.Error("record created before the expiry time survived")
	}
	if _, ok := get("ada", "k2"); !ok {
		t.Error("record created after the expiry time was dropped")
	}
}

// testOpenOperations: the operations of the open work orders in an id range, in order; a done
// work order's are left out.
func testOpenOperations(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	wos := ImportOrders(t, s, "drop-1", 0, 5)
	done := wos[2].WO
	done.State = book.WorkDone
	MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateWorkOrder(done) })
	var got []book.Operation
	MustRead(t, s, func(tx book.ReadTx) error {
		var err error
		got, err = tx.OpenOperations(wos[0].WO.ID, wos[3].WO.ID)
		return err
	})
	var want []book.Operation
	for _, w := range []WorkOrderOps{wos[1], wos[3]} {
		want = append(want, w.Ops...)
	}
	if !SameOperations(got, want) {
		t.Errorf("OpenOperations = %+v\nwant %+v", got, want)
	}
}

// testFinishedOperations: the operations done or scrapped since a time, by end time and id,
// with their work orders; operations that have not finished are left out, even with an end
// time.
func testFinishedOperations(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	w := ImportOrders(t, s, "drop-1", 0, 5)
	finish := func(op *book.Operation, st book.State, cell string, ended time.Time) {
		op.State, op.Cell, op.EndedAt = st, cell, &ended
	}
	a, b, c, d := &w[0].Ops[0], &w[1].Ops[0], &w[2].Ops[0], &w[3].Ops[0]
	e, f := &w[4].Ops[0], &w[4].Ops[1]
	finish(a, book.Done, "laser-1", T0.Add(time.Hour))
	finish(b, book.Scrapped, "laser-2", T0.Add(2*time.Hour))
	finish(c, book.Done, "laser-1", T0.Add(time.Hour)) // ends with a: after it, by id
	finish(d, book.Done, "laser-2", T0.Add(30*time.Minute))
	finish(e, book.Done, "laser-1", T0.Add(-time.Hour))
	finish(f, book.Running, "sew-1", T0.Add(3*time.Hour)) // an end time, but running again
	MustWrite(t, s, func(tx book.Tx) error {
		for _, op := range []*book.Operation{a, b, c, d, e, f} {
			if err := tx.UpdateOperation(op); err != nil {
				return err
			}
		}
		return nil
	})
	entry := func(wo WorkOrderOps, op *book.Operation) book.QueueEntry {
		return book.QueueEntry{Operation: *op, OrderID: wo.WO.OrderID, Drop: wo.WO.Drop, SKU: wo.WO.SKU,
			Priority: wo.WO.Priority, Due: wo.WO.Due}
	}
	ea, eb, ec, ed, ee := entry(w[0], a), entry(w[1], b), entry(w[2], c), entry(w[3], d), entry(w[4], e)
	for _, tc := range []struct {
		name  string
		since time.Time
		limit int
		want  []book.QueueEntry
	}{
		{"since", T0, 0, []book.QueueEntry{ed, ea, ec, eb}},
		{"limit", T0, 2, []book.QueueEntry{ed, ea}},
		{"since is inclusive", T0.Add(time.Hour), 0, []book.QueueEntry{ea, ec, eb}},
		{"since within a microsecond", T0.Add(time.Hour + time.Nanosecond), 0, []book.QueueEntry{eb}},
		{"zero since", time.Time{}, 0, []book.QueueEntry{ee, ed, ea, ec, eb}},
		{"none", T0.Add(4 * time.Hour), 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustRead(t, s, func(tx book.ReadTx) error {
				got, err := tx.FinishedOperations(tc.since, tc.limit)
				if err != nil {
					return err
				}
				if !slices.EqualFunc(got, tc.want, SameQueueEntry) {
					t.Errorf("FinishedOperations(%s, %d) =\n%+v\nwant\n%+v", tc.since, tc.limit, got, tc.want)
				}
				return nil
			})
		})
	}

	// a Write sees the operations it finished itself
	MustWrite(t, s, func(tx book.Tx) error {
		finish(f, book.Done, "sew-1", T0.Add(3*time.Hour))
		if err := tx.UpdateOperation(f); err != nil {
			return err
		}
		got, err := tx.FinishedOperations(T0.Add(2*time.Hour), 0)
		if err != nil {
			return err
		}
		want := []book.QueueEntry{eb, entry(w[4], f)}
		if !slices.EqualFunc(got, want, SameQueueEntry) {
			t.Errorf("FinishedOperations inside the Write =\n%+v\nwant\n%+v", got, want)
		}
		return nil
	})
}

// testLosses: the orders that lost units (an operation scrapped some, or a work order was
// scrapped), by drop; the operations that lost them; an order's work orders, a remake with
// the work order it makes up for among them.
func testLosses(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	a := ImportOrders(t, s, "drop-a", 0, 4)
	b := ImportOrders(t, s, "drop-b", 0, 2)
	var remake book.WorkOrder
	MustWrite(t, s, func(tx book.Tx) error {
		// a-1 scraps 1 unit at its second operation, b-0 its whole work order; a-2 is done,
		// and so is the first operation of a-3
		lost := a[1].Ops[1]
		lost.Scrapped, lost.Reason = 1, "needle broke"
		if err := tx.UpdateOperation(&lost); err != nil {
			return err
		}
		scrapped := b[0].WO
		scrapped.State = book.WorkScrapped
		if err := tx.UpdateWorkOrder(scrapped); err != nil {
			return err
		}
		done := a[2].WO
		done.State = book.WorkDone
		if err := tx.UpdateWorkOrder(done); err != nil {
			return err
		}
		first := a[3].Ops[0]
		first.State = book.Done
		if err := tx.UpdateOperation(&first); err != nil {
			return err
		}
		remake = a[1].WO
		remake.ID, remake.Quantity, remake.RemakeOf = 0, 1, a[1].WO.ID
		return tx.InsertWorkOrder(&remake, []book.Operation{{Name: "cut", Capability: "laser", Quantity: 1, State: book.Ready}})
	})
	MustRead(t, s, func(tx book.ReadTx) error {
		for _, tc := range []struct {
			drop string
			want []string
		}{
			{"drop-a", []string{a[1].WO.OrderID}},
			{"drop-b", []string{b[0].WO.OrderID}},
			{"", []string{a[1].WO.OrderID, b[0].WO.OrderID}},
			{"drop-c", nil},
		} {
			got, err := tx.OrdersWithLosses(tc.drop)
			if err != nil {
				return err
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("OrdersWithLosses(%q) = %v, want %v", tc.drop, got, tc.want)
			}
		}
		ops, err := tx.LostOperations([]int64{a[0].WO.ID, a[1].WO.ID, remake.ID, b[0].WO.ID})
		if err != nil {
			return err
		}
		if len(ops) != 1 || ops[0].ID != a[1].Ops[1].ID || ops[0].Scrapped != 1 || ops[0].Reason != "needle broke" {
			t.Errorf("LostOperations = %+v, want the second operation of %d, 1 unit", ops, a[1].WO.ID)
		}
		wos, err := tx.WorkOrdersOf([]string{a[1].WO.OrderID, b[1].WO.OrderID, "nobody"})
		if err != nil {
			return err
		}
		if len(wos) != 3 || wos[0].ID != a[1].WO.ID || wos[1].ID != b[1].WO.ID || !SameWorkOrder(wos[2], remake) ||
			wos[2].RemakeOf != a[1].WO.ID || wos[0].RemakeOf != 0 {
			t.Errorf("WorkOrdersOf = %+v, want %d, %d and the remake %+v", wos, a[1].WO.ID, b[1].WO.ID, remake)
		}
		if none, err := tx.WorkOrdersOf(nil); err != nil || len(none) != 0 {
			t.Errorf("WorkOrdersOf(nil) = %v, %v", none, err)
		}
		return nil
	})
}
