package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/storetest"
)

// ackWriter writes one order at a time in a Write, as the API's intake does, and remembers
// those whose Write returned nil (acknowledged) and every one it tried.
type ackWriter struct {
	mu          sync.Mutex
	acked, sent []string
	err         error
}

// run writes orders of drop-w until stop is closed or a Write fails.
func (w *ackWriter) run(s *Store, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		o, wo, ops, ev := storetest.Fixture("drop-w", i)
		w.mu.Lock()
		w.sent = append(w.sent, o.OrderID)
		w.mu.Unlock()
		err := s.Write(context.Background(), func(tx book.Tx) error {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			if err := tx.InsertWorkOrder(&wo, ops); err != nil {
				return err
			}
			ev.WorkOrder = wo.ID
			return tx.AppendEvent(&ev)
		})
		w.mu.Lock()
		if err != nil {
			w.err = err
			w.mu.Unlock()
			return
		}
		w.acked = append(w.acked, o.OrderID)
		w.mu.Unlock()
	}
}

// soFar returns the orders acknowledged so far and the first error.
func (w *ackWriter) soFar() ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked), w.err
}

// TestSnapshotUnderWritesRestores takes a snapshot while orders are written one by one and a
// batch is half written, with its rows on the server; restores it into a new database; and
// finds there, on a store opened as a daemon opens it, every order acknowledged before the
// snapshot began, each with its work order, with the ids it had; no order of the half-written
// batch; each table's rows as the index counts them; and sequences past the restored ids.
func TestSnapshotUnderWritesRestores(t *testing.T) {
	ctx := context.Background()
	src, srcURL := openTest(t)
	storetest.ImportOrders(t, src, "drop-1", 0, 30)

	filling, release := make(chan struct{}), make(chan struct{})
	batchDone := make(chan error, 1)
	go func() {
		batchDone <- src.WriteBatch(ctx, enough, func(tx book.BatchTx) error {
			if _, err := fillOrders(tx, "drop-2", 0, enough); err != nil {
				return err
			}
			close(filling)
			<-release
			return nil
		}, func(book.Tx) error { return nil })
	}()
	<-filling
	waitFor(t, "the batch's rows on the server", func() bool { return sentRows(t, src) })

	w := &ackWriter{}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); w.run(src, stop) }()
	stopWriter := sync.OnceFunc(func() { close(stop); <-done })
	defer stopWriter()
	waitFor(t, "20 acknowledged orders", func() bool { acked, _ := w.soFar(); return len(acked) >= 20 })
	before, _ := w.soFar()

	dir := t.TempDir()
	info, err := Snapshot(ctx, srcURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-batchDone; err != nil {
		t.Fatalf("the batch: %v", err)
	}
	stopWriter()
	if _, err := w.soFar(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders acknowledged before the snapshot, %d sent in all", len(before), len(w.sent))

	dstURL := pgtest.URL(t)
	restoredInfo, err := Restore(ctx, dstURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	if restoredInfo.Schema != info.Schema {
		t.Errorf("Restore read schema %d, Snapshot wrote %d", restoredInfo.Schema, info.Schema)
	}
	dst := openAt(t, dstURL)
	checkRestoredOrders(t, src, dst, before, w.sent)
	checkRestoredCounts(t, dst, info)
	// the half-written batch is nowhere, though it committed since
	if n := committed(t, dst)["orders"]; n != 30+countPrefix(t, dst, "drop-w-") {
		t.Errorf("the restored book holds %d orders, want drop-1's 30 and drop-w's", n)
	}
	checkSequencesPast(t, dst)
}

// checkRestoredOrders finds in dst every order of want, and of sent each either whole (its
// work order with the id it has in src) or absent.
func checkRestoredOrders(t *testing.T, src, dst *Store, want, sent []string) {
	t.Helper()
	var have map[string]book.Order
	var wos, origWOs []book.WorkOrder
	storetest.MustRead(t, dst, func(tx book.ReadTx) (err error) {
		if have, err = tx.Orders(sent); err != nil {
			return err
		}
		wos, err = tx.WorkOrdersOf(sent)
		return err
	})
	storetest.MustRead(t, src, func(tx book.ReadTx) (err error) {
		origWOs, err = tx.WorkOrdersOf(sent)
		return err
	})
	for _, id := range want {
		if _, ok := have[id]; !ok {
			t.Errorf("order %s, acknowledged before the snapshot began, is not restored", id)
		}
	}
	for id := range have {
		i := slices.IndexFunc(wos, func(wo book.WorkOrder) bool { return wo.OrderID == id })
		j := slices.IndexFunc(origWOs, func(wo book.WorkOrder) bool { return wo.OrderID == id })
		if i < 0 || j < 0 || wos[i].ID != origWOs[j].ID {
			t.Errorf("order %s restored without its work order, or with another id (%v)", id, i < 0 || j < 0)
		}
	}
}

// countPrefix counts dst's orders whose id begins with prefix.
func countPrefix(t *testing.T, dst *Store, prefix string) int {
	t.Helper()
	var n int
	if err := dst.pool.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE starts_with(order_id, $1)`, prefix).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkRestoredCounts checks that every table of dst holds the rows the snapshot counted.
func checkRestoredCounts(t *testing.T, dst *Store, info SnapshotInfo) {
	t.Helper()
	for _, tab := range info.Tables {
		var n int64
		if err := dst.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+tab.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != tab.Rows {
			t.Errorf("table %s: %d rows restored, the snapshot holds %d", tab.Name, n, tab.Rows)
		}
	}
	if !slices.ContainsFunc(info.Tables, func(st SnapshotTable) bool { return st.Name == "orders" && st.Rows > 0 }) {
		t.Errorf("the snapshot holds no orders: %+v", info.Tables)
	}
}

// checkSequencesPast writes a new order to dst: its work order's id is past every id restored.
func checkSequencesPast(t *testing.T, dst *Store) {
	t.Helper()
	var largest int64
	if err := dst.pool.QueryRow(context.Background(), `SELECT max(id) FROM work_orders`).Scan(&largest); err != nil {
		t.Fatal(err)
	}
	added := storetest.ImportOrders(t, dst, "drop-after", 0, 1)
	if added[0].WO.ID <= largest {
		t.Errorf("a work order written after the restore has id %d, not past the restored %d", added[0].WO.ID, largest)
	}
}

// snapshotOf fills a book with a few orders and returns a snapshot of it.
func snapshotOf(t *testing.T) (string, SnapshotInfo) {
	t.Helper()
	src, url := openTest(t)
	storetest.ImportOrders(t, src, "drop-1", 0, 5)
	dir := t.TempDir()
	info, err := Snapshot(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, info
}

// relations lists the relations of the database's public schema.
func relations(t *testing.T, url string) []string {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(context.Background(), `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// editSnapshot copies the snapshot in dir to a new directory, with change applied to the file
// name, and returns it.
func editSnapshot(t *testing.T, dir, name string, change func([]byte) []byte) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == name {
			raw = change(raw)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// editIndex copies the snapshot with its index changed by change.
func editIndex(t *testing.T, dir string, change func(*SnapshotInfo)) string {
	t.Helper()
	return editSnapshot(t, dir, SnapshotIndex, func(raw []byte) []byte {
		var info SnapshotInfo
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatal(err)
		}
		change(&info)
		out, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

// TestRestoreRefuses: a snapshot that is not whole or not consistent, or one of a newer
// schema, is refused naming why, and leaves the database empty.
func TestRestoreRefuses(t *testing.T) {
	dir, _ := snapshotOf(t)
	tests := []struct {
		name string
		dir  string
		want error
		says string
	}{
		{"a row removed", editSnapshot(t, dir, "orders.copy", func(raw []byte) []byte {
			return raw[strings.IndexByte(string(raw), '\n')+1:]
		}), ErrBadSnapshot, "orders.copy holds 4 rows, the index says 5"},
		{"a value changed to one COPY refuses", editSnapshot(t, dir, "orders.copy", func(raw []byte) []byte {
			return []byte(strings.Replace(string(raw), "\t1\t", "\tone\t", 1))
		}), nil, "table orders: copying rows in from orders.copy"},
		{"a file emptied", editSnapshot(t, dir, "events.copy", func([]byte) []byte { return nil }), ErrBadSnapshot, "events.copy holds 0 rows"},
		{"a table missing from the index", editIndex(t, dir, func(i *SnapshotInfo) {
			i.Tables = slices.DeleteFunc(i.Tables, func(st SnapshotTable) bool { return st.Name == "notes" })
		}), ErrBadSnapshot, "has table notes, the snapshot does not"},
		{"a column renamed", editIndex(t, dir, func(i *SnapshotInfo) { i.Tables[0].Columns[0] = "other" }), ErrBadSnapshot, "columns"},
		{"a file outside the directory", editIndex(t, dir, func(i *SnapshotInfo) { i.Tables[0].File = "../x.copy" }), ErrBadSnapshot, `file "../x.copy"`},
		{"a sequence missing", editIndex(t, dir, func(i *SnapshotInfo) { i.Sequences = i.Sequences[1:] }), ErrBadSnapshot, "sequences"},
		{"a newer schema", editIndex(t, dir, func(i *SnapshotInfo) { i.Schema = 999 }), ErrNewerSchema, "schema version is 999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := pgtest.URL(t)
			_, err := Restore(context.Background(), url, tt.dir)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Restore: %v, want %v saying %q", err, tt.want, tt.says)
			}
			if held := relations(t, url); len(held) != 0 {
				t.Errorf("the refused restore left %v in the database", held)
			}
		})
	}
}

// TestRestoreRefusesADatabaseNotEmpty: a database that holds a book, or a table of anything
// else, is refused naming what it holds, and is left as it was.
func TestRestoreRefusesADatabaseNotEmpty(t *testing.T) {
	ctx := context.Background()
	dir, _ := snapshotOf(t)
	book, url := openTest(t)
	storetest.ImportOrders(t, book, "drop-9", 0, 2)
	_, err := Restore(ctx, url, dir)
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "orders") || !strings.Contains(err.Error(), "new, empty database") {
		t.Fatalf("Restore into a book: %v, want ErrNotEmpty naming its tables", err)
	}
	if n := committed(t, book)["orders"]; n != 2 {
		t.Errorf("the refused restore changed the book: %d orders, want 2", n)
	}

	other := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE stray (x int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, other, dir); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "holds stray") {
		t.Fatalf("Restore into a database holding a table: %v", err)
	}
	if held := relations(t, other); !slices.Equal(held, []string{"stray"}) {
		t.Errorf("the refused restore changed the database: it holds %v", held)
	}
}

// TestRestoreMigratesOlderSnapshot: a snapshot of a book one migration behind is restored at
// its schema, then migrated as Open would: the book is at this program's schema.
func TestRestoreMigratesOlderSnapshot(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	old := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pgutil.Migrate(ctx, pool, schema, ms[:len(ms)-1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO orders VALUES ('o-1', 'drop-o', 'sku-1', 1, '', 0, 0, '', '', 0, '')`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	info, err := Snapshot(ctx, old, dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Schema != len(ms)-1 {
		t.Fatalf("snapshot at schema %d, want %d", info.Schema, len(ms)-1)
	}
	url := pgtest.URL(t)
	if _, err := Restore(ctx, url, dir); err != nil {
		t.Fatal(err)
	}
	dst := openAt(t, url)
	var v int
	if err := dst.pool.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil || v != len(ms) {
		t.Fatalf("the restored book's schema: %d %v, want %d", v, err, len(ms))
	}
	if n := committed(t, dst)["orders"]; n != 1 {
		t.Errorf("%d orders restored, want 1", n)
	}
}

// TestSnapshotRefusesNoBook: a database no daemon ever ran on is no book to snapshot.
func TestSnapshotRefusesNoBook(t *testing.T) {
	_, err := Snapshot(context.Background(), pgtest.URL(t), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no order book there") {
		t.Fatalf("Snapshot of an empty database: %v", err)
	}
}
