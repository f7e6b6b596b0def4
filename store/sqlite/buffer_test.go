package sqlite

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestBatchStatements checks the SQL of batches: fixed columns written once, integers and
// NULL as literals, strings bound in the order of their placeholders.
func TestBatchStatements(t *testing.T) {
	tbl := newTable("t", 0, []string{"id", "kind", "n", "note"})
	upd := newTable("t", 2, []string{"id", "v", "kind", "n", "v"})
	for _, tc := range []struct {
		name     string
		t        table
		rows     [][]any
		update   bool
		wantSQL  string
		wantArgs []any
	}{
		{
			name:     "one row",
			t:        tbl,
			rows:     [][]any{{1, "a", int64(-5), nil}},
			wantSQL:  `INSERT OR ROLLBACK INTO t (id, kind, n, note) VALUES (1,?,-5,NULL)`,
			wantArgs: []any{"a"},
		},
		{
			name:     "every column varies",
			t:        tbl,
			rows:     [][]any{{1, "a", 5, nil}, {2, "b", 6, "x"}},
			wantSQL:  `INSERT OR ROLLBACK INTO t (id, kind, n, note) VALUES (1,?,5,NULL),(2,?,6,?)`,
			wantArgs: []any{"a", "b", "x"},
		},
		{
			name:     "fixed columns after the varying",
			t:        tbl,
			rows:     [][]any{{1, "a", 5, "it's"}, {2, "b", 5, "it's"}, {3, "c", 5, "it's"}},
			wantSQL:  `INSERT OR ROLLBACK INTO t (id, kind, n, note) SELECT *, 5, ? FROM (VALUES (1,?),(2,?),(3,?))`,
			wantArgs: []any{"it's", "a", "b", "c"},
		},
		{
			name:     "identical rows",
			t:        tbl,
			rows:     [][]any{{1, "a", 5, nil}, {1, "a", 5, nil}},
			wantSQL:  `INSERT OR ROLLBACK INTO t (id, kind, n, note) VALUES (1,?,5,NULL),(1,?,5,NULL)`,
			wantArgs: []any{"a", "a"},
		},
		{
			name:     "update of one row",
			t:        upd,
			rows:     [][]any{{7, 3, "a", nil, 4}},
			update:   true,
			wantSQL:  `UPDATE OR ROLLBACK t SET kind = ?, n = NULL, v = 4 WHERE t.id = 7 AND t.v = 3`,
			wantArgs: []any{"a"},
		},
		{
			name:     "update of rows that differ in their first key only",
			t:        upd,
			rows:     [][]any{{7, 3, "a", 1, 4}, {8, 3, "a", 1, 4}},
			update:   true,
			wantSQL:  `UPDATE OR ROLLBACK t SET kind = ?, n = 1, v = 4 WHERE t.v = 3 AND t.id IN (7,8)`,
			wantArgs: []any{"a"},
		},
		{
			name:   "update of rows",
			t:      upd,
			rows:   [][]any{{7, 3, "a", 1, 4}, {8, 3, "b", 1, 4}},
			update: true,
			wantSQL: `UPDATE OR ROLLBACK t SET kind = v.column2, n = 1, v = 4 FROM (VALUES (7,?),(8,?)) AS v ` +
				`WHERE t.id = v.column1 AND t.v = 3`,
			wantArgs: []any{"a", "b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := rowBuffer{table: tc.t}
			for _, r := range tc.rows {
				b.add(r...)
			}
			fixed := make([]bool, len(tc.t.cols))
			if end := b.batchEnd(0, fixed); end != len(tc.rows) {
				t.Fatalf("batch of %d rows, want %d", end, len(tc.rows))
			}
			statement := newBatch(tc.t, b.vals, fixed).insert
			if tc.update {
				statement = newBatch(tc.t, b.vals, fixed).update
			}
			q, args := statement()
			if q != tc.wantSQL || !slices.Equal(args, tc.wantArgs) {
				t.Errorf("statement\n%s %v\nwant\n%s %v", q, args, tc.wantSQL, tc.wantArgs)
			}
		})
	}
}

// TestBatchBounds checks where batches end: at a row of another kind once the batch is long
// enough, and before a statement grows too long.
func TestBatchBounds(t *testing.T) {
	tbl := newTable("t", 0, []string{"id", "kind"}, "kind")
	kinds := func(counts ...int) rowBuffer {
		b := rowBuffer{table: tbl}
		id := 0
		for k, n := range counts {
			for range n {
				id++
				b.add(id, string(rune('a'+k)))
			}
		}
		return b
	}
	for _, tc := range []struct {
		name string
		b    rowBuffer
		want []int // rows of each batch
	}{
		{"one kind", kinds(5), []int{5}},
		{"a short kind joins the next", kinds(3, 4), []int{7}},
		{"long kinds apart", kinds(stmtValues+1, 3), []int{stmtValues + 1, 3}},
		{"longer than a statement", kinds(maxStmtRows + 1), []int{maxStmtRows, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			tc.b.batches(func(vals []value, fixed []bool) error {
				got = append(got, len(vals)/2)
				return nil
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("batches of %v rows, want %v", got, tc.want)
			}
		})
	}
}

// TestGroupKeepsRows checks that grouping the rows of a buffer loses and changes none, puts
// the rows of a kind together, in the order they were added.
func TestGroupKeepsRows(t *testing.T) {
	b := rowBuffer{table: newTable("t", 0, []string{"id", "kind", "n"}, "kind", "n")}
	var want [][]value
	for i := range 50 {
		row := []any{int64(i), []string{"b", "a", "c"}[i%3], []any{nil, 1, int64(1)}[i%2]}
		b.add(row...)
		want = append(want, slices.Clone(b.row(i)))
	}
	b.group()
	var got [][]value
	for i := range b.len() {
		got = append(got, slices.Clone(b.row(i)))
	}
	byID := func(x, y []value) int { return int(x[0].i - y[0].i) }
	slices.SortFunc(got, byID)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatal("grouping lost or changed rows")
	}
	for i := 1; i < b.len(); i++ {
		prev, row := b.row(i-1), b.row(i)
		same := prev[1] == row[1] && prev[2] == row[2]
		if same && prev[0].i > row[0].i {
			t.Errorf("rows %d and %d of a kind out of order", prev[0].i, row[0].i)
		}
		if !same && compareValues(prev[1], row[1]) > 0 {
			t.Errorf("kinds out of order: %v before %v", prev, row)
		}
	}
	// every kind in one run
	runs := map[[2]value]int{}
	for i := range b.len() {
		if k := [2]value{b.row(i)[1], b.row(i)[2]}; i == 0 || k != [2]value{b.row(i - 1)[1], b.row(i - 1)[2]} {
			runs[k]++
		}
	}
	for k, n := range runs {
		if n != 1 {
			t.Errorf("kind %v in %d runs", k, n)
		}
	}
}

// TestIntegerLiterals checks that the integers written into the SQL text come back as they
// were, the extremes included.
func TestIntegerLiterals(t *testing.T) {
	s, _ := openTest(t)
	o, wo, ops, _ := storetest.Fixture("drop-1", 0)
	extremes := []time.Duration{math.MaxInt64, math.MinInt64, -1, 0}
	for i := range ops {
		ops[i].UnitTime, ops[i].Setup = extremes[i], extremes[(i+1)%len(extremes)]
	}
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return tx.InsertWorkOrder(&wo, ops)
	})
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operations(wo.ID)
		if err != nil {
			return err
		}
		if !storetest.SameOperations(got, ops) {
			t.Errorf("Operations =\n%+v\nwant\n%+v", got, ops)
		}
		return nil
	})
}

// TestIDs checks that ids are set as soon as the rows are inserted, continue the stored
// ones, and that the ids of events are never used twice.
func TestIDs(t *testing.T) {
	s, _ := openTest(t)
	first := storetest.ImportOrders(t, s, "drop-1", 0, 2)
	if first[0].WO.ID != 1 || first[1].WO.ID != 2 || first[1].Ops[3].ID != 8 {
		t.Fatalf("ids of a first import: %d %d %d", first[0].WO.ID, first[1].WO.ID, first[1].Ops[3].ID)
	}
	appendEvent := func(fail bool) int64 {
		var e book.Event
		err := s.Write(t.Context(), func(tx book.Tx) error {
			e = book.Event{At: t0, Kind: book.EventOperation}
			if err := tx.AppendEvent(&e); err != nil {
				return err
			}
			if fail {
				return errors.New("abandoned")
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatalf("Write: %v", err)
		}
		return e.ID
	}
	if id := appendEvent(false); id != 3 { // after the two order.received events
		t.Errorf("event id %d, want 3", id)
	}
	// a rolled back Write stored nothing: its ids are free again, as SQLite itself has it
	if id := appendEvent(true); id != 4 {
		t.Errorf("event id %d in the rolled back Write, want 4", id)
	}
	if id := appendEvent(false); id != 4 {
		t.Errorf("event id %d after a rolled back Write, want 4", id)
	}
	// the event log is append-only, but were the last event gone, its id would stay used
	if _, err := s.writer.Exec(`DELETE FROM events WHERE id = 4`); err != nil {
		t.Fatal(err)
	}
	if id := appendEvent(false); id != 5 {
		t.Errorf("event id %d after the last was deleted, want 5", id)
	}

	// ids continue the stored ones, in a Write that reads what it wrote
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		o, wo, ops, _ := storetest.Fixture("drop-1", 2)
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		if err := tx.InsertWorkOrder(&wo, ops); err != nil {
			return err
		}
		if wo.ID != 3 || ops[0].ID != 9 || ops[0].WorkOrder != 3 {
			t.Errorf("ids %d, %d of work order %d; want 3, 9 of 3", wo.ID, ops[0].ID, ops[0].WorkOrder)
		}
		got, err := tx.Operations(wo.ID)
		if err != nil {
			return err
		}
		if !storetest.SameOperations(got, ops) {
			t.Errorf("Operations inside the Write =\n%+v\nwant\n%+v", got, ops)
		}
		return nil
	})
}

// TestUpdateOperationHeldBack checks updates that the Tx holds back: twice the same
// operation, an operation inserted by the same Write, stale versions, and what reads and
// counts see.
func TestUpdateOperationHeldBack(t *testing.T) {
	s, _ := openTest(t)
	w := storetest.ImportOrders(t, s, "drop-1", 0, 2)
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		// not read by this Write
		op := w[0].Ops[0]
		op.State, op.Cell = book.Queued, "laser-1"
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		op.State = book.Running
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		stale := w[0].Ops[0]
		if err := tx.UpdateOperation(&stale); !errors.Is(err, ErrConflict) {
			t.Errorf("update at a stale version: %v, want ErrConflict", err)
		}
		if op.Version != 2 {
			t.Errorf("version after two updates: %d", op.Version)
		}
		// inserted by this Write and never read
		o, wo, ops, _ := storetest.Fixture("drop-1", 5)
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		if err := tx.InsertWorkOrder(&wo, ops); err != nil {
			return err
		}
		ops[1].State = book.Ready
		if err := tx.UpdateOperation(&ops[1]); err != nil {
			return err
		}
		got, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if !storetest.SameOperation(got, op) {
			t.Errorf("Operation inside the Write =\n%+v\nwant\n%+v", got, op)
		}
		// read, then changed
		q, err := tx.Queue("laser-1", 0)
		if err != nil {
			return err
		}
		if len(q) != 1 {
			t.Fatalf("queue %+v", q)
		}
		next := q[0].Operation
		next.State = book.Done
		if err := tx.UpdateOperation(&next); err != nil {
			return err
		}
		_, opCounts, err := tx.Counts()
		if err != nil {
			return err
		}
		if want := map[book.State]int{book.Ready: 3, book.Pending: 8, book.Done: 1}; !countsEqual(opCounts, want) {
			t.Errorf("counts inside the Write = %v, want %v", opCounts, want)
		}
		return nil
	})
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Operation(w[0].Ops[0].ID)
		if err != nil {
			return err
		}
		if got.State != book.Done || got.Cell != "laser-1" || got.Version != 3 {
			t.Errorf("operation after the Write: %s at %q, version %d", got.State, got.Cell, got.Version)
		}
		_, opCounts, err := tx.Counts()
		if err != nil {
			return err
		}
		if want := map[book.State]int{book.Ready: 3, book.Pending: 8, book.Done: 1}; !countsEqual(opCounts, want) {
			t.Errorf("counts = %v, want %v", opCounts, want)
		}
		return nil
	})
}

// countsEqual compares counts, leaving out the states that count 0.
func countsEqual(got, want map[book.State]int) bool {
	for st, n := range got {
		if n != want[st] {
			return false
		}
	}
	for st, n := range want {
		if n != got[st] {
			return false
		}
	}
	return true
}

// TestLargeWrite checks a Write that holds back more than a buffer takes and reads in
// between: everything is stored once.
func TestLargeWrite(t *testing.T) {
	s, _ := openTest(t)
	n := 2*flushValues/len(operationsTable.cols)/len(storetest.Routing) + 7
	w := storetest.ImportOrders(t, s, "drop-1", 0, n)
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		wos, ops, err := tx.Counts()
		if err != nil {
			return err
		}
		if wos[book.WorkOpen] != n || ops[book.Ready] != n || ops[book.Pending] != 3*n {
			t.Errorf("counts %v %v for %d work orders", wos, ops, n)
		}
		last := w[n-1]
		got, err := tx.Operations(last.WO.ID)
		if err != nil {
			return err
		}
		if !storetest.SameOperations(got, last.Ops) {
			t.Errorf("operations of the last work order =\n%+v\nwant\n%+v", got, last.Ops)
		}
		evs, err := tx.Events(book.EventFilter{})
		if err != nil {
			return err
		}
		if len(evs) != n || evs[n-1].WorkOrder != last.WO.ID {
			t.Errorf("%d events, want %d", len(evs), n)
		}
		return nil
	})
}

// TestQuotesInStrings checks that strings reach the database as they are: they are bound,
// never written into the SQL.
func TestQuotesInStrings(t *testing.T) {
	s, _ := openTest(t)
	var orders []book.Order
	for i, note := range []string{"it's", `"; DROP TABLE orders; --`, "?", "\x00nul", "ünï"} {
		o, _, _, _ := storetest.Fixture("drop-1", i)
		o.Notes = note
		orders = append(orders, o)
	}
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		for _, o := range orders {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		var ids []string
		for _, o := range orders {
			ids = append(ids, o.OrderID)
		}
		got, err := tx.Orders(ids)
		if err != nil {
			return err
		}
		for _, o := range orders {
			if got[o.OrderID].Notes != o.Notes {
				t.Errorf("notes %q came back as %q", o.Notes, got[o.OrderID].Notes)
			}
		}
		return nil
	})
}
