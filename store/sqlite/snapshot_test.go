package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestSnapshotUnderWriters: a snapshot taken while writers commit holds every order whose
// Write returned before the snapshot began, and opens as a book of this program's schema.
func TestSnapshotUnderWriters(t *testing.T) {
	ctx := context.Background()
	st, path := openTest(t)
	var (
		acked  atomic.Int64 // orders 0..acked-1 are committed
		failed atomic.Bool
		stop   = make(chan struct{})
		wg     sync.WaitGroup
		werr   error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			o, _, _, _ := storetest.Fixture("snap", i)
			if err := st.Write(ctx, func(tx book.Tx) error { return tx.InsertOrder(o) }); err != nil {
				werr = err
				failed.Store(true)
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	for acked.Load() < 20 && !failed.Load() {
		runtime.Gosched()
	}
	before := acked.Load()
	dst := filepath.Join(t.TempDir(), "copy.db")
	schema, err := Snapshot(ctx, path, dst)
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := Schema(); schema != want {
		t.Errorf("snapshot schema %d, want %d", schema, want)
	}
	copyStore, err := Open(ctx, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	for i := range before {
		o, _, _, _ := storetest.Fixture("snap", int(i))
		var n int
		if err := copyStore.reader.QueryRow(`SELECT count(*) FROM orders WHERE order_id = ?`, o.OrderID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("order %s, acknowledged before the snapshot, is not in it", o.OrderID)
		}
	}
}

// TestSnapshotRefuses: no book, or a database that is no order book, gives no snapshot.
func TestSnapshotRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Snapshot(ctx, filepath.Join(dir, "none.db"), filepath.Join(dir, "a.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("snapshot of no book: %v, want fs.ErrNotExist", err)
	}
	if fileExists(filepath.Join(dir, "none.db")) {
		t.Error("the snapshot made a book where none was")
	}
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Snapshot(ctx, other, filepath.Join(dir, "b.db")); err == nil {
		t.Error("a database with no order book gave a snapshot")
	}
}
